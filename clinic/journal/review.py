"""What staff review after a sync: conflicts (flip the winner) and changes
the server refused (send again, or let go). Services: ``*, session``; the
caller owns the transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import utcnow
from clinic.enums import ChangeOperation
from clinic.errors import NotAllowed
from clinic.journal.entities import SYNCED
from clinic.journal.models import Conflict, RejectedChange, SyncRun
from clinic.journal.service import record_insert, record_update, snapshot
from clinic.journal.wire import decode_values


@dataclass(frozen=True)
class ConflictItem:
    id: uuid.UUID
    entity: str
    row_id: uuid.UUID
    field: str
    winning_value: Any
    losing_value: Any
    created_at: datetime


@dataclass(frozen=True)
class RejectedItem:
    id: uuid.UUID
    entity: str
    row_id: uuid.UUID
    changes: dict[str, Any]
    reason: str
    rejected_at: datetime


@dataclass(frozen=True)
class RunItem:
    started_at: datetime
    finished_at: datetime | None
    pushed: int
    pulled: int
    conflicts: int
    rejected: int
    error: str | None


def open_conflicts(session: Session) -> list[ConflictItem]:
    rows = session.scalars(
        select(Conflict)
        .where(Conflict.resolved_at.is_(None), Conflict.deleted_at.is_(None))
        .order_by(Conflict.created_at.desc())
    )
    return [
        ConflictItem(
            c.id, c.entity, c.row_id, c.field, c.winning_value, c.losing_value, c.created_at
        )
        for c in rows
    ]


def open_rejections(session: Session) -> list[RejectedItem]:
    rows = session.scalars(
        select(RejectedChange)
        .where(RejectedChange.resolved_at.is_(None))
        .order_by(RejectedChange.rejected_at.desc())
    )
    return [
        RejectedItem(r.id, r.entity, r.row_id, r.changes, r.reason, r.rejected_at) for r in rows
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
    (an ordinary recorded change of the row, which syncs like any other)."""
    conflict = session.get(Conflict, conflict_id)
    if conflict is None or conflict.resolved_at is not None:
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


def resend_rejected(rejected_id: uuid.UUID, *, session: Session, actor: Actor) -> None:
    """Apply a refused update again, as a new change (after the cause was
    fixed, e.g. a role or a value); it is pushed at the next sync."""
    rejected = session.get(RejectedChange, rejected_id)
    if rejected is None or rejected.resolved_at is not None:
        raise NotAllowed("This change was already dealt with")
    table = SYNCED[rejected.entity].model.__table__  # type: ignore[attr-defined]
    fields = {k: v for k, v in rejected.changes.items() if k in table.columns and k != "id"}
    values = decode_values(table, fields)
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


def dismiss_rejected(rejected_id: uuid.UUID, *, session: Session) -> None:
    """Let a refused change go: the server's version stays."""
    rejected = session.get(RejectedChange, rejected_id)
    if rejected is None or rejected.resolved_at is not None:
        raise NotAllowed("This change was already dealt with")
    rejected.resolved_at = utcnow()
