"""Login, token refresh with rotation, logout, who am I, password change."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from clinic.db import utcnow
from clinic.enums import Role
from clinic.org.models import Branch, Device, User
from clinic.permissions import device_refusal
from server.config import Settings
from server.database import MAIN_BRANCH, SERVER_DEVICE_ID, add_central
from server.deps import AnyCaller, AppSettings, DbSession
from server.errors import ApiError, forbidden, unauthorized
from server.models import DeviceUser, LoginFailure, RefreshToken
from server.schemas import (
    BranchOut,
    LoginIn,
    MeOut,
    PasswordChangeIn,
    RefreshIn,
    TokensOut,
    UserOut,
)
from server.security import (
    hash_password,
    issue_access_token,
    new_refresh_token,
    password_problem,
    refresh_token_hash,
    verify_password,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])

WRONG_LOGIN = "Wrong username or password"


def _too_many(message: str) -> ApiError:
    return ApiError(429, "too_many_attempts", message, headers={"Retry-After": "60"})


def _refuse_if_locked(session: Session, username: str) -> LoginFailure | None:
    """The username's failures in a row (None if none); raises 429 while
    they have it locked."""
    failure = session.get(LoginFailure, username)
    if failure is not None and failure.locked_until is not None and failure.locked_until > utcnow():
        minutes = int((failure.locked_until - utcnow()).total_seconds() // 60) + 1
        raise _too_many(f"Too many wrong passwords; try again in {minutes} minutes")
    return failure


def _record_failure(session: Session, username: str, settings: Settings) -> None:
    """Count a wrong password for the username (a login or a password
    change) and lock it after too many in a row; commits."""
    statement = insert(LoginFailure).values(username=username, failures=1)
    statement = statement.on_conflict_do_update(
        index_elements=[LoginFailure.username],
        set_={"failures": LoginFailure.failures + 1},
    )
    session.execute(statement)
    failure = session.get(LoginFailure, username, populate_existing=True)
    if failure is not None and failure.failures >= settings.lockout_failures:
        failure.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
        failure.failures = 0
    session.commit()


def issue_tokens(
    session: Session,
    settings: Settings,
    user: User,
    device: Device,
    family_id: uuid.UUID | None = None,
) -> TokensOut:
    """An access token and the next refresh token of the session
    ``family_id`` (a new session without it); commits."""
    session_id = family_id or uuid.uuid4()
    access, _expires = issue_access_token(
        settings.jwt_secret,
        user_id=user.id,
        device_id=device.id,
        role=user.role,
        branch_id=user.branch_id,
        must_change_password=user.must_change_password,
        lifetime=timedelta(minutes=settings.access_minutes),
        session_id=session_id,
    )
    refresh, token_hash = new_refresh_token()
    session.add(
        RefreshToken(
            token_hash=token_hash,
            family_id=session_id,
            user_id=user.id,
            device_id=device.id,
            expires_at=utcnow() + timedelta(days=settings.refresh_days),
        )
    )
    session.commit()
    return TokensOut(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_minutes * 60,
        must_change_password=user.must_change_password,
    )


def check_device_user(session: Session, device: Device, user: User) -> None:
    """Raise unless ``user`` may work on ``device``: not the server's own
    device id, not a revoked device, a device of the user's branch (an admin
    without a branch may use any), and one that serves the user's role."""
    if device.id == SERVER_DEVICE_ID:
        raise forbidden("That device id is the server's own; a PC logs in with an id of its own")
    if device.revoked_at is not None:
        raise unauthorized("This device was revoked; ask an admin")
    if user.branch_id is not None and device.branch_id != user.branch_id:
        code = session.get_one(Branch, device.branch_id).code
        raise forbidden(
            f"This PC belongs to branch {code}; log in on a PC of your own branch, "
            "or ask an admin to move you to this one"
        )
    refusal = device_refusal(device.roles, user.role)
    if refusal is not None:
        raise forbidden(refusal)


def _invalid_device_roles(reason: str) -> ApiError:
    return ApiError(
        422, "invalid", "Some values are not valid", [{"field": "device_roles", "reason": reason}]
    )


def _enrolled_device(session: Session, body: LoginIn, user: User) -> Device:
    """The device ``body`` logs in from, checked by :func:`check_device_user`.
    A new one is enrolled at the user's branch (MAIN for an admin without
    one), serving the roles an admin chose in ``device_roles``, else the
    user's own role; ``device_roles`` from anyone else, or for a device
    already set up, is refused (422)."""
    device = session.get(Device, body.device_id)
    if device is not None:
        if body.device_roles is not None:
            raise _invalid_device_roles(
                f"This PC is already set up for: {', '.join(device.roles)}; "
                "log in without device_roles"
            )
        check_device_user(session, device, user)
        return device
    if body.device_roles is not None and user.role != Role.ADMIN:
        raise _invalid_device_roles(
            "Only an admin chooses the roles a PC serves; log in without device_roles"
        )
    branch_id = user.branch_id or session.scalar(
        select(Branch.id).where(Branch.code == MAIN_BRANCH)
    )
    if branch_id is None:
        raise ApiError(500, "no_branch", "The server has no branch to enrol this device in")
    roles = body.device_roles or [user.role]
    device = Device(
        id=body.device_id,
        name=body.device_name or f"PC {str(body.device_id)[:8]}",
        branch_id=branch_id,
        enrolled_at=utcnow(),
        created_by=user.id,
        roles=[role.value for role in Role if role in roles],
    )
    add_central(session, device, user.id)
    return device


def record_device_user(session: Session, device: Device, user: User) -> None:
    """Note that ``user`` logged in online on ``device`` (once): sync push
    accepts changes authored by such users only (DESIGN.md, Sync 13)."""
    session.execute(
        insert(DeviceUser)
        .values(device_id=device.id, user_id=user.id)
        .on_conflict_do_nothing(index_elements=[DeviceUser.device_id, DeviceUser.user_id])
    )


@router.post("/login", response_model=TokensOut, responses={401: {}, 403: {}, 422: {}, 429: {}})
def login(body: LoginIn, request: Request, session: DbSession, settings: AppSettings) -> TokensOut:
    """Log in from a device (enrolled to the user's branch at its first login).

    A wrong password and an unknown user get the same answer. After too many
    failures in a row the username is locked for a while, and attempts are
    limited per username and per address. A user who may not work on the
    device (see :func:`check_device_user`) is refused with 403 saying why."""
    username = body.username.strip().lower()
    limiter = request.app.state.login_limiter
    address = request.client.host if request.client else "unknown"
    if not limiter.allow(f"address:{address}") or not limiter.allow(f"user:{username}"):
        raise _too_many("Too many login attempts; wait a minute and try again")
    failure = _refuse_if_locked(session, username)
    user = session.scalar(select(User).where(User.username == username))
    password_ok = verify_password(user.password_hash if user else None, body.password)
    if user is None or not password_ok or not user.active or user.deleted_at is not None:
        _record_failure(session, username, settings)
        raise unauthorized(WRONG_LOGIN)
    if failure is not None:
        session.delete(failure)
    device = _enrolled_device(session, body, user)
    record_device_user(session, device, user)
    return issue_tokens(session, settings, user, device)


@router.post("/refresh", response_model=TokensOut, responses={401: {}, 403: {}, 422: {}})
def refresh(body: RefreshIn, session: DbSession, settings: AppSettings) -> TokensOut:
    """Swap a refresh token for new tokens. Each refresh token works once; a
    used one presented again revokes its whole family (it was stolen or
    replayed), and everyone holding one of them must log in again. A user
    who may no longer work on the device (moved to another branch, or a role
    it does not serve) is refused as at login."""
    token = session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == refresh_token_hash(body.refresh_token))
        .with_for_update()
    )
    if token is None:
        raise unauthorized("Unknown refresh token; log in again")
    device = session.get(Device, token.device_id)
    if device is None or device.revoked_at is not None:
        raise unauthorized("This device was revoked; ask an admin")
    now = utcnow()
    if token.used_at is not None or token.revoked_at is not None:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == token.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        session.commit()
        raise unauthorized("This refresh token was already used; log in again")
    if token.expires_at <= now:
        raise unauthorized("The refresh token has expired; log in again")
    user = session.get(User, token.user_id)
    if user is None or not user.active or user.deleted_at is not None:
        raise unauthorized("This account is not active")
    check_device_user(session, device, user)
    token.used_at = now
    return issue_tokens(session, settings, user, device, family_id=token.family_id)


@router.post("/logout", status_code=204, responses={401: {}})
def logout(caller: AnyCaller, session: DbSession) -> Response:
    """End the caller's sessions on this device (its refresh tokens stop)."""
    session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.user_id == caller.user.id,
            RefreshToken.device_id == caller.device.id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    session.commit()
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, responses={401: {}})
def me(caller: AnyCaller, session: DbSession) -> MeOut:
    branch = session.get(Branch, caller.user.branch_id) if caller.user.branch_id else None
    return MeOut(
        user=UserOut.model_validate(caller.user),
        device_id=caller.device.id,
        device_branch_id=caller.device.branch_id,
        branch=BranchOut.model_validate(branch) if branch else None,
    )


@router.post("/password", status_code=204, responses={401: {}, 422: {}, 429: {}})
def change_password(
    body: PasswordChangeIn, caller: AnyCaller, session: DbSession, settings: AppSettings
) -> Response:
    """Change one's own password (required after a one-time password).

    A wrong ``current_password`` counts toward the lockout as a wrong login
    does, and a locked username is refused here too (429). The change ends
    the user's other sessions (their refresh tokens stop); the session
    making it goes on."""
    user = caller.user
    failure = _refuse_if_locked(session, user.username)
    if not verify_password(user.password_hash, body.current_password):
        _record_failure(session, user.username, settings)
        raise ApiError(
            422,
            "invalid",
            "Some values are not valid",
            [{"field": "current_password", "reason": "This is not your current password"}],
        )
    problem = password_problem(body.new_password, user.username)
    if problem:
        raise ApiError(
            422,
            "invalid",
            "Some values are not valid",
            [{"field": "new_password", "reason": problem}],
        )
    if failure is not None:
        session.delete(failure)
    user.password_hash = hash_password(body.new_password)
    user.must_change_password = False
    other_sessions = update(RefreshToken).where(
        RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None)
    )
    if caller.session_id is not None:
        other_sessions = other_sessions.where(RefreshToken.family_id != caller.session_id)
    session.execute(other_sessions.values(revoked_at=utcnow()))
    session.commit()
    return Response(status_code=204)
