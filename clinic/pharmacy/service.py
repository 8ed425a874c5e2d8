"""The pharmacist's work: dispensing prescription lines (in part, the rest
owed; another drug with a reason; counselling), receiving and moving stock,
counting it, and reorder levels.

Services take the session as a keyword; the caller owns the transaction.
Bad input raises InvalidValue (naming the field) and other refusals
NotAllowed, before anything is written. Every write goes through the
journal, so it syncs, and the stock is only ever added to (movements)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.rules import REASON_MAX, clean_text
from clinic.billing.service import check_own_branch
from clinic.db import column_values, utcnow
from clinic.enums import StockMovementKind, VisitStatus
from clinic.errors import InvalidValue, NotAllowed
from clinic.journal.service import record_insert, record_update, snapshot
from clinic.pharmacy.models import Dispensing, ReorderLevel, StockMovement
from clinic.pharmacy.queries import LineState, batch_stock, reorder_level, visit_lines
from clinic.pharmacy.rules import (
    BATCH_MAX,
    COUNSELLING_MAX,
    check_dispensing_state,
    check_dispensing_values,
    check_movement_state,
    check_movement_values,
    check_quantity,
    drug,
)
from clinic.visits.models import Prescription
from clinic.visits.service import get_visit, move_visit

K = StockMovementKind


def _branch(actor: Actor) -> uuid.UUID:
    if actor.branch_id is None:
        raise NotAllowed("Stock belongs to a branch; log in at a branch")
    return actor.branch_id


@dataclass
class Dispensed:
    """What a dispensing wrote and what the pharmacist should know: a
    warning when it takes more than the stock on hand (which may be behind
    a count), and whether it completed the visit."""

    dispensing: Dispensing
    line: LineState
    warnings: list[str] = field(default_factory=list)
    visit_completed: bool = False


def _line(session: Session, prescription_id: uuid.UUID) -> LineState:
    prescription = session.get(Prescription, prescription_id)
    if prescription is None or prescription.deleted_at is not None:
        raise LookupError(f"No prescription line with id {prescription_id}")
    return next(
        line
        for line in visit_lines(session, prescription.visit_id)
        if line.prescription_id == prescription_id
    )


def dispense(
    prescription_id: uuid.UUID,
    quantity: int,
    *,
    session: Session,
    actor: Actor,
    service_id: uuid.UUID | None = None,
    substitution_reason: str | None = None,
    counselling: str | None = None,
    close_reason: str | None = None,
) -> Dispensed:
    """Give ``quantity`` units against a prescription line of a visit
    waiting at the pharmacy of the actor's branch: the drug prescribed
    unless ``service_id`` names another (then ``substitution_reason`` says
    why). What is not given stays owed, unless ``close_reason`` closes the
    line. The units leave the stock, first-expiring batch first; taking more
    than is on hand is warned about, not refused. When every line of the
    visit is given or closed, the visit is completed."""
    line = _line(session, prescription_id)
    visit = get_visit(line.visit_id, session=session)
    check_own_branch(actor, visit.branch_id, "visit")
    branch_id = _branch(actor)
    if visit.status != VisitStatus.WAITING_PHARMACY:
        raise NotAllowed(f"The visit is {visit.status.value}; it is not waiting at the pharmacy")
    if line.done:
        raise NotAllowed(f"{line.drug} is already dispensed in full or closed")
    quantity = check_quantity(quantity, "quantity", lowest=0)
    if quantity > line.owed:
        raise InvalidValue("quantity", f"Only {line.owed} are still owed on this line")
    given_id = service_id or line.prescribed_drug_id
    if given_id is None and quantity:
        raise InvalidValue(
            "service_id", f"No drug on the price list matches {line.drug}: choose the one given"
        )
    now = utcnow()
    row = Dispensing(
        prescription_id=prescription_id,
        visit_id=visit.id,
        service_id=given_id,
        quantity=quantity,
        substitution_reason=clean_text(
            substitution_reason, "substitution_reason", max_length=REASON_MAX, required=None
        ),
        counselling=clean_text(
            counselling, "counselling", max_length=COUNSELLING_MAX, required=None
        ),
        closes_line=close_reason is not None,
        close_reason=clean_text(close_reason, "close_reason", max_length=REASON_MAX, required=None)
        if close_reason is not None
        else None,
        dispensed_by=actor.user_id,
        dispensed_at=now,
    )
    values = column_values(row)
    check_dispensing_values(values)
    check_dispensing_state(session, values)
    record_insert(session, actor, row, action="dispense")
    warnings = []
    if quantity and given_id is not None:
        warnings = _take_from_stock(session, actor, branch_id, given_id, quantity, row, now)
    lines = visit_lines(session, visit.id)
    after = next(other for other in lines if other.prescription_id == prescription_id)
    if after.done:
        prescription = session.get(Prescription, prescription_id)
        assert prescription is not None
        before = snapshot(prescription)
        prescription.dispensed_at = now
        prescription.dispensed_by = actor.user_id
        record_update(session, actor, prescription, before, action="prescription_dispensed")
    completed = all(other.done for other in lines)
    if completed:
        move_visit(visit.id, VisitStatus.COMPLETED, session=session, actor=actor)
    return Dispensed(row, after, warnings, completed)


def _take_from_stock(
    session: Session,
    actor: Actor,
    branch_id: uuid.UUID,
    service_id: uuid.UUID,
    quantity: int,
    dispensing: Dispensing,
    now: datetime,
) -> list[str]:
    """Movements out of the batches with stock, first to expire first; what
    they do not cover comes off the first-expiring batch (its count was
    behind), with a warning."""
    batches = [b for b in batch_stock(session, branch_id, service_id) if b.on_hand > 0]
    available = sum(b.on_hand for b in batches)
    left = quantity
    taken: list[tuple[str, date | None, int]] = []
    for b in batches:
        part = min(left, b.on_hand)
        taken.append((b.batch, b.expiry, part))
        left -= part
        if not left:
            break
    if left:
        if taken:
            batch, expiry, part = taken[0]
            taken[0] = (batch, expiry, part + left)
        else:
            taken.append(("", None, left))
    for batch, expiry, part in taken:
        movement = StockMovement(
            service_id=service_id,
            branch_id=branch_id,
            batch=batch,
            expiry=expiry,
            quantity=-part,
            kind=K.DISPENSE,
            dispensing_id=dispensing.id,
            moved_by=actor.user_id,
            moved_at=now,
        )
        record_insert(session, actor, movement, action="stock_dispense")
    if left:
        return [
            f"Only {available} in stock, {quantity} given: the stock count may be behind; "
            "count this drug"
        ]
    return []


@dataclass(frozen=True)
class MovementInput:
    """A movement typed at the desk: receipts, returns, adjustments and
    expiry write-offs (dispensings move stock through :func:`dispense`)."""

    service_id: uuid.UUID
    kind: StockMovementKind
    quantity: int
    batch: str | None = None
    expiry: date | None = None
    reason: str | None = None


def record_movement(entry: MovementInput, *, session: Session, actor: Actor) -> StockMovement:
    """Add a movement to the actor's branch's stock ledger. Raises
    InvalidValue for a quantity of the wrong sign or size (a negative
    receipt), an adjustment without a reason, or what is not a drug."""
    branch_id = _branch(actor)
    if entry.kind == K.DISPENSE:
        raise InvalidValue("kind", "Dispense from the prescription; the stock follows")
    movement = StockMovement(
        service_id=entry.service_id,
        branch_id=branch_id,
        batch=clean_text(entry.batch, "batch", max_length=BATCH_MAX, required=None) or "",
        expiry=entry.expiry,
        quantity=entry.quantity,
        kind=entry.kind,
        reason=clean_text(entry.reason, "reason", max_length=REASON_MAX, required=None),
        moved_by=actor.user_id,
        moved_at=utcnow(),
    )
    values = column_values(movement)
    check_movement_values(values)
    check_movement_state(session, values)
    record_insert(session, actor, movement, action=f"stock_{entry.kind.value}")
    return movement


def count_stock(
    service_id: uuid.UUID,
    batch: str | None,
    expiry: date | None,
    counted: int,
    reason: str | None,
    *,
    session: Session,
    actor: Actor,
) -> StockMovement | None:
    """Record a count of a batch: the difference from the ledger becomes an
    adjustment with the reason (required when there is a difference); a
    count that agrees writes nothing and returns None."""
    branch_id = _branch(actor)
    drug(session, service_id)
    counted = check_quantity(counted, "counted", lowest=0)
    name = clean_text(batch, "batch", max_length=BATCH_MAX, required=None) or ""
    held = _held(session, branch_id, service_id, name, expiry)
    if counted == held:
        return None
    return record_movement(
        MovementInput(service_id, K.ADJUSTMENT, counted - held, name, expiry, reason),
        session=session,
        actor=actor,
    )


def _held(
    session: Session, branch_id: uuid.UUID, service_id: uuid.UUID, batch: str, expiry: date | None
) -> int:
    return sum(
        b.on_hand
        for b in batch_stock(session, branch_id, service_id)
        if b.batch == batch and b.expiry == expiry
    )


def write_off_batch(
    service_id: uuid.UUID,
    batch: str,
    expiry: date | None,
    reason: str | None,
    *,
    session: Session,
    actor: Actor,
) -> StockMovement:
    """Take what is left of a batch out of the stock as an expiry
    write-off. Raises NotAllowed when the ledger holds none of it."""
    branch_id = _branch(actor)
    held = _held(session, branch_id, service_id, batch, expiry)
    if held <= 0:
        raise NotAllowed(f"Batch {batch or '(none)'} has nothing in stock to write off")
    return record_movement(
        MovementInput(service_id, K.EXPIRY, -held, batch, expiry, reason),
        session=session,
        actor=actor,
    )


def set_reorder_level(
    service_id: uuid.UUID, level: int, *, session: Session, actor: Actor
) -> ReorderLevel:
    """The stock of a drug at the actor's branch at or below which it shows
    on the low-stock list."""
    branch_id = _branch(actor)
    drug(session, service_id)
    level = check_quantity(level, "level", lowest=0)
    row = reorder_level(session, branch_id, service_id)
    if row is None:
        row = ReorderLevel(service_id=service_id, branch_id=branch_id, level=level)
        record_insert(session, actor, row, action="set_reorder_level")
        return row
    before = snapshot(row)
    row.level = level
    record_update(session, actor, row, before, action="set_reorder_level")
    return row
