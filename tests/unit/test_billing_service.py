"""Billing at the desk: the price list and its dates, invoices for a visit,
payments split across methods, over-payment and change, reversals, shifts
and their cash-up, M-Pesa codes seen before and the till statement."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic.actor import Actor
from clinic.billing.models import Invoice, Payment, Service, ServicePrice, Shift
from clinic.billing.mpesa import NotAStatement, TakenPayment, parse_statement, reconcile
from clinic.billing.service import (
    LineInput,
    add_line,
    branch_cash_up,
    cancel_invoice,
    change_quantity,
    close_shift,
    create_invoice,
    create_service,
    invoice_lines,
    list_services,
    mpesa_payments,
    open_shift,
    price_on,
    prices_on,
    propose_lines,
    record_payment,
    remove_line,
    reverse_payment,
    seed_price_list,
    set_price,
    shift_report,
    update_service,
)
from clinic.clock import NAIROBI
from clinic.enums import ChangeOperation, InvoiceStatus, PaymentMethod, Role, ServiceKind
from clinic.errors import Forbidden, InvalidValue, NotAllowed, ValidationFailed
from clinic.journal.entities import SYNCED, Refused
from clinic.journal.models import AuditEvent, OutboxEntry
from clinic.numbering.service import add_lease
from clinic.org.models import Branch
from clinic.patients.service import PatientDetails, register_patient
from clinic.rules.numbers import NumberKind, parse_number
from clinic.store import LocalStore, open_local_store
from clinic.visits.models import Visit
from clinic.visits.service import (
    ConsultationNotes,
    LabRequestInput,
    PrescriptionInput,
    open_visit,
    record_consultation,
)
from tests.conftest import TODAY, StoreTemplate, copy_template, make_actor

M = PaymentMethod
STATEMENT = Path(__file__).parent.parent / "data" / "mpesa_statement.csv"


@pytest.fixture
def actors(store: LocalStore, branch: Branch) -> dict[Role, Actor]:
    return {role: make_actor(store, branch, role) for role in Role}


@pytest.fixture
def cashier(actors: dict[Role, Actor]) -> Actor:
    return actors[Role.CASHIER]


@pytest.fixture
def priced(store: LocalStore, branch: Branch) -> dict[str, Service]:
    """The starter price list, loaded as the server loads it."""
    with store.write() as session:
        added = seed_price_list(session=session, actor=Actor(device_id=store.device_id))
        assert added > 30
        return {s.code: s for s in session.scalars(select(Service))}


def new_visit(store: LocalStore, actors: dict[Role, Actor], name: str = "Otieno") -> Visit:
    with store.write() as session:
        patient = register_patient(
            PatientDetails(first_name="Mary", last_name=name, date_of_birth=date(1990, 5, 17)),
            session=session,
            actor=actors[Role.RECEPTIONIST],
            today=TODAY,
        ).patient
        return open_visit(patient.id, session=session, actor=actors[Role.RECEPTIONIST], today=TODAY)


def bill(store: LocalStore, actor: Actor, visit: Visit, *lines: tuple[Service, int]) -> Invoice:
    with store.write() as session:
        return create_invoice(
            visit.id,
            [LineInput(s.id, q) for s, q in lines],
            session=session,
            actor=actor,
        )


def pay(
    store: LocalStore,
    actor: Actor,
    invoice: Invoice,
    method: PaymentMethod,
    amount: int,
    reference: str | None = None,
    tendered: int | None = None,
) -> tuple[Payment, int, list[str]]:
    with store.write() as session:
        taken = record_payment(
            invoice.id,
            method,
            amount,
            reference,
            session=session,
            actor=actor,
            today=TODAY,
            tendered_cents=tendered,
        )
        return taken.payment, taken.change_cents, taken.warnings


def shift_for(store: LocalStore, actor: Actor, float_cents: int = 500_00) -> Shift:
    with store.write() as session:
        return open_shift(float_cents, session=session, actor=actor)


def fresh(store: LocalStore, invoice: Invoice) -> Invoice:
    with store.session() as session:
        found = session.get(Invoice, invoice.id)
        assert found is not None
        return found


# --- the price list ----------------------------------------------------------


def test_the_starter_price_list_has_what_a_clinic_bills_once(
    store: LocalStore, priced: dict[str, Service]
) -> None:
    kinds = {s.kind for s in priced.values()}
    assert kinds == set(ServiceKind)
    names = " ".join(s.name.lower() for s in priced.values())
    for wanted in ("malaria rdt", "urinalysis", "artemether", "amoxicillin", "suturing"):
        assert wanted in names
    with store.session() as session:
        assert price_on(priced["CONS-NEW"].id, TODAY, session=session) == 500_00
        assert priced["CONS-NEW"].sha_intervention_code
        outbox = session.scalar(select(func.count()).select_from(OutboxEntry))
    with store.write() as session:
        assert seed_price_list(session=session, actor=Actor(device_id=store.device_id)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == outbox


def test_a_price_change_takes_effect_from_its_date_and_never_changes_past_bills(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    rdt = priced["LAB-MRDT"]
    visit = new_visit(store, actors)
    invoice = bill(store, cashier, visit, (rdt, 1))
    with store.write() as session:
        set_price(
            rdt.id,
            250_00,
            TODAY + timedelta(days=1),
            session=session,
            actor=actors[Role.ADMIN],
            today=TODAY,
        )
        with pytest.raises(InvalidValue) as past:
            set_price(
                rdt.id,
                1,
                TODAY - timedelta(days=1),
                session=session,
                actor=actors[Role.ADMIN],
                today=TODAY,
            )
        assert past.value.field == "effective_from"
    with store.session() as session:
        assert price_on(rdt.id, TODAY, session=session) == 200_00
        assert price_on(rdt.id, TODAY + timedelta(days=1), session=session) == 250_00
        assert price_on(rdt.id, date(1999, 12, 31), session=session) is None
        assert [line.unit_price_cents for line in invoice_lines(invoice.id, session=session)] == [
            200_00
        ]
        listed = {
            p.service.code: p.price_cents
            for p in list_services(session=session, day=TODAY + timedelta(days=3))
        }
        assert listed["LAB-MRDT"] == 250_00
        # Several services at once, each at its own price of the day; one with
        # no price yet is left out.
        consultation = priced["CONS-NEW"].id
        later = TODAY + timedelta(days=1)
        assert prices_on([rdt.id, consultation], later, session=session) == {
            rdt.id: 250_00,
            consultation: 500_00,
        }
        assert prices_on([rdt.id, consultation], date(1999, 12, 31), session=session) == {}


def test_a_new_service_needs_a_fresh_code_and_good_values(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor]
) -> None:
    admin = actors[Role.ADMIN]
    with store.write() as session:
        service = create_service(
            "lab-tsh", "TSH", "lab", 1500_00, session=session, actor=admin, effective_from=TODAY
        )
        assert service.code == "LAB-TSH"
    with store.write() as session, pytest.raises(ValidationFailed) as failed:
        create_service(
            "LAB-TSH", "", "surgery", -1, session=session, actor=admin, effective_from=TODAY
        )
    assert {e.field for e in failed.value.errors} == {"name", "kind", "price_cents"}
    with store.write() as session, pytest.raises(ValidationFailed) as taken:
        create_service(
            "LAB-TSH", "TSH again", "lab", 1, session=session, actor=admin, effective_from=TODAY
        )
    assert [e.field for e in taken.value.errors] == ["code"]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN], ids=str)
def test_only_an_admin_changes_the_price_list(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], role: Role
) -> None:
    actor = actors[role]
    rdt = priced["LAB-MRDT"]
    with store.session() as session:
        outbox = session.scalar(select(func.count()).select_from(OutboxEntry))
    changes = (
        lambda session: create_service(
            "LAB-NEW", "New", "lab", 1_00, session=session, actor=actor, effective_from=TODAY
        ),
        lambda session: update_service(rdt.id, name="Cheap", session=session, actor=actor),
        lambda session: set_price(rdt.id, 1, TODAY, session=session, actor=actor, today=TODAY),
    )
    for change in changes:
        with pytest.raises(Forbidden, match="may not change the price list"), store.write() as s:
            change(s)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == outbox
        assert price_on(rdt.id, TODAY, session=session) == 200_00


# --- invoices ---------------------------------------------------------------------


def test_a_visit_proposes_its_consultation_labs_and_drugs(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor]
) -> None:
    visit = new_visit(store, actors)
    with store.write() as session:
        record_consultation(
            visit.id,
            ConsultationNotes(
                complaint="Fever",
                prescriptions=[
                    PrescriptionInput("Artemether-lumefantrine", "4 tabs", "BD", "3 days", 24),
                    PrescriptionInput("Paracetamol 500 mg", "1 g", "TDS", "3 days", 18),
                    PrescriptionInput("Unlisted herbal syrup", "5 ml", "TDS", "3 days", 1),
                ],
                lab_requests=[LabRequestInput("Malaria RDT"), LabRequestInput("Urinalysis")],
            ),
            session=session,
            actor=actors[Role.CLINICAL_OFFICER],
        )
    with store.session() as session:
        proposed = propose_lines(visit.id, session=session)
    assert [(p.source, p.service_id, p.quantity, p.unit_price_cents) for p in proposed] == [
        ("consultation", priced["CONS-NEW"].id, 1, 500_00),
        ("lab", priced["LAB-MRDT"].id, 1, 200_00),
        ("lab", priced["LAB-URI"].id, 1, 200_00),
        ("prescription", priced["DRG-AL24"].id, 24, 250_00),
        ("prescription", priced["DRG-PCM500"].id, 18, 1_00),
        ("prescription", None, 1, None),
    ]
    assert proposed[-1].description == "Unlisted herbal syrup"


def test_a_revisit_proposes_the_revisit_consultation(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor]
) -> None:
    visit = new_visit(store, actors)
    with store.write() as session:
        session.get(Visit, visit.id).is_new = False  # type: ignore[union-attr]
    with store.session() as session:
        assert propose_lines(visit.id, session=session)[0].service_id == priced["CONS-RE"].id


def test_an_invoice_totals_its_lines_in_cents_and_changes_while_unpaid(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    visit = new_visit(store, actors)
    invoice = bill(store, cashier, visit, (priced["CONS-NEW"], 1), (priced["DRG-AMOX500"], 15))
    assert (invoice.total_cents, invoice.paid_cents, invoice.status) == (
        575_00,
        0,
        InvoiceStatus.OPEN,
    )
    with store.write() as session:
        rdt = add_line(invoice.id, LineInput(priced["LAB-MRDT"].id), session=session, actor=cashier)
        amox = next(x for x in invoice_lines(invoice.id, session=session) if x.quantity == 15)
        change_quantity(amox.id, 21, session=session, actor=cashier)
        remove_line(rdt.id, session=session, actor=cashier)
        with pytest.raises(InvalidValue) as bad:
            change_quantity(amox.id, 0, session=session, actor=cashier)
        assert bad.value.field == "quantity"
    assert fresh(store, invoice).total_cents == 500_00 + 21 * 5_00
    with store.session() as session:
        events = [
            e.action
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.device_sequence))
        ]
        updates = session.scalar(
            select(func.count())
            .select_from(OutboxEntry)
            .where(
                OutboxEntry.entity == "invoice_lines",
                OutboxEntry.operation == ChangeOperation.DELETE,
            )
        )
    assert {
        "create_invoice",
        "add_invoice_line",
        "change_invoice_line",
        "remove_invoice_line",
    } <= set(events)
    assert updates == 1


def test_bad_lines_are_named_and_nothing_is_written(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    visit = new_visit(store, actors)
    with store.session() as session:
        before = session.scalar(select(func.count()).select_from(OutboxEntry))
    with store.write() as session, pytest.raises(ValidationFailed) as failed:
        create_invoice(
            visit.id,
            [
                LineInput(priced["CONS-NEW"].id, 1),
                LineInput(uuid.uuid4(), 1),
                LineInput(priced["LAB-HB"].id, 10**9),
            ],
            session=session,
            actor=cashier,
        )
    assert {e.field for e in failed.value.errors} == {"lines[2].service_id", "lines[3].quantity"}
    with store.write() as session, pytest.raises(ValidationFailed):
        create_invoice(visit.id, [], session=session, actor=cashier)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == before
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_another_branchs_visit_is_not_billed_here(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor]
) -> None:
    visit = new_visit(store, actors)
    with store.write() as session:
        west = Branch(code="WEST", name="West")
        session.add(west)
    elsewhere = Actor(store.device_id, uuid.uuid4(), Role.CASHIER, west.id)
    with store.write() as session, pytest.raises(NotAllowed, match="another branch"):
        create_invoice(
            visit.id, [LineInput(priced["CONS-NEW"].id)], session=session, actor=elsewhere
        )


# --- payments ------------------------------------------------------------------------


def test_a_bill_paid_by_cash_and_mpesa_is_paid_with_two_receipts(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    visit = new_visit(store, actors)
    invoice = bill(store, cashier, visit, (priced["CONS-NEW"], 1), (priced["LAB-MRDT"], 1))
    shift_for(store, cashier)
    cash, change, _ = pay(store, cashier, invoice, M.CASH, 300_00)
    assert change == 0 and fresh(store, invoice).status == InvoiceStatus.PARTIALLY_PAID
    mpesa, _, warnings = pay(store, cashier, invoice, M.MPESA, 400_00, "qgh3x7yz2a")
    assert warnings == [] and mpesa.reference == "QGH3X7YZ2A"
    paid = fresh(store, invoice)
    assert (paid.paid_cents, paid.status) == (700_00, InvoiceStatus.PAID)
    numbers = [parse_number(p.receipt_number or "", "receipt") for p in (cash, mpesa)]
    assert [n.kind for n in numbers] == [NumberKind.RECEIPT] * 2
    assert numbers[0].serial + 1 == numbers[1].serial
    with store.write() as session, pytest.raises(NotAllowed, match="paid in full"):
        record_payment(invoice.id, M.CARD, 1, session=session, actor=cashier, today=TODAY)


def test_receipts_come_from_the_leased_block_and_are_provisional_without_one(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-NEW"], 1))
    first, _, _ = pay(store, cashier, invoice, M.MPESA, 100_00, "QGH3X7YZ2A")
    assert parse_number(first.receipt_number or "", "receipt").provisional
    with store.write() as session:
        add_lease(session, store.device_id, NumberKind.RECEIPT, 2026, 5001, 6000)
    second, _, _ = pay(store, cashier, invoice, M.MPESA, 100_00, "QGH4K2LM7B")
    assert second.receipt_number == "RCP-2026-005001-" + second.receipt_number[-1]  # type: ignore[index]


def test_over_payment_is_refused_except_cash_which_gives_change(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-RE"], 1))
    shift_for(store, cashier)
    for method, reference in ((M.MPESA, "QGH3X7YZ2A"), (M.CARD, None), (M.SHA, None)):
        with store.write() as session, pytest.raises(InvalidValue) as over:
            record_payment(
                invoice.id, method, 300_01, reference, session=session, actor=cashier, today=TODAY
            )
        assert over.value.field == "amount_cents" and "only cash" in over.value.reason
    payment, change, _ = pay(store, cashier, invoice, M.CASH, 1000_00)
    assert (payment.amount_cents, change) == (300_00, 700_00)
    assert fresh(store, invoice).status == InvoiceStatus.PAID


def test_cash_tendered_gives_change_on_the_amount_applied(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-NEW"], 1))
    shift_for(store, cashier)
    payment, change, _ = pay(store, cashier, invoice, M.CASH, 200_00, tendered=1000_00)
    assert (payment.amount_cents, change) == (200_00, 800_00)
    with store.write() as session, pytest.raises(InvalidValue) as short:
        record_payment(
            invoice.id,
            M.CASH,
            300_00,
            session=session,
            actor=cashier,
            today=TODAY,
            tendered_cents=100_00,
        )
    assert short.value.field == "tendered_cents"


def test_cash_needs_an_open_shift_and_other_methods_join_it(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-NEW"], 1))
    with store.write() as session, pytest.raises(NotAllowed, match="shift"):
        record_payment(invoice.id, M.CASH, 100_00, session=session, actor=cashier, today=TODAY)
    loose, _, _ = pay(store, cashier, invoice, M.CARD, 100_00, "VISA 4421")
    assert loose.shift_id is None
    shift = shift_for(store, cashier)
    joined, _, _ = pay(store, cashier, invoice, M.CARD, 100_00)
    assert joined.shift_id == shift.id


@pytest.mark.parametrize(
    ("method", "reference", "reason"),
    [
        (M.MPESA, None, "M-Pesa code"),
        (M.MPESA, "QGH3X7YZ2", "10 letters"),
        (M.MPESA, "QGH3X7YZ2\x00", "10 letters"),
        (M.INSURANCE, None, "member number"),
        (M.INSURANCE, "AAR", "member number"),
        (M.CARD, "ref\x00", "control characters"),
    ],
)
def test_references_are_checked_by_method(
    store: LocalStore,
    priced: dict[str, Service],
    actors: dict[Role, Actor],
    cashier: Actor,
    method: PaymentMethod,
    reference: str | None,
    reason: str,
) -> None:
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-NEW"], 1))
    with store.write() as session, pytest.raises(InvalidValue) as bad:
        record_payment(
            invoice.id, method, 100_00, reference, session=session, actor=cashier, today=TODAY
        )
    assert bad.value.field == "reference" and reason in bad.value.reason
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_insurance_keeps_scheme_and_member_number(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-NEW"], 1))
    payment, _, _ = pay(store, cashier, invoice, M.INSURANCE, 500_00, " aar / 1234567 ")
    assert payment.reference == "AAR/1234567"


def test_an_mpesa_code_seen_before_is_a_warning_saying_where(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    first = bill(store, cashier, new_visit(store, actors, "Otieno"), (priced["CONS-NEW"], 1))
    second = bill(store, cashier, new_visit(store, actors, "Kamau"), (priced["CONS-NEW"], 1))
    original, _, _ = pay(store, cashier, first, M.MPESA, 500_00, "QGH3X7YZ2A")
    again, _, warnings = pay(store, cashier, second, M.MPESA, 500_00, "qgh3x7yz2a")
    assert again.id != original.id and fresh(store, second).status == InvoiceStatus.PAID
    assert len(warnings) == 1
    assert "QGH3X7YZ2A" in warnings[0] and original.receipt_number in warnings[0]  # type: ignore[operator]
    assert "Mary Otieno" in warnings[0] and "MAIN" in warnings[0] and "KES 500.00" in warnings[0]


def test_an_mpesa_code_used_on_another_pc_is_a_warning_once_synced(
    store: LocalStore,
    store_template: StoreTemplate,
    tmp_path: Path,
    priced: dict[str, Service],
    actors: dict[Role, Actor],
    cashier: Actor,
) -> None:
    """Another PC's payment arrives by the pull as its row; this PC's own
    check then sees it."""
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-NEW"], 1))
    other_dir = tmp_path / "other"
    copy_template(store_template, other_dir)
    other = open_local_store(other_dir)
    try:
        pulled = Payment(
            invoice_id=invoice.id,
            branch_id=invoice.branch_id,
            method=M.MPESA,
            amount_cents=500_00,
            reference="QGH3X7YZ2A",
            receipt_number="RCP-2026-000001-4",
            cashier_id=uuid.uuid4(),
            received_at=invoice.issued_at,
            device_id=other.device_id,
        )
        with store.write() as session:
            session.add(pulled)
    finally:
        other.close()
    second = bill(store, cashier, new_visit(store, actors, "Kamau"), (priced["CONS-NEW"], 1))
    _, _, warnings = pay(store, cashier, second, M.MPESA, 500_00, "QGH3X7YZ2A")
    assert len(warnings) == 1 and "RCP-2026-000001-4" in warnings[0]


# --- reversals --------------------------------------------------------------------------


def test_a_reversal_is_a_negative_payment_with_its_own_receipt_once(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-NEW"], 1))
    shift_for(store, cashier)
    payment, _, _ = pay(store, cashier, invoice, M.CASH, 500_00)
    with store.write() as session, pytest.raises(InvalidValue) as no_reason:
        reverse_payment(payment.id, "  ", session=session, actor=cashier, today=TODAY)
    assert no_reason.value.field == "reason"
    with store.write() as session:
        reversal = reverse_payment(
            payment.id, "Wrong patient", session=session, actor=cashier, today=TODAY
        )
    assert (reversal.amount_cents, reversal.reverses, reversal.reversal_reason) == (
        -500_00,
        payment.id,
        "Wrong patient",
    )
    assert reversal.receipt_number not in (None, payment.receipt_number)
    assert (fresh(store, invoice).paid_cents, fresh(store, invoice).status) == (
        0,
        InvoiceStatus.OPEN,
    )
    for target in (payment.id, reversal.id):
        with store.write() as session, pytest.raises(NotAllowed):
            reverse_payment(target, "Again", session=session, actor=cashier, today=TODAY)
    with store.session() as session:
        audited = {(e.action, e.entity_id) for e in session.scalars(select(AuditEvent))}
        original = session.get(Payment, payment.id)
    assert ("reverse_payment", reversal.id) in audited
    assert ("payment_reversed", payment.id) in audited
    assert original is not None and original.amount_cents == 500_00


def test_an_invoice_is_cancelled_with_a_reason_only_while_nothing_is_paid(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-NEW"], 1))
    payment, _, _ = pay(store, cashier, invoice, M.MPESA, 100_00, "QGH3X7YZ2A")
    with store.write() as session, pytest.raises(NotAllowed, match="reverse"):
        cancel_invoice(invoice.id, "Billed twice", session=session, actor=cashier)
    with store.write() as session:
        reverse_payment(payment.id, "Billed twice", session=session, actor=cashier, today=TODAY)
        with pytest.raises(InvalidValue):
            cancel_invoice(invoice.id, "", session=session, actor=cashier)
        cancelled = cancel_invoice(invoice.id, "Billed twice", session=session, actor=cashier)
    assert (cancelled.status, cancelled.cancel_reason) == (InvoiceStatus.CANCELLED, "Billed twice")
    with store.write() as session, pytest.raises(NotAllowed, match="cancelled"):
        record_payment(
            invoice.id, M.MPESA, 100_00, "QGH4K2LM7B", session=session, actor=cashier, today=TODAY
        )
    with store.write() as session, pytest.raises(NotAllowed, match="cancelled"):
        add_line(invoice.id, LineInput(priced["LAB-HB"].id), session=session, actor=cashier)


def test_lines_do_not_change_once_paid(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    invoice = bill(store, cashier, new_visit(store, actors), (priced["CONS-NEW"], 1))
    pay(store, cashier, invoice, M.MPESA, 100_00, "QGH3X7YZ2A")
    with store.write() as session, pytest.raises(NotAllowed, match="Payments"):
        add_line(invoice.id, LineInput(priced["LAB-HB"].id), session=session, actor=cashier)


# --- shifts -------------------------------------------------------------------------------


def test_a_shift_closes_with_expected_counted_and_variance_by_method(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    shift = shift_for(store, cashier, 1000_00)
    with store.write() as session, pytest.raises(NotAllowed, match="already"):
        open_shift(0, session=session, actor=cashier)
    a = bill(store, cashier, new_visit(store, actors, "Otieno"), (priced["CONS-NEW"], 1))
    b = bill(
        store,
        cashier,
        new_visit(store, actors, "Kamau"),
        (priced["CONS-NEW"], 1),
        (priced["LAB-MRDT"], 1),
    )
    cash_a, _, _ = pay(store, cashier, a, M.CASH, 500_00)
    pay(store, cashier, b, M.CASH, 2000_00)  # 700 applied, 1,300 change
    with store.write() as session:
        reverse_payment(
            cash_a.id, "Patient left before being seen", session=session, actor=cashier, today=TODAY
        )
    c = bill(store, cashier, new_visit(store, actors, "Wanjiru"), (priced["CONS-RE"], 1))
    pay(store, cashier, c, M.MPESA, 300_00, "QGH4K2LM7B")
    with store.write() as session:
        report = close_shift(shift.id, 1690_00, session=session, actor=cashier)
    assert report.expected_cash_cents == 1000_00 + 500_00 + 700_00 - 500_00
    assert report.counted_cash_cents == 1690_00 and report.variance_cents == -10_00
    assert report.expected_by_method[M.CASH] == 1700_00
    assert report.expected_by_method[M.MPESA] == 300_00
    assert report.by_method[M.CASH].reversed_cents == 500_00
    assert len(report.payments) == 3 and len(report.reversals) == 1
    with store.write() as session, pytest.raises(NotAllowed, match="closed"):
        close_shift(shift.id, 0, session=session, actor=cashier)
    with store.session() as session:
        stored = session.get(Shift, shift.id)
        assert stored is not None and stored.variance_cents == -10_00
        assert shift_report(shift.id, session=session).variance_cents == -10_00


def test_only_the_cashier_closes_their_shift(
    store: LocalStore, actors: dict[Role, Actor], cashier: Actor
) -> None:
    shift = shift_for(store, cashier)
    with store.write() as session, pytest.raises(NotAllowed, match="cashier"):
        close_shift(shift.id, 0, session=session, actor=actors[Role.PHARMACIST])


def test_the_branch_cash_up_sums_every_shift_of_the_day(
    store: LocalStore,
    branch: Branch,
    priced: dict[str, Service],
    actors: dict[Role, Actor],
    cashier: Actor,
) -> None:
    pharmacist = actors[Role.PHARMACIST]
    totals = {}
    for actor, counted in ((cashier, 800_00), (pharmacist, 600_00)):
        shift = shift_for(store, actor, 300_00)
        invoice = bill(
            store,
            actor,
            new_visit(store, actors, "Kamau" if actor is cashier else "Achieng"),
            (priced["CONS-NEW"], 1),
        )
        pay(store, actor, invoice, M.CASH, 500_00)
        with store.write() as session:
            totals[actor.role] = close_shift(shift.id, counted, session=session, actor=actor)
    with store.session() as session:
        opened = session.scalars(select(Shift.opened_at)).first()
        assert opened is not None and branch.id is not None
        day = opened.astimezone(NAIROBI).date()
        cash_up = branch_cash_up(branch.id, day, session=session)
        assert branch_cash_up(branch.id, day - timedelta(days=1), session=session).shifts == []
    assert len(cash_up.shifts) == 2 and cash_up.open_shifts == 0
    assert cash_up.expected_cash_cents == 1600_00
    assert cash_up.counted_cash_cents == 1400_00
    assert cash_up.variance_cents == sum(r.variance_cents or 0 for r in totals.values()) == -200_00
    assert cash_up.by_method[M.CASH].received_cents == 1000_00


# --- the till statement -------------------------------------------------------------


def test_the_till_statement_is_read_past_its_preamble() -> None:
    statement = parse_statement(STATEMENT.read_text())
    assert [line.code for line in statement.lines] == [
        "QGH3X7YZ2A",
        "QGH4K2LM7B",
        "QGH5P9RT3C",
        "QGH6Z1XY8D",
        "QGH7C4VB5E",
    ]
    first = statement.lines[0]
    assert (first.paid_in_cents, first.withdrawn_cents, first.status) == (1250_00, 0, "Completed")
    assert first.completed_at is not None and first.completed_at.hour == 9
    assert statement.lines[4].withdrawn_cents == 35_00
    assert [p.line_number for p in statement.problems] == [11]


def test_statement_column_variants_are_tolerated() -> None:
    text = (
        "Receipt Number;Completion Time;Details;Status;Paid in;Withdrawal;Balance\n"
        "qgh3x7yz2a;26/11/2026 09:12;Pay Bill;Completed;KES 1,250;-;1,250\n"
    )
    statement = parse_statement(text)
    assert [(x.code, x.paid_in_cents) for x in statement.lines] == [("QGH3X7YZ2A", 1250_00)]
    with pytest.raises(NotAStatement):
        parse_statement("Name,Amount\nMary,100\n")


def test_statement_lines_are_matched_to_payments_and_the_rest_listed() -> None:
    statement = parse_statement(STATEMENT.read_text()).lines
    ids = [uuid.uuid4() for _ in range(6)]
    payments = [
        TakenPayment(ids[0], "QGH3X7YZ2A", 750_00, "RCP-1"),
        TakenPayment(ids[1], "QGH3X7YZ2A", 500_00, "RCP-2"),  # one M-Pesa split over two bills
        TakenPayment(ids[2], "QGH4K2LM7B", 450_00, "RCP-3"),  # the cashier typed 450
        TakenPayment(ids[3], "QGH9WRONG1", 300_00, "RCP-4"),  # a mistyped code
        TakenPayment(ids[4], "QGH6Z1XY8D", 300_00, "RCP-5"),  # the payer's failed attempt
        TakenPayment(ids[5], "QGH5P9RT3C", 800_00, "RCP-6", reversed=True),
    ]
    result = reconcile(statement, payments)
    assert [m.code for m in result.matched] == ["QGH3X7YZ2A"]
    assert result.matched[0].taken_cents == 1250_00
    assert [(m.code, m.difference_cents) for m in result.amounts_differ] == [("QGH4K2LM7B", 50_00)]
    assert [x.code for x in result.only_on_statement] == ["QGH5P9RT3C"]
    assert sorted(p.code for p in result.only_in_payments) == ["QGH6Z1XY8D", "QGH9WRONG1"]
    assert [x.code for x in result.not_money_in] == ["QGH6Z1XY8D", "QGH7C4VB5E"]


def test_the_desks_mpesa_payments_reconcile_with_the_till_statement(
    store: LocalStore,
    branch: Branch,
    priced: dict[str, Service],
    actors: dict[Role, Actor],
    cashier: Actor,
) -> None:
    first = bill(
        store,
        cashier,
        new_visit(store, actors, "Otieno"),
        (priced["CONS-NEW"], 2),
        (priced["LAB-MRDT"], 1),
        (priced["PROC-INJ"], 1),
        (priced["DRG-PCM500"], 50),
    )
    second = bill(store, cashier, new_visit(store, actors, "Kamau"), (priced["CONS-NEW"], 1))
    pay(store, cashier, first, M.MPESA, 1250_00, "QGH3X7YZ2A")
    pay(store, cashier, second, M.MPESA, 450_00, "QGH4K2LM7B")
    wrong, _, _ = pay(store, cashier, second, M.MPESA, 50_00, "QGH5P9RT3C")
    with store.write() as session:
        reverse_payment(
            wrong.id, "Code belongs to another patient", session=session, actor=cashier, today=TODAY
        )
        day = wrong.received_at.astimezone(NAIROBI).date()
        taken = mpesa_payments(branch.id, day, day, session=session)
    assert [(t.code, t.reversed) for t in taken] == [
        ("QGH3X7YZ2A", False),
        ("QGH4K2LM7B", False),
        ("QGH5P9RT3C", True),
    ]
    result = reconcile(parse_statement(STATEMENT.read_text()).lines, taken)
    assert [m.code for m in result.matched] == ["QGH3X7YZ2A"]
    assert [(m.code, m.difference_cents) for m in result.amounts_differ] == [("QGH4K2LM7B", 50_00)]
    assert [x.code for x in result.only_on_statement] == ["QGH5P9RT3C"]
    assert result.only_in_payments == []


# --- the sync registry's rules for pushed payments ------------------------------------


def test_a_pushed_payment_keeps_the_desks_value_rules() -> None:
    check = SYNCED["payments"].check_values
    assert check is not None
    good = {"method": "MPESA", "amount_cents": 500_00, "reference": "QGH3X7YZ2A"}
    check(good)
    check({"receipt_number": "RCP-2026-000001-4"})  # the provisional number replaced
    check({**good, "amount_cents": -500_00, "reverses": uuid.uuid4(), "reversal_reason": "Oops"})
    for bad in (
        {**good, "reference": "qgh3x7yz2a"},
        {**good, "reference": "QGH3X7YZ2\x00"},
        {**good, "reference": None},
        {**good, "amount_cents": 0},
        {**good, "amount_cents": 10**15},
        {**good, "amount_cents": -500_00},
        {**good, "amount_cents": -500_00, "reverses": uuid.uuid4()},
        {**good, "reverses": uuid.uuid4()},
        {**good, "method": "CHEQUE"},
    ):
        with pytest.raises(Refused):
            check(bad)


def test_pushed_lines_of_a_paid_invoice_and_second_reversals_are_refused(
    store: LocalStore, priced: dict[str, Service], actors: dict[Role, Actor], cashier: Actor
) -> None:
    """What a second PC did offline after the first took the money: the
    server's apply asks the registry, with the rows as it holds them."""
    unpaid = bill(store, cashier, new_visit(store, actors, "Otieno"), (priced["CONS-NEW"], 1))
    paid = bill(store, cashier, new_visit(store, actors, "Kamau"), (priced["CONS-NEW"], 1))
    payment, _, _ = pay(store, cashier, paid, M.MPESA, 500_00, "QGH3X7YZ2A")
    lines, payments, prices = SYNCED["invoice_lines"], SYNCED["payments"], SYNCED["service_prices"]
    with store.write() as session:
        lines.check_change(session, {"invoice_id": unpaid.id, "quantity": 2}, None)
        with pytest.raises(Refused, match="lines no longer change"):
            lines.check_change(session, {"invoice_id": paid.id, "quantity": 2}, None)
        paid_line = invoice_lines(paid.id, session=session)[0]
        with pytest.raises(Refused, match="lines no longer change"):
            lines.check_change(session, {"quantity": 3}, paid_line)
        reversal = {"reverses": payment.id, "amount_cents": -500_00}
        payments.check_change(session, reversal, None)
        reverse_payment(payment.id, "Wrong bill", session=session, actor=cashier, today=TODAY)
        with pytest.raises(Refused, match="reversed once"):
            payments.check_change(session, reversal, None)
        price = session.scalars(select(ServicePrice)).first()
        with pytest.raises(Refused):
            prices.check_change(session, {"price_cents": 1}, price)
