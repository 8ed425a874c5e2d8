"""The billing desk, driven as a cashier uses it: the visits waiting to
pay, a visit's proposed bill made into an invoice, payments taken from the
keyboard (cash with change, M-Pesa split with cash, a repeated M-Pesa code,
card over the balance), reversals with a reason, and the receipt PDF."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from clinic.actor import Actor
from clinic.billing.models import Invoice, Payment
from clinic.billing.service import (
    LineInput,
    create_invoice,
    open_shift,
    propose_lines,
    record_payment,
    seed_price_list,
)
from clinic.clock import clinic_today
from clinic.enums import InvoiceStatus, PaymentMethod, Role, VisitStatus
from clinic.numbering.service import add_lease
from clinic.org.models import Branch
from clinic.patients.service import PatientDetails, register_patient
from clinic.rules.numbers import NumberKind
from clinic.store import LocalStore
from clinic.visits.models import Visit
from clinic.visits.service import ConsultationNotes, PrescriptionInput, open_visit
from clinic.visits.service import record_consultation as save_consultation
from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.screens.billing import BillingScreen
from desktop.screens.billing.receipt import PageChoice, receipt_document
from desktop.screens.queue import QueueScreen
from tests.conftest import make_actor
from tests.gui.conftest import MakeContext, shown
from tests.gui.pdf import pdf_page_size_mm, pdf_text
from tests.gui.test_triage import answer_dialog, reactivate


@pytest.fixture
def priced(store: LocalStore) -> None:
    with store.write() as session:
        seed_price_list(session=session, actor=Actor(device_id=store.device_id))
        add_lease(session, store.device_id, NumberKind.RECEIPT, clinic_today().year, 1, 1000)


def add_visit(
    store: LocalStore,
    branch: Branch,
    first: str = "Mary",
    last: str = "Otieno",
    *,
    status: VisitStatus = VisitStatus.COMPLETED,
) -> uuid.UUID:
    """Today's visit, seen by the clinician (Amoxicillin 15 capsules), so
    its bill proposes Consultation (new) KES 500.00 + 15 x KES 5.00."""
    receptionist = make_actor(store, branch, Role.RECEPTIONIST)
    clinician = make_actor(store, branch, Role.CLINICAL_OFFICER)
    today = clinic_today()
    with store.write() as session:
        patient = register_patient(
            PatientDetails(first_name=first, last_name=last, date_of_birth=date(1990, 5, 17)),
            session=session,
            actor=receptionist,
            today=today,
        ).patient
        visit = open_visit(patient.id, session=session, actor=receptionist, today=today)
        save_consultation(
            visit.id,
            ConsultationNotes(
                complaint="Sore throat",
                prescriptions=[
                    PrescriptionInput("Amoxicillin 500 mg", "500 mg", "TDS", "5 days", 15)
                ],
            ),
            session=session,
            actor=clinician,
        )
        # the clinic's workflow moved it on (reception, clinician, pharmacy)
        visit.status = status
        return visit.id


@pytest.fixture
def cashier_ctx(make_context: MakeContext, store: LocalStore, priced: None) -> AppContext:
    """A cashier with the shift open (float KES 1,000.00)."""
    ctx = make_context(Role.CASHIER, "Halima Abdi")
    with store.write() as session:
        open_shift(100_000, session=session, actor=ctx.actor())
    return ctx


@pytest.fixture
def desk(qtbot: QtBot, cashier_ctx: AppContext) -> Iterator[BillingScreen]:
    yield shown(qtbot, BillingScreen(cashier_ctx))


def open_bill(qtbot: QtBot, desk: BillingScreen, visit_id: uuid.UUID) -> None:
    desk.open_visit(visit_id)
    qtbot.waitUntil(lambda: desk.bill is not None and desk.bill.visit_id == visit_id)


def make_invoice(qtbot: QtBot, desk: BillingScreen) -> None:
    qtbot.keyClick(desk, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: desk.bill is not None and desk.bill.invoice_id is not None)
    qtbot.waitUntil(lambda: desk.payment.isEnabled())


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Select what the field holds and type over it, as a cashier does."""
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def payments(store: LocalStore) -> list[Payment]:
    with store.session() as session:
        return list(session.scalars(select(Payment).order_by(Payment.received_at)))


def invoice_of(store: LocalStore, visit_id: uuid.UUID) -> Invoice:
    with store.session() as session:
        invoice = session.scalars(select(Invoice).where(Invoice.visit_id == visit_id)).one()
        session.expunge(invoice)
        return invoice


def test_waiting_list_shows_visits_to_bill_and_unpaid(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    add_visit(store, branch, "Mary", "Otieno")
    add_visit(store, branch, "John", "Kamau", status=VisitStatus.IN_CONSULTATION)
    desk.refresh()
    qtbot.waitUntil(lambda: desk.waiting_model.rowCount() == 1)
    patient = desk.waiting_model.data(desk.waiting_model.index(0, 0))
    assert isinstance(patient, str) and patient.startswith("Mary Otieno\n")
    assert "OP-" in patient
    assert desk.waiting_model.data(desk.waiting_model.index(0, 1)) == "To bill"
    assert desk.waiting_summary.text().startswith("1 waiting")


def test_cash_payment_with_change_by_keyboard_only(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    visit_id = add_visit(store, branch)
    desk.refresh()
    qtbot.waitUntil(lambda: desk.waiting_model.rowCount() == 1)
    desk.waiting.setFocus()
    qtbot.keyClick(desk.waiting, Qt.Key.Key_Down)
    qtbot.keyClick(desk.waiting, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.bill is not None and desk.bill.visit_id == visit_id)
    assert [line.description for line in desk.lines_model.lines] == [
        "Consultation (new)",
        "Amoxicillin 500 mg capsule",
    ]
    assert desk.total.text() == "KES 575.00"
    assert desk.balance.text() == "KES 575.00"

    make_invoice(qtbot, desk)
    assert desk.payment.amount.text() == "575.00"
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: desk.payment.tendered.hasFocus())
    qtbot.keyClicks(desk.payment.tendered, "1000")
    assert desk.payment.change.text() == "KES 425.00"
    qtbot.keyClick(desk.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 0.00")
    taken = payments(store)
    assert [(p.method, p.amount_cents) for p in taken] == [(PaymentMethod.CASH, 57_500)]
    receipt = taken[0].receipt_number
    assert receipt is not None and receipt.startswith("RCP-")
    assert receipt in desk.receipt_label.text()
    assert "Change KES 425.00" in desk.receipt_label.text()
    assert desk.paid.text() == "KES 575.00"
    assert invoice_of(store, visit_id).status == InvoiceStatus.PAID
    assert not desk.payment.isEnabled()
    desk.refresh_waiting()
    qtbot.waitUntil(lambda: desk.waiting_model.rowCount() == 0)


def test_split_mpesa_then_cash(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    visit_id = add_visit(store, branch)
    open_bill(qtbot, desk, visit_id)
    make_invoice(qtbot, desk)
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F3)
    qtbot.waitUntil(lambda: desk.payment.reference.hasFocus())
    qtbot.keyClicks(desk.payment.reference, "qgh3x7yz2a")
    type_into(qtbot, desk.payment.amount, "400")
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 175.00")
    assert desk.paid.text() == "KES 400.00"
    assert desk.payment.amount.text() == "175.00"
    assert desk.payment.method == PaymentMethod.MPESA
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F2)
    qtbot.keyClick(desk.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 0.00")
    assert [(p.method, p.amount_cents, p.reference) for p in payments(store)] == [
        (PaymentMethod.MPESA, 40_000, "QGH3X7YZ2A"),
        (PaymentMethod.CASH, 17_500, None),
    ]
    assert desk.payments_model.rowCount() == 2


def pay_mpesa(qtbot: QtBot, desk: BillingScreen, code: str) -> None:
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F3)
    qtbot.keyClicks(desk.payment.reference, code)
    qtbot.keyClick(desk.payment.reference, Qt.Key.Key_Return)


def test_mpesa_code_used_before_is_the_cashiers_call(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    first = add_visit(store, branch, "Mary", "Otieno")
    second = add_visit(store, branch, "John", "Kamau")
    open_bill(qtbot, desk, first)
    make_invoice(qtbot, desk)
    pay_mpesa(qtbot, desk, "QGH3X7YZ2A")
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 0.00")
    receipt = payments(store)[0].receipt_number
    assert receipt is not None

    open_bill(qtbot, desk, second)
    make_invoice(qtbot, desk)
    seen = answer_dialog("Cancel")
    pay_mpesa(qtbot, desk, "QGH3X7YZ2A")
    qtbot.waitUntil(lambda: bool(seen))
    assert receipt in seen[0] and "Mary Otieno" in seen[0]
    reactivate(qtbot, desk)
    qtbot.waitUntil(lambda: desk.payment.error_text("reference") != "")
    assert len(payments(store)) == 1

    seen = answer_dialog("Take it anyway")
    qtbot.keyClick(desk.payment.reference, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(seen))
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 0.00")
    assert [p.reference for p in payments(store)] == ["QGH3X7YZ2A", "QGH3X7YZ2A"]


def test_card_over_the_balance_is_refused_at_the_amount(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    open_bill(qtbot, desk, add_visit(store, branch))
    make_invoice(qtbot, desk)
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F4)
    type_into(qtbot, desk.payment.amount, "600")
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.payment.error_text("amount_cents") != "")
    assert "KES 600.00 is more than the KES 575.00 due" in desk.payment.error_text("amount_cents")
    assert payments(store) == []
    assert desk.balance.text() == "KES 575.00"


def test_a_bad_mpesa_code_is_shown_at_the_reference(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    open_bill(qtbot, desk, add_visit(store, branch))
    make_invoice(qtbot, desk)
    pay_mpesa(qtbot, desk, "12AB")
    qtbot.waitUntil(lambda: desk.payment.error_text("reference") != "")
    assert payments(store) == []


def test_lines_are_edited_before_the_invoice(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    open_bill(qtbot, desk, add_visit(store, branch))
    desk.service.setFocus()
    qtbot.keyClicks(desk.service, "Malaria RDT")
    qtbot.mouseClick(desk.add_button, Qt.MouseButton.LeftButton)
    assert desk.total.text() == "KES 775.00"
    desk.lines.setFocus()
    desk.lines.selectRow(1)
    qtbot.keyClick(desk.lines, Qt.Key.Key_Delete)
    assert desk.total.text() == "KES 700.00"
    assert [line.description for line in desk.lines_model.lines] == [
        "Consultation (new)",
        "Malaria RDT",
    ]
    index = desk.lines_model.index(1, 1)
    desk.lines_model.setData(index, 3)
    qtbot.waitUntil(lambda: desk.total.text() == "KES 1,100.00")
    make_invoice(qtbot, desk)
    with store.session() as session:
        invoice = session.scalars(select(Invoice)).one()
        assert invoice.total_cents == 110_000


def reverse_dialog(qtbot: QtBot, desk: BillingScreen) -> QDialog:
    qtbot.mouseClick(desk.reverse_button, Qt.MouseButton.LeftButton)
    dialog = desk.reverse_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_reversal_needs_a_reason_and_gets_its_own_receipt(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch, tmp_path: Path
) -> None:
    visit_id = add_visit(store, branch)
    open_bill(qtbot, desk, visit_id)
    make_invoice(qtbot, desk)
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F2)
    qtbot.keyClick(desk.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 0.00")
    desk.payments.selectRow(0)

    dialog = reverse_dialog(qtbot, desk)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.error.isVisible())  # type: ignore[attr-defined]
    assert "Say why" in dialog.error.text()  # type: ignore[attr-defined]
    assert len(payments(store)) == 1

    qtbot.keyClicks(dialog.reason, "Charged twice: patient paid by M-Pesa")  # type: ignore[attr-defined]
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 575.00")
    original, reversal = payments(store)
    assert reversal.amount_cents == -57_500 and reversal.reverses == original.id
    assert reversal.receipt_number and reversal.receipt_number != original.receipt_number
    assert reversal.receipt_number in desk.receipt_label.text()
    assert invoice_of(store, visit_id).status == InvoiceStatus.OPEN
    assert desk.payment.isEnabled()

    desk.payments.selectRow(1)
    path = desk.save_receipt(tmp_path / "reversal.pdf")
    assert path is not None
    text = pdf_text(path)
    assert "REVERSAL" in text and reversal.receipt_number in text
    assert original.receipt_number is not None and original.receipt_number in text
    assert "Charged twice" in text


def test_receipt_pdf_has_the_number_and_copy_on_reprint(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch, tmp_path: Path
) -> None:
    open_bill(qtbot, desk, add_visit(store, branch))
    make_invoice(qtbot, desk)
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F2)
    qtbot.keyClicks(desk.payment.tendered, "1,000")
    qtbot.keyClick(desk.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 0.00")
    receipt = payments(store)[0].receipt_number
    assert receipt is not None

    first_path = desk.save_receipt(tmp_path / "first.pdf")
    assert first_path is not None
    first = pdf_text(first_path)
    assert receipt in first
    for expected in (
        "Main branch",
        "Mary Otieno",
        "Amoxicillin 500 mg capsule",
        "KES 575.00",
        "KES 1,000.00",
        "KES 425.00",
        "Cash",
        "Halima Abdi",
    ):
        assert expected in first, expected
    assert "COPY" not in first

    desk.page_choice.setCurrentIndex(desk.page_choice.findData(PageChoice.ROLL_80MM.value))
    again = desk.save_receipt(tmp_path / "again.pdf")
    assert again is not None
    second = pdf_text(again)
    assert "COPY" in second and receipt in second
    assert round(pdf_page_size_mm(again).width()) == 80
    assert round(pdf_page_size_mm(first_path).width()) == 210  # A4


def test_receipt_document_says_copy(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    open_bill(qtbot, desk, add_visit(store, branch))
    make_invoice(qtbot, desk)
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F2)
    qtbot.keyClick(desk.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 0.00")
    row = desk.payments_model.rows[0]
    data = desk.receipt_for(row)
    assert row.receipt_number and row.receipt_number in receipt_document(data).toPlainText()
    assert "COPY" in receipt_document(data, copy=True).toPlainText()
    assert "COPY" not in receipt_document(data).toPlainText()


def test_a_receipt_that_cannot_be_saved_says_so_and_leaves_nothing(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch, tmp_path: Path
) -> None:
    open_bill(qtbot, desk, add_visit(store, branch))
    make_invoice(qtbot, desk)
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F2)
    qtbot.keyClick(desk.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.balance.text() == "KES 0.00")
    desk.payments.selectRow(0)

    assert desk.save_receipt(tmp_path / "no-such-folder" / "receipt.pdf") is None
    assert desk.banner.isVisible() and "Could not save the receipt" in desk.banner.text()
    assert not (tmp_path / "no-such-folder").exists()


def test_cash_without_an_open_shift_says_so(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, branch: Branch, priced: None
) -> None:
    desk = shown(qtbot, BillingScreen(make_context(Role.PHARMACIST, "Peter Njoroge")))
    open_bill(qtbot, desk, add_visit(store, branch))
    make_invoice(qtbot, desk)
    assert "No open shift" in desk.shift_note.text()
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F2)
    qtbot.keyClick(desk.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.payment.message.isVisible())
    assert "Open your shift" in desk.payment.message.text()
    assert payments(store) == []


def test_queue_shows_where_each_bill_stands(
    qtbot: QtBot, cashier_ctx: AppContext, store: LocalStore, branch: Branch
) -> None:
    to_bill = add_visit(store, branch, "Mary", "Otieno")
    add_visit(store, branch, "John", "Kamau", status=VisitStatus.IN_CONSULTATION)
    part_paid = add_visit(store, branch, "Ann", "Wambui")
    cashier = cashier_ctx.actor()
    with store.write() as session:
        lines = [
            LineInput(p.service_id, p.quantity)
            for p in propose_lines(part_paid, session=session)
            if p.service_id
        ]
        invoice = create_invoice(part_paid, lines, session=session, actor=cashier)
        record_payment(
            invoice.id,
            PaymentMethod.CASH,
            10_000,
            session=session,
            actor=cashier,
            today=clinic_today(),
        )
    queue = shown(qtbot, QueueScreen(cashier_ctx))
    model = queue.model
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    column = model.columnCount() - 1
    assert model.headerData(column, Qt.Orientation.Horizontal) == "Bill"
    bills = {
        model.entries[row].visit_id: model.data(model.index(row, column))
        for row in range(model.rowCount())
    }
    assert bills[to_bill] == "To bill"
    assert bills[part_paid] == "Part paid"
    assert sum(1 for b in bills.values() if b is None) == 1


def test_queue_has_no_bill_column_for_the_nurse(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, branch: Branch
) -> None:
    add_visit(store, branch)
    queue = shown(qtbot, QueueScreen(make_context(Role.NURSE)))
    qtbot.waitUntil(lambda: queue.model.rowCount() == 1)
    headers = [
        queue.model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(queue.model.columnCount())
    ]
    assert "Bill" not in headers


def test_cashier_opens_a_finished_visit_from_the_queue_at_the_desk(
    qtbot: QtBot, cashier_ctx: AppContext, store: LocalStore, branch: Branch, tmp_path: Path
) -> None:
    visit_id = add_visit(store, branch)
    window = MainWindow(cashier_ctx, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    queue = window.show_screen("queue")
    assert isinstance(queue, QueueScreen)
    qtbot.waitUntil(lambda: queue.model.rowCount() == 1)
    queue.table.selectRow(0)
    qtbot.mouseClick(queue.open_button, Qt.MouseButton.LeftButton)
    desk = window.current_screen()
    assert isinstance(desk, BillingScreen)
    qtbot.waitUntil(lambda: desk.bill is not None and desk.bill.visit_id == visit_id)
    assert desk.total.text() == "KES 575.00"


def test_a_reload_leaves_what_the_cashier_is_typing(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    open_bill(qtbot, desk, add_visit(store, branch))
    make_invoice(qtbot, desk)
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F2)
    qtbot.keyClicks(desk.payment.tendered, "600")
    bill = desk.bill
    desk.refresh()  # as when changes arrive from other PCs
    qtbot.waitUntil(lambda: desk.bill is not bill)
    assert desk.payment.tendered.text() == "600"
    assert desk.payment.change.text() == "KES 25.00"


def test_an_unpaid_invoice_still_changes_and_a_paid_one_does_not(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    visit_id = add_visit(store, branch)
    open_bill(qtbot, desk, visit_id)
    make_invoice(qtbot, desk)
    desk.lines_model.setData(desk.lines_model.index(1, 1), 20)
    qtbot.waitUntil(lambda: desk.total.text() == "KES 600.00")
    desk.service.setFocus()
    qtbot.keyClicks(desk.service, "Malaria RDT")
    qtbot.keyClick(desk.service, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.total.text() == "KES 800.00")
    assert invoice_of(store, visit_id).total_cents == 80_000
    assert desk.payment.amount.text() == "800.00"

    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_F7)
    qtbot.keyClick(desk.payment.reference, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.payment.error_text("reference") != "")
    assert "scheme" in desk.payment.error_text("reference")
    qtbot.keyClicks(desk.payment.reference, "AAR/1234567")
    type_into(qtbot, desk.payment.amount, "100")
    qtbot.keyClick(desk.payment.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.paid.text() == "KES 100.00")
    assert not desk.add_button.isEnabled()
    assert not desk.lines_model.flags(desk.lines_model.index(1, 1)) & Qt.ItemFlag.ItemIsEditable


def test_a_prescription_not_on_the_price_list_is_replaced_by_a_listed_service(
    qtbot: QtBot, desk: BillingScreen, store: LocalStore, branch: Branch
) -> None:
    visit_id = add_visit(store, branch)
    clinician = make_actor(store, branch, Role.CLINICAL_OFFICER)
    with store.write() as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None
        visit.status = VisitStatus.IN_CONSULTATION
        save_consultation(
            visit_id,
            ConsultationNotes(
                prescriptions=[
                    PrescriptionInput("Zinc sulphate 20 mg", "20 mg", "OD", "10 days", 10)
                ]
            ),
            session=session,
            actor=clinician,
        )
    open_bill(qtbot, desk, visit_id)
    assert desk.lines_model.lines[1].service_id is None
    qtbot.mouseClick(desk.create_button, Qt.MouseButton.LeftButton)
    assert "Zinc sulphate 20 mg" in desk.banner.text()
    with store.session() as session:
        assert session.scalars(select(Invoice)).first() is None
    desk.lines.selectRow(1)
    desk.service.setFocus()
    qtbot.keyClicks(desk.service, "Paracetamol 500 mg tablet")
    qtbot.keyClick(desk.service, Qt.Key.Key_Return)
    assert [(line.description, line.quantity) for line in desk.lines_model.lines] == [
        ("Consultation (new)", 1),
        ("Paracetamol 500 mg tablet", 10),
    ]
    make_invoice(qtbot, desk)
    assert invoice_of(store, visit_id).total_cents == 51_000
