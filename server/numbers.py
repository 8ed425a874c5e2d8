"""Leasing blocks of OP and receipt numbers to devices.

Blocks of one kind and year are handed out one after another under a
PostgreSQL advisory lock, so two devices can never get overlapping blocks.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from clinic.clock import clinic_today
from clinic.numbering.models import NumberLease
from clinic.numbering.service import BLOCK_SIZE, LOW_WATER_MARK, add_lease, numbers_left
from clinic.rules.numbers import NumberKind

_LOCK_NAMESPACE = 0x5E7C


def lease_block(
    session: Session, device_id: uuid.UUID, kind: NumberKind, year: int, size: int = BLOCK_SIZE
) -> NumberLease:
    """Give ``device_id`` the next free block of ``size`` serials (in the
    caller's transaction; the lock is held until it ends)."""
    session.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
        {"namespace": _LOCK_NAMESPACE, "key": year * 10 + list(NumberKind).index(kind)},
    )
    last = session.scalar(
        select(func.max(NumberLease.last)).where(
            NumberLease.kind == kind,
            NumberLease.year == year,
            NumberLease.provisional.is_(False),
        )
    )
    first = (last or 0) + 1
    lease = add_lease(session, device_id, kind, year, first, first + size - 1)
    lease.version = 1
    return lease


def ensure_numbers(session: Session, device_id: uuid.UUID) -> None:
    """Top up the device's OP and receipt numbers when they run low."""
    for kind in NumberKind:
        if numbers_left(session, device_id, kind) < LOW_WATER_MARK:
            lease_block(session, device_id, kind, clinic_today().year)
