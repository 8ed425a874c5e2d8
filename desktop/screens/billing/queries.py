"""What the billing desk reads, as plain data for the GUI thread.

These are read-only queries over the billing domain's tables; they live
with the screen until the billing domain (``clinic/billing``, being
finished on its own branch) grows a ``queries.py`` to move them into.
Every function takes the session as a keyword and writes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice, Payment
from clinic.billing.service import (
    ProposedLine,
    invoice_lines,
    invoice_payments,
    list_services,
    propose_lines,
)
from clinic.enums import InvoiceStatus, VisitStatus
from clinic.org.models import Branch, User
from clinic.patients.models import Patient
from clinic.visits.models import Visit

READY_TO_BILL = (VisitStatus.WAITING_PHARMACY, VisitStatus.COMPLETED)
"""Visits that are done with the clinician: a bill is due when none is made."""


class BillState(StrEnum):
    """Where a visit's bill stands, as the desk and the queue show it."""

    TO_BILL = "to_bill"
    UNPAID = "unpaid"
    PART_PAID = "part_paid"
    PAID = "paid"


@dataclass(frozen=True)
class WaitingToPay:
    visit_id: uuid.UUID
    patient_id: uuid.UUID
    op_number: str
    patient_name: str
    visit_status: VisitStatus
    arrived_at: datetime
    state: BillState
    total_cents: int
    paid_cents: int

    @property
    def balance_cents(self) -> int:
        return self.total_cents - self.paid_cents


def bill_states(
    session: Session, branch_id: uuid.UUID | None, day: date
) -> dict[uuid.UUID, tuple[BillState, int, int]]:
    """Each of the branch's visits of ``day`` that has a bill, or is due one:
    its state, total and paid (cents). One query over the day's visits (the
    visit_date index), whatever the store's size."""
    query = (
        select(
            Visit.id,
            Visit.status,
            Invoice.status,
            Invoice.total_cents,
            Invoice.paid_cents,
        )
        .outerjoin(
            Invoice,
            (Invoice.visit_id == Visit.id)
            & Invoice.deleted_at.is_(None)
            & (Invoice.status != InvoiceStatus.CANCELLED),
        )
        .where(Visit.visit_date == day, Visit.deleted_at.is_(None))
    )
    if branch_id is not None:
        query = query.where(Visit.branch_id == branch_id)
    sums: dict[uuid.UUID, tuple[VisitStatus, int, int, bool]] = {}
    for visit_id, visit_status, invoice_status, total, paid in session.execute(query):
        _, t, p, billed = sums.get(visit_id, (visit_status, 0, 0, False))
        if invoice_status is not None:
            t, p, billed = t + (total or 0), p + (paid or 0), True
        sums[visit_id] = (visit_status, t, p, billed)
    states: dict[uuid.UUID, tuple[BillState, int, int]] = {}
    for visit_id, (visit_status, total, paid, billed) in sums.items():
        if not billed:
            if visit_status in READY_TO_BILL:
                states[visit_id] = (BillState.TO_BILL, 0, 0)
            continue
        if paid <= 0:
            state = BillState.UNPAID if total > 0 else BillState.PAID
        elif paid < total:
            state = BillState.PART_PAID
        else:
            state = BillState.PAID
        states[visit_id] = (state, total, paid)
    return states


def waiting_to_pay(session: Session, branch_id: uuid.UUID | None, day: date) -> list[WaitingToPay]:
    """The branch's visits of ``day`` with a bill not paid in full, or done
    with the clinician and not billed yet, in the order they arrived."""
    states = {
        visit_id: value
        for visit_id, value in bill_states(session, branch_id, day).items()
        if value[0] != BillState.PAID
    }
    if not states:
        return []
    rows = session.execute(
        select(Visit.id, Visit.status, Visit.created_at, Patient)
        .join(Patient, Patient.id == Visit.patient_id)
        .where(Visit.id.in_(list(states)))
        .order_by(Visit.created_at)
    )
    return [
        WaitingToPay(
            visit_id=visit_id,
            patient_id=patient.id,
            op_number=patient.op_number,
            patient_name=patient.full_name,
            visit_status=status,
            arrived_at=arrived,
            state=states[visit_id][0],
            total_cents=states[visit_id][1],
            paid_cents=states[visit_id][2],
        )
        for visit_id, status, arrived, patient in rows
    ]


@dataclass(frozen=True)
class PriceItem:
    service_id: uuid.UUID
    code: str
    name: str
    kind: str
    price_cents: int


@dataclass(frozen=True)
class BillLine:
    """A line of a bill: a saved invoice line (``line_id`` set) or a draft
    line proposed from the visit (``service_id`` None when nothing on the
    price list matched ``description``)."""

    line_id: uuid.UUID | None
    service_id: uuid.UUID | None
    description: str
    quantity: int
    unit_price_cents: int | None
    source: str = ""

    @property
    def amount_cents(self) -> int | None:
        return None if self.unit_price_cents is None else self.unit_price_cents * self.quantity


@dataclass(frozen=True)
class PaymentRow:
    payment_id: uuid.UUID
    receipt_number: str | None
    method: str
    amount_cents: int
    reference: str | None
    received_at: datetime
    cashier_id: uuid.UUID
    cashier_name: str
    reverses: uuid.UUID | None
    reversal_reason: str | None
    reversed_by: str | None
    """The receipt number of the reversal that undid this payment."""


@dataclass(frozen=True)
class Bill:
    """A visit at the billing desk: who, its invoice (if made), lines,
    payments, and the price list to add from."""

    visit_id: uuid.UUID
    visit_date: date
    visit_status: VisitStatus
    patient_name: str
    op_number: str
    branch_code: str
    branch_name: str
    invoice_id: uuid.UUID | None
    invoice_status: InvoiceStatus | None
    lines: list[BillLine]
    payments: list[PaymentRow]
    total_cents: int
    paid_cents: int
    price_list: list[PriceItem]

    @property
    def balance_cents(self) -> int:
        return self.total_cents - self.paid_cents

    @property
    def lines_editable(self) -> bool:
        return self.invoice_id is None or (
            self.invoice_status != InvoiceStatus.CANCELLED and not self.payments
        )


def staff_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(list(ids))))
    return {user_id: name for user_id, name in rows}


def load_bill(session: Session, visit_id: uuid.UUID, today: date) -> Bill:
    """The visit's current (not cancelled) invoice with its lines and
    payments, or the lines ``propose_lines`` suggests when it has none.
    Raises LookupError for an unknown visit."""
    visit = session.get(Visit, visit_id)
    if visit is None or visit.deleted_at is not None:
        raise LookupError(f"No visit with id {visit_id}")
    patient = session.get(Patient, visit.patient_id)
    branch = session.get(Branch, visit.branch_id)
    assert patient is not None
    invoice = session.scalars(
        select(Invoice)
        .where(
            Invoice.visit_id == visit.id,
            Invoice.deleted_at.is_(None),
            Invoice.status != InvoiceStatus.CANCELLED,
        )
        .order_by(Invoice.issued_at.desc())
    ).first()
    lines: list[BillLine]
    payments: list[PaymentRow] = []
    if invoice is None:
        lines = [_draft(p) for p in propose_lines(visit.id, session=session)]
    else:
        lines = [
            BillLine(
                line_id=line.id,
                service_id=line.service_id,
                description=line.description,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
            )
            for line in invoice_lines(invoice.id, session=session)
        ]
        taken: list[Payment] = invoice_payments(invoice.id, session=session)
        names = staff_names(session, {p.cashier_id for p in taken})
        reversed_by = {p.reverses: p.receipt_number for p in taken if p.reverses is not None}
        payments = [
            PaymentRow(
                payment_id=p.id,
                receipt_number=p.receipt_number,
                method=p.method.value,
                amount_cents=p.amount_cents,
                reference=p.reference,
                received_at=p.received_at,
                cashier_id=p.cashier_id,
                cashier_name=names.get(p.cashier_id, ""),
                reverses=p.reverses,
                reversal_reason=p.reversal_reason,
                reversed_by=reversed_by.get(p.id),
            )
            for p in taken
        ]
    price_list = [
        PriceItem(
            service_id=p.service.id,
            code=p.service.code,
            name=p.service.name,
            kind=p.service.kind.value,
            price_cents=p.price_cents,
        )
        for p in list_services(session=session, day=visit.visit_date)
        if p.price_cents is not None
    ]
    total = (
        invoice.total_cents
        if invoice is not None
        else sum(line.amount_cents or 0 for line in lines)
    )
    return Bill(
        visit_id=visit.id,
        visit_date=visit.visit_date,
        visit_status=visit.status,
        patient_name=patient.full_name,
        op_number=patient.op_number,
        branch_code=branch.code if branch is not None else "",
        branch_name=branch.name if branch is not None else "",
        invoice_id=invoice.id if invoice is not None else None,
        invoice_status=invoice.status if invoice is not None else None,
        lines=lines,
        payments=payments,
        total_cents=total,
        paid_cents=sum(p.amount_cents for p in payments),
        price_list=price_list,
    )


def _draft(proposed: ProposedLine) -> BillLine:
    return BillLine(
        line_id=None,
        service_id=proposed.service_id,
        description=proposed.description,
        quantity=proposed.quantity,
        unit_price_cents=proposed.unit_price_cents,
        source=proposed.source,
    )
