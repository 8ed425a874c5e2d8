"""Billing at the desk: the price list, invoices for visits, payments split
across methods, reversals, and the cashier's shift with its cash-up.

Services take the session as a keyword; the caller owns the transaction.
Every write goes through :mod:`clinic.journal.service` (its outbox entry and
audit event). Bad input raises :class:`~clinic.errors.InvalidValue` or
:class:`~clinic.errors.ValidationFailed` naming the field; a step the
workflow forbids raises :class:`~clinic.errors.NotAllowed`; a row that does
not exist raises LookupError. Nothing is written when one is raised.

Amounts are integer cents of KES. An invoice's ``paid_cents`` and ``status``
follow from its payments (:func:`refresh_invoice`); payments are never
edited or deleted, a reversal is a negative payment pointing at the one it
undoes. M-Pesa codes are not unique in the database: offline PCs cannot
coordinate them, so a code seen before is a warning for the cashier.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.models import Invoice, InvoiceLine, Payment, Service, ServicePrice, Shift
from clinic.billing.mpesa import TakenPayment
from clinic.billing.rules import (
    REASON_MAX,
    check_payment_values,
    clean_reference,
    clean_text,
    invoice_status,
)
from clinic.clock import NAIROBI, day_bounds
from clinic.db import utcnow
from clinic.enums import InvoiceStatus, LabStatus, PaymentMethod, Role, ServiceKind, VisitStatus
from clinic.errors import FieldError, Forbidden, InvalidValue, NotAllowed, ValidationFailed
from clinic.journal.service import (
    is_central,
    record_audit,
    record_insert,
    record_update,
    snapshot,
)
from clinic.numbering.service import next_number
from clinic.org.models import Branch
from clinic.paths import resources_dir
from clinic.patients.models import Patient
from clinic.permissions import Data, may_write
from clinic.rules.money import check_amount, format_kes, parse_kes
from clinic.rules.numbers import NumberKind
from clinic.visits.models import LabRequest, Prescription, Visit

MAX_QUANTITY = 10_000
STARTER_PRICES_FROM = date(2000, 1, 1)
"""The starter price list applies to every date: a clinic's own prices replace it from a date on."""
CONSULTATION_NEW = "CONS-NEW"
CONSULTATION_REVISIT = "CONS-RE"


# --- the price list ------------------------------------------------------------


@dataclass(frozen=True)
class PriceListRow:
    code: str
    name: str
    kind: ServiceKind
    price_cents: int
    sha_intervention_code: str | None


def price_list_file() -> Path:
    return resources_dir() / "price_list.csv"


def read_price_list(path: Path) -> list[PriceListRow]:
    """The rows of a price-list CSV (code, name, kind, price_kes,
    sha_intervention_code). Raises ValidationFailed naming each bad line."""
    rows: list[PriceListRow] = []
    errors: list[FieldError] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, record in enumerate(csv.DictReader(handle), start=2):
            try:
                rows.append(
                    PriceListRow(
                        code=_code(record.get("code"), f"line {number}: code"),
                        name=clean_text(
                            record.get("name"),
                            f"line {number}: name",
                            max_length=200,
                            required="Name the service",
                        )
                        or "",
                        kind=_kind(record.get("kind"), f"line {number}: kind"),
                        price_cents=check_amount(
                            parse_kes(record.get("price_kes") or "", f"line {number}: price_kes"),
                            f"line {number}: price_kes",
                            allow_zero=True,
                        ),
                        sha_intervention_code=clean_text(
                            record.get("sha_intervention_code"),
                            f"line {number}: sha_intervention_code",
                            max_length=32,
                            required=None,
                        ),
                    )
                )
            except InvalidValue as error:
                errors.append(FieldError(error.field, error.reason))
    if errors:
        raise ValidationFailed(errors)
    return rows


def _code(value: str | None, field_name: str) -> str:
    text = clean_text(value, field_name, max_length=32, required="Give the service a short code")
    return (text or "").upper()


def _kind(value: object, field_name: str) -> ServiceKind:
    try:
        return ServiceKind(str(value or "").strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in ServiceKind)
        raise InvalidValue(field_name, f"Choose one of {kinds}") from None


def seed_price_list(
    *,
    session: Session,
    actor: Actor,
    path: Path | None = None,
    effective_from: date = STARTER_PRICES_FROM,
) -> int:
    """Load the starter price list into an empty price list (once: with any
    service already there it does nothing). Returns how many services it added.

    The starter prices are typical of a Nairobi level-2/3 clinic, and its SHA
    intervention codes are placeholders marking what SHA pays: an admin
    replaces them with the codes of SHA's current tariff before claiming."""
    if session.scalar(select(func.count()).select_from(Service)):
        return 0
    rows = read_price_list(path or price_list_file())
    for row in rows:
        service = Service(
            code=row.code,
            name=row.name,
            kind=row.kind,
            sha_intervention_code=row.sha_intervention_code,
            active=True,
        )
        record_insert(session, actor, service, action="add_service")
        price = ServicePrice(
            service_id=service.id, price_cents=row.price_cents, effective_from=effective_from
        )
        record_insert(session, actor, price, action="set_service_price")
    return len(rows)


def check_price_writer(actor: Actor) -> None:
    """Only roles that may write the price list change it (an admin); an
    actor without a role is the system (the starter list, the demo).
    Raises Forbidden."""
    if actor.role is not None and not may_write(actor.role, Data.PRICE_LIST):
        raise Forbidden(f"A {actor.role.value} may not change the price list")


def get_service(service_id: uuid.UUID, *, session: Session) -> Service:
    service = session.get(Service, service_id)
    if service is None or service.deleted_at is not None:
        raise LookupError(f"No service with id {service_id}")
    return service


def price_on(service_id: uuid.UUID, day: date, *, session: Session) -> int | None:
    """The service's price in cents on ``day``: the latest price effective on
    or before it (of two set for the same day, the later written). None when
    it had no price yet."""
    return prices_on([service_id], day, session=session).get(service_id)


def prices_on(
    service_ids: Collection[uuid.UUID], day: date, *, session: Session
) -> dict[uuid.UUID, int]:
    """:func:`price_on` for several services in one query: each service's
    price on ``day``, services without one left out."""
    if not service_ids:
        return {}
    rows = session.execute(
        select(ServicePrice.service_id, ServicePrice.price_cents)
        .where(
            ServicePrice.service_id.in_(set(service_ids)),
            ServicePrice.effective_from <= day,
            ServicePrice.deleted_at.is_(None),
        )
        .order_by(ServicePrice.effective_from.desc(), ServicePrice.created_at.desc())
    )
    prices: dict[uuid.UUID, int] = {}
    for service_id, price in rows:
        prices.setdefault(service_id, int(price))
    return prices


@dataclass(frozen=True)
class PricedService:
    service: Service
    price_cents: int | None


def list_services(
    *, session: Session, day: date, include_inactive: bool = False
) -> list[PricedService]:
    """The price list with each service's price on ``day``, by kind then name."""
    query = select(Service).where(Service.deleted_at.is_(None))
    if not include_inactive:
        query = query.where(Service.active.is_(True))
    services = session.scalars(query.order_by(Service.kind, Service.name)).all()
    prices = prices_on([s.id for s in services], day, session=session)
    return [PricedService(s, prices.get(s.id)) for s in services]


def create_service(
    code: str,
    name: str,
    kind: ServiceKind | str,
    price_cents: int,
    *,
    session: Session,
    actor: Actor,
    effective_from: date,
    sha_intervention_code: str | None = None,
) -> Service:
    """Add a service to the price list with its first price. Raises
    Forbidden for an actor who may not change the price list,
    ValidationFailed for bad values or a code already listed."""
    check_price_writer(actor)
    errors: list[FieldError] = []
    values: dict[str, object] = {}
    checks = (
        ("code", lambda: _code(code, "code")),
        ("name", lambda: clean_text(name, "name", max_length=200, required="Name the service")),
        ("kind", lambda: _kind(kind, "kind")),
        ("price_cents", lambda: check_amount(price_cents, "price_cents", allow_zero=True)),
        (
            "sha_intervention_code",
            lambda: clean_text(
                sha_intervention_code, "sha_intervention_code", max_length=32, required=None
            ),
        ),
    )
    for name_, check in checks:
        try:
            values[name_] = check()
        except InvalidValue as error:
            errors.append(FieldError(error.field, error.reason))
    if errors:
        raise ValidationFailed(errors)
    taken = session.scalar(
        select(Service.id).where(Service.code == values["code"], Service.deleted_at.is_(None))
    )
    if taken is not None:
        raise ValidationFailed(
            [FieldError("code", f"{values['code']} is already on the price list")]
        )
    service = Service(
        code=values["code"],
        name=values["name"],
        kind=values["kind"],
        sha_intervention_code=values["sha_intervention_code"],
        active=True,
    )
    record_insert(session, actor, service, action="add_service")
    price = ServicePrice(
        service_id=service.id, price_cents=values["price_cents"], effective_from=effective_from
    )
    record_insert(session, actor, price, action="set_service_price")
    return service


def update_service(
    service_id: uuid.UUID,
    *,
    session: Session,
    actor: Actor,
    name: str | None = None,
    sha_intervention_code: str | None = None,
    clear_sha_code: bool = False,
    active: bool | None = None,
) -> Service:
    """Rename a service, set or clear its SHA intervention code, or take it
    off (``active`` False) or back on the list. Prices change with
    :func:`set_price`, from a date. Raises Forbidden for an actor who may
    not change the price list, InvalidValue naming the field."""
    check_price_writer(actor)
    service = get_service(service_id, session=session)
    before = snapshot(service)
    if name is not None:
        service.name = clean_text(name, "name", max_length=200, required="Name the service") or ""
    if sha_intervention_code is not None:
        service.sha_intervention_code = clean_text(
            sha_intervention_code, "sha_intervention_code", max_length=32, required=None
        )
    elif clear_sha_code:
        service.sha_intervention_code = None
    if active is not None:
        service.active = active
    record_update(session, actor, service, before, action="update_service")
    return service


def set_price(
    service_id: uuid.UUID,
    price_cents: int,
    effective_from: date,
    *,
    session: Session,
    actor: Actor,
    today: date,
) -> ServicePrice:
    """A new price from ``effective_from`` (today or later: bills already
    made keep the price they were made with, and days gone by keep theirs).
    Raises Forbidden for an actor who may not change the price list,
    InvalidValue naming the field."""
    check_price_writer(actor)
    get_service(service_id, session=session)
    check_amount(price_cents, "price_cents", allow_zero=True)
    if effective_from < today:
        raise InvalidValue(
            "effective_from", "A new price starts today or later; past days keep their prices"
        )
    price = ServicePrice(
        service_id=service_id, price_cents=price_cents, effective_from=effective_from
    )
    record_insert(session, actor, price, action="set_service_price")
    return price


# --- invoices --------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    service_id: uuid.UUID
    quantity: int = 1


@dataclass(frozen=True)
class ProposedLine:
    """A line the visit suggests; ``service_id`` None when nothing on the
    price list matched ``description`` (the cashier picks one)."""

    service_id: uuid.UUID | None
    description: str
    quantity: int
    unit_price_cents: int | None
    source: str

    @property
    def amount_cents(self) -> int | None:
        return None if self.unit_price_cents is None else self.unit_price_cents * self.quantity


def get_visit_for_billing(visit_id: uuid.UUID, *, session: Session) -> Visit:
    visit = session.get(Visit, visit_id)
    if visit is None or visit.deleted_at is not None:
        raise LookupError(f"No visit with id {visit_id}")
    return visit


def match_service(
    session: Session, listed: Sequence[Service], service_id: uuid.UUID | None, name: str
) -> Service | None:
    """The service a request names: by id, else by name among ``listed``
    (the active price list): the same name, else the shortest listed name
    that starts with what was written or holds it ("Amoxicillin 500 mg" on
    the prescription, "Amoxicillin 500 mg capsule" on the list)."""
    if service_id is not None:
        service = session.get(Service, service_id)
        if service is not None and service.deleted_at is None:
            return service
    wanted = " ".join(name.lower().split())
    if not wanted:
        return None
    names = [(" ".join(s.name.lower().split()), s) for s in listed]
    for found in (
        [s for n, s in names if n == wanted],
        [s for n, s in names if n.startswith(wanted)],
        [s for n, s in names if n in wanted or wanted in n],
    ):
        if found:
            return min(found, key=lambda s: len(s.name))
    return None


def propose_lines(visit_id: uuid.UUID, *, session: Session) -> list[ProposedLine]:
    """The lines a visit's bill starts from: the consultation (new or
    revisit), its lab requests (not cancelled) and its prescriptions with
    their quantities, matched to the price list by ``service_id`` or name and
    priced on the visit's date."""
    visit = get_visit_for_billing(visit_id, session=session)
    day = visit.visit_date
    found: list[tuple[Service | None, str, int, str]] = []
    listed = session.scalars(
        select(Service).where(Service.deleted_at.is_(None), Service.active.is_(True))
    ).all()
    code = CONSULTATION_NEW if visit.is_new else CONSULTATION_REVISIT
    consultation = session.scalar(
        select(Service).where(Service.code == code, Service.deleted_at.is_(None))
    )
    found.append(
        (
            consultation,
            "Consultation (new)" if visit.is_new else "Consultation (revisit)",
            1,
            "consultation",
        )
    )
    labs = session.scalars(
        select(LabRequest)
        .where(LabRequest.visit_id == visit.id, LabRequest.deleted_at.is_(None))
        .order_by(LabRequest.created_at)
    ).all()
    for lab in labs:
        if lab.status == LabStatus.CANCELLED:
            continue
        found.append(
            (match_service(session, listed, lab.service_id, lab.test_name), lab.test_name, 1, "lab")
        )
    prescriptions = session.scalars(
        select(Prescription)
        .where(Prescription.visit_id == visit.id, Prescription.deleted_at.is_(None))
        .order_by(Prescription.created_at)
    ).all()
    for p in prescriptions:
        found.append(
            (
                match_service(session, listed, p.service_id, p.drug),
                p.drug,
                p.quantity,
                "prescription",
            )
        )
    prices = prices_on([s.id for s, *_ in found if s is not None], day, session=session)
    return [
        ProposedLine(
            service_id=service.id if service is not None else None,
            description=service.name if service is not None else description,
            quantity=quantity,
            unit_price_cents=prices.get(service.id) if service is not None else None,
            source=source,
        )
        for service, description, quantity, source in found
    ]


def get_invoice(invoice_id: uuid.UUID, *, session: Session) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.deleted_at is not None:
        raise LookupError(f"No invoice with id {invoice_id}")
    return invoice


def invoice_lines(invoice_id: uuid.UUID, *, session: Session) -> list[InvoiceLine]:
    return list(
        session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice_id, InvoiceLine.deleted_at.is_(None))
            .order_by(InvoiceLine.created_at, InvoiceLine.id)
        )
    )


def invoice_payments(invoice_id: uuid.UUID, *, session: Session) -> list[Payment]:
    """The invoice's payments and reversals, in the order they were taken."""
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.invoice_id == invoice_id, Payment.deleted_at.is_(None))
            .order_by(Payment.received_at, Payment.id)
        )
    )


def check_own_branch(actor: Actor, branch_id: uuid.UUID, what: str) -> None:
    """Refuse (NotAllowed) work on another branch's ``what``; an actor
    without a branch (an admin of all branches) works on every branch's."""
    if actor.branch_id is not None and actor.branch_id != branch_id:
        raise NotAllowed(f"This {what} belongs to another branch; work on your own branch's")


def _check_quantity(quantity: object, field_name: str) -> int:
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 1 <= quantity <= MAX_QUANTITY
    ):
        raise InvalidValue(
            field_name, f"Quantity must be a whole number from 1 to {MAX_QUANTITY:,}"
        )
    return quantity


PriceList = tuple[dict[uuid.UUID, Service], dict[uuid.UUID, int]]
"""Services by id and their prices on a day (:func:`_price_list`)."""


def _price_list(service_ids: Collection[uuid.UUID], day: date, *, session: Session) -> PriceList:
    """The services that bill lines name, and their prices on ``day``: two
    queries for a whole bill, not one per line."""
    wanted = set(service_ids)
    services = session.scalars(select(Service).where(Service.id.in_(wanted))).all()
    return {s.id: s for s in services}, prices_on(wanted, day, session=session)


def _priced_line(
    line: LineInput, day: date, field_name: str, price_list: PriceList
) -> tuple[Service, int, int]:
    """A line's service, quantity and unit price on ``day``, read from
    ``price_list`` (:func:`_price_list` for the lines' services)."""
    services, prices = price_list
    quantity = _check_quantity(line.quantity, f"{field_name}.quantity")
    service = services.get(line.service_id)
    if service is None or service.deleted_at is not None:
        raise InvalidValue(f"{field_name}.service_id", "No such service on the price list")
    if not service.active:
        raise InvalidValue(f"{field_name}.service_id", f"{service.name} is off the price list")
    price = prices.get(service.id)
    if price is None:
        raise InvalidValue(
            f"{field_name}.service_id", f"{service.name} has no price on {day.isoformat()}; set one"
        )
    return service, quantity, price


def paid_on(invoice_id: uuid.UUID, *, session: Session) -> int:
    """What the invoice's payments add up to, reversals taken off: every
    payment this store holds, the other PCs' once synced."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
                Payment.invoice_id == invoice_id, Payment.deleted_at.is_(None)
            )
        )
        or 0
    )


def _refresh_totals(session: Session, invoice: Invoice, paid_cents: int | None = None) -> None:
    invoice.total_cents = int(
        session.scalar(
            select(func.coalesce(func.sum(InvoiceLine.amount_cents), 0)).where(
                InvoiceLine.invoice_id == invoice.id, InvoiceLine.deleted_at.is_(None)
            )
        )
        or 0
    )
    invoice.paid_cents = paid_on(invoice.id, session=session) if paid_cents is None else paid_cents
    invoice.status = invoice_status(
        invoice.total_cents,
        invoice.paid_cents,
        cancelled=invoice.status == InvoiceStatus.CANCELLED,
    )


def refresh_invoice(invoice: Invoice, *, session: Session, actor: Actor) -> Invoice:
    """Recompute the invoice's total from its lines, and its paid amount and
    status from its payments, recording the change if any."""
    before = snapshot(invoice)
    session.flush()
    _refresh_totals(session, invoice)
    record_update(session, actor, invoice, before, action="refresh_invoice")
    return invoice


def create_invoice(
    visit_id: uuid.UUID, lines: Sequence[LineInput], *, session: Session, actor: Actor
) -> Invoice:
    """Bill a visit: one line per service at its price on the visit's date
    (later price changes never change it). Raises ValidationFailed naming
    each bad line (``lines[1].quantity``), NotAllowed for another branch's
    or a cancelled visit."""
    visit = get_visit_for_billing(visit_id, session=session)
    check_own_branch(actor, visit.branch_id, "visit")
    if visit.status == VisitStatus.CANCELLED:
        raise NotAllowed("The visit was cancelled; it is not billed")
    if not lines:
        raise ValidationFailed([FieldError("lines", "Add at least one service to the bill")])
    priced: list[tuple[Service, int, int]] = []
    errors: list[FieldError] = []
    price_list = _price_list([line.service_id for line in lines], visit.visit_date, session=session)
    for index, line in enumerate(lines, start=1):
        try:
            priced.append(_priced_line(line, visit.visit_date, f"lines[{index}]", price_list))
        except InvalidValue as error:
            errors.append(FieldError(error.field, error.reason))
    if errors:
        raise ValidationFailed(errors)
    total = sum(price * quantity for _, quantity, price in priced)
    check_amount(total, "lines", allow_zero=True)
    invoice = Invoice(
        visit_id=visit.id,
        patient_id=visit.patient_id,
        branch_id=visit.branch_id,
        status=InvoiceStatus.OPEN,
        total_cents=total,
        paid_cents=0,
        issued_at=utcnow(),
    )
    record_insert(session, actor, invoice, action="create_invoice")
    for service, quantity, price in priced:
        record_insert(
            session,
            actor,
            InvoiceLine(
                invoice_id=invoice.id,
                service_id=service.id,
                description=service.name,
                quantity=quantity,
                unit_price_cents=price,
                amount_cents=price * quantity,
            ),
            action="add_invoice_line",
        )
    return invoice


def _editable(session: Session, invoice: Invoice, actor: Actor) -> None:
    check_own_branch(actor, invoice.branch_id, "invoice")
    if invoice.status == InvoiceStatus.CANCELLED:
        raise NotAllowed("The invoice is cancelled; make a new one")
    if invoice_payments(invoice.id, session=session):
        raise NotAllowed("Payments were taken on this invoice; its lines no longer change")


def add_line(
    invoice_id: uuid.UUID, line: LineInput, *, session: Session, actor: Actor
) -> InvoiceLine:
    """Add a service to an unpaid invoice, at its price on the visit's date."""
    invoice = get_invoice(invoice_id, session=session)
    _editable(session, invoice, actor)
    visit = session.get(Visit, invoice.visit_id) if invoice.visit_id else None
    day = visit.visit_date if visit is not None else invoice.issued_at.astimezone(NAIROBI).date()
    price_list = _price_list([line.service_id], day, session=session)
    service, quantity, price = _priced_line(line, day, "line", price_list)
    row = InvoiceLine(
        invoice_id=invoice.id,
        service_id=service.id,
        description=service.name,
        quantity=quantity,
        unit_price_cents=price,
        amount_cents=price * quantity,
    )
    record_insert(session, actor, row, action="add_invoice_line")
    refresh_invoice(invoice, session=session, actor=actor)
    return row


def _line(session: Session, line_id: uuid.UUID) -> InvoiceLine:
    line = session.get(InvoiceLine, line_id)
    if line is None or line.deleted_at is not None:
        raise LookupError(f"No invoice line with id {line_id}")
    return line


def remove_line(line_id: uuid.UUID, *, session: Session, actor: Actor) -> Invoice:
    """Take a line off an unpaid invoice."""
    line = _line(session, line_id)
    invoice = get_invoice(line.invoice_id, session=session)
    _editable(session, invoice, actor)
    before = snapshot(line)
    line.deleted_at = utcnow()
    record_update(session, actor, line, before, action="remove_invoice_line")
    return refresh_invoice(invoice, session=session, actor=actor)


def change_quantity(
    line_id: uuid.UUID, quantity: int, *, session: Session, actor: Actor
) -> InvoiceLine:
    """Change how many of a line's service an unpaid invoice bills."""
    line = _line(session, line_id)
    invoice = get_invoice(line.invoice_id, session=session)
    _editable(session, invoice, actor)
    before = snapshot(line)
    line.quantity = _check_quantity(quantity, "quantity")
    line.amount_cents = line.unit_price_cents * line.quantity
    record_update(session, actor, line, before, action="change_invoice_line")
    refresh_invoice(invoice, session=session, actor=actor)
    return line


def cancel_invoice(
    invoice_id: uuid.UUID, reason: str, *, session: Session, actor: Actor
) -> Invoice:
    """Cancel an invoice nothing is paid on (reverse its payments first);
    the reason is kept with it."""
    invoice = get_invoice(invoice_id, session=session)
    check_own_branch(actor, invoice.branch_id, "invoice")
    text = clean_text(
        reason, "reason", max_length=REASON_MAX, required="Say why the invoice is cancelled"
    )
    if invoice.status == InvoiceStatus.CANCELLED:
        raise NotAllowed("The invoice is already cancelled")
    paid = paid_on(invoice.id, session=session)
    if paid != 0:
        raise NotAllowed(f"{format_kes(paid)} is paid on this invoice; reverse the payments first")
    before = snapshot(invoice)
    invoice.status = InvoiceStatus.CANCELLED
    invoice.cancel_reason = text
    record_update(session, actor, invoice, before, action="cancel_invoice")
    return invoice


# --- shifts ------------------------------------------------------------------------


def open_shift_of(session: Session, actor: Actor) -> Shift | None:
    """The actor's open shift on this device, if any."""
    return session.scalars(
        select(Shift).where(
            Shift.cashier_id == actor.user_id,
            Shift.device_id == actor.device_id,
            Shift.closed_at.is_(None),
            Shift.deleted_at.is_(None),
        )
    ).first()


def open_shift(opening_float_cents: int, *, session: Session, actor: Actor) -> Shift:
    """Start the actor's shift at this device with the cash float in the
    drawer. One open shift per cashier per device: NotAllowed for a second."""
    if actor.user_id is None or actor.branch_id is None:
        raise NotAllowed("A shift belongs to a cashier at a branch; log in at a branch")
    check_amount(opening_float_cents, "opening_float_cents", allow_zero=True)
    if open_shift_of(session, actor) is not None:
        raise NotAllowed("You already have an open shift on this PC; close it first")
    shift = Shift(
        branch_id=actor.branch_id,
        cashier_id=actor.user_id,
        opened_at=utcnow(),
        opening_float_cents=opening_float_cents,
    )
    record_insert(session, actor, shift, action="open_shift")
    return shift


def get_shift(shift_id: uuid.UUID, *, session: Session) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None or shift.deleted_at is not None:
        raise LookupError(f"No shift with id {shift_id}")
    return shift


@dataclass(frozen=True)
class MethodTotals:
    received_cents: int = 0
    reversed_cents: int = 0
    """As a positive amount: what was given back."""

    @property
    def net_cents(self) -> int:
        return self.received_cents - self.reversed_cents


@dataclass(frozen=True)
class ShiftReport:
    """What a shift took, by method, and its cash-up. Expected cash is the
    float plus cash taken less cash given back by reversals."""

    shift: Shift
    payments: list[Payment]
    reversals: list[Payment]
    by_method: dict[PaymentMethod, MethodTotals]
    expected_cash_cents: int
    counted_cash_cents: int | None
    variance_cents: int | None

    @property
    def expected_by_method(self) -> dict[PaymentMethod, int]:
        expected = {m: t.net_cents for m, t in self.by_method.items()}
        expected[PaymentMethod.CASH] = self.expected_cash_cents
        return expected


def _method_totals(payments: Sequence[Payment]) -> dict[PaymentMethod, MethodTotals]:
    totals = {m: MethodTotals() for m in PaymentMethod}
    for p in payments:
        t = totals[p.method]
        if p.amount_cents >= 0:
            totals[p.method] = MethodTotals(t.received_cents + p.amount_cents, t.reversed_cents)
        else:
            totals[p.method] = MethodTotals(t.received_cents, t.reversed_cents - p.amount_cents)
    return totals


RECEIVED_SUM = func.coalesce(
    func.sum(case((Payment.amount_cents > 0, Payment.amount_cents), else_=0)), 0
)
"""In a query over payments: what was received (reversals left out)."""
GIVEN_BACK_SUM = func.coalesce(
    func.sum(case((Payment.amount_cents < 0, -Payment.amount_cents), else_=0)), 0
)
"""In a query over payments: what reversals gave back, as a positive amount."""


@dataclass(frozen=True)
class ShiftCashUp:
    """A shift's takings by method and its cash-up, without the payments
    themselves: the rule of :class:`ShiftReport` for many shifts at once."""

    shift: Shift
    by_method: dict[PaymentMethod, MethodTotals]
    expected_cash_cents: int
    counted_cash_cents: int | None
    variance_cents: int | None

    @classmethod
    def of(cls, shift: Shift, by_method: dict[PaymentMethod, MethodTotals]) -> ShiftCashUp:
        """Expected cash is the float plus cash taken less cash given back;
        the variance is counted less expected (negative is short)."""
        expected = shift.opening_float_cents + by_method[PaymentMethod.CASH].net_cents
        counted = shift.counted_cash_cents
        return cls(
            shift=shift,
            by_method=by_method,
            expected_cash_cents=expected,
            counted_cash_cents=counted,
            variance_cents=None if counted is None else counted - expected,
        )


def shift_report(shift_id: uuid.UUID, *, session: Session) -> ShiftReport:
    shift = get_shift(shift_id, session=session)
    rows = list(
        session.scalars(
            select(Payment)
            .where(Payment.shift_id == shift.id, Payment.deleted_at.is_(None))
            .order_by(Payment.received_at, Payment.id)
        )
    )
    cash_up = ShiftCashUp.of(shift, _method_totals(rows))
    return ShiftReport(
        shift=shift,
        payments=[p for p in rows if p.amount_cents > 0],
        reversals=[p for p in rows if p.amount_cents < 0],
        by_method=cash_up.by_method,
        expected_cash_cents=cash_up.expected_cash_cents,
        counted_cash_cents=cash_up.counted_cash_cents,
        variance_cents=cash_up.variance_cents,
    )


def shift_cash_ups(shifts: Sequence[Shift], *, session: Session) -> list[ShiftCashUp]:
    """The cash-up of each of ``shifts``, their payments summed by the
    database (one query however many shifts)."""
    totals = {s.id: {m: MethodTotals() for m in PaymentMethod} for s in shifts}
    for shift_id, method, r, v in session.execute(
        select(Payment.shift_id, Payment.method, RECEIVED_SUM, GIVEN_BACK_SUM)
        .where(Payment.shift_id.in_(list(totals)), Payment.deleted_at.is_(None))
        .group_by(Payment.shift_id, Payment.method)
    ):
        totals[shift_id][PaymentMethod(method)] = MethodTotals(int(r), int(v))
    return [ShiftCashUp.of(s, totals[s.id]) for s in shifts]


def close_shift(
    shift_id: uuid.UUID, counted_cash_cents: int, *, session: Session, actor: Actor
) -> ShiftReport:
    """Close a shift with the cash counted in the drawer: expected cash,
    counted, and the variance (counted less expected: negative is short).
    Only the shift's cashier (or an admin) closes it, once."""
    shift = get_shift(shift_id, session=session)
    if shift.cashier_id != actor.user_id and actor.role != Role.ADMIN:
        raise NotAllowed("Only the cashier whose shift it is closes it")
    check_own_branch(actor, shift.branch_id, "shift")
    if shift.closed_at is not None:
        raise NotAllowed("The shift is already closed")
    check_amount(counted_cash_cents, "counted_cash_cents", allow_zero=True)
    report = shift_report(shift_id, session=session)
    before = snapshot(shift)
    shift.closed_at = utcnow()
    shift.expected_cash_cents = report.expected_cash_cents
    shift.counted_cash_cents = counted_cash_cents
    shift.variance_cents = counted_cash_cents - report.expected_cash_cents
    record_update(session, actor, shift, before, action="close_shift")
    return shift_report(shift_id, session=session)


@dataclass(frozen=True)
class CashUp:
    """A branch's day: every PC's shifts opened that day (Nairobi time), as
    far as they have synced, and their sums."""

    branch_id: uuid.UUID
    day: date
    shifts: list[ShiftReport]
    by_method: dict[PaymentMethod, MethodTotals]
    expected_cash_cents: int
    counted_cash_cents: int
    variance_cents: int
    open_shifts: int


def branch_cash_up(branch_id: uuid.UUID, day: date, *, session: Session) -> CashUp:
    start, end = day_bounds(day)
    shift_ids = session.scalars(
        select(Shift.id)
        .where(
            Shift.branch_id == branch_id,
            Shift.opened_at >= start,
            Shift.opened_at < end,
            Shift.deleted_at.is_(None),
        )
        .order_by(Shift.opened_at, Shift.id)
    ).all()
    reports = [shift_report(i, session=session) for i in shift_ids]
    by_method = {m: MethodTotals() for m in PaymentMethod}
    for r in reports:
        for m, t in r.by_method.items():
            s = by_method[m]
            by_method[m] = MethodTotals(
                s.received_cents + t.received_cents, s.reversed_cents + t.reversed_cents
            )
    closed = [r for r in reports if r.counted_cash_cents is not None]
    return CashUp(
        branch_id=branch_id,
        day=day,
        shifts=reports,
        by_method=by_method,
        expected_cash_cents=sum(r.expected_cash_cents for r in reports),
        counted_cash_cents=sum(r.counted_cash_cents or 0 for r in closed),
        variance_cents=sum(r.variance_cents or 0 for r in closed),
        open_shifts=len(reports) - len(closed),
    )


# --- payments ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceSeen:
    """Where an M-Pesa code was used before."""

    payment_id: uuid.UUID
    receipt_number: str | None
    invoice_id: uuid.UUID
    branch_code: str | None
    patient: str | None
    amount_cents: int
    received_at: datetime

    def describe(self, code: str) -> str:
        where = f" at {self.branch_code}" if self.branch_code else ""
        who = f" for {self.patient}" if self.patient else ""
        return (
            f"M-Pesa code {code} was already used on receipt {self.receipt_number}"
            f" ({format_kes(self.amount_cents)}{who}{where},"
            f" {self.received_at.astimezone(NAIROBI):%d %b %Y %H:%M})"
        )


@dataclass(frozen=True)
class PaymentTaken:
    """A recorded payment, the change to give back (cash), and warnings for
    the cashier (an M-Pesa code seen before, with where)."""

    payment: Payment
    change_cents: int = 0
    warnings: list[str] = field(default_factory=list)
    seen_before: list[ReferenceSeen] = field(default_factory=list)


def mpesa_code_seen(code: str, *, session: Session) -> list[ReferenceSeen]:
    """Every payment in this store (all branches it holds) that used the code."""
    rows = session.execute(
        select(Payment, Branch.code, Patient.first_name, Patient.last_name, Patient.op_number)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .join(Patient, Patient.id == Invoice.patient_id)
        .outerjoin(Branch, Branch.id == Payment.branch_id)
        .where(
            Payment.reference == code,
            Payment.method == PaymentMethod.MPESA,
            Payment.amount_cents > 0,
            Payment.deleted_at.is_(None),
        )
        .order_by(Payment.received_at)
    ).all()
    return [
        ReferenceSeen(
            payment_id=p.id,
            receipt_number=p.receipt_number,
            invoice_id=p.invoice_id,
            branch_code=branch_code,
            patient=" ".join(x for x in (first, last) if x) + f" ({op})",
            amount_cents=p.amount_cents,
            received_at=p.received_at,
        )
        for p, branch_code, first, last, op in rows
    ]


def record_payment(
    invoice_id: uuid.UUID,
    method: PaymentMethod | str,
    amount_cents: int,
    reference: str | None = None,
    *,
    session: Session,
    actor: Actor,
    today: date,
    tendered_cents: int | None = None,
) -> PaymentTaken:
    """Take a payment on an invoice, with a receipt number from this PC's
    leased block (provisional when it has none left).

    More than the balance is refused, except cash: then the balance is paid
    and the rest comes back as change (``tendered_cents``, when given, is
    what the payer handed over for ``amount_cents``). Cash needs the
    cashier's open shift; other methods join it when there is one. The
    reference is an M-Pesa code (``QGH3X7YZ2A``), ``SCHEME/MEMBER`` for
    insurance, optional for the rest. A code used before is a warning.
    Raises InvalidValue naming the field, NotAllowed for a cancelled, paid or
    another branch's invoice."""
    try:
        method = PaymentMethod(method)
    except ValueError:
        methods = ", ".join(m.value for m in PaymentMethod)
        raise InvalidValue("method", f"Choose one of {methods}") from None
    invoice = get_invoice(invoice_id, session=session)
    check_own_branch(actor, invoice.branch_id, "invoice")
    if invoice.status == InvoiceStatus.CANCELLED:
        raise NotAllowed("The invoice is cancelled; it takes no payments")
    check_amount(amount_cents, "amount_cents")
    cleaned = clean_reference(method, reference)
    paid = paid_on(invoice.id, session=session)
    balance = invoice.total_cents - paid
    if balance <= 0:
        raise NotAllowed("The invoice is paid in full; nothing is due")
    change = 0
    applied = amount_cents
    if method == PaymentMethod.CASH:
        if tendered_cents is not None:
            check_amount(tendered_cents, "tendered_cents")
            if tendered_cents < amount_cents:
                raise InvalidValue(
                    "tendered_cents",
                    f"{format_kes(tendered_cents)} handed over is less than"
                    f" {format_kes(amount_cents)}",
                )
        handed = tendered_cents if tendered_cents is not None else amount_cents
        applied = min(amount_cents, balance)
        change = handed - applied
    elif amount_cents > balance:
        raise InvalidValue(
            "amount_cents",
            f"{format_kes(amount_cents)} is more than the {format_kes(balance)} due;"
            " only cash gives change",
        )
    shift = open_shift_of(session, actor)
    if method == PaymentMethod.CASH and shift is None:
        raise NotAllowed("Open your shift (with its float) before taking cash")
    seen = (
        mpesa_code_seen(cleaned, session=session)
        if method == PaymentMethod.MPESA and cleaned
        else []
    )
    if actor.user_id is None:
        raise NotAllowed("A payment is taken by a cashier; log in first")
    payment = Payment(
        invoice_id=invoice.id,
        branch_id=invoice.branch_id,
        method=method,
        amount_cents=applied,
        reference=cleaned,
        receipt_number=next_number(session, actor.device_id, NumberKind.RECEIPT, today=today),
        cashier_id=actor.user_id,
        shift_id=shift.id if shift is not None else None,
        received_at=utcnow(),
    )
    check_payment_values({c.key: getattr(payment, c.key) for c in Payment.__table__.columns})
    record_insert(session, actor, payment, action="record_payment")
    _paid(session, actor, invoice, paid + applied)
    if method == PaymentMethod.SHA:
        _sha_paid(session, actor, invoice.id)
    return PaymentTaken(
        payment=payment,
        change_cents=change,
        warnings=[s.describe(cleaned or "") for s in seen],
        seen_before=seen,
    )


def _paid(session: Session, actor: Actor, invoice: Invoice, paid_cents: int) -> None:
    """Record the invoice's new paid amount and the status that follows (its
    lines, and so its total, no longer change once money is taken)."""
    before = snapshot(invoice)
    invoice.paid_cents = paid_cents
    invoice.status = invoice_status(
        invoice.total_cents, paid_cents, cancelled=invoice.status == InvoiceStatus.CANCELLED
    )
    record_update(session, actor, invoice, before, action="invoice_paid")


def get_payment(payment_id: uuid.UUID, *, session: Session) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.deleted_at is not None:
        raise LookupError(f"No payment with id {payment_id}")
    return payment


def reversal_of(payment_id: uuid.UUID, *, session: Session) -> Payment | None:
    return session.scalars(
        select(Payment).where(Payment.reverses == payment_id, Payment.deleted_at.is_(None))
    ).first()


def reverse_payment(
    payment_id: uuid.UUID, reason: str, *, session: Session, actor: Actor, today: date
) -> Payment:
    """Undo a payment with a negative one that points at it, says why, and
    has its own receipt number. A payment is reversed once; a reversal is
    not reversed. Giving cash back needs the cashier's open shift."""
    original = get_payment(payment_id, session=session)
    check_own_branch(actor, original.branch_id, "payment")
    text = clean_text(
        reason, "reason", max_length=REASON_MAX, required="Say why the payment is reversed"
    )
    if original.amount_cents < 0 or original.reverses is not None:
        raise NotAllowed("This is a reversal; take a new payment instead of reversing it")
    done = reversal_of(original.id, session=session)
    if done is not None:
        raise NotAllowed(
            f"Receipt {original.receipt_number} was already reversed ({done.receipt_number})"
        )
    shift = open_shift_of(session, actor)
    if original.method == PaymentMethod.CASH and shift is None:
        raise NotAllowed("Open your shift before giving cash back")
    if actor.user_id is None:
        raise NotAllowed("A reversal is made by a cashier; log in first")
    reversal = Payment(
        invoice_id=original.invoice_id,
        branch_id=original.branch_id,
        method=original.method,
        amount_cents=-original.amount_cents,
        reference=original.reference,
        receipt_number=next_number(session, actor.device_id, NumberKind.RECEIPT, today=today),
        cashier_id=actor.user_id,
        shift_id=shift.id if shift is not None else None,
        received_at=utcnow(),
        reverses=original.id,
        reversal_reason=text,
    )
    record_insert(session, actor, reversal, action="reverse_payment")
    record_audit(
        session,
        actor,
        action="payment_reversed",
        entity="payments",
        entity_id=original.id,
        after={"reversed_by": str(reversal.id), "reason": text},
    )
    invoice = get_invoice(original.invoice_id, session=session)
    _paid(session, actor, invoice, paid_on(invoice.id, session=session))
    if original.method == PaymentMethod.SHA:
        _sha_paid(session, actor, invoice.id)
    return reversal


def _sha_paid(session: Session, actor: Actor, invoice_id: uuid.UUID) -> None:
    """SHA's share of the invoice changed: on the central database, the
    visit's claim follows (made as a DRAFT the first time). A PC leaves it
    to the server, which derives the claim when the payment reaches it
    (:data:`clinic.journal.entities.SYNCED`), so a cashier's PC never
    writes claims, which are the claims manager's."""
    if is_central(session):
        from clinic.claims.service import refresh_claim_for_invoice  # claims build on billing

        refresh_claim_for_invoice(invoice_id, session=session, actor=actor)


def mpesa_payments(
    branch_id: uuid.UUID, first_day: date, last_day: date, *, session: Session
) -> list[TakenPayment]:
    """The branch's M-Pesa payments received from ``first_day`` to
    ``last_day`` (Nairobi days), as :func:`clinic.billing.mpesa.reconcile`
    takes them: reversed ones marked so, reversals left out."""
    start, end = day_bounds(first_day, last_day)
    rows = session.scalars(
        select(Payment)
        .where(
            Payment.branch_id == branch_id,
            Payment.method == PaymentMethod.MPESA,
            Payment.amount_cents > 0,
            Payment.received_at >= start,
            Payment.received_at < end,
            Payment.deleted_at.is_(None),
        )
        .order_by(Payment.received_at, Payment.id)
    ).all()
    reversed_ids = set(
        session.scalars(
            select(Payment.reverses).where(
                Payment.reverses.in_([p.id for p in rows]), Payment.deleted_at.is_(None)
            )
        )
    )
    return [
        TakenPayment(
            payment_id=p.id,
            code=p.reference or "",
            amount_cents=p.amount_cents,
            receipt_number=p.receipt_number,
            reversed=p.id in reversed_ids,
        )
        for p in rows
    ]
