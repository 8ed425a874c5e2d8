"""Handing out OP and receipt numbers from the device's leases.

A device numbers from the oldest leased block that still has numbers. With
none left (offline, before the first sync, or a block used up), it numbers
from its own provisional block: ``TMP-...`` numbers that the next sync
replaces with leased ones, all of them: the sync leases as many blocks as
they need (:func:`blocks_wanted`) before replacing them in one pass
(:func:`replace_provisional`). Callers see one interface either way.
"""

from __future__ import annotations

import functools
import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, literal_column, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinic.actor import Actor
from clinic.billing.models import Payment
from clinic.db import UTCDateTime, utcnow
from clinic.journal.models import StoreSetting
from clinic.journal.service import RowChange, record_bulk_update
from clinic.numbering.models import NumberLease
from clinic.patients.models import Patient
from clinic.patients.search_index import numbers_indexed_again
from clinic.rules.numbers import PROVISIONAL_PREFIX, NumberKind, format_number

BLOCK_SIZE = 1000
LOW_WATER_MARK = 200
PROVISIONAL_BLOCK_END = 999_999_999
NUMBERED: dict[NumberKind, InstrumentedAttribute[Any]] = {
    NumberKind.OP: Patient.op_number,
    NumberKind.RECEIPT: Payment.receipt_number,
}
"""The column each kind of number is written to."""


def _has_numbers_left(device_id: uuid.UUID, kind: NumberKind) -> list[ColumnElement[bool]]:
    """The device's leased blocks of ``kind`` with numbers left."""
    return [
        NumberLease.lease_device_id == device_id,
        NumberLease.kind == kind,
        NumberLease.provisional.is_(False),
        NumberLease.deleted_at.is_(None),
        NumberLease.next <= NumberLease.last,
    ]


@functools.lru_cache(maxsize=16)
def _next_lease(device_id: uuid.UUID, kind: NumberKind) -> Select[NumberLease]:
    """The statement finding the block :func:`next_number` numbers from
    (made once per device and kind: it runs on every registration and
    payment)."""
    return (
        select(NumberLease)
        .where(*_has_numbers_left(device_id, kind))
        .order_by(NumberLease.year, NumberLease.first)
        .limit(1)
    )


def next_number(session: Session, device_id: uuid.UUID, kind: NumberKind, *, today: date) -> str:
    """Take the next number for ``kind``; the caller's transaction keeps it
    taken only if the write that uses it commits."""
    lease = session.scalars(_next_lease(device_id, kind)).first()
    if lease is None:
        lease = _provisional_lease(session, device_id, kind, today.year)
    serial = lease.next
    lease.next = serial + 1
    return format_number(kind, lease.year, serial, provisional=lease.provisional)


def take_numbers(
    session: Session, device_id: uuid.UUID, kind: NumberKind, count: int, *, today: date
) -> list[str]:
    """Take ``count`` numbers for ``kind`` at once, the ones as many calls of
    :func:`next_number` would give: leased ones while they last, oldest block
    first, then provisional ones. Two statements whatever ``count``."""
    numbers = _take_leased(session, device_id, kind, count)
    short = count - len(numbers)
    if short > 0:
        lease = _provisional_lease(session, device_id, kind, today.year)
        first = lease.next
        lease.next = first + short
        numbers += [
            format_number(kind, lease.year, serial, provisional=True)
            for serial in range(first, first + short)
        ]
    return numbers


def _provisional_lease(
    session: Session, device_id: uuid.UUID, kind: NumberKind, year: int
) -> NumberLease:
    lease = session.scalars(
        select(NumberLease).where(
            NumberLease.lease_device_id == device_id,
            NumberLease.kind == kind,
            NumberLease.year == year,
            NumberLease.provisional.is_(True),
        )
    ).first()
    if lease is None:
        lease = NumberLease(
            lease_device_id=device_id,
            device_id=device_id,
            kind=kind,
            year=year,
            first=1,
            last=PROVISIONAL_BLOCK_END,
            next=1,
            provisional=True,
            leased_at=utcnow(),
        )
        session.add(lease)
    return lease


def add_lease(
    session: Session, device_id: uuid.UUID, kind: NumberKind, year: int, first: int, last: int
) -> NumberLease:
    """Keep a block the server leased to this device."""
    if not 1 <= first <= last:
        raise ValueError(f"a block runs from first to last, got {first}..{last}")
    lease = NumberLease(
        lease_device_id=device_id,
        device_id=device_id,
        kind=kind,
        year=year,
        first=first,
        last=last,
        next=first,
        provisional=False,
        leased_at=utcnow(),
    )
    session.add(lease)
    return lease


def numbers_left(session: Session, device_id: uuid.UUID, kind: NumberKind) -> int:
    """Leased numbers this device still has for ``kind`` (the sync engine asks
    for another block below :data:`LOW_WATER_MARK`)."""
    left = session.scalar(
        select(func.coalesce(func.sum(NumberLease.last - NumberLease.next + 1), 0)).where(
            *_has_numbers_left(device_id, kind)
        )
    )
    return int(left or 0)


def _provisional(kind: NumberKind, made_by: Sequence[uuid.UUID]) -> list[ColumnElement[bool]]:
    """The live rows numbered provisionally with ``kind`` on this PC, under
    any of the device ids in ``made_by``."""
    column = NUMBERED[kind]
    model = column.class_
    # A range rather than LIKE 'TMP-%' (which SQLite matches ignoring case,
    # so with no use of the column's index): a sync reads these before each
    # push, and a scan of 100,000 patients held a saved change back 100 ms.
    return [
        column >= f"{PROVISIONAL_PREFIX}-",
        column < f"{PROVISIONAL_PREFIX}.",  # "." follows "-"
        model.device_id.in_(list(made_by)),
        model.deleted_at.is_(None),
    ]


def blocks_wanted(
    session: Session, device_id: uuid.UUID, kind: NumberKind, *, made_by: Sequence[uuid.UUID]
) -> int:
    """How many blocks of ``kind`` to lease so that every provisional number
    (see :func:`replace_provisional`) can be replaced and at least
    :data:`LOW_WATER_MARK` leased numbers are left after; 0 when none."""
    waiting = session.scalar(
        select(func.count()).select_from(NUMBERED[kind].class_).where(*_provisional(kind, made_by))
    )
    short = int(waiting or 0) + LOW_WATER_MARK - numbers_left(session, device_id, kind)
    return math.ceil(short / BLOCK_SIZE) if short > 0 else 0


def numbering_due(session: Session, device_id: uuid.UUID, *, made_by: Sequence[uuid.UUID]) -> bool:
    """Whether a sync has numbering to do for any kind: a block to lease
    (:func:`blocks_wanted`) or a provisional number to replace
    (:func:`replace_provisional`). One statement, since every sync asks it
    before pushing and almost always hears no: a change just saved waits
    for the answer."""
    found = session.execute(_numbering_counts(device_id, tuple(made_by))).one()
    return any(
        waiting or left < LOW_WATER_MARK
        for waiting, left in zip(found[::2], found[1::2], strict=True)
    )


@functools.lru_cache(maxsize=16)
def _numbering_counts(device_id: uuid.UUID, made_by: tuple[uuid.UUID, ...]) -> Select[Any]:
    """Per kind, the provisional rows waiting and the leased numbers left
    (made once per device: it runs before every push)."""
    return select(
        *(
            subquery
            for kind, column in NUMBERED.items()
            for subquery in (
                select(func.count())
                .select_from(column.class_)
                .where(*_provisional(kind, made_by))
                .scalar_subquery(),
                select(func.coalesce(func.sum(NumberLease.last - NumberLease.next + 1), 0))
                .where(*_has_numbers_left(device_id, kind))
                .scalar_subquery(),
            )
        )
    )


def _take_leased(session: Session, device_id: uuid.UUID, kind: NumberKind, count: int) -> list[str]:
    """Take up to ``count`` leased numbers at once, oldest block first."""
    taken: list[str] = []
    leases = session.scalars(
        select(NumberLease)
        .where(*_has_numbers_left(device_id, kind))
        .order_by(NumberLease.year, NumberLease.first)
    )
    for lease in leases:
        end = min(lease.last + 1, lease.next + count - len(taken))
        taken.extend(format_number(kind, lease.year, serial) for serial in range(lease.next, end))
        lease.next = end
        if len(taken) == count:
            break
    return taken


SENT_THROUGH_KEY = "outbox_sent_through"
"""The store setting holding the highest outbox sequence that may be held
outside this store as it is now: carried by a push with a provisional
number in it (the sync engine notes it before such a push goes), or held by
a backup (``clinic.backup`` notes it before and after the copy). An entry
above it never left the store, so it may still change; one at or below it
never changes: sent again, or restored from the backup and sent, a changed
entry would look like another device's."""


def carries_provisional(entity: str, values: Mapping[str, Any]) -> bool:
    """Whether a row's values (as an outbox entry holds them) hold a
    provisional number."""
    return any(
        column.class_.__tablename__ == entity
        and str(values.get(column.key) or "").startswith(f"{PROVISIONAL_PREFIX}-")
        for column in NUMBERED.values()
    )


def _write_numbers(
    session: Session, table: Any, key: str, numbered: Iterable[tuple[int, str]]
) -> None:
    """Give rows of ``table`` (by rowid) their numbers in column ``key``,
    and the time of this update, in one ``UPDATE`` for all of them (the
    pairs as one JSON array) rather than one per row."""
    quote = session.connection().dialect.identifier_preparer
    name = quote.format_table(table)
    statement = text(
        f"UPDATE {name} SET {quote.format_column(table.c[key])} = json_extract(numbered.value,"
        " '$[1]'), updated_at = :now FROM json_each(:numbered) AS numbered"
        f" WHERE {name}.rowid = json_extract(numbered.value, '$[0]')"
    ).bindparams(bindparam("now", type_=UTCDateTime))
    numbers = json.dumps(list(numbered))
    session.connection().execute(statement, {"now": utcnow(), "numbered": numbers})


def replace_provisional(session: Session, actor: Actor, *, made_by: Sequence[uuid.UUID]) -> int:
    """Give leased numbers to the patients and payments this PC (under any of
    the device ids in ``made_by``) numbered provisionally, oldest first, as
    long as leased numbers last: one bulk update per kind, each row's change
    recorded (outbox and audit) so that it syncs. Returns how many rows.

    A row whose INSERT never left the PC (above :data:`SENT_THROUGH_KEY`)
    gets its new number in that INSERT, not in an update of its own: the
    server takes a new row with a leased number as it takes the
    replacement of a provisional one (``SyncedEntity.numbers``), so it ends
    with the same row for one mutation instead of two; the audit event says
    the number was replaced all the same. An INSERT a push carried (its
    answer may have been lost) or a backup holds is never changed: its row
    gets the update."""
    sent_through = session.scalar(
        select(StoreSetting.value).where(StoreSetting.key == SENT_THROUGH_KEY)
    )
    replaced = 0
    for kind, column in NUMBERED.items():
        model = column.class_
        waiting = session.execute(
            select(model.id, model.version, column, literal_column("rowid"))
            .where(*_provisional(kind, made_by))
            .order_by(model.created_at, model.id)
        ).all()
        numbers = _take_leased(session, actor.device_id, kind, len(waiting))
        if not numbers:
            continue
        renumbered = waiting[: len(numbers)]
        rowids = [rowid for *_, rowid in renumbered]
        # Only the number changes: the patients' names stay indexed as they are.
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        with numbers_indexed_again(cursor, rowids) if model is Patient else nullcontext():
            _write_numbers(session, model.__table__, column.key, zip(rowids, numbers, strict=True))
        replaced += record_bulk_update(
            session,
            actor,
            model.__tablename__,
            (
                RowChange(row_id, version, {column.key: old}, {column.key: number})
                for (row_id, version, old, _), number in zip(renumbered, numbers, strict=True)
            ),
            action="replace_provisional_number",
            fold_after=int(sent_through or 0),
        )
    return replaced
