"""Admin only: branches, users and roles, devices (the roles they serve,
revoking them), the audit log and the check of its hash chains. The rules
are :mod:`clinic.org.service`'s and :mod:`clinic.journal.audit`'s."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import update
from sqlalchemy.orm import Session

from clinic.db import utcnow
from clinic.journal.audit import SEARCH_LIMIT, AuditSearch, search_audit, verify_chains
from clinic.org import service as org
from clinic.org.models import User
from server.database import SERVER_DEVICE_ID
from server.deps import Admin, DbSession
from server.errors import ApiError, not_found
from server.models import RefreshToken
from server.schemas import (
    AuditChainOut,
    AuditEventOut,
    AuditVerifyOut,
    BranchCreate,
    BranchOut,
    BranchUpdate,
    ChainBreakOut,
    DeviceOut,
    DeviceUpdate,
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


def _end_sessions(
    session: Session, *, user_id: uuid.UUID | None = None, device_id: uuid.UUID | None = None
) -> None:
    """Revoke the refresh tokens of a user or a device: no new access token
    comes from them (the access tokens out there are refused already, the
    server checks the user and the device on every request)."""
    tokens = update(RefreshToken).where(RefreshToken.revoked_at.is_(None))
    if user_id is not None:
        tokens = tokens.where(RefreshToken.user_id == user_id)
    if device_id is not None:
        tokens = tokens.where(RefreshToken.device_id == device_id)
    session.execute(tokens.values(revoked_at=utcnow()))


# --- branches ----------------------------------------------------------------


@router.get("/branches", response_model=list[BranchOut], responses=ERRORS)
def list_branches(caller: Admin, session: DbSession) -> list[BranchOut]:
    """Every branch, by code."""
    return [BranchOut.model_validate(b) for b in org.list_branches(session=session)]


@router.post("/branches", response_model=BranchOut, status_code=201, responses=ERRORS)
def create_branch(body: BranchCreate, caller: Admin, session: DbSession) -> BranchOut:
    """Add a branch (an admin of all branches); a taken code answers 409."""
    branch = org.create_branch(
        body.code,
        body.name,
        kmhfl_code=body.kmhfl_code,
        sha_facility_id=body.sha_facility_id,
        session=session,
        actor=caller.actor(),
    )
    session.commit()
    return BranchOut.model_validate(branch)


@router.patch("/branches/{branch_id}", response_model=BranchOut, responses=ERRORS)
def edit_branch(
    branch_id: uuid.UUID, body: BranchUpdate, caller: Admin, session: DbSession
) -> BranchOut:
    """Change a branch's code, name, KMHFL code or SHA facility id (null
    clears the last two)."""
    branch = org.update_branch(
        branch_id, body.model_dump(exclude_unset=True), session=session, actor=caller.actor()
    )
    session.commit()
    return BranchOut.model_validate(branch)


# --- users -------------------------------------------------------------------


@router.get("/users", response_model=list[UserOut], responses=ERRORS)
def list_users(caller: Admin, session: DbSession) -> list[UserOut]:
    """The staff the caller manages (an admin of one branch: that branch's)."""
    users = org.list_users(session=session, actor=caller.actor())
    return [UserOut.model_validate(u) for u in users]


@router.post("/users", response_model=UserOut, status_code=201, responses=ERRORS)
def create_user(body: UserCreate, caller: Admin, session: DbSession) -> UserOut:
    """Create a user (:func:`clinic.org.service.create_user`); they change the
    given password at first login. A taken username answers 409."""
    problem = password_problem(body.password, body.username)
    if problem:
        raise _invalid("password", problem)
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
    session.commit()
    return UserOut.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserOut, responses=ERRORS)
def edit_user(user_id: uuid.UUID, body: UserUpdate, caller: Admin, session: DbSession) -> UserOut:
    """Change a user's name, role, branch or active flag, or set a one-time
    password (which they change at their next login). Deactivating a user
    or resetting their password ends their sessions at once."""
    changes = body.model_dump(exclude_unset=True)
    password = changes.pop("password", None)
    target = session.get(User, user_id)
    if target is None:
        raise not_found(f"No user with id {user_id}")
    password_hash = None
    if password is not None:
        problem = password_problem(password, target.username)
        if problem:
            raise _invalid("password", problem)
        password_hash = hash_password(password)
    user = org.update_user(
        user_id, changes, password_hash=password_hash, session=session, actor=caller.actor()
    )
    if not user.active or password_hash is not None:
        _end_sessions(session, user_id=user.id)
    session.commit()
    return UserOut.model_validate(user)


# --- devices -----------------------------------------------------------------


@router.get("/devices", response_model=list[DeviceOut], responses=ERRORS)
def list_devices(caller: Admin, session: DbSession) -> list[DeviceOut]:
    """Every PC the caller manages, with what it reported at its last sync."""
    devices = org.list_devices(
        session=session, actor=caller.actor(), server_device=SERVER_DEVICE_ID
    )
    return [DeviceOut.model_validate(d) for d in devices]


@router.patch("/devices/{device_id}", response_model=DeviceOut, responses=ERRORS)
def edit_device(
    device_id: uuid.UUID, body: DeviceUpdate, caller: Admin, session: DbSession
) -> DeviceOut:
    """Set the roles a PC serves; its next pull is in the new scope."""
    if device_id == SERVER_DEVICE_ID:
        raise not_found(f"No device with id {device_id}")
    device = org.set_device_roles(device_id, body.roles, session=session, actor=caller.actor())
    session.commit()
    return DeviceOut.model_validate(device)


@router.post("/devices/{device_id}/revoke", response_model=DeviceOut, responses=ERRORS)
def revoke_device(device_id: uuid.UUID, caller: Admin, session: DbSession) -> DeviceOut:
    """Revoke a device: its tokens stop working at once, and its next sync
    is refused with "This device was revoked; ask an admin"."""
    if device_id == SERVER_DEVICE_ID:
        raise not_found(f"No device with id {device_id}")
    device = org.revoke_device(device_id, session=session, actor=caller.actor())
    _end_sessions(session, device_id=device.id)
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
