"""FastAPI dependencies: the database session, the settings, and the
authenticated user with their role checks. Those that only look at the
request are ``async``: FastAPI runs a plain function on a worker thread, and
every request passes through them (thousands of long-polling PCs among them)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import utcnow
from clinic.enums import Role
from clinic.org.models import MAIN_BRANCH, Branch, Device, User
from clinic.permissions import Data, may_read, may_write
from server.config import Settings
from server.database import SERVER_DEVICE_ID, Database
from server.errors import ApiError, forbidden, unauthorized
from server.schemas import NUL_REASON, has_nul
from server.security import InvalidToken, decode_access_token

_bearer = HTTPBearer(auto_error=False)
LAST_SEEN_PRECISION = timedelta(minutes=1)
"""How stale a device's ``last_seen_at`` may get before a request writes it."""


async def refuse_nul_in_url(request: Request) -> None:
    """Refuse (422, naming the parameter) a query or path parameter with a
    NUL character, on every route (the app's own dependency) before the
    route reads it; request bodies are checked by ``server.schemas.Input``."""
    problems = [
        {"type": "nul_character", "loc": (place, name), "msg": NUL_REASON, "input": value}
        for place, parameters in (
            ("query", request.query_params.multi_items()),
            ("path", request.path_params.items()),
        )
        for name, value in parameters
        if has_nul(value)
    ]
    if problems:
        raise RequestValidationError(problems)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    """A session per request; routes that write commit it themselves."""
    with database.sessions() as session:
        yield session


AppSettings = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Caller:
    """The authenticated user at their device. Writes made through the API
    are the server's own (its device's audit chain), on the user's behalf."""

    user: User
    device: Device
    must_change_password: bool
    session_id: uuid.UUID | None
    """The login session (refresh-token family) the access token belongs to."""

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def branch_id(self) -> uuid.UUID | None:
        return self.user.branch_id

    def actor(self, branch_id: uuid.UUID | None = None) -> Actor:
        return Actor(
            device_id=SERVER_DEVICE_ID,
            user_id=self.user.id,
            role=self.user.role,
            branch_id=branch_id or self.user.branch_id,
        )


def authenticate(
    session: DbSession,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None:
        raise unauthorized("Log in first: this needs an access token")
    try:
        claims = decode_access_token(settings.jwt_secret, credentials.credentials)
    except InvalidToken:
        raise unauthorized("The access token is expired or not valid; log in again") from None
    user = session.get(User, claims.user_id)
    if user is None or not user.active or user.deleted_at is not None:
        raise unauthorized("This account is not active")
    device = session.get(Device, claims.device_id)
    if device is None or device.revoked_at is not None:
        raise unauthorized("This device was revoked; ask an admin")
    now = utcnow()
    # A long-polling PC asks every few seconds: not a write each time. The
    # commit (not a rollback, which would expire the rows read) gives the
    # connection back before a pull waits.
    if device.last_seen_at is None or now - device.last_seen_at > LAST_SEEN_PRECISION:
        device.last_seen_at = now
    session.commit()
    return Caller(
        user=user,
        device=device,
        must_change_password=user.must_change_password,
        session_id=claims.session_id,
    )


AnyCaller = Annotated[Caller, Depends(authenticate)]


async def active_caller(caller: AnyCaller) -> Caller:
    """A caller who may work: one with a one-time password must change it first."""
    if caller.must_change_password:
        raise forbidden("Change your one-time password first (POST /api/auth/password)")
    return caller


CurrentUser = Annotated[Caller, Depends(active_caller)]


def reader_of(data: Data) -> Callable[[Caller], Caller]:
    def check(caller: CurrentUser) -> Caller:
        if not may_read(caller.role, data):
            raise forbidden(f"A {caller.role.value} may not read {data.value}")
        return caller

    return check


def writer_of(data: Data) -> Callable[[Caller], Caller]:
    def check(caller: CurrentUser) -> Caller:
        if not may_write(caller.role, data):
            raise forbidden(f"A {caller.role.value} may not change {data.value}")
        return caller

    return check


Admin = Annotated[Caller, Depends(writer_of(Data.USERS))]


def own_branch_only(caller: Caller, branch_id: uuid.UUID, what: str) -> None:
    """Refuse (403) a caller of one branch a row of another; an admin of all
    branches reaches every branch's."""
    if caller.branch_id is not None and caller.branch_id != branch_id:
        raise forbidden(f"This {what} belongs to another branch")


def working_branch(session: Session, caller: Caller, code: str | None, *, doing: str) -> uuid.UUID:
    """The branch the caller works at: their own (a code naming another is
    refused: "You may {doing} only at your own branch"), or for an admin of
    all branches the one ``code`` names (MAIN when none)."""
    if caller.branch_id is not None:
        if code is not None:
            own = session.get(Branch, caller.branch_id)
            if own is None or own.code != code:
                raise forbidden(f"You may {doing} only at your own branch")
        return caller.branch_id
    branch_id = session.scalar(select(Branch.id).where(Branch.code == (code or MAIN_BRANCH)))
    if branch_id is None:
        raise ApiError(
            422,
            "invalid",
            "Some values are not valid",
            [{"field": "branch_code", "reason": f"No branch with code {code}"}],
        )
    return branch_id
