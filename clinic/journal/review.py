"""What staff review after a sync: conflicts (flip the winner) and changes
the server refused (send again, or let go). Services: ``*, session``; the
caller owns the transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Integer, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import SYNC_COLUMN_NAMES, utcnow
from clinic.enums import ChangeOperation
from clinic.errors import InvalidValue, NotAllowed
from clinic.journal.entities import SYNCED
from clinic.journal.models import AuditEvent, Conflict, RejectedChange, SyncRun
from clinic.journal.records import describe_records, noun_of
from clinic.journal.service import record_audit, record_insert, record_update, snapshot
from clinic.journal.wire import BadValue, decode_checked, decode_values
from clinic.org.models import Device, User


@dataclass(frozen=True)
class ConflictItem:
    """A same-field conflict as the inbox shows it: the field, both values,
    each side's user and device (by name) and when it reached the server.
    The winning value is the one the row holds unless it was flipped."""

    id: uuid.UUID
    entity: str
    noun: str
    row_id: uuid.UUID
    record: str
    field: str
    winning_value: Any
    losing_value: Any
    won_at: datetime
    winning_user: str | None
    winning_device: str | None
    lost_at: datetime | None
    losing_user: str | None
    losing_device: str | None
    resolution: str | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class RejectedItem:
    id: uuid.UUID
    entity: str
    noun: str
    row_id: uuid.UUID
    record: str
    operation: ChangeOperation
    changes: dict[str, Any]
    reason: str
    rejected_at: datetime

    @property
    def fixable(self) -> dict[str, Any]:
        """The refused values staff may fix: the change's own fields, not the
        sync bookkeeping ones it carries."""
        return {k: v for k, v in self.changes.items() if k not in SYNC_COLUMN_NAMES}


@dataclass(frozen=True)
class RunItem:
    started_at: datetime
    finished_at: datetime | None
    pushed: int
    pulled: int
    conflicts: int
    rejected: int
    error: str | None


def _names(session: Session, model: Any, column: Any, ids: set[uuid.UUID | None]) -> dict[Any, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    found = session.execute(select(model.id, column).where(model.id.in_(wanted)))
    return {row_id: name for row_id, name in found}


def open_conflicts(session: Session, *, settled: bool = False) -> list[ConflictItem]:
    """The conflicts still to settle, newest first (with ``settled``, the
    settled ones instead)."""
    done = Conflict.resolved_at.is_not(None) if settled else Conflict.resolved_at.is_(None)
    rows = session.scalars(
        select(Conflict)
        .where(done, Conflict.deleted_at.is_(None))
        .order_by(Conflict.created_at.desc())
    ).all()
    return _conflict_items(session, rows)


def conflict_item(conflict_id: uuid.UUID, *, session: Session) -> ConflictItem:
    """One conflict as the inbox shows it; LookupError when there is none."""
    conflict = session.get(Conflict, conflict_id)
    if conflict is None or conflict.deleted_at is not None:
        raise LookupError(f"No conflict with id {conflict_id}")
    return _conflict_items(session, [conflict])[0]


def _conflict_items(session: Session, rows: Sequence[Conflict]) -> list[ConflictItem]:
    users = _names(
        session,
        User,
        User.username,
        {u for c in rows for u in (c.winning_user_id, c.losing_user_id)},
    )
    devices = _names(
        session,
        Device,
        Device.name,
        {d for c in rows for d in (c.winning_device_id, c.losing_device_id)},
    )
    records = describe_records([(c.entity, c.row_id) for c in rows], session=session)
    return [
        ConflictItem(
            id=c.id,
            entity=c.entity,
            noun=noun_of(c.entity),
            row_id=c.row_id,
            record=records[c.entity, c.row_id],
            field=c.field,
            winning_value=c.winning_value,
            losing_value=c.losing_value,
            won_at=c.created_at,
            winning_user=users.get(c.winning_user_id),
            winning_device=devices.get(c.winning_device_id),
            lost_at=c.losing_at,
            losing_user=users.get(c.losing_user_id),
            losing_device=devices.get(c.losing_device_id),
            resolution=c.resolution,
            resolved_at=c.resolved_at,
        )
        for c in rows
    ]


def open_rejections(session: Session) -> list[RejectedItem]:
    rows = session.scalars(
        select(RejectedChange)
        .where(RejectedChange.resolved_at.is_(None))
        .order_by(RejectedChange.rejected_at.desc())
    ).all()
    records = describe_records([(r.entity, r.row_id) for r in rows], session=session)
    return [
        RejectedItem(
            r.id,
            r.entity,
            noun_of(r.entity),
            r.row_id,
            records[r.entity, r.row_id],
            r.operation,
            r.changes,
            r.reason,
            r.rejected_at,
        )
        for r in rows
    ]


def sync_history(session: Session, limit: int = 50) -> list[RunItem]:
    rows = session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit))
    return [
        RunItem(r.started_at, r.finished_at, r.pushed, r.pulled, r.conflicts, r.rejected, r.error)
        for r in rows
    ]


def _row(session: Session, entity: str, row_id: uuid.UUID) -> Any:
    model = SYNCED[entity].model
    row = session.get(model, row_id)
    if row is None or row.deleted_at is not None:
        raise NotAllowed("The record no longer exists")
    return row


def resolve_conflict(
    conflict_id: uuid.UUID, *, keep_losing: bool, session: Session, actor: Actor
) -> None:
    """Close a conflict: keep the winning value, or flip to the losing one
    (an ordinary recorded change of the row, which syncs like any other).
    Raises LookupError for no such conflict, NotAllowed when it is settled
    already or its record is gone."""
    conflict = session.get(Conflict, conflict_id)
    if conflict is None or conflict.deleted_at is not None:
        raise LookupError(f"No conflict with id {conflict_id}")
    if conflict.resolved_at is not None:
        raise NotAllowed("This conflict is already resolved")
    if keep_losing:
        row = _row(session, conflict.entity, conflict.row_id)
        table = SYNCED[conflict.entity].model.__table__  # type: ignore[attr-defined]
        before = snapshot(row)
        value = decode_values(table, {conflict.field: conflict.losing_value})[conflict.field]
        setattr(row, conflict.field, value)
        record_update(session, actor, row, before, action="flip_conflict")
    before = snapshot(conflict)
    conflict.resolution = "flipped" if keep_losing else "kept"
    conflict.resolved_by = actor.user_id
    conflict.resolved_at = utcnow()
    record_update(session, actor, conflict, before, action="resolve_conflict")


def _pending(session: Session, rejected_id: uuid.UUID) -> RejectedChange:
    rejected = session.get(RejectedChange, rejected_id)
    if rejected is None or rejected.resolved_at is not None:
        raise NotAllowed("This change was already dealt with")
    return rejected


def _fixed_value(column: Any, text: str) -> Any:
    """A value typed into the fix form, as the wire carries it: whole
    numbers, numbers, yes/no and JSON read from their text; empty is none."""
    text = text.strip()
    if not text:
        return None
    kind = column.type
    if isinstance(kind, Boolean):
        answers = {"yes": True, "true": True, "no": False, "false": False}
        if text.lower() not in answers:
            raise InvalidValue(column.name, "answer yes or no")
        return answers[text.lower()]
    try:
        if isinstance(kind, Integer | BigInteger):
            return int(text)
        if isinstance(kind, Float):
            return float(text)
        if isinstance(kind, JSON):
            return json.loads(text)
    except ValueError:
        raise InvalidValue(column.name, f"{text!r} is not a valid value here") from None
    return text


def resend_rejected(
    rejected_id: uuid.UUID,
    *,
    fixes: dict[str, str] | None = None,
    session: Session,
    actor: Actor,
) -> None:
    """Apply a refused change again as a new change, pushed at the next
    sync, with ``fixes`` (field to corrected text, as typed in the fix
    form) in place of the refused values. Raises InvalidValue naming a
    fixed field that is not the change's or whose value the column cannot
    hold, NotAllowed when the change was dealt with or the row is gone;
    nothing is written then. The server checks the change again."""
    rejected = _pending(session, rejected_id)
    if rejected.entity not in SYNCED:
        raise NotAllowed(f"There is no {rejected.entity} table")
    table = SYNCED[rejected.entity].model.__table__  # type: ignore[attr-defined]
    fields = {k: v for k, v in rejected.changes.items() if k in table.columns and k != "id"}
    for name, text in (fixes or {}).items():
        if name not in fields or name in SYNC_COLUMN_NAMES:
            raise InvalidValue(name, "this field is not part of the refused change")
        fields[name] = _fixed_value(table.columns[name], text)
    values = decode_checked(table, fields)
    if rejected.operation == ChangeOperation.INSERT:
        row = session.get(SYNCED[rejected.entity].model, rejected.row_id)
        if row is None:
            raise NotAllowed("The record no longer exists")
        for name, value in values.items():
            setattr(row, name, value)
        row.deleted_at = None
        record_insert(session, actor, row, action="resend_rejected")
    else:
        row = _row(session, rejected.entity, rejected.row_id)
        before = snapshot(row)
        for name, value in values.items():
            setattr(row, name, value)
        record_update(session, actor, row, before, action="resend_rejected")
    rejected.resolved_at = utcnow()


UNSTORABLE = "(a value no database can hold, left out)"


def _storable(values: dict[str, Any]) -> dict[str, Any]:
    """The values an audit event can carry to the server: one it would
    refuse (a NUL character, often why the change was refused) would stop
    the PC's audit chain there, so it is replaced by :data:`UNSTORABLE`."""
    table: Any = AuditEvent.__table__
    kept = {}
    for name, value in values.items():
        try:
            decode_values(table, {"before": {name: value}})
        except BadValue:
            value = UNSTORABLE
        kept[name] = value
    return kept


def dismiss_rejected(rejected_id: uuid.UUID, *, session: Session, actor: Actor) -> None:
    """Let a refused change go: the server's version stays. The audit log
    keeps what was dropped and why it was refused."""
    rejected = _pending(session, rejected_id)
    rejected.resolved_at = utcnow()
    record_audit(
        session,
        actor,
        action="discard_rejected",
        entity=rejected.entity,
        entity_id=rejected.row_id,
        before=_storable(rejected.changes),
        after={"refused_because": rejected.reason},
    )
