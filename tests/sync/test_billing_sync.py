"""Two cashier PCs of one branch bill and take payments offline (one of
them out of receipt numbers), then sync: every PC and the server end with
the same invoices, lines, payments and shifts; every payment is there once;
every receipt number is distinct and none is provisional; an M-Pesa code
used on both PCs shows as seen before; and the branch's cash-up is the sum
of the two shifts, on the server and on each PC."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from clinic.billing.models import Invoice, InvoiceLine, Payment, Service, Shift
from clinic.billing.service import (
    CashUp,
    LineInput,
    branch_cash_up,
    close_shift,
    create_invoice,
    mpesa_code_seen,
    open_shift,
    paid_on,
    record_payment,
    reverse_payment,
)
from clinic.clock import NAIROBI
from clinic.enums import PaymentMethod, Role
from clinic.numbering.models import NumberLease
from clinic.rules.numbers import NumberKind, parse_number
from clinic.visits.service import open_visit
from server.database import Database
from sync.engine import sync_status
from tests.conftest import TODAY
from tests.sync.conftest import MakePc, MakeStaff, Pc, assert_converged, register

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

M = PaymentMethod
SHARED_CODE = "QGH3X7YZ2A"
MONEY = (Invoice, InvoiceLine, Payment, Shift)


def _services(pc: Pc) -> dict[str, uuid.UUID]:
    with pc.store.session() as session:
        return {s.code: s.id for s in session.scalars(select(Service))}


def _bill(pc: Pc, visit_id: uuid.UUID, *codes: str) -> uuid.UUID:
    services = _services(pc)
    with pc.store.write() as session:
        invoice = create_invoice(
            visit_id, [LineInput(services[c]) for c in codes], session=session, actor=pc.actor()
        )
        return invoice.id


def _pay(
    pc: Pc, invoice_id: uuid.UUID, method: PaymentMethod, cents: int, ref: str | None = None
) -> uuid.UUID:
    with pc.store.write() as session:
        taken = record_payment(
            invoice_id, method, cents, ref, session=session, actor=pc.actor(), today=TODAY
        )
        return taken.payment.id


def _shift(pc: Pc, float_cents: int) -> uuid.UUID:
    with pc.store.write() as session:
        return open_shift(float_cents, session=session, actor=pc.actor()).id


def _close(pc: Pc, shift_id: uuid.UUID, counted: int) -> int:
    with pc.store.write() as session:
        report = close_shift(shift_id, counted, session=session, actor=pc.actor())
        assert report.variance_cents is not None
        return report.variance_cents


def _payments(pc: Pc) -> dict[uuid.UUID, str]:
    """The PC's live payments (a refused new one is tombstoned) and their receipts."""
    with pc.store.session() as session:
        live = select(Payment).where(Payment.deleted_at.is_(None))
        return {p.id: p.receipt_number or "" for p in session.scalars(live)}


def _cash_up_figures(cash_up: CashUp) -> tuple[object, ...]:
    return (
        sorted(str(r.shift.id) for r in cash_up.shifts),
        cash_up.expected_cash_cents,
        cash_up.counted_cash_cents,
        cash_up.variance_cents,
        {m.value: (t.received_cents, t.reversed_cents) for m, t in cash_up.by_method.items()},
    )


def test_two_cashier_pcs_bill_offline_and_converge_with_every_payment_once(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_pc("reception")
    reception.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    visits = []
    for given, family in (
        ("Mary", "Otieno"),
        ("John", "Kamau"),
        ("Anne", "Wanjiru"),
        ("Peter", "Oduya"),
    ):
        patient = register(reception, given, family)
        with reception.store.write() as session:
            visits.append(
                open_visit(patient, session=session, actor=reception.actor(), today=TODAY).id
            )
    reception.engine.sync()

    a, b = make_pc("till-a"), make_pc("till-b")
    a.login(make_staff(Role.CASHIER, "achieng"))
    b.login(make_staff(Role.CASHIER, "otieno"))
    assert "CONS-NEW" in _services(a) and "LAB-MRDT" in _services(b)
    # b has used up its receipt block: it numbers provisionally until it syncs.
    with b.store.write() as session:
        session.execute(
            update(NumberLease)
            .where(NumberLease.kind == NumberKind.RECEIPT)
            .values(next=NumberLease.last + 1)
        )

    # --- offline: nothing is pushed from here until the syncs below -------------
    shift_a = _shift(a, 1000_00)
    first = _bill(a, visits[0], "CONS-NEW")  # 500
    second = _bill(a, visits[1], "CONS-NEW", "LAB-MRDT")  # 700
    wrong = _pay(a, first, M.CASH, 500_00)
    with a.store.write() as session:
        reverse_payment(
            wrong, "Paid by M-Pesa instead", session=session, actor=a.actor(), today=TODAY
        )
    _pay(a, first, M.MPESA, 500_00, "QGH4K2LM7B")
    _pay(a, second, M.MPESA, 300_00, SHARED_CODE)
    _pay(a, second, M.CASH, 400_00)
    variance_a = _close(a, shift_a, 1390_00)  # expected 1,000 + 500 - 500 + 400

    shift_b = _shift(b, 500_00)
    third = _bill(b, visits[2], "CONS-NEW", "LAB-URI")  # 700
    fourth = _bill(b, visits[3], "CONS-NEW")  # 500
    _pay(b, third, M.CASH, 700_00)
    _pay(b, fourth, M.MPESA, 500_00, SHARED_CODE)  # b cannot know a used it
    variance_b = _close(b, shift_b, 1200_00)  # expected 500 + 700
    assert (variance_a, variance_b) == (-10_00, 0)
    assert all(parse_number(n).provisional for n in _payments(b).values())
    taken = {**_payments(a), **_payments(b)}
    assert len(taken) == 7

    for _ in range(2):
        for pc in (a, b, reception):
            pc.engine.sync()

    with central.sessions() as session:
        on_server = {p.id: p.receipt_number or "" for p in session.scalars(select(Payment))}
    assert set(on_server) == set(taken), "a payment was lost or duplicated"
    numbers = list(on_server.values())
    assert len(set(numbers)) == len(numbers) == 7
    parsed = [parse_number(n) for n in numbers]
    assert all(p.kind == NumberKind.RECEIPT and not p.provisional for p in parsed)
    for pc in (a, b):
        status = sync_status(pc.store)
        assert (status.pending, status.rejected, status.conflicts) == (0, 0, 0)
        assert _payments(pc) == on_server
    assert_converged(central, [a, b], MONEY)

    with central.sessions() as session:
        shift = session.get(Shift, shift_a)
        assert shift is not None
        day = shift.opened_at.astimezone(NAIROBI).date()
        branch_id = shift.branch_id
        central_cash_up = branch_cash_up(branch_id, day, session=session)
        paid = {i.id: i.status.value for i in session.scalars(select(Invoice))}
    assert set(paid.values()) == {"PAID"}
    assert len(central_cash_up.shifts) == 2 and central_cash_up.open_shifts == 0
    assert central_cash_up.expected_cash_cents == 1400_00 + 1200_00
    assert central_cash_up.counted_cash_cents == 1390_00 + 1200_00
    assert central_cash_up.variance_cents == variance_a + variance_b
    assert central_cash_up.by_method[M.MPESA].received_cents == 500_00 + 300_00 + 500_00
    for pc in (a, b):
        with pc.store.session() as session:
            local = branch_cash_up(branch_id, day, session=session)
            assert _cash_up_figures(local) == _cash_up_figures(central_cash_up)
            assert len(mpesa_code_seen(SHARED_CODE, session=session)) == 2


def test_a_payment_reversed_on_two_pcs_offline_is_reversed_once(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_pc("reception")
    reception.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    patient = register(reception, "Mary", "Otieno")
    with reception.store.write() as session:
        visit = open_visit(patient, session=session, actor=reception.actor(), today=TODAY).id
    reception.engine.sync()
    a, b = make_pc("till-a"), make_pc("till-b")
    a.login(make_staff(Role.CASHIER, "achieng"))
    b.login(make_staff(Role.PHARMACIST, "otieno"))
    payment = _pay(a, _bill(a, visit, "CONS-NEW"), M.MPESA, 500_00, SHARED_CODE)
    a.engine.sync()
    b.engine.sync()

    for pc, reason in ((a, "Wrong patient"), (b, "Paid twice")):
        with pc.store.write() as session:
            reverse_payment(payment, reason, session=session, actor=pc.actor(), today=TODAY)
    a.engine.sync()
    b.engine.sync()
    a.engine.sync()

    with central.sessions() as session:
        reversals = session.scalars(select(Payment).where(Payment.reverses == payment)).all()
        invoice = session.scalars(select(Invoice)).one()
    assert [r.reversal_reason for r in reversals] == ["Wrong patient"]
    assert invoice.paid_cents == 0
    assert sync_status(b.store).rejected == 1
    assert sync_status(a.store).rejected == 0
    b.engine.sync()
    with central.sessions() as session:
        on_server = {p.id: p.receipt_number or "" for p in session.scalars(select(Payment))}
    assert _payments(a) == _payments(b) == on_server
    with b.store.session() as session:
        assert paid_on(invoice.id, session=session) == 0
