"""Admin only: users and roles, devices (list, revoke), the audit log and
the check of its hash chains."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select, update

from clinic.db import utcnow
from clinic.enums import Role
from clinic.errors import AlreadyTaken
from clinic.journal.audit import SEARCH_LIMIT, AuditSearch, search_audit, verify_chains
from clinic.journal.service import changed_fields, log_central_change, record_audit, snapshot
from clinic.org import service as org
from clinic.org.models import Device, User
from server.database import SERVER_DEVICE_ID
from server.deps import Admin, DbSession
from server.errors import ApiError, not_found
from server.models import RefreshToken
from server.schemas import (
    AuditChainOut,
    AuditEventOut,
    AuditVerifyOut,
    ChainBreakOut,
    DeviceOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from server.security import hash_password, password_problem

router = APIRouter(prefix="/api", tags=["admin"])
ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


def _invalid(field: str, reason: str) -> ApiError:
    return ApiError(
        422, "invalid", "Some values are not valid", [{"field": field, "reason": reason}]
    )


def _aware(moment: datetime) -> datetime:
    """A time given without a zone is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role.value,
        "branch_id": str(user.branch_id) if user.branch_id else None,
        "active": user.active,
    }


@router.get("/users", response_model=list[UserOut], responses=ERRORS)
def list_users(caller: Admin, session: DbSession) -> list[UserOut]:
    users = session.scalars(select(User).where(User.deleted_at.is_(None)).order_by(User.username))
    return [UserOut.model_validate(u) for u in users]


@router.post("/users", response_model=UserOut, status_code=201, responses=ERRORS)
def create_user(body: UserCreate, caller: Admin, session: DbSession) -> UserOut:
    """Create a user (:func:`clinic.org.service.create_user`); they change the
    given password at first login. A taken username answers 409."""
    problem = password_problem(body.password, body.username)
    if problem:
        raise _invalid("password", problem)
    try:
        user = org.create_user(
            body.username,
            body.full_name,
            body.role,
            password_hash=hash_password(body.password),
            branch_code=body.branch_code,
            must_change_password=True,
            session=session,
            actor=caller.actor(),
        )
    except AlreadyTaken as error:
        fields = [{"field": error.field, "reason": error.reason}]
        raise ApiError(409, "exists", error.reason, fields) from None
    session.commit()
    return UserOut.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserOut, responses=ERRORS)
def edit_user(user_id: uuid.UUID, body: UserUpdate, caller: Admin, session: DbSession) -> UserOut:
    """Change a user's name, role, branch or active flag, or set a new
    password (which they change at their next login). Deactivating a user
    ends their sessions at once."""
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise not_found(f"No user with id {user_id}")
    before = _user_snapshot(user)
    row_before = snapshot(user)
    changes = body.model_dump(exclude_unset=True)
    if "full_name" in changes and body.full_name is not None:
        user.full_name = body.full_name
    if body.role is not None:
        user.role = body.role
    if "branch_code" in changes:
        user.branch_id = org.branch_named(body.branch_code, session=session)
    if user.branch_id is None and user.role != Role.ADMIN:
        raise _invalid("branch_code", "Only an admin may work without a branch; choose one")
    if body.active is not None:
        user.active = body.active
    if body.password is not None:
        problem = password_problem(body.password, user.username)
        if problem:
            raise _invalid("password", problem)
        user.password_hash = hash_password(body.password)
        user.must_change_password = True
    if body.active is False or body.password is not None:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    session.flush()
    log_central_change(
        session,
        user,
        list(changed_fields(row_before, snapshot(user))),
        device_id=SERVER_DEVICE_ID,
        user_id=caller.user.id,
    )
    record_audit(
        session,
        caller.actor(),
        action="update_user",
        entity="users",
        entity_id=user.id,
        before=before,
        after=_user_snapshot(user) | {"password_reset": body.password is not None},
    )
    session.commit()
    return UserOut.model_validate(user)


@router.get("/devices", response_model=list[DeviceOut], responses=ERRORS)
def list_devices(caller: Admin, session: DbSession) -> list[DeviceOut]:
    devices = session.scalars(
        select(Device).where(Device.id != SERVER_DEVICE_ID).order_by(Device.enrolled_at)
    )
    return [DeviceOut.model_validate(d) for d in devices]


@router.post("/devices/{device_id}/revoke", response_model=DeviceOut, responses=ERRORS)
def revoke_device(device_id: uuid.UUID, caller: Admin, session: DbSession) -> DeviceOut:
    """Revoke a device: its tokens stop working at once."""
    device = session.get(Device, device_id)
    if device is None or device.id == SERVER_DEVICE_ID:
        raise not_found(f"No device with id {device_id}")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        log_central_change(
            session, device, ["revoked_at"], device_id=SERVER_DEVICE_ID, user_id=caller.user.id
        )
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.device_id == device.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=device.revoked_at)
        )
        record_audit(
            session,
            caller.actor(),
            action="revoke_device",
            entity="devices",
            entity_id=device.id,
            after={"revoked_at": device.revoked_at.isoformat()},
        )
        session.commit()
    return DeviceOut.model_validate(device)


@router.get("/audit", response_model=list[AuditEventOut], responses=ERRORS)
def audit_log(
    caller: Admin,
    session: DbSession,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT)] = 100,
) -> list[AuditEventOut]:
    """The audit log, newest first, filtered by any of the parameters
    (:func:`clinic.journal.audit.search_audit`; ``patient_id``: the events
    on the patient and on the rows that name them)."""
    search = AuditSearch(
        user_id=user_id,
        patient_id=patient_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        device_id=device_id,
        since=_aware(since) if since is not None else None,
        until=_aware(until) if until is not None else None,
        limit=limit,
    )
    return [AuditEventOut.model_validate(e) for e in search_audit(search, session=session)]


@router.get("/audit/verify", response_model=AuditVerifyOut, responses=ERRORS)
def verify_audit(caller: Admin, session: DbSession) -> AuditVerifyOut:
    """Check every device's audit chain the server holds
    (:func:`clinic.journal.audit.verify_chains`): each is intact, or
    breaks at an event that was edited, deleted or reordered."""
    chains = [
        AuditChainOut(
            device_id=chain.device_id,
            device_name=chain.device_name,
            events=chain.events,
            last_sequence=chain.last_sequence,
            intact=chain.broken is None,
            broken=ChainBreakOut.model_validate(chain.broken) if chain.broken else None,
        )
        for chain in verify_chains(session=session)
    ]
    return AuditVerifyOut(intact=all(c.intact for c in chains), checked_at=utcnow(), chains=chains)
