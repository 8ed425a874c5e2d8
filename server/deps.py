"""FastAPI dependencies: the database session, the settings, and the
authenticated user with their role checks. Those that only look at the
request are ``async``: FastAPI runs a plain function on a worker thread, and
every request passes through them (thousands of long-polling PCs among them).
A push's or a pull's caller (:data:`SyncCaller`) comes from the callers its process
knows (``server.callers``), with no thread and no session."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from server.callers import KnownCaller, KnownCallers, refusal, see_device
from server.config import Settings
from server.database import SERVER_DEVICE_ID, Database
from server.errors import ApiError, forbidden, unauthorized
from server.schemas import NUL_REASON, has_nul
from server.security import AccessClaims, InvalidToken, decode_access_token

_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
ONE_TIME_PASSWORD = "Change your one-time password first (POST /api/auth/password)"


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


def _claims(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> AccessClaims:
    if credentials is None:
        raise unauthorized("Log in first: this needs an access token")
    try:
        return decode_access_token(settings.jwt_secret, credentials.credentials)
    except InvalidToken:
        raise unauthorized("The access token is expired or not valid; log in again") from None


def authenticate(session: DbSession, settings: AppSettings, credentials: Credentials) -> Caller:
    claims = _claims(settings, credentials)
    user = session.get(User, claims.user_id)
    device = session.get(Device, claims.device_id)
    refused = refusal(user, device)
    if refused is not None:
        raise refused
    assert user is not None and device is not None
    see_device(device, utcnow())
    # The commit (not a rollback, which would expire the rows read) gives
    # the connection back before a long route goes on.
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
        raise forbidden(ONE_TIME_PASSWORD)
    return caller


CurrentUser = Annotated[Caller, Depends(active_caller)]


async def sync_caller(
    request: Request, settings: AppSettings, credentials: Credentials
) -> KnownCaller:
    """A push's or a pull's caller, checked as :func:`active_caller` checks
    one, from the callers this process knows (read with others' when not
    known)."""
    claims = _claims(settings, credentials)
    callers: KnownCallers = request.app.state.callers
    found = await callers.get(claims.user_id, claims.device_id)
    if isinstance(found, ApiError):
        raise found
    if found.must_change_password:
        raise forbidden(ONE_TIME_PASSWORD)
    return found


SyncCaller = Annotated[KnownCaller, Depends(sync_caller)]


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
