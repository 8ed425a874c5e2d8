"""The audit log for admins: searching it, and checking every device's hash
chain. The same queries serve the server (``/api/audit``,
``/api/audit/verify``) and a PC's own store (the desktop's audit screen).
Read-only: nothing here writes."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from clinic.errors import InvalidValue
from clinic.journal.entities import SYNCED
from clinic.journal.models import AuditEvent
from clinic.journal.records import describe_records
from clinic.journal.service import ChainBreak, ChainProblem, find_break
from clinic.journal.wire import decode_checked
from clinic.org.models import Device, User

SEARCH_LIMIT = 1000
"""The most events one search answers (newest first)."""


@dataclass(frozen=True)
class AuditSearch:
    """What to look for; every field left None matches all. ``patient_id``
    finds the events on the patient's record and on every row that names
    the patient (visits, invoices, claims). ``since`` and ``until`` bound
    when the event happened (``until`` excluded)."""

    user_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


@dataclass(frozen=True)
class AuditRecord:
    """One event as an admin reads it: who (with their username), on which
    PC (with its name), what, on which row (described, see
    :func:`clinic.journal.records.describe_records`), the values before and
    after."""

    id: uuid.UUID
    occurred_at: datetime
    device_id: uuid.UUID | None
    device_name: str | None
    device_sequence: int
    user_id: uuid.UUID | None
    username: str | None
    action: str
    entity: str
    entity_id: uuid.UUID | None
    record: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _checked(search: AuditSearch) -> None:
    """Raise InvalidValue naming the first search field that cannot match
    anything sensible (text the database cannot hold, a range backwards)."""
    table: Any = AuditEvent.__table__
    given = {"action": search.action, "entity": search.entity}
    decode_checked(table, {k: v for k, v in given.items() if v is not None})
    for name, moment in (("since", search.since), ("until", search.until)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidValue(name, "a time needs its time zone")
    if search.since is not None and search.until is not None and search.since >= search.until:
        raise InvalidValue("until", "the end of the range must come after its start")
    if not 1 <= search.limit <= SEARCH_LIMIT:
        raise InvalidValue("limit", f"ask for 1 to {SEARCH_LIMIT} events")


def _about_patient(patient_id: uuid.UUID) -> ColumnElement[bool]:
    """Events on the patient, or on a row of any synced table whose
    ``patient_id`` is the patient."""
    rows: list[ColumnElement[bool]] = [
        (AuditEvent.entity == "patients") & (AuditEvent.entity_id == patient_id)
    ]
    for entity in SYNCED.values():
        table: Any = entity.model.__table__  # type: ignore[attr-defined]
        if "patient_id" in table.c:
            named = select(table.c.id).where(table.c.patient_id == patient_id)
            rows.append((AuditEvent.entity == entity.name) & AuditEvent.entity_id.in_(named))
    return or_(*rows)


def search_audit(search: AuditSearch, *, session: Session) -> list[AuditRecord]:
    """The events matching ``search``, newest first, at most ``limit``.
    Raises InvalidValue (nothing read) for a search that is not valid."""
    _checked(search)
    query = (
        select(AuditEvent, User.username, Device.name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Device, Device.id == AuditEvent.device_id)
    )
    equal = {
        AuditEvent.user_id: search.user_id,
        AuditEvent.action: search.action,
        AuditEvent.entity: search.entity,
        AuditEvent.entity_id: search.entity_id,
        AuditEvent.device_id: search.device_id,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if search.patient_id is not None:
        query = query.where(_about_patient(search.patient_id))
    if search.since is not None:
        query = query.where(AuditEvent.occurred_at >= search.since)
    if search.until is not None:
        query = query.where(AuditEvent.occurred_at < search.until)
    query = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(search.limit)
    found = session.execute(query).all()
    records = describe_records(
        [(e.entity, e.entity_id) for e, _, _ in found if e.entity_id is not None],
        session=session,
    )
    return [
        AuditRecord(
            id=event.id,
            occurred_at=event.occurred_at,
            device_id=event.device_id,
            device_name=device_name,
            device_sequence=event.device_sequence,
            user_id=event.user_id,
            username=username,
            action=event.action,
            entity=event.entity,
            entity_id=event.entity_id,
            record=records.get((event.entity, event.entity_id)) if event.entity_id else None,
            before=event.before,
            after=event.after,
        )
        for event, username, device_name in found
    ]


def audit_actions(session: Session) -> list[str]:
    """Every action the log holds, for a search's choice list."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


@dataclass(frozen=True)
class ChainReport:
    """One device's chain: how many events it holds, its last number, and
    where it breaks (None: whole)."""

    device_id: uuid.UUID | None
    device_name: str | None
    events: int
    last_sequence: int
    broken: ChainBreak | None


VERIFY_BATCH = 1000


def verify_chains(*, session: Session) -> list[ChainReport]:
    """Check every device's chain in the store, reading the events in
    batches in chain order (a device's chain is read up to its first
    break). Broken chains first, then by device name."""
    counts = session.execute(
        select(
            AuditEvent.device_id,
            func.count(),
            func.max(AuditEvent.device_sequence),
            Device.name,
        )
        .outerjoin(Device, Device.id == AuditEvent.device_id)
        .group_by(AuditEvent.device_id, Device.name)
    ).all()
    events = session.scalars(
        select(AuditEvent)
        .order_by(AuditEvent.device_id, AuditEvent.device_sequence)
        .execution_options(yield_per=VERIFY_BATCH)
    )
    breaks = {
        device_id: find_break(chain)
        for device_id, chain in itertools.groupby(events, key=lambda e: e.device_id)
    }
    reports = [
        ChainReport(device_id, name, count, last, breaks.get(device_id))
        for device_id, count, last, name in counts
    ]
    return sorted(reports, key=lambda r: (r.broken is None, r.device_name or "", str(r.device_id)))


def check_server_copy(
    copy: ChainReport | None, device_id: uuid.UUID, pushed_through: int, *, session: Session
) -> ChainBreak | None:
    """Compare the server's copy of this PC's chain (``copy``, None when it
    holds none) with what the server accepted from this PC
    (``pushed_through``, its last sequence): events deleted from the end of
    the copy leave it whole but short, which only this comparison shows.
    The break names the first missing event, as this PC holds it."""
    held = copy.last_sequence if copy is not None else 0
    if held >= pushed_through:
        return None
    first = held + 1
    event_id = session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.device_id == device_id, AuditEvent.device_sequence == first
        )
    )
    if event_id is None:  # this PC's own chain is short too: its own check says so
        return None
    gone = f"event {first}" if first == pushed_through else f"events {first} to {pushed_through}"
    return ChainBreak(
        first,
        event_id,
        ChainProblem.MISSING,
        f"The server no longer holds {gone} that this PC sent it (deleted)",
    )
