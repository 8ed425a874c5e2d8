"""The price list and billing: services and their dated prices (admins set
them), invoices for visits, payments with receipts, reversals, and the
cashier's shift. Who may read and write what is ``clinic.permissions``'s;
money, invoices, payments and shifts are their branch's (an admin without
a branch acts for all); every write goes through ``clinic.billing.service``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice, Payment, Shift
from clinic.billing.rules import invoice_status
from clinic.billing.service import (
    LineInput,
    ShiftReport,
    close_shift,
    create_invoice,
    create_service,
    get_invoice,
    get_payment,
    get_service,
    get_shift,
    get_visit_for_billing,
    invoice_lines,
    list_services,
    open_shift,
    paid_on,
    price_on,
    record_payment,
    reverse_payment,
    set_price,
    shift_report,
    update_service,
)
from clinic.clock import clinic_today, day_bounds
from clinic.enums import InvoiceStatus, PaymentMethod, Role
from clinic.permissions import Data
from server.deps import (
    Caller,
    DbSession,
    own_branch_only,
    reader_of,
    working_branch,
    writer_of,
)
from server.errors import forbidden
from server.numbers import ensure_numbers
from server.schemas import (
    InvoiceCreate,
    InvoiceLineOut,
    InvoiceOut,
    MethodCashUpOut,
    PaymentIn,
    PaymentOut,
    PaymentTakenOut,
    PriceIn,
    PriceOut,
    ReversalIn,
    ServiceCreate,
    ServiceOut,
    ServiceUpdate,
    ShiftClose,
    ShiftOpen,
    ShiftOut,
    ShiftReportOut,
)

router = APIRouter(prefix="/api", tags=["billing"])

PriceReader = Annotated[Caller, Depends(reader_of(Data.PRICE_LIST))]
PriceWriter = Annotated[Caller, Depends(writer_of(Data.PRICE_LIST))]
InvoiceReader = Annotated[Caller, Depends(reader_of(Data.INVOICES))]
InvoiceWriter = Annotated[Caller, Depends(writer_of(Data.INVOICES))]
PaymentWriter = Annotated[Caller, Depends(writer_of(Data.PAYMENTS))]
ShiftWriter = Annotated[Caller, Depends(writer_of(Data.SHIFTS))]
ERRORS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


def _service_out(session: Session, service_id: uuid.UUID, day: date) -> ServiceOut:
    service = get_service(service_id, session=session)
    out = ServiceOut.model_validate(service)
    out.price_cents = price_on(service.id, day, session=session)
    return out


def _invoice_out(session: Session, invoice: Invoice) -> InvoiceOut:
    """The invoice with what is paid on it summed from its payments (the
    stored figure is the last till's view, which two tills paying one bill
    at once can leave behind)."""
    paid = paid_on(invoice.id, session=session)
    return InvoiceOut(
        id=invoice.id,
        visit_id=invoice.visit_id,
        patient_id=invoice.patient_id,
        branch_id=invoice.branch_id,
        status=invoice_status(
            invoice.total_cents, paid, cancelled=invoice.status == InvoiceStatus.CANCELLED
        ),
        total_cents=invoice.total_cents,
        paid_cents=paid,
        balance_cents=invoice.total_cents - paid,
        issued_at=invoice.issued_at,
        cancel_reason=invoice.cancel_reason,
        lines=[
            InvoiceLineOut.model_validate(x) for x in invoice_lines(invoice.id, session=session)
        ],
    )


def _report_out(report: ShiftReport) -> ShiftReportOut:
    expected = report.expected_by_method
    methods = []
    for method, totals in report.by_method.items():
        counted = report.counted_cash_cents if method == PaymentMethod.CASH else None
        methods.append(
            MethodCashUpOut(
                method=method,
                received_cents=totals.received_cents,
                reversed_cents=totals.reversed_cents,
                expected_cents=expected[method],
                counted_cents=counted,
                variance_cents=None if counted is None else counted - expected[method],
            )
        )
    return ShiftReportOut(
        shift=ShiftOut.model_validate(report.shift),
        methods=methods,
        payments=[PaymentOut.model_validate(p) for p in report.payments],
        reversals=[PaymentOut.model_validate(p) for p in report.reversals],
    )


# --- the price list ---------------------------------------------------------


@router.get("/services", response_model=list[ServiceOut], responses={401: {}, 403: {}})
def price_list(
    caller: PriceReader, session: DbSession, include_inactive: bool = False
) -> list[ServiceOut]:
    """The price list with today's prices and SHA intervention codes."""
    priced = list_services(session=session, day=clinic_today(), include_inactive=include_inactive)
    out = []
    for item in priced:
        row = ServiceOut.model_validate(item.service)
        row.price_cents = item.price_cents
        out.append(row)
    return out


@router.post("/services", response_model=ServiceOut, status_code=201, responses=ERRORS)
def add_service(body: ServiceCreate, caller: PriceWriter, session: DbSession) -> ServiceOut:
    """Add a service with its first price (from today unless said)."""
    today = clinic_today()
    service = create_service(
        body.code,
        body.name,
        body.kind,
        body.price_cents,
        session=session,
        actor=caller.actor(),
        effective_from=body.effective_from or today,
        sha_intervention_code=body.sha_intervention_code,
    )
    session.commit()
    return _service_out(session, service.id, today)


@router.patch("/services/{service_id}", response_model=ServiceOut, responses=ERRORS)
def edit_service(
    service_id: uuid.UUID, body: ServiceUpdate, caller: PriceWriter, session: DbSession
) -> ServiceOut:
    """Rename, set or clear (null) the SHA code, take off or back on the list."""
    sent = body.model_dump(exclude_unset=True)
    update_service(
        service_id,
        session=session,
        actor=caller.actor(),
        name=sent.get("name"),
        sha_intervention_code=sent.get("sha_intervention_code"),
        clear_sha_code="sha_intervention_code" in sent and sent["sha_intervention_code"] is None,
        active=sent.get("active"),
    )
    session.commit()
    return _service_out(session, service_id, clinic_today())


@router.post(
    "/services/{service_id}/prices", response_model=PriceOut, status_code=201, responses=ERRORS
)
def add_price(
    service_id: uuid.UUID, body: PriceIn, caller: PriceWriter, session: DbSession
) -> PriceOut:
    """A new price from a date (today or later); bills already made keep theirs."""
    price = set_price(
        service_id,
        body.price_cents,
        body.effective_from,
        session=session,
        actor=caller.actor(),
        today=clinic_today(),
    )
    session.commit()
    return PriceOut.model_validate(price)


# --- invoices -----------------------------------------------------------------


@router.post("/invoices", response_model=InvoiceOut, status_code=201, responses=ERRORS)
def bill_visit(body: InvoiceCreate, caller: InvoiceWriter, session: DbSession) -> InvoiceOut:
    """Bill a visit of the caller's branch at the prices of its date."""
    visit = get_visit_for_billing(body.visit_id, session=session)
    own_branch_only(caller, visit.branch_id, "visit")
    invoice = create_invoice(
        visit.id,
        [LineInput(line.service_id, line.quantity) for line in body.lines],
        session=session,
        actor=caller.actor(),
    )
    session.commit()
    return _invoice_out(session, invoice)


@router.get("/invoices", response_model=list[InvoiceOut], responses={401: {}, 403: {}, 422: {}})
def find_invoices(
    caller: InvoiceReader,
    session: DbSession,
    visit_id: uuid.UUID | None = None,
    status: InvoiceStatus | None = None,
    issued_on: Annotated[date | None, Query(alias="date")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[InvoiceOut]:
    """Invoices of the caller's branch (an admin's: all), newest first."""
    query = select(Invoice).where(Invoice.deleted_at.is_(None))
    if caller.branch_id is not None:
        query = query.where(Invoice.branch_id == caller.branch_id)
    if visit_id is not None:
        query = query.where(Invoice.visit_id == visit_id)
    if status is not None:
        query = query.where(Invoice.status == status)
    if issued_on is not None:
        start, end = day_bounds(issued_on)
        query = query.where(Invoice.issued_at >= start, Invoice.issued_at < end)
    invoices = session.scalars(query.order_by(Invoice.issued_at.desc()).limit(limit)).all()
    return [_invoice_out(session, invoice) for invoice in invoices]


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, responses=ERRORS)
def read_invoice(invoice_id: uuid.UUID, caller: InvoiceReader, session: DbSession) -> InvoiceOut:
    invoice = get_invoice(invoice_id, session=session)
    own_branch_only(caller, invoice.branch_id, "invoice")
    return _invoice_out(session, invoice)


# --- payments -------------------------------------------------------------------


def _taken_out(payment: Payment, change_cents: int, warnings: list[str]) -> PaymentTakenOut:
    out = PaymentTakenOut.model_validate(PaymentOut.model_validate(payment).model_dump())
    out.change_cents = change_cents
    out.warnings = warnings
    return out


@router.post("/payments", response_model=PaymentTakenOut, status_code=201, responses=ERRORS)
def take_payment(body: PaymentIn, caller: PaymentWriter, session: DbSession) -> PaymentTakenOut:
    """Take a payment: it answers with its receipt number, the change to give
    (cash) and warnings (an M-Pesa code used before, and where)."""
    invoice = get_invoice(body.invoice_id, session=session)
    own_branch_only(caller, invoice.branch_id, "invoice")
    actor = caller.actor()
    ensure_numbers(session, actor.device_id)
    taken = record_payment(
        invoice.id,
        body.method,
        body.amount_cents,
        body.reference,
        session=session,
        actor=actor,
        today=clinic_today(),
        tendered_cents=body.tendered_cents,
    )
    session.commit()
    return _taken_out(taken.payment, taken.change_cents, taken.warnings)


@router.post(
    "/payments/{payment_id}/reverse", response_model=PaymentOut, status_code=201, responses=ERRORS
)
def reverse(
    payment_id: uuid.UUID, body: ReversalIn, caller: PaymentWriter, session: DbSession
) -> PaymentOut:
    """Reverse a payment (once) with a reason: a negative payment with its own receipt."""
    own_branch_only(caller, get_payment(payment_id, session=session).branch_id, "payment")
    actor = caller.actor()
    ensure_numbers(session, actor.device_id)
    reversal = reverse_payment(
        payment_id, body.reason, session=session, actor=actor, today=clinic_today()
    )
    session.commit()
    return PaymentOut.model_validate(reversal)


# --- shifts -----------------------------------------------------------------------


def _shift_branch(session: Session, caller: Caller, code: str | None) -> uuid.UUID:
    return working_branch(session, caller, code, doing="open a shift")


@router.post("/shifts", response_model=ShiftOut, status_code=201, responses=ERRORS)
def start_shift(body: ShiftOpen, caller: ShiftWriter, session: DbSession) -> ShiftOut:
    """Open the caller's shift with the float in the drawer (one open at a time)."""
    branch_id = _shift_branch(session, caller, body.branch_code)
    shift = open_shift(body.opening_float_cents, session=session, actor=caller.actor(branch_id))
    session.commit()
    return ShiftOut.model_validate(shift)


@router.post("/shifts/{shift_id}/close", response_model=ShiftReportOut, responses=ERRORS)
def end_shift(
    shift_id: uuid.UUID, body: ShiftClose, caller: ShiftWriter, session: DbSession
) -> ShiftReportOut:
    """Close the caller's shift with the cash counted: expected, counted and
    variance by method, and the payments and reversals behind them."""
    shift: Shift = get_shift(shift_id, session=session)
    own_branch_only(caller, shift.branch_id, "shift")
    if caller.role != Role.ADMIN and shift.cashier_id != caller.user.id:
        raise forbidden(f"A {caller.role.value} closes only their own shift")
    close_shift(shift_id, body.counted_cash_cents, session=session, actor=caller.actor())
    session.commit()
    return _report_out(shift_report(shift_id, session=session))
