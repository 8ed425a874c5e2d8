"""The clinic's organisation: branches, staff and the PCs they work on.

:func:`create_user` is the one way a user is added: the admin API, the
server's command line, its first start and the demo clinic all call it.
Branches, users and devices are written on the central database only (no
PC pushes them; PCs pull them), each change with its change-feed entry
and its audit event (:mod:`clinic.journal.service`), in the caller's
transaction. Bad input raises :class:`InvalidValue` naming the field (an
:class:`AlreadyTaken` one for a taken code or username), a step the actor
may not take :class:`NotAllowed`, a row that does not exist LookupError;
nothing is written when one is raised.

An admin of all branches (no branch of their own) runs every branch; an
admin of one branch runs that branch's staff and PCs only, and only an
admin of all branches adds or changes branches.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.rules import clean_text
from clinic.db import utcnow, uuid7
from clinic.enums import Role
from clinic.errors import AlreadyTaken, Forbidden, InvalidValue, NotAllowed
from clinic.journal.service import record_insert, record_update, snapshot
from clinic.org.models import MAIN_BRANCH, Branch, Device, User
from clinic.permissions import Data, may_write

USERNAME_PATTERN = r"^[a-z0-9._-]{2,64}$"
"""A username: 2 to 64 small letters, digits, dots, dashes and underscores."""


BRANCH_CODE_PATTERN = r"^[A-Z0-9-]{2,16}$"
"""A branch code: 2 to 16 capital letters, digits and dashes (``MAIN``, ``WEST-2``)."""
KMHFL_PATTERN = r"^[0-9]{4,8}$"
"""A Kenya Master Health Facility List code: the facility's number."""
SHA_FACILITY_PATTERN = r"^[A-Z0-9][A-Z0-9/-]{1,31}$"
"""An SHA facility id as SHA writes it: capitals, digits, dashes and slashes."""
BRANCH_FIELDS = frozenset({"code", "name", "kmhfl_code", "sha_facility_id"})
USER_FIELDS = frozenset({"full_name", "role", "branch_code", "active"})


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
    may not add users (or not at that branch: :class:`Forbidden`), :class:`InvalidValue` naming
    ``username`` (form: see :data:`USERNAME_PATTERN`), ``full_name``,
    ``role`` (not a known role) or ``branch_code`` (no such branch), and
    :class:`AlreadyTaken` naming ``username`` when another user has it.
    """
    _check_staff_writer(actor, "add users")
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise InvalidValue(
            "username", "A username is 2 to 64 small letters, digits, dots, dashes or underscores"
        )
    name = _full_name(full_name)
    known_role = _role(role)
    if branch_code is None and known_role != Role.ADMIN:
        branch_code = MAIN_BRANCH  # only an admin acts for all branches
    branch_id = branch_named(branch_code, session=session)
    _check_branch_reach(actor, branch_id, "staff")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AlreadyTaken("username", f"The username {username} is taken")
    user = User(
        username=username,
        full_name=name,
        role=known_role,
        branch_id=branch_id,
        password_hash=password_hash,
        must_change_password=must_change_password,
        id=user_id or uuid7(),
    )
    record_insert(session, actor, user, action="create_user")
    return user


# --- who may run what --------------------------------------------------------


def _check_staff_writer(actor: Actor, doing: str) -> None:
    """An actor without a role is the server itself."""
    if actor.role is not None and not may_write(actor.role, Data.USERS):
        raise Forbidden(f"A {actor.role.value} may not {doing}")


def _check_branch_reach(actor: Actor, branch_id: uuid.UUID | None, what: str) -> None:
    """An admin of one branch reaches that branch's ``what`` only (and makes
    nobody an admin of all branches); the server and an admin of all
    branches reach every branch."""
    if actor.role is None or actor.branch_id is None:
        return
    if branch_id != actor.branch_id:
        raise Forbidden(f"An admin of one branch manages only that branch's {what}")


def _check_branch_writer(actor: Actor) -> None:
    _check_staff_writer(actor, "add or change branches")
    if actor.role is not None and actor.branch_id is not None:
        raise Forbidden("Only an admin of all branches adds or changes branches")


def _full_name(value: object) -> str:
    return (
        clean_text(str(value or ""), "full_name", max_length=120, required="Give the full name")
        or ""
    )


# --- branches --------------------------------------------------------------------


def list_branches(*, session: Session) -> list[Branch]:
    """Every branch, by code."""
    return list(
        session.scalars(select(Branch).where(Branch.deleted_at.is_(None)).order_by(Branch.code))
    )


def _branch_values(changes: Mapping[str, object]) -> dict[str, str | None]:
    """The branch fields in ``changes``, trimmed and checked (codes in capitals)."""
    unknown = set(changes) - BRANCH_FIELDS
    if unknown:
        raise InvalidValue(sorted(unknown)[0], "A branch has no such field")
    values: dict[str, str | None] = {}
    for name, value in changes.items():
        text = clean_text(
            None if value is None else str(value),
            name,
            max_length=120,
            required={"code": "Give the branch a short code", "name": "Name the branch"}.get(name),
        )
        if text is not None and name in ("code", "sha_facility_id"):
            text = text.upper()
        values[name] = text
    rules = {
        "code": (BRANCH_CODE_PATTERN, "2 to 16 capital letters, digits or dashes, like WEST-2"),
        "kmhfl_code": (KMHFL_PATTERN, "The KMHFL code is the facility's number: 4 to 8 digits"),
        "sha_facility_id": (
            SHA_FACILITY_PATTERN,
            "2 to 32 letters, digits, dashes or slashes, as SHA gave it",
        ),
    }
    for name, (pattern, reason) in rules.items():
        text = values.get(name)
        if text is not None and not re.fullmatch(pattern, text):
            raise InvalidValue(name, reason)
    return values


def _check_code_free(code: str, branch_id: uuid.UUID | None, *, session: Session) -> None:
    holder = session.scalar(select(Branch.id).where(Branch.code == code))
    if holder is not None and holder != branch_id:
        raise AlreadyTaken("code", f"Another branch has the code {code}; choose another")


def create_branch(
    code: str,
    name: str,
    *,
    kmhfl_code: str | None = None,
    sha_facility_id: str | None = None,
    session: Session,
    actor: Actor,
) -> Branch:
    """Add a branch (action ``create_branch``). Raises NotAllowed unless the
    actor is an admin of all branches (or the server), InvalidValue naming
    the bad field, AlreadyTaken naming ``code`` when a branch has it."""
    _check_branch_writer(actor)
    values = _branch_values(
        {"code": code, "name": name, "kmhfl_code": kmhfl_code, "sha_facility_id": sha_facility_id}
    )
    _check_code_free(values["code"] or "", None, session=session)
    branch = Branch(**values)
    record_insert(session, actor, branch, action="create_branch")
    return branch


def update_branch(
    branch_id: uuid.UUID, changes: Mapping[str, object], *, session: Session, actor: Actor
) -> Branch:
    """Change a branch's fields named in ``changes`` (of
    :data:`BRANCH_FIELDS`; None clears the KMHFL code or SHA facility id),
    action ``update_branch``. MAIN keeps its code: staff given no branch
    belong to it. Raises as :func:`create_branch` does, and LookupError."""
    _check_branch_writer(actor)
    branch = session.get(Branch, branch_id)
    if branch is None or branch.deleted_at is not None:
        raise LookupError(f"No branch with id {branch_id}")
    values = _branch_values(changes)
    code = values.get("code")
    if code is not None and code != branch.code:
        if branch.code == MAIN_BRANCH:
            raise InvalidValue("code", "MAIN keeps its code: staff given no branch belong to it")
        _check_code_free(code, branch.id, session=session)
    before = snapshot(branch)
    for name, value in values.items():
        setattr(branch, name, value)
    record_update(session, actor, branch, before, action="update_branch")
    return branch


# --- users -----------------------------------------------------------------------


def list_users(*, session: Session, actor: Actor) -> list[User]:
    """The staff the actor manages (an admin of one branch: that branch's), by username."""
    query = select(User).where(User.deleted_at.is_(None))
    if actor.role is not None and actor.branch_id is not None:
        query = query.where(User.branch_id == actor.branch_id)
    return list(session.scalars(query.order_by(User.username)))


def update_user(
    user_id: uuid.UUID,
    changes: Mapping[str, object],
    *,
    password_hash: str | None = None,
    session: Session,
    actor: Actor,
) -> User:
    """Change a user's fields named in ``changes`` (of :data:`USER_FIELDS`:
    ``branch_code`` None makes an admin one of all branches), or with
    ``password_hash`` set a one-time password they must change at their
    next login (actions ``update_user`` and ``reset_password``; the audit
    leaves the hash out).

    An inactive user's tokens stop working at their next request (the
    server checks ``active`` on every one); the caller ends their
    sessions. Nobody deactivates themselves or changes their own role.
    Raises NotAllowed, InvalidValue naming the field, or LookupError."""
    _check_staff_writer(actor, "change users")
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise LookupError(f"No user with id {user_id}")
    unknown = set(changes) - USER_FIELDS
    if unknown:
        raise InvalidValue(sorted(unknown)[0], "A user has no such field")
    _check_branch_reach(actor, user.branch_id, "staff")
    before = snapshot(user)
    if "full_name" in changes:
        user.full_name = _full_name(changes["full_name"])
    if changes.get("role") is not None:
        role = _role(str(changes["role"]))
        if user.id == actor.user_id and role != user.role:
            raise NotAllowed("You may not change your own role; ask another admin")
        user.role = role
    if "branch_code" in changes:
        code = changes["branch_code"]
        user.branch_id = branch_named(None if code is None else str(code), session=session)
    if user.branch_id is None and user.role != Role.ADMIN:
        raise InvalidValue("branch_code", "Only an admin may work without a branch; choose one")
    _check_branch_reach(actor, user.branch_id, "staff")
    if changes.get("active") is not None:
        if user.id == actor.user_id and changes["active"] is False:
            raise NotAllowed("You may not deactivate your own account; ask another admin")
        user.active = bool(changes["active"])
    record_update(session, actor, user, before, action="update_user")
    if password_hash is not None:
        before = snapshot(user)
        user.password_hash = password_hash
        user.must_change_password = True
        record_update(session, actor, user, before, action="reset_password")
    return user


# --- devices -----------------------------------------------------------------------


def list_devices(*, session: Session, actor: Actor, server_device: uuid.UUID) -> list[Device]:
    """The clinic's PCs the actor manages (not the server's own device),
    revoked ones included, first enrolled first."""
    query = select(Device).where(Device.id != server_device, Device.deleted_at.is_(None))
    if actor.role is not None and actor.branch_id is not None:
        query = query.where(Device.branch_id == actor.branch_id)
    return list(session.scalars(query.order_by(Device.enrolled_at, Device.name)))


def _device(device_id: uuid.UUID, actor: Actor, session: Session) -> Device:
    device = session.get(Device, device_id)
    if device is None or device.deleted_at is not None:
        raise LookupError(f"No device with id {device_id}")
    _check_branch_reach(actor, device.branch_id, "PCs")
    return device


def device_roles(roles: Collection[Role | str]) -> list[str]:
    """The roles a device is to serve, checked: known roles, at least one,
    each once, in the order of :class:`Role`."""
    chosen = {_role(role) for role in roles}
    if not chosen:
        raise InvalidValue("roles", "Choose at least one role this PC is for")
    return [role.value for role in Role if role in chosen]


def set_device_roles(
    device_id: uuid.UUID, roles: Collection[Role | str], *, session: Session, actor: Actor
) -> Device:
    """Set the roles a PC serves (DESIGN.md, Sync 10; action
    ``set_device_roles``). Its next pull is in the new scope: a PC that may
    now hold more pulls it all again. Raises NotAllowed, InvalidValue
    naming ``roles``, or LookupError."""
    _check_staff_writer(actor, "change devices")
    device = _device(device_id, actor, session)
    before = snapshot(device)
    device.roles = device_roles(roles)
    record_update(session, actor, device, before, action="set_device_roles")
    return device


def revoke_device(device_id: uuid.UUID, *, session: Session, actor: Actor) -> Device:
    """Revoke a PC (a stolen laptop; action ``revoke_device``): the server
    refuses its tokens from the next request on, and the caller ends its
    sessions. Revoking a revoked PC changes nothing. Raises NotAllowed or
    LookupError."""
    _check_staff_writer(actor, "revoke devices")
    device = _device(device_id, actor, session)
    if device.revoked_at is None:
        before = snapshot(device)
        device.revoked_at = utcnow()
        record_update(session, actor, device, before, action="revoke_device")
    return device
