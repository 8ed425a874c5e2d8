"""What the shift screens show, as plain data read on the database thread.

The billing domain (:mod:`clinic.billing.service`) answers ORM rows; these
functions turn them into frozen dataclasses before they cross to the GUI
thread (``DbRunner`` callbacks receive plain data only). Each takes the
session as a keyword and writes nothing.

Two small queries live here rather than in ``clinic/`` (the billing domain is
still being polished on its own branch): the names of the cashiers of a set
of shifts, and the receipts/patients behind a shift's payments. They only
read, and are candidates to move into ``clinic/billing/queries.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.models import Invoice
from clinic.billing.service import (
    CashUp,
    MethodTotals,
    ShiftReport,
    branch_cash_up,
    open_shift_of,
    shift_report,
)
from clinic.enums import PaymentMethod
from clinic.org.models import Branch, Device, User
from clinic.patients.models import Patient


@dataclass(frozen=True)
class PaymentRow:
    """One payment or reversal of a shift, as the list shows it."""

    payment_id: uuid.UUID
    received_at: datetime
    receipt_number: str | None
    method: PaymentMethod
    amount_cents: int
    reference: str | None
    patient: str
    reversal_reason: str | None

    @property
    def is_reversal(self) -> bool:
        return self.amount_cents < 0


@dataclass(frozen=True)
class MethodLine:
    """A payment method's totals in a shift: received, given back, and the
    expected amount (for cash: the float plus the net cash)."""

    method: PaymentMethod
    received_cents: int
    reversed_cents: int
    expected_cents: int


@dataclass(frozen=True)
class ShiftView:
    shift_id: uuid.UUID
    cashier: str
    device: str
    branch: str
    opened_at: datetime
    closed_at: datetime | None
    opening_float_cents: int
    expected_cash_cents: int
    counted_cash_cents: int | None
    variance_cents: int | None
    methods: tuple[MethodLine, ...]
    payments: tuple[PaymentRow, ...]
    """Payments and reversals in the order they were taken."""

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def cash_taken_cents(self) -> int:
        """Cash received less cash given back (without the float)."""
        return self.expected_cash_cents - self.opening_float_cents

    @property
    def payment_count(self) -> int:
        return sum(1 for p in self.payments if not p.is_reversal)

    @property
    def reversal_count(self) -> int:
        return sum(1 for p in self.payments if p.is_reversal)


@dataclass(frozen=True)
class CashUpView:
    branch: str
    day: date
    shifts: tuple[ShiftView, ...]
    methods: tuple[MethodLine, ...]
    expected_cash_cents: int
    counted_cash_cents: int
    variance_cents: int
    open_shifts: int


def _method_lines(
    by_method: dict[PaymentMethod, MethodTotals], expected_cash_cents: int
) -> tuple[MethodLine, ...]:
    """Every method with money in it; cash always (the float is cash)."""
    lines = []
    for method in PaymentMethod:
        totals = by_method.get(method, MethodTotals())
        if method != PaymentMethod.CASH and not (totals.received_cents or totals.reversed_cents):
            continue
        expected = expected_cash_cents if method == PaymentMethod.CASH else totals.net_cents
        lines.append(MethodLine(method, totals.received_cents, totals.reversed_cents, expected))
    return tuple(lines)


def _names(
    session: Session, model: type[User | Device | Branch], ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    """Names by id: users' full names, devices' and branches' names."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    column = User.full_name if model is User else model.name  # type: ignore[union-attr]
    rows = session.execute(select(model.id, column).where(model.id.in_(wanted))).all()
    return {row[0]: str(row[1]) for row in rows}


def _payment_rows(session: Session, report: ShiftReport) -> tuple[PaymentRow, ...]:
    payments = sorted(
        [*report.payments, *report.reversals], key=lambda p: (p.received_at, str(p.id))
    )
    invoice_ids = {p.invoice_id for p in payments}
    patients: dict[uuid.UUID, str] = {}
    if invoice_ids:
        for invoice_id, first, last, op in session.execute(
            select(Invoice.id, Patient.first_name, Patient.last_name, Patient.op_number)
            .join(Patient, Patient.id == Invoice.patient_id)
            .where(Invoice.id.in_(invoice_ids))
        ):
            name = " ".join(x for x in (first, last) if x)
            patients[invoice_id] = f"{name} ({op})" if op else name
    return tuple(
        PaymentRow(
            payment_id=p.id,
            received_at=p.received_at,
            receipt_number=p.receipt_number,
            method=p.method,
            amount_cents=p.amount_cents,
            reference=p.reference,
            patient=patients.get(p.invoice_id, ""),
            reversal_reason=p.reversal_reason,
        )
        for p in payments
    )


def _shift_view(
    session: Session,
    report: ShiftReport,
    cashiers: dict[uuid.UUID, str],
    devices: dict[uuid.UUID, str],
    branches: dict[uuid.UUID, str],
) -> ShiftView:
    shift = report.shift
    return ShiftView(
        shift_id=shift.id,
        cashier=cashiers.get(shift.cashier_id, ""),
        device=devices.get(shift.device_id, "") if shift.device_id else "",
        branch=branches.get(shift.branch_id, ""),
        opened_at=shift.opened_at,
        closed_at=shift.closed_at,
        opening_float_cents=shift.opening_float_cents,
        expected_cash_cents=report.expected_cash_cents,
        counted_cash_cents=report.counted_cash_cents,
        variance_cents=report.variance_cents,
        methods=_method_lines(report.by_method, report.expected_cash_cents),
        payments=_payment_rows(session, report),
    )


def shift_view(shift_id: uuid.UUID, *, session: Session) -> ShiftView:
    """A shift with its totals and payments (LookupError if there is none)."""
    report = shift_report(shift_id, session=session)
    shift = report.shift
    return _shift_view(
        session,
        report,
        _names(session, User, [shift.cashier_id]),
        _names(session, Device, [shift.device_id]),
        _names(session, Branch, [shift.branch_id]),
    )


def my_open_shift(*, session: Session, actor: Actor) -> ShiftView | None:
    """The actor's open shift on this PC, or None."""
    shift = open_shift_of(session, actor)
    return shift_view(shift.id, session=session) if shift is not None else None


def cash_up_view(branch_id: uuid.UUID, day: date, *, session: Session) -> CashUpView:
    """The branch's day: every shift this store holds (other PCs' once synced)."""
    cash_up: CashUp = branch_cash_up(branch_id, day, session=session)
    shifts = [r.shift for r in cash_up.shifts]
    cashiers = _names(session, User, [s.cashier_id for s in shifts])
    devices = _names(session, Device, [s.device_id for s in shifts if s.device_id])
    branches = _names(session, Branch, [branch_id])
    return CashUpView(
        branch=branches.get(branch_id, ""),
        day=day,
        shifts=tuple(_shift_view(session, r, cashiers, devices, branches) for r in cash_up.shifts),
        methods=_method_lines(cash_up.by_method, cash_up.expected_cash_cents),
        expected_cash_cents=cash_up.expected_cash_cents,
        counted_cash_cents=cash_up.counted_cash_cents,
        variance_cents=cash_up.variance_cents,
        open_shifts=cash_up.open_shifts,
    )
