"""Logging in on a PC: online against the server, or offline for a user who
has logged in online on this PC before (DESIGN.md, Sync 8)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select

from clinic.db import utcnow
from clinic.enums import Role
from clinic.journal.models import StoreSetting
from clinic.org.models import Device, OfflineLogin
from clinic.permissions import device_refusal
from clinic.store import LocalStore
from sync.transport import Transport

SERVER_URL_KEY = "server_url"
BRANCH_ID_KEY = "branch_id"
_hasher = PasswordHasher()


@dataclass(frozen=True)
class SignedIn:
    """Who is working on this PC, and whether the login reached the server."""

    user_id: uuid.UUID
    username: str
    full_name: str
    role: Role
    branch_id: uuid.UUID | None
    online: bool
    must_change_password: bool = False


class LoginFailed(Exception):
    """Wrong username or password, or no offline login on this PC yet."""


def is_new_pc(store: LocalStore) -> bool:
    """Whether nobody has logged in online on this PC yet, so that the first
    online login will enrol it and an admin may choose the roles it serves
    (DESIGN.md, Sync 10). Every online login keeps an offline login here,
    and the PC's own row in ``devices`` comes with the first pull after one;
    a PC with neither has never been enrolled. (A restored or copied data
    folder keeps its offline logins: the server enrols it as before.)"""
    with store.session() as session:
        login = session.scalar(select(OfflineLogin.username).limit(1))
        device = session.get(Device, store.device_id)
    return login is None and device is None


def login_online(
    store: LocalStore,
    transport: Transport,
    username: str,
    password: str,
    *,
    device_roles: Collection[Role] | None = None,
) -> SignedIn:
    """Log in at the server (tokens to the keyring) and keep an argon2
    verifier so the same user can log in here offline later.
    ``device_roles`` go along when given: the roles an admin chose for a new
    PC (the server refuses them from anyone else, or for a PC already set
    up, with 422). Raises the transport's Unreachable or ServerRefused."""
    me = transport.login(
        username.strip().lower(),
        password,
        device_roles=None if device_roles is None else [role.value for role in device_roles],
    )
    user = me["user"]
    branch_id = me["branch"]["id"] if me.get("branch") else None
    device_branch = me.get("device_branch_id") or branch_id
    with store.write() as session:
        login = session.get(OfflineLogin, user["username"]) or OfflineLogin(
            username=user["username"]
        )
        login.user_id = uuid.UUID(user["id"])
        login.full_name = user["full_name"]
        login.role = Role(user["role"])
        login.branch_id = uuid.UUID(branch_id) if branch_id else None
        login.verifier = _hasher.hash(password)
        login.last_online_login = utcnow()
        session.merge(login)
        session.merge(StoreSetting(key=SERVER_URL_KEY, value=transport.server_url))
        if device_branch:
            session.merge(StoreSetting(key=BRANCH_ID_KEY, value=device_branch))
    return SignedIn(
        user_id=uuid.UUID(user["id"]),
        username=user["username"],
        full_name=user["full_name"],
        role=Role(user["role"]),
        branch_id=uuid.UUID(branch_id) if branch_id else None,
        online=True,
        must_change_password=bool(me.get("must_change_password")),
    )


def login_offline(store: LocalStore, username: str, password: str) -> SignedIn:
    """Log in without the server, with the verifier kept at the user's last
    online login on this PC. Raises LoginFailed saying why."""
    with store.session() as session:
        login = session.scalar(
            select(OfflineLogin).where(OfflineLogin.username == username.strip().lower())
        )
        device = session.get(Device, store.device_id)
    if login is None:
        raise LoginFailed(
            "This user has not logged in on this PC while online yet; connect to the server once"
        )
    try:
        _hasher.verify(login.verifier, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise LoginFailed("Wrong username or password") from None
    # The PC's own row comes with its first pull; until then the server has
    # just let this user in online, which is the same check.
    refusal = device_refusal(device.roles, login.role) if device is not None else None
    if refusal is not None:
        raise LoginFailed(refusal)
    return SignedIn(
        user_id=login.user_id,
        username=login.username,
        full_name=login.full_name,
        role=login.role,
        branch_id=login.branch_id,
        online=False,
    )
