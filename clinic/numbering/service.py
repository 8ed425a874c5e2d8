"""Handing out OP and receipt numbers from the device's leases.

A device numbers from the oldest leased block that still has numbers. With
none left (offline, before the first sync, or a block used up), it numbers
from its own provisional block: ``TMP-...`` numbers that the next sync
replaces with leased ones. Callers see one interface either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import utcnow
from clinic.numbering.models import NumberLease
from clinic.rules.numbers import PROVISIONAL_PREFIX, NumberKind, format_number

BLOCK_SIZE = 1000
LOW_WATER_MARK = 200
PROVISIONAL_BLOCK_END = 999_999_999


def next_number(session: Session, device_id: uuid.UUID, kind: NumberKind, *, today: date) -> str:
    """Take the next number for ``kind``; the caller's transaction keeps it
    taken only if the write that uses it commits."""
    lease = session.scalars(
        select(NumberLease)
        .where(
            NumberLease.lease_device_id == device_id,
            NumberLease.kind == kind,
            NumberLease.provisional.is_(False),
            NumberLease.deleted_at.is_(None),
            NumberLease.next <= NumberLease.last,
        )
        .order_by(NumberLease.year, NumberLease.first)
        .limit(1)
    ).first()
    if lease is None:
        lease = _provisional_lease(session, device_id, kind, today.year)
    serial = lease.next
    lease.next = serial + 1
    return format_number(kind, lease.year, serial, provisional=lease.provisional)


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
            NumberLease.lease_device_id == device_id,
            NumberLease.kind == kind,
            NumberLease.provisional.is_(False),
            NumberLease.deleted_at.is_(None),
            NumberLease.next <= NumberLease.last,
        )
    )
    return int(left or 0)


def replace_provisional(session: Session, actor: Actor, *, made_by: Sequence[uuid.UUID]) -> int:
    """Give leased OP numbers to the patients this PC (under any of the device
    ids in ``made_by``) numbered provisionally, as long as leased numbers last.
    Each change is an ordinary recorded update that syncs. Returns how many."""
    from clinic.journal.service import record_update, snapshot
    from clinic.patients.models import Patient

    waiting = session.scalars(
        select(Patient)
        .where(
            Patient.op_number.startswith(f"{PROVISIONAL_PREFIX}-"),
            Patient.device_id.in_(list(made_by)),
            Patient.deleted_at.is_(None),
        )
        .order_by(Patient.created_at)
    ).all()
    replaced = 0
    for patient in waiting:
        if numbers_left(session, actor.device_id, NumberKind.OP) == 0:
            break
        before = snapshot(patient)
        patient.op_number = next_number(
            session, actor.device_id, NumberKind.OP, today=patient.created_at.date()
        )
        record_update(session, actor, patient, before, action="replace_provisional_number")
        replaced += 1
    return replaced
