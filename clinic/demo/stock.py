"""The demo clinic's pharmacy stock: a delivery of every drug on the price
list, a few batches that expire soon or have expired, reorder levels, and
a couple of drugs already below theirs, so the stock screens have
something to show. Written through the pharmacy's services, in the
caller's transaction."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.models import Service
from clinic.enums import ServiceKind, StockMovementKind
from clinic.pharmacy.models import StockMovement
from clinic.pharmacy.service import MovementInput, record_movement, set_reorder_level

SHORT = {"DRG-AL24": 12, "DRG-ORSZN": 8}
"""Drugs the demo runs short of (units on hand), below their reorder level."""
EXPIRING = {"DRG-AMOXSUSP": 25, "DRG-PCMSYR": -10}
"""Drugs with a batch expiring this many days from today (below 0: expired)."""


def seed_stock(session: Session, *, actor: Actor, today: date) -> int:
    """Receive the demo's stock at ``actor``'s branch, once (a branch with
    any movement is left as it is); returns how many movements were written."""
    has_stock = session.scalar(
        select(StockMovement.id).where(StockMovement.branch_id == actor.branch_id).limit(1)
    )
    if has_stock is not None:
        return 0
    drugs = session.scalars(
        select(Service)
        .where(Service.kind == ServiceKind.DRUG, Service.deleted_at.is_(None))
        .order_by(Service.code)
    ).all()
    written = 0
    for n, drug in enumerate(drugs):
        stocked = SHORT.get(drug.code, 200 + 50 * (n % 5))
        batch = f"{drug.code[4:]}-{today:%y%m}"
        record_movement(
            MovementInput(
                drug.id,
                StockMovementKind.RECEIPT,
                stocked,
                batch,
                today + timedelta(days=540 + 30 * n),
                "Delivery from KEMSA",
            ),
            session=session,
            actor=actor,
        )
        written += 1
        if drug.code in EXPIRING:
            record_movement(
                MovementInput(
                    drug.id,
                    StockMovementKind.RECEIPT,
                    30,
                    f"{batch}-OLD",
                    today + timedelta(days=EXPIRING[drug.code]),
                    "Delivery from KEMSA",
                ),
                session=session,
                actor=actor,
            )
            written += 1
        set_reorder_level(drug.id, 50 if drug.code in SHORT else 40, session=session, actor=actor)
    return written
