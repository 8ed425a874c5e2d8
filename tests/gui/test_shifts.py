"""The shifts screen, driven as a cashier uses it: open a shift with a float,
watch the payments (taken through the billing service: the billing desk is
another screen), close it with the counted cash, see the variance; the
branch's day; the M-Pesa till statement reconciliation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from clinic.actor import Actor
from clinic.billing.models import Shift
from clinic.billing.service import (
    LineInput,
    close_shift,
    create_invoice,
    create_service,
    open_shift,
    record_payment,
    reverse_payment,
)
from clinic.clock import clinic_today
from clinic.enums import PaymentMethod, Role, ServiceKind, Sex
from clinic.journal.models import OutboxEntry
from clinic.org.models import User
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import LocalStore
from clinic.visits.service import open_visit
from desktop.context import AppContext
from desktop.screens.shifts import ShiftsScreen
from desktop.screens.shifts.cash_up_print import cash_up_html, write_cash_up_pdf
from desktop.screens.shifts.close_dialog import CloseShiftDialog
from desktop.screens.shifts.data import shift_view
from tests.gui.conftest import MakeContext, shown
from tests.gui.pdf import pdf_page_size_mm, pdf_text

SAMPLES = Path(__file__).parent / "samples"


class Desk:
    """Bills and payments at the branch, through the billing service."""

    def __init__(self, store: LocalStore, receptionist: Actor) -> None:
        self.store = store
        self.receptionist = receptionist
        self.today = clinic_today()
        with store.write() as session:
            self.service_id = create_service(
                "CONS-X",
                "Consultation",
                ServiceKind.CONSULTATION,
                5_000_00,
                session=session,
                actor=Actor(device_id=store.device_id),
                effective_from=self.today,
            ).id
        self.patients = 0
        self.names = iter(["Otieno", "Kamau", "Wanjiru", "Achieng", "Mwangi", "Njeri", "Kiprono"])

    def invoice(self, quantity: int = 1) -> uuid.UUID:
        self.patients += 1
        with self.store.write() as session:
            patient = register_patient(
                PatientDetails(first_name="Mary", last_name=next(self.names), sex=Sex.FEMALE),
                session=session,
                actor=self.receptionist,
                today=self.today,
            ).patient
            visit = open_visit(
                patient.id, session=session, actor=self.receptionist, today=self.today
            )
            return create_invoice(
                visit.id,
                [LineInput(self.service_id, quantity)],
                session=session,
                actor=self.receptionist,
            ).id

    def pay(
        self, actor: Actor, method: PaymentMethod, cents: int, reference: str | None = None
    ) -> uuid.UUID:
        invoice = self.invoice()
        with self.store.write() as session:
            taken = record_payment(
                invoice, method, cents, reference, session=session, actor=actor, today=self.today
            )
            return taken.payment.id

    def reverse(self, actor: Actor, payment_id: uuid.UUID) -> None:
        with self.store.write() as session:
            reverse_payment(
                payment_id, "Charged twice", session=session, actor=actor, today=self.today
            )


def add_user(store: LocalStore, ctx: AppContext) -> None:
    """The cashier in the store's staff list (as a sync would bring them)."""
    with store.write() as session:
        session.add(
            User(
                id=ctx.user.user_id,
                username=ctx.user.username,
                full_name=ctx.user.full_name,
                role=ctx.user.role,
                branch_id=ctx.user.branch_id,
            )
        )


@pytest.fixture
def desk(store: LocalStore, receptionist: Actor) -> Desk:
    return Desk(store, receptionist)


@pytest.fixture
def cashier(make_context: MakeContext, store: LocalStore) -> AppContext:
    ctx = make_context(Role.CASHIER, "Halima Abdi")
    add_user(store, ctx)
    return ctx


@pytest.fixture
def screen(qtbot: QtBot, cashier: AppContext) -> ShiftsScreen:
    return shown(qtbot, ShiftsScreen(cashier))


def shifts_in(store: LocalStore) -> list[Shift]:
    with store.session() as session:
        return list(session.scalars(select(Shift)))


def open_by_keyboard(qtbot: QtBot, screen: ShiftsScreen, text: str) -> None:
    edit = screen.shift.float_field.edit
    qtbot.waitUntil(edit.isVisible)
    edit.setFocus()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def on_next_dialog(action: Callable[[CloseShiftDialog], None]) -> list[str]:
    """Run ``action`` on the close dialog once it is up; the list gets the
    expected cash it showed."""
    seen: list[str] = []

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, CloseShiftDialog):
            QTimer.singleShot(10, act)
            return
        seen.append(dialog.findChild(type(dialog.variance), "expected_cash").text())
        action(dialog)

    QTimer.singleShot(0, act)
    return seen


def test_open_a_shift_with_a_float_by_keyboard(
    qtbot: QtBot, screen: ShiftsScreen, store: LocalStore
) -> None:
    open_by_keyboard(qtbot, screen, "1,250.50")

    qtbot.waitUntil(lambda: screen.shift.heading.text() == "Your shift is open")
    assert screen.shift.opening_float.text() == "KES 1,250.50"
    assert screen.shift.cash_taken.text() == "KES 0.00"
    assert "Shift opened with a float of KES 1,250.50" in screen.shift.message.text()
    [shift] = shifts_in(store)
    assert shift.opening_float_cents == 125050
    assert shift.closed_at is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("two thousand", "is not an amount"),
        ("-500", "cannot be negative"),
        ("", "Type the amount"),
        ("1000000000000", "check the zeros"),
    ],
)
def test_a_float_that_is_not_an_amount_is_refused_at_the_field(
    qtbot: QtBot, screen: ShiftsScreen, store: LocalStore, typed: str, message: str
) -> None:
    open_by_keyboard(qtbot, screen, typed)

    error = screen.shift.float_field.error
    qtbot.waitUntil(error.isVisible)
    assert message in error.text()
    assert screen.shift.pages.currentIndex() == 0  # still the form
    assert shifts_in(store) == []


def test_the_open_shift_shows_payments_and_reversals_by_method(
    qtbot: QtBot, screen: ShiftsScreen, cashier: AppContext, desk: Desk
) -> None:
    with cashier.store.write() as session:
        open_shift(2_000_00, session=session, actor=cashier.actor())
    desk.pay(cashier.actor(), PaymentMethod.CASH, 1_500_00)
    wrong = desk.pay(cashier.actor(), PaymentMethod.CASH, 1_000_00)
    desk.reverse(cashier.actor(), wrong)
    desk.pay(cashier.actor(), PaymentMethod.MPESA, 800_00, "RKT8P2LM4B")

    screen.refresh()
    qtbot.waitUntil(lambda: screen.shift.payments.rowCount() == 4)

    assert screen.shift.opening_float.text() == "KES 2,000.00"
    assert screen.shift.cash_taken.text() == "KES 1,500.00"
    assert screen.shift.expected_cash.text() == "KES 3,500.00"
    assert screen.shift.payment_count.text() == "3 payments, 1 reversals"
    methods = screen.shift.methods
    rows = {
        methods.index(r, 0).data(): [methods.index(r, c).data() for c in range(1, 4)]
        for r in range(methods.rowCount())
    }
    assert rows == {
        "Cash": ["KES 2,500.00", "KES -1,000.00", "KES 3,500.00"],
        "M-Pesa": ["KES 800.00", "", "KES 800.00"],
    }
    payments = screen.shift.payments
    reversal = [
        [payments.index(r, c).data() for c in range(payments.columnCount())]
        for r in range(payments.rowCount())
        if payments.index(r, 2).data() == "Cash reversal"
    ]
    assert reversal and reversal[0][3] == "KES -1,000.00" and reversal[0][6] == "Charged twice"


def test_close_with_the_counted_cash_shows_the_variance(
    qtbot: QtBot, screen: ShiftsScreen, cashier: AppContext, desk: Desk, store: LocalStore
) -> None:
    open_by_keyboard(qtbot, screen, "2000")
    qtbot.waitUntil(lambda: screen.shift.heading.text() == "Your shift is open")
    desk.pay(cashier.actor(), PaymentMethod.CASH, 1_500_00)
    desk.pay(cashier.actor(), PaymentMethod.MPESA, 800_00, "QGH3X7YZ2A")
    screen.refresh()
    qtbot.waitUntil(lambda: screen.shift.payments.rowCount() == 2)
    live_variance: list[str] = []

    def count(dialog: CloseShiftDialog) -> None:
        qtbot.keyClicks(dialog.counted.edit, "3,450")
        live_variance.append(dialog.variance.text())
        dialog.confirm.click()

    expected_shown = on_next_dialog(count)
    qtbot.mouseClick(screen.shift.close_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: screen.shift.counted_cash.text() == "KES 3,450.00")
    assert expected_shown == ["<b>KES 3,500.00</b>"]
    assert live_variance == ["KES -50.00 (short)"]
    assert screen.shift.variance.text() == "KES -50.00 (short)"
    assert screen.shift.heading.text().startswith("Shift closed at")
    assert not screen.shift.close_button.isVisible()
    [shift] = shifts_in(store)
    assert shift.counted_cash_cents == 3_450_00
    assert shift.expected_cash_cents == 3_500_00
    assert shift.variance_cents == shift.counted_cash_cents - shift.expected_cash_cents == -50_00


def test_counting_notes_and_coins_fills_the_counted_cash(
    qtbot: QtBot, screen: ShiftsScreen, cashier: AppContext
) -> None:
    with cashier.store.write() as session:
        shift_id = open_shift(1_000_00, session=session, actor=cashier.actor()).id
    with cashier.store.session() as session:
        view = shift_view(shift_id, session=session)
    dialog = CloseShiftDialog(view)
    qtbot.addWidget(dialog)
    for value, count in ((500, 1), (200, 2), (50, 1), (20, 3), (1, 4)):
        spin = dialog.denominations.counts[value]
        spin.setFocus()
        qtbot.keyClicks(spin, str(count))

    qtbot.mouseClick(
        dialog.findChild(type(dialog.confirm), "use_denominations"), Qt.MouseButton.LeftButton
    )

    assert dialog.denominations.total.text() == "Notes and coins: KES 1,014.00"
    assert dialog.counted.edit.text() == "1,014.00"
    assert dialog.variance.text() == "KES 14.00 (over)"


def test_a_closed_shift_cannot_be_closed_again(
    qtbot: QtBot, screen: ShiftsScreen, cashier: AppContext, store: LocalStore
) -> None:
    open_by_keyboard(qtbot, screen, "500")
    qtbot.waitUntil(lambda: screen.shift.heading.text() == "Your shift is open")
    [shift] = shifts_in(store)
    with store.write() as session:  # closed meanwhile (by an admin, or another window)
        close_shift(shift.id, 500_00, session=session, actor=cashier.actor())

    def count(dialog: CloseShiftDialog) -> None:
        qtbot.keyClicks(dialog.counted.edit, "400")
        dialog.confirm.click()

    on_next_dialog(count)
    qtbot.mouseClick(screen.shift.close_button, Qt.MouseButton.LeftButton)

    message = screen.shift.message
    qtbot.waitUntil(lambda: "already closed" in message.text())
    assert message.isVisible()
    [after] = shifts_in(store)
    assert after.counted_cash_cents == 500_00  # the first count stands
    assert after.variance_cents == 0
    qtbot.waitUntil(lambda: screen.shift.counted_cash.text() == "KES 500.00")
    assert not screen.shift.close_button.isVisible()


def test_branch_cash_up_adds_up_two_shifts(
    qtbot: QtBot,
    screen: ShiftsScreen,
    cashier: AppContext,
    make_context: MakeContext,
    desk: Desk,
    store: LocalStore,
) -> None:
    other = make_context(Role.PHARMACIST, "Juma Mwangi")
    add_user(store, other)
    for ctx, float_cents, cash, counted in (
        (cashier, 2_000_00, 1_500_00, 3_400_00),  # 100 short
        (other, 1_000_00, 700_00, 1_750_00),  # 50 over
    ):
        with store.write() as session:
            shift_id = open_shift(float_cents, session=session, actor=ctx.actor()).id
        desk.pay(ctx.actor(), PaymentMethod.CASH, cash)
        with store.write() as session:
            close_shift(shift_id, counted, session=session, actor=ctx.actor())
    desk.pay(cashier.actor(), PaymentMethod.MPESA, 900_00, "QGH3X7YZ2A")  # outside a shift

    screen.tabs.setCurrentWidget(screen.cash_up)
    panel = screen.cash_up
    qtbot.waitUntil(lambda: panel.shifts.rowCount() == 2)

    cells = [
        [panel.shifts.index(r, c).data() for c in range(panel.shifts.columnCount())]
        for r in range(2)
    ]
    assert {row[0] for row in cells} == {"Halima Abdi", "Juma Mwangi"}
    assert sorted(row[6] for row in cells) == ["KES 1,700.00", "KES 3,500.00"]
    assert sorted(row[8] for row in cells) == ["KES -100.00 (short)", "KES 50.00 (over)"]
    assert panel.summary.text() == (
        "2 shifts: expected cash KES 5,200.00, counted KES 5,150.00, variance KES -50.00 (short)."
    )


def statement_file(tmp_path: Path) -> Path:
    text = (SAMPLES / "mpesa_statement.csv").read_text(encoding="utf-8")
    path = tmp_path / "till-statement.csv"
    path.write_text(text.replace("{day}", clinic_today().isoformat()), encoding="utf-8")
    return path


def list_rows(model: object) -> list[list[str]]:
    return [list(row) for row in model.rows]  # type: ignore[attr-defined]


@pytest.fixture
def reconciled(
    qtbot: QtBot, screen: ShiftsScreen, cashier: AppContext, desk: Desk, tmp_path: Path
) -> ShiftsScreen:
    """The sample statement imported: QGH3X7YZ2A was paid at the desk and is
    on the statement; RKT8P2LM4B is on the statement only; TXY9Z8W7V6 was
    typed at the desk but never reached the till."""
    with cashier.store.write() as session:
        open_shift(0, session=session, actor=cashier.actor())
    desk.pay(cashier.actor(), PaymentMethod.MPESA, 1_500_00, "QGH3X7YZ2A")
    desk.pay(cashier.actor(), PaymentMethod.MPESA, 1_200_00, "TXY9Z8W7V6")
    screen.tabs.setCurrentWidget(screen.mpesa)
    screen.mpesa.import_file(statement_file(tmp_path))
    qtbot.waitUntil(lambda: screen.mpesa.outcome is not None)
    return screen


def test_reconciliation_shows_matched_and_unmatched_either_way(reconciled: ShiftsScreen) -> None:
    panel = reconciled.mpesa

    assert [r[:3] for r in list_rows(panel.matched)] == [
        ["QGH3X7YZ2A", clinic_today().strftime("%d %b %Y") + " 09:12", "KES 1,500.00"]
    ]
    assert [r[0] for r in list_rows(panel.only_statement)] == ["RKT8P2LM4B"]
    assert list_rows(panel.only_statement)[0][4] == "7"  # the statement's line
    assert [r[0] for r in list_rows(panel.only_payments)] == ["TXY9Z8W7V6"]
    assert list_rows(panel.only_payments)[0][2] == "KES 1,200.00"
    assert list_rows(panel.differ) == []
    tabs = [panel.lists.tabText(i) for i in range(panel.lists.count())]
    assert tabs == [
        "Matched (1)",
        "Only on the statement (1)",
        "Payments not on the statement (1)",
        "Amounts differ (0)",
    ]
    assert "Matched 1; only on the statement 1; payments not on the statement 1" in (
        panel.summary.text()
    )
    assert "not money in (withdrawals, charges, failed) 1" in panel.summary.text()
    assert not panel.problems.isVisible()


def test_a_malformed_statement_gives_a_clear_message_and_changes_nothing(
    qtbot: QtBot, reconciled: ShiftsScreen, store: LocalStore
) -> None:
    panel = reconciled.mpesa
    before = [list_rows(m) for m in (panel.matched, panel.only_statement, panel.only_payments)]
    summary = panel.summary.text()
    with store.session() as session:
        outbox_before = session.scalar(select(func.count()).select_from(OutboxEntry))

    panel.import_file(SAMPLES / "not_a_statement.csv")

    qtbot.waitUntil(lambda: "No header row" in panel.message.text())
    assert panel.message.text().startswith("not_a_statement.csv: No header row with Receipt No.")
    assert panel.message.isVisible()
    assert [list_rows(m) for m in (panel.matched, panel.only_statement, panel.only_payments)] == (
        before
    )
    assert panel.summary.text() == summary
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == outbox_before


def test_unreadable_statement_lines_are_named_by_line(
    qtbot: QtBot, screen: ShiftsScreen, tmp_path: Path
) -> None:
    path = statement_file(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8")
        + "NOT-A-CODE,2026-12-01 10:00:00,,x,Completed,10.00,,,,,\n",
        encoding="utf-8",
    )
    screen.tabs.setCurrentWidget(screen.mpesa)

    screen.mpesa.import_file(path)

    problems = screen.mpesa.problems
    qtbot.waitUntil(problems.isVisible)
    assert "1 lines of the statement could not be read" in problems.text()
    assert "Line 9: 'NOT-A-CODE' is not an M-Pesa code" in problems.text()


def test_the_cash_up_prints_to_pdf_from_plain_data(
    cashier: AppContext, desk: Desk, store: LocalStore, tmp_path: Path
) -> None:
    with store.write() as session:
        shift_id = open_shift(2_000_00, session=session, actor=cashier.actor()).id
    desk.pay(cashier.actor(), PaymentMethod.CASH, 1_500_00)
    with store.write() as session:
        close_shift(shift_id, 3_450_00, session=session, actor=cashier.actor())
    with store.session() as session:
        view = shift_view(shift_id, session=session)

    html = cash_up_html(view)
    path = write_cash_up_pdf(view, tmp_path / "cash-up.pdf")

    assert "Halima Abdi" in html and "KES 3,450.00" in html and "KES -50.00 (short)" in html
    text = pdf_text(path)
    for expected in ("Shift cash-up", "Halima Abdi", "KES 3,450.00", "KES -50.00 (short)"):
        assert expected in text, expected
    assert round(pdf_page_size_mm(path).width()) == 210  # A4


def test_a_second_open_shift_on_this_pc_is_refused_with_a_message(
    qtbot: QtBot, screen: ShiftsScreen, cashier: AppContext, store: LocalStore
) -> None:
    qtbot.waitUntil(screen.shift.float_field.edit.isVisible)
    with store.write() as session:  # opened meanwhile in another window of this PC
        open_shift(1_000_00, session=session, actor=cashier.actor())

    open_by_keyboard(qtbot, screen, "500")

    qtbot.waitUntil(lambda: "already have an open shift" in screen.shift.message.text())
    assert len(shifts_in(store)) == 1


def test_a_long_shift_hands_its_payments_to_the_list_page_by_page() -> None:
    from datetime import UTC, datetime

    from desktop.screens.shifts.data import PaymentRow
    from desktop.screens.shifts.models import PaymentsModel

    rows = [
        PaymentRow(
            uuid.uuid4(), datetime.now(UTC), f"RCP-{i}", PaymentMethod.CASH, 100, None, "", None
        )
        for i in range(450)
    ]
    model = PaymentsModel()
    model.set_rows(rows)
    root = model.index(-1, -1)

    seen = [model.rowCount()]
    while model.canFetchMore(root):
        model.fetchMore(root)
        seen.append(model.rowCount())

    assert seen == [200, 400, 450]
    assert model.index(449, 1).data() == "RCP-449"
