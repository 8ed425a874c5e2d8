"""What the pharmacy reads: the worklist, a visit's lines with what is
given and owed, and the stock on hand (the sum of the ledger) by drug and
batch, with the low-stock and expiring-soon lists. Plain data, no ORM rows."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.billing.models import Service
from clinic.enums import ServiceKind, VisitStatus
from clinic.patients.models import Patient
from clinic.pharmacy.models import Dispensing, ReorderLevel, StockMovement
from clinic.pharmacy.rules import listed_drugs, prescribed_drug
from clinic.visits.models import Prescription, Visit

EXPIRING_WITHIN_DAYS = 90
"""A batch expiring within this many days is on the expiring-soon list."""


@dataclass(frozen=True)
class GivenLine:
    """One dispensing of a line."""

    quantity: int
    drug_name: str
    substitution_reason: str | None
    counselling: str | None
    dispensed_by: uuid.UUID
    dispensed_at: datetime


@dataclass(frozen=True)
class LineState:
    """A prescription line as the pharmacy sees it."""

    prescription_id: uuid.UUID
    visit_id: uuid.UUID
    drug: str
    dose: str
    frequency: str
    duration: str
    instructions: str | None
    prescribed: int
    given: int
    closed: bool
    close_reason: str | None
    prescribed_drug_id: uuid.UUID | None
    prescribed_drug_name: str | None
    dispensings: list[GivenLine] = field(default_factory=list)

    @property
    def owed(self) -> int:
        """Units still to give: none once the line is closed."""
        return 0 if self.closed else max(0, self.prescribed - self.given)

    @property
    def done(self) -> bool:
        return self.owed == 0


def visit_lines(
    session: Session, visit_id: uuid.UUID, listed: list[Service] | None = None
) -> list[LineState]:
    """The visit's live prescription lines in the order they were written."""
    prescriptions = session.scalars(
        select(Prescription)
        .where(Prescription.visit_id == visit_id, Prescription.deleted_at.is_(None))
        .order_by(Prescription.created_at, Prescription.id)
    ).all()
    given: dict[uuid.UUID, list[tuple[Dispensing, str]]] = defaultdict(list)
    rows = session.execute(
        select(Dispensing, Service.name)
        .outerjoin(Service, Service.id == Dispensing.service_id)
        .where(Dispensing.visit_id == visit_id, Dispensing.deleted_at.is_(None))
        .order_by(Dispensing.dispensed_at, Dispensing.id)
    ).all()
    for dispensing, name in rows:
        given[dispensing.prescription_id].append((dispensing, name or ""))
    if listed is None:
        listed = listed_drugs(session)
    lines = []
    for p in prescriptions:
        done = given[p.id]
        closing = next((d for d, _ in done if d.closes_line), None)
        matched = prescribed_drug(session, p, listed)
        lines.append(
            LineState(
                prescription_id=p.id,
                visit_id=p.visit_id,
                drug=p.drug,
                dose=p.dose,
                frequency=p.frequency,
                duration=p.duration,
                instructions=p.instructions,
                prescribed=p.quantity,
                given=sum(d.quantity for d, _ in done),
                closed=closing is not None,
                close_reason=closing.close_reason if closing is not None else None,
                prescribed_drug_id=matched.id if matched is not None else None,
                prescribed_drug_name=matched.name if matched is not None else None,
                dispensings=[
                    GivenLine(
                        d.quantity,
                        name,
                        d.substitution_reason,
                        d.counselling,
                        d.dispensed_by,
                        d.dispensed_at,
                    )
                    for d, name in done
                    if d.quantity
                ],
            )
        )
    return lines


@dataclass(frozen=True)
class WorklistEntry:
    visit_id: uuid.UUID
    visit_date: date
    patient_id: uuid.UUID
    patient_name: str
    op_number: str
    lines: int
    lines_owed: int
    units_owed: int


def pharmacy_worklist(session: Session, branch_id: uuid.UUID | None) -> list[WorklistEntry]:
    """Visits of the branch (None: every branch) waiting at the pharmacy
    with prescription lines, oldest first; the lines still owing anything."""
    query = (
        select(Visit, Patient)
        .join(Patient, Patient.id == Visit.patient_id)
        .where(
            Visit.status == VisitStatus.WAITING_PHARMACY,
            Visit.deleted_at.is_(None),
            select(Prescription.id)
            .where(Prescription.visit_id == Visit.id, Prescription.deleted_at.is_(None))
            .exists(),
        )
        .order_by(Visit.visit_date, Visit.queue_position, Visit.id)
    )
    if branch_id is not None:
        query = query.where(Visit.branch_id == branch_id)
    entries = []
    listed = listed_drugs(session)
    for visit, patient in session.execute(query).all():
        lines = visit_lines(session, visit.id, listed)
        entries.append(
            WorklistEntry(
                visit_id=visit.id,
                visit_date=visit.visit_date,
                patient_id=patient.id,
                patient_name=patient.full_name,
                op_number=patient.op_number,
                lines=len(lines),
                lines_owed=sum(1 for line in lines if not line.done),
                units_owed=sum(line.owed for line in lines),
            )
        )
    return entries


@dataclass(frozen=True)
class BatchStock:
    service_id: uuid.UUID
    batch: str
    expiry: date | None
    on_hand: int


@dataclass(frozen=True)
class DrugStock:
    service_id: uuid.UUID
    code: str
    name: str
    on_hand: int
    reorder_level: int | None
    batches: list[BatchStock]

    @property
    def low(self) -> bool:
        return self.reorder_level is not None and self.on_hand <= self.reorder_level

    @property
    def nearest_expiry(self) -> date | None:
        dates = [b.expiry for b in self.batches if b.expiry is not None and b.on_hand > 0]
        return min(dates) if dates else None


def batch_stock(
    session: Session, branch_id: uuid.UUID, service_id: uuid.UUID | None = None
) -> list[BatchStock]:
    """The stock on hand of each batch at the branch: the sum of its
    movements, first to expire first (batches without an expiry last)."""
    query = (
        select(
            StockMovement.service_id,
            StockMovement.batch,
            StockMovement.expiry,
            func.sum(StockMovement.quantity),
        )
        .where(StockMovement.branch_id == branch_id, StockMovement.deleted_at.is_(None))
        .group_by(StockMovement.service_id, StockMovement.batch, StockMovement.expiry)
    )
    if service_id is not None:
        query = query.where(StockMovement.service_id == service_id)
    batches = [
        BatchStock(service, batch, expiry, int(total))
        for service, batch, expiry, total in session.execute(query).all()
    ]
    return sorted(batches, key=lambda b: (b.expiry is None, b.expiry or date.max, b.batch))


def on_hand(session: Session, branch_id: uuid.UUID, service_id: uuid.UUID) -> int:
    """The branch's stock of a drug: the sum of its movements."""
    total = session.scalar(
        select(func.sum(StockMovement.quantity)).where(
            StockMovement.branch_id == branch_id,
            StockMovement.service_id == service_id,
            StockMovement.deleted_at.is_(None),
        )
    )
    return int(total or 0)


def reorder_level(
    session: Session, branch_id: uuid.UUID, service_id: uuid.UUID
) -> ReorderLevel | None:
    return session.scalar(
        select(ReorderLevel)
        .where(
            ReorderLevel.branch_id == branch_id,
            ReorderLevel.service_id == service_id,
            ReorderLevel.deleted_at.is_(None),
        )
        .order_by(ReorderLevel.created_at, ReorderLevel.id)
        .limit(1)
    )


def stock_on_hand(session: Session, branch_id: uuid.UUID) -> list[DrugStock]:
    """Every drug of the price list with its stock at the branch, its
    batches and its reorder level, by name."""
    batches: dict[uuid.UUID, list[BatchStock]] = defaultdict(list)
    for b in batch_stock(session, branch_id):
        batches[b.service_id].append(b)
    levels = {
        r.service_id: r.level
        for r in session.scalars(
            select(ReorderLevel)
            .where(ReorderLevel.branch_id == branch_id, ReorderLevel.deleted_at.is_(None))
            .order_by(ReorderLevel.created_at.desc(), ReorderLevel.id.desc())
        )
    }
    drugs = session.scalars(
        select(Service)
        .where(Service.kind == ServiceKind.DRUG, Service.deleted_at.is_(None))
        .order_by(Service.name)
    ).all()
    return [
        DrugStock(
            service_id=d.id,
            code=d.code,
            name=d.name,
            on_hand=sum(b.on_hand for b in batches[d.id]),
            reorder_level=levels.get(d.id),
            batches=[b for b in batches[d.id] if b.on_hand != 0],
        )
        for d in drugs
        if d.active or batches[d.id]
    ]


def low_stock(session: Session, branch_id: uuid.UUID) -> list[DrugStock]:
    """Drugs at or below their reorder level at the branch, emptiest first."""
    return lowest_first(stock_on_hand(session, branch_id))


def lowest_first(drugs: list[DrugStock]) -> list[DrugStock]:
    """Of ``drugs``, those at or below their reorder level, emptiest first."""
    low = [d for d in drugs if d.low]
    return sorted(low, key=lambda d: (d.on_hand - (d.reorder_level or 0), d.name))


@dataclass(frozen=True)
class ExpiringBatch:
    service_id: uuid.UUID
    name: str
    batch: str
    expiry: date
    on_hand: int
    expired: bool


def expiring_soon(
    session: Session, branch_id: uuid.UUID, today: date, within_days: int = EXPIRING_WITHIN_DAYS
) -> list[ExpiringBatch]:
    """Batches with stock at the branch that expired or expire within
    ``within_days`` of ``today``, first to expire first."""
    names = {row.id: row.name for row in session.execute(select(Service.id, Service.name))}
    last = today + timedelta(days=within_days)
    return [
        ExpiringBatch(
            b.service_id,
            names.get(b.service_id, ""),
            b.batch,
            b.expiry,
            b.on_hand,
            b.expiry < today,
        )
        for b in batch_stock(session, branch_id)
        if b.expiry is not None and b.expiry <= last and b.on_hand > 0
    ]
