"""Pushed changes, applied exactly once and checked against the one registry.

The server trusts no pushed field it can know itself (DESIGN.md, Sync 13):
the device, its branch and the row's times come from the server; the author
a change names must be an active user who has logged in online on that
device, and the change is checked field by field against that user's role,
new rows as much as edits. A change that breaks a rule, or whose values the
database cannot hold, is refused alone with its reason; the rest of the
batch goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import SYNC_COLUMN_NAMES
from clinic.enums import ChangeOperation, Role
from clinic.journal.entities import SYNCED, Refused, SyncedEntity, meaningful
from clinic.journal.models import AppliedMutation, ChangeLogEntry, Conflict
from clinic.journal.service import log_central_change, to_jsonable
from clinic.journal.wire import BadValue, decode_values
from clinic.org.models import Device, User
from server.database import SERVER_DEVICE_ID
from server.models import DeviceUser
from server.observability import safe_traceback
from server.sync.feed import Scope, wire_row
from sync.protocol import ConflictNote, Mutation, MutationResult, Outcome

logger = logging.getLogger(__name__)

MANAGED_COLUMNS = SYNC_COLUMN_NAMES - {"deleted_at"}
"""Set by the server whatever a mutation says (``deleted_at`` is the tombstone)."""


def mutation_digest(mutation: Mutation) -> str:
    payload = mutation.model_dump(mode="json")
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def device_user(session: Session, device: Device, user_id: uuid.UUID) -> User:
    """The user, if active and known to have logged in online on ``device``;
    raises Refused otherwise."""
    known = session.get(DeviceUser, (device.id, user_id))
    user = session.get(User, user_id) if known is not None else None
    if user is None:
        raise Refused("The user who made this change has never logged in online on this PC")
    if not user.active or user.deleted_at is not None:
        raise Refused("The user who made this change is no longer active")
    return user


def _check_branch(entity: SyncedEntity, session: Session, author: User, device: Device,
                  values: dict[str, Any], row: Any | None) -> None:  # fmt: skip
    if author.role == Role.ADMIN and author.branch_id is None:
        return
    entity.check_branch(session, device.branch_id, values, row)


def _other_devices_fields(
    session: Session, entity: str, row_id: uuid.UUID, since: int, device_id: uuid.UUID
) -> dict[str, ChangeLogEntry]:
    """The fields other devices (or the server) changed since version
    ``since``, each with the last feed entry that changed it: who and when,
    for a conflict's losing side."""
    entries = session.scalars(
        select(ChangeLogEntry)
        .where(
            ChangeLogEntry.entity == entity,
            ChangeLogEntry.row_id == row_id,
            ChangeLogEntry.version > since,
            or_(ChangeLogEntry.device_id.is_(None), ChangeLogEntry.device_id != device_id),
        )
        .order_by(ChangeLogEntry.version)
    )
    return {name: entry for entry in entries for name in entry.fields}


def _author(session: Session, pusher: User, device: Device, user_id: uuid.UUID | None) -> User:
    """Who made a change: the user it names, or, for work the PC did
    itself (an import), the user pushing it."""
    if user_id is None or user_id == pusher.id:
        return pusher
    return device_user(session, device, user_id)


def _apply(session: Session, pusher: User, device: Device, mutation: Mutation) -> MutationResult:
    entity = SYNCED.get(mutation.entity)
    if entity is None:
        raise Refused("There is no such table to change")
    if not entity.pushable:
        raise Refused(f"{entity.name} cannot be changed from a device")
    author = _author(session, pusher, device, mutation.user_id)
    table = entity.model.__table__  # type: ignore[attr-defined]
    changes = {k: v for k, v in mutation.changes.items() if k not in MANAGED_COLUMNS}
    try:
        values = decode_values(table, changes)
    except BadValue as error:
        raise Refused(str(error)) from None
    inserting = mutation.operation == ChangeOperation.INSERT
    row: Any = session.get(entity.model, mutation.row_id, with_for_update=not inserting)
    if inserting and row is not None:
        raise Refused(f"A {entity.noun} with this id already exists")
    if not inserting and row is None:
        raise Refused(f"No such {entity.noun} on the server")
    entity.check_writer(author.role, meaningful(entity.model, values) if inserting else values, row)
    entity.check_authored(author.id, values)
    if entity.check_values is not None:
        entity.check_values(values)
    _check_branch(entity, session, author, device, values, row)
    entity.check_change(session, values, row)
    conflicts: list[ConflictNote] = []
    changed_elsewhere: dict[str, ChangeLogEntry] = {}
    if inserting:
        row = entity.model(**values)
        row.id = mutation.row_id
        row.device_id = device.id
        row.created_by = author.id
        session.add(row)
    else:
        changed_elsewhere = _other_devices_fields(
            session, entity.name, row.id, mutation.base_version, device.id
        )
        for name, value in values.items():
            current = getattr(row, name)
            if name in changed_elsewhere and current != value:
                conflicts.append(
                    ConflictNote(
                        field=name,
                        winning_value=to_jsonable(value),
                        losing_value=to_jsonable(current),
                    )
                )
            setattr(row, name, value)
    session.flush()
    version = log_central_change(session, row, list(values), device_id=device.id, user_id=author.id)
    if entity.on_applied is not None:
        entity.on_applied(
            session,
            row,
            Actor(
                SERVER_DEVICE_ID, user_id=author.id, role=author.role, branch_id=device.branch_id
            ),
        )
    for note in conflicts:
        conflict = Conflict(
            entity=entity.name,
            row_id=row.id,
            field=note.field,
            winning_value=note.winning_value,
            losing_value=note.losing_value,
            winning_device_id=device.id,
            winning_user_id=author.id,
            losing_device_id=changed_elsewhere[note.field].device_id,
            losing_user_id=changed_elsewhere[note.field].user_id,
            losing_at=changed_elsewhere[note.field].received_at,
            device_id=device.id,
        )
        session.add(conflict)
        session.flush()
        log_central_change(
            session, conflict, ["entity", "row_id", "field"], device_id=device.id, user_id=None
        )
    return MutationResult(
        sequence=mutation.sequence, outcome=Outcome.APPLIED, version=version, conflicts=conflicts
    )


def push_mutation(
    session: Session, pusher: User, device: Device, scope: Scope, mutation: Mutation
) -> MutationResult:
    """Apply one mutation in a savepoint and record it as dealt with; a
    refused one (a broken rule, values the database cannot hold, or a fault
    of the server's own, which is logged) comes back with its reason and the
    row as the device may pull it."""
    savepoint = session.begin_nested()
    try:
        result = _apply(session, pusher, device, mutation)
        savepoint.commit()
    except Exception as error:  # a bad change refuses itself, never the batch
        savepoint.rollback()
        if isinstance(error, Refused):
            reason = str(error)
        elif isinstance(error, SQLAlchemyError):
            logger.warning("pushed change %s of %s did not fit", mutation.sequence, device.id)
            reason = "The change does not fit the server's data (a missing or duplicate row)"
        else:
            logger.error(
                "pushed change %s of %s failed\n%s",
                mutation.sequence,
                device.id,
                safe_traceback(error),
            )
            reason = "The server could not apply this change; the error is logged for the admin"
        result = MutationResult(
            sequence=mutation.sequence,
            outcome=Outcome.REFUSED,
            reason=reason,
            row=wire_row(session, scope, mutation.entity, mutation.row_id),
        )
    session.add(
        AppliedMutation(
            device_id=device.id,
            sequence=mutation.sequence,
            digest=mutation_digest(mutation),
            outcome=result.model_dump(mode="json"),
        )
    )
    return result
