"""Staff: the one way a user is added. The admin API, the server's command
line, its first start and the demo clinic all call :func:`create_user`."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import uuid7
from clinic.enums import Role
from clinic.errors import AlreadyTaken, InvalidValue, NotAllowed
from clinic.journal.service import record_insert
from clinic.org.models import MAIN_BRANCH, Branch, User
from clinic.permissions import Data, may_write

USERNAME_PATTERN = r"^[a-z0-9._-]{2,64}$"
"""A username: 2 to 64 small letters, digits, dots, dashes and underscores."""


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(role.value for role in Role)
        raise InvalidValue("role", f"No role {value!r}; choose one of {known}") from None


def branch_named(code: str | None, *, session: Session) -> uuid.UUID | None:
    """The id of the branch with ``code`` (None for None, an admin's "all
    branches"); raises :class:`InvalidValue` naming ``branch_code`` when no
    branch has it."""
    if code is None:
        return None
    branch_id = session.scalar(select(Branch.id).where(Branch.code == code))
    if branch_id is None:
        raise InvalidValue("branch_code", f"No branch with code {code}")
    return branch_id


def create_user(
    username: str,
    full_name: str,
    role: Role | str,
    *,
    password_hash: str,
    branch_code: str | None = None,
    must_change_password: bool = False,
    user_id: uuid.UUID | None = None,
    session: Session,
    actor: Actor,
) -> User:
    """Add a member of staff in the caller's transaction, with its outbox or
    change-feed entry and its audit event (:func:`record_insert`, action
    ``create_user``; the audit leaves out the password hash). Only ``actor``
    roles that may write users may do it; an actor without a role is the
    server itself (its command line, first start, the demo).

    The password comes hashed: argon2 lives on the server
    (``server.security``), which checks the password's strength and hashes
    it, and the domain imports no hashing library. ``user_id`` is for
    generated data that must come out the same each time; a user otherwise
    gets a new UUIDv7.

    Raises, before anything is written: :class:`NotAllowed` for an actor who
    may not add users, :class:`InvalidValue` naming ``username`` (form: see
    :data:`USERNAME_PATTERN`), ``role`` (not a known role) or ``branch_code``
    (no such branch), and :class:`AlreadyTaken` naming ``username`` when
    another user has it.
    """
    if actor.role is not None and not may_write(actor.role, Data.USERS):
        raise NotAllowed(f"A {actor.role.value} may not add users")
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise InvalidValue(
            "username", "A username is 2 to 64 small letters, digits, dots, dashes or underscores"
        )
    known_role = _role(role)
    if branch_code is None and known_role != Role.ADMIN:
        branch_code = MAIN_BRANCH  # only an admin acts for all branches
    branch_id = branch_named(branch_code, session=session)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AlreadyTaken("username", f"The username {username} is taken")
    user = User(
        username=username,
        full_name=full_name,
        role=known_role,
        branch_id=branch_id,
        password_hash=password_hash,
        must_change_password=must_change_password,
        id=user_id or uuid7(),
    )
    record_insert(session, actor, user, action="create_user")
    return user
