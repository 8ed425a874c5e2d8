"""The cashier's billing desk: who is waiting to pay, a visit's bill, taking
payments (split across methods until the balance is 0), receipts, and
reversals with a reason.

Everything is read and written on the database thread (``ctx.db``);
results for a visit the cashier has already left are dropped. Every write
goes through :mod:`clinic.billing.service`. A receipt printed or saved
right after its payment is the original; any later print of it is a COPY.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic.billing.service import (
    LineInput,
    add_line,
    change_quantity,
    create_invoice,
    mpesa_code_seen,
    open_shift_of,
    record_payment,
    remove_line,
    reverse_payment,
)
from clinic.enums import PaymentMethod
from clinic.errors import FieldError, InvalidValue, NotAllowed, ValidationFailed
from clinic.rules.money import format_kes
from clinic.rules.mpesa import clean_mpesa_code
from desktop.context import AppContext
from desktop.display import method_text
from desktop.printing import DEFAULT_CLINIC_NAME, clinic_name
from desktop.screens.base import Screen
from desktop.screens.billing.models import LinesModel, PaymentsModel, WaitingModel
from desktop.screens.billing.payment import PaymentEntry, PaymentPanel
from desktop.screens.billing.queries import (
    Bill,
    BillLine,
    PaymentRow,
    PriceItem,
    load_bill,
    waiting_to_pay,
)
from desktop.screens.billing.receipt import (
    PageChoice,
    ReceiptData,
    ReceiptLine,
    print_receipt,
    save_receipt_pdf,
)
from desktop.screens.visit_screen import BANNER_ERROR_STYLE, BANNER_OK_STYLE
from desktop.widgets import ERROR_STYLE, ask_save_path

REFRESH_MS = 30_000
TOTAL_STYLE = "font-size: 13pt; font-weight: bold;"


@dataclass(frozen=True)
class Loaded:
    bill: Bill
    shift_open: bool
    clinic_name: str


@dataclass(frozen=True)
class Taken:
    payment_id: uuid.UUID
    receipt_number: str
    change_cents: int
    tendered_cents: int | None


@dataclass(frozen=True)
class CodeSeen:
    """The M-Pesa code was used before: the cashier decides."""

    code: str
    where: list[str]


class ReverseDialog(QDialog):
    """Asks why a payment is reversed; ``submit(reason, dialog)`` does it
    and the dialog stays open with the error until it is done."""

    def __init__(self, parent: QWidget, payment: PaymentRow) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Reverse payment"))
        self.question = QLabel(
            self.tr("Reverse receipt %s (%s, %s)? Say why; the reason is printed and kept.")
            % (
                payment.receipt_number,
                method_text(payment.method),
                format_kes(payment.amount_cents),
            )
        )
        self.question.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reason")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(80)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(self.tr("Reverse"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.submit: Callable[[str], None] = lambda _reason: None
        self.resize(460, 220)

    def _submit(self) -> None:
        self.ok.setEnabled(False)
        self.submit(self.reason.toPlainText())

    def show_error(self, text: str) -> None:
        self.ok.setEnabled(True)
        self.error.setText(text)
        self.error.show()
        self.reason.setFocus()


class BillingScreen(Screen):
    """The billing desk. Ctrl+Enter makes the invoice; F2 to F7 pick how the
    payment is made, Enter takes it; Ctrl+P prints the receipt."""

    key = "billing"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.bill: Bill | None = None
        self.visit_id: uuid.UUID | None = None
        self.clinic_name = DEFAULT_CLINIC_NAME
        self.shift_open = False
        self.originals: set[uuid.UUID] = set()
        """Receipts taken here whose original is not printed yet."""
        self.change_given: dict[uuid.UUID, tuple[int, int | None]] = {}
        self.price_items: list[PriceItem] = []
        self.reverse_dialog: ReverseDialog | None = None

        heading = QLabel(self.tr("Billing"))
        heading.setObjectName("heading")

        # who is waiting to pay
        self.waiting_model = WaitingModel()
        self.waiting = QTableView()
        self.waiting.setObjectName("waiting_to_pay")
        self.waiting.setModel(self.waiting_model)
        self._table_look(self.waiting)
        self.waiting.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.waiting.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.waiting.doubleClicked.connect(lambda _index: self.open_selected())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            opener = QShortcut(QKeySequence(key), self.waiting)
            opener.setContext(Qt.ShortcutContext.WidgetShortcut)
            opener.activated.connect(self.open_selected)
        self.waiting_summary = QLabel()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel(self.tr("<b>Waiting to pay today</b>")))
        left_layout.addWidget(self.waiting, 1)
        left_layout.addWidget(self.waiting_summary)

        # the bill
        self.patient = QLabel(self.tr("Open a visit from the list to bill it."))
        self.patient.setObjectName("bill_patient")
        self.patient.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.invoice_state = QLabel()
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.lines_model = LinesModel(self._quantity_changed)
        self.lines = QTableView()
        self.lines.setObjectName("bill_lines")
        self.lines.setModel(self.lines_model)
        self._table_look(self.lines)
        self.lines.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.lines.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        remover = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.lines)
        remover.setContext(Qt.ShortcutContext.WidgetShortcut)
        remover.activated.connect(self.remove_selected_line)
        self.service = QComboBox()
        self.service.setObjectName("add_service")
        self.service.setEditable(True)
        self.service.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.service.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.service.setMinimumContentsLength(12)
        completer = QCompleter(QStringListModel(self), self.service)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.service.setCompleter(completer)
        service_edit = self.service.lineEdit()
        assert service_edit is not None
        service_edit.setPlaceholderText(self.tr("Add a service: type to search"))
        service_edit.returnPressed.connect(self.add_service)
        self.completer_model = completer.model()
        self.quantity = QSpinBox()
        self.quantity.setRange(1, 10_000)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.clicked.connect(self.add_service)
        self.remove_button = QPushButton(self.tr("Remove line"))
        self.remove_button.clicked.connect(self.remove_selected_line)
        add_row = QHBoxLayout()
        add_row.addWidget(self.service, 1)
        add_row.addWidget(QLabel(self.tr("Qty")))
        add_row.addWidget(self.quantity)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.remove_button)
        self.total = QLabel()
        self.total.setObjectName("total")
        self.paid = QLabel()
        self.paid.setObjectName("paid")
        self.balance = QLabel()
        self.balance.setObjectName("balance")
        totals = QGridLayout()
        for row, (caption, label) in enumerate(
            (
                (self.tr("Total"), self.total),
                (self.tr("Paid"), self.paid),
                (self.tr("Balance"), self.balance),
            )
        ):
            label.setStyleSheet(TOTAL_STYLE)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            totals.addWidget(QLabel(caption), row, 0)
            totals.addWidget(label, row, 1)
        totals.setColumnStretch(1, 1)
        create_row = QHBoxLayout()
        create_row.addStretch(1)
        self.create_button = QPushButton(self.tr("Create invoice  (Ctrl+Enter)"))
        self.create_button.setObjectName("create_invoice")
        self.create_button.clicked.connect(self.create_invoice)
        create_row.addWidget(self.create_button)
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(sequence), self, self.create_invoice)
        lines_box = QGroupBox(self.tr("Bill"))
        lines_layout = QVBoxLayout(lines_box)
        lines_layout.addWidget(self.lines, 1)
        lines_layout.addLayout(add_row)
        lines_layout.addLayout(create_row)

        # payment
        self.payment = PaymentPanel()
        self.payment.sig_payment_entered.connect(self.take_payment)
        self.shift_note = QLabel()
        self.shift_note.setWordWrap(True)
        self.shift_note.setStyleSheet("color: #9a6700;")
        self.receipt_label = QLabel()
        self.receipt_label.setObjectName("last_receipt")
        self.receipt_label.setWordWrap(True)
        self.receipt_label.setStyleSheet("font-size: 12pt; font-weight: bold; color: #1b5e20;")
        pay_column = QVBoxLayout()
        pay_column.addLayout(totals)
        pay_column.addWidget(self.payment)
        pay_column.addWidget(self.shift_note)
        pay_column.addWidget(self.receipt_label)
        pay_column.addStretch(1)

        # payments taken
        self.payments_model = PaymentsModel()
        self.payments = QTableView()
        self.payments.setObjectName("payments")
        self.payments.setModel(self.payments_model)
        self._table_look(self.payments)
        self.payments.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.payments.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.page_choice = QComboBox()
        self.page_choice.setObjectName("page_size")
        self.page_choice.addItem(self.tr("A4 page"), PageChoice.A4.value)
        self.page_choice.addItem(self.tr("80 mm roll"), PageChoice.ROLL_80MM.value)
        self.print_button = QPushButton(self.tr("Print receipt…  (Ctrl+P)"))
        self.print_button.clicked.connect(self.print_receipt)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_receipt)
        self.save_button = QPushButton(self.tr("Save receipt as PDF…"))
        self.save_button.clicked.connect(self.save_receipt)
        self.reverse_button = QPushButton(self.tr("Reverse…"))
        self.reverse_button.clicked.connect(self.reverse_selected)
        receipt_row = QHBoxLayout()
        receipt_row.addWidget(QLabel(self.tr("Paper")))
        receipt_row.addWidget(self.page_choice)
        receipt_row.addWidget(self.print_button)
        receipt_row.addWidget(self.save_button)
        receipt_row.addStretch(1)
        receipt_row.addWidget(self.reverse_button)
        payments_box = QGroupBox(self.tr("Payments and receipts"))
        payments_layout = QVBoxLayout(payments_box)
        payments_layout.addWidget(self.payments, 1)
        payments_layout.addLayout(receipt_row)

        self.bill_panel = QWidget()
        middle = QHBoxLayout()
        middle.addWidget(lines_box, 3)
        middle.addLayout(pay_column, 2)
        top = QHBoxLayout()
        top.addWidget(self.patient, 1)
        top.addWidget(self.invoice_state)
        right_layout = QVBoxLayout(self.bill_panel)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(top)
        right_layout.addWidget(self.banner)
        right_layout.addLayout(middle, 3)
        right_layout.addWidget(payments_box, 2)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.bill_panel)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 860])
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(splitter, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh_waiting)
        self.timer.start()
        self._show_bill(None)

    @staticmethod
    def _table_look(table: QTableView) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def title(self) -> str:
        return self.tr("Billing")

    # --- loading -----------------------------------------------------------

    def refresh(self) -> None:
        self.refresh_waiting()
        if self.visit_id is not None:
            self.reload_bill()

    def refresh_waiting(self) -> None:
        branch_id = self.ctx.actor().branch_id
        day = self.ctx.today()

        def load() -> list[Any]:
            with self.ctx.store.session() as session:
                return waiting_to_pay(session, branch_id, day)

        self.ctx.db.submit(load, self._show_waiting)

    def _show_waiting(self, entries: list[Any]) -> None:
        selected = self._selected_waiting()
        self.waiting_model.set_entries(entries)
        due = sum(e.balance_cents for e in entries)
        self.waiting_summary.setText(
            self.tr("%n waiting", "", len(entries)) + " · " + self.tr("%s due") % format_kes(due)
        )
        for row, entry in enumerate(entries):
            if entry.visit_id in (selected, self.visit_id):
                self.waiting.selectRow(row)

    def _selected_waiting(self) -> uuid.UUID | None:
        rows = self.waiting.selectionModel().selectedRows()
        return self.waiting_model.entries[rows[0].row()].visit_id if rows else None

    def open_selected(self) -> None:
        visit_id = self._selected_waiting()
        if visit_id is not None:
            self.open_visit(visit_id)

    def open_visit(self, visit_id: uuid.UUID) -> None:
        """Show the visit's bill (its invoice, or the lines it proposes)."""
        self.visit_id = visit_id
        self.receipt_label.clear()
        self._banner(None)
        self.reload_bill()

    def reload_bill(self, then: Callable[[], None] | None = None) -> None:
        visit_id = self.visit_id
        if visit_id is None:
            return
        actor = self.ctx.actor()
        day = self.ctx.today()
        store = self.ctx.store

        def load() -> Loaded:
            with store.session() as session:
                bill = load_bill(session, visit_id, day)
                shift = open_shift_of(session, actor)
            return Loaded(bill, shift is not None, clinic_name(store))

        def loaded(result: Loaded) -> None:
            if result.bill.visit_id != self.visit_id:
                return
            self.shift_open = result.shift_open
            self.clinic_name = result.clinic_name
            self._show_bill(result.bill)
            if then is not None:
                then()

        self.ctx.db.submit(load, loaded, self._refused)

    def _show_bill(self, bill: Bill | None) -> None:
        """Show the bill. The payment form starts afresh only when what is
        due changed (another bill, a payment): a reload because changes
        arrived from other PCs leaves what the cashier is typing alone."""
        previous = self.bill
        self.bill = bill
        self.bill_panel.setEnabled(bill is not None)
        if bill is None:
            self.lines_model.set_lines([], False)
            self.payments_model.set_rows([])
            for label in (self.total, self.paid, self.balance):
                label.setText(format_kes(0))
            self.payment.set_balance(0, enabled=False)
            self._update_buttons()
            return
        self.patient.setText(f"{bill.patient_name}  ·  {bill.op_number}")
        if bill.invoice_id is None:
            state = self.tr("Not billed yet: check the lines, then create the invoice")
        else:
            state = self.tr("Invoice %s") % {
                "OPEN": self.tr("unpaid"),
                "PARTIALLY_PAID": self.tr("part paid"),
                "PAID": self.tr("paid in full"),
            }.get(str(bill.invoice_status), str(bill.invoice_status))
        self.invoice_state.setText(state)
        self.lines_model.set_lines(bill.lines, bill.lines_editable)
        self.payments_model.set_rows(bill.payments)
        if bill.payments:
            self.payments.selectRow(len(bill.payments) - 1)
        if self.price_items != bill.price_list:
            self.price_items = bill.price_list
            self.service.clear()
            for item in bill.price_list:
                self.service.addItem(self._item_text(item), str(item.service_id))
            self.service.setCurrentIndex(-1)
            model = self.completer_model
            assert isinstance(model, QStringListModel)
            model.setStringList([self._item_text(i) for i in bill.price_list])
        self._show_totals()
        payable = bill.invoice_id is not None and bill.balance_cents > 0
        fresh = (
            previous is None
            or previous.visit_id != bill.visit_id
            or previous.invoice_id != bill.invoice_id
            or previous.balance_cents != bill.balance_cents
            or not self.payment.isEnabled()
        )
        if fresh:
            self.payment.set_balance(bill.balance_cents, enabled=payable)
        self.shift_note.setText(
            ""
            if self.shift_open or not payable
            else self.tr("No open shift on this PC: cash needs one (open it on the Shifts screen).")
        )
        self._update_buttons()
        if payable and fresh:
            self.payment.choose(self.payment.method)

    @staticmethod
    def _item_text(item: PriceItem) -> str:
        return f"{item.name} — {format_kes(item.price_cents)}"

    def _show_totals(self) -> None:
        bill = self.bill
        if bill is None:
            return
        total = (
            bill.total_cents
            if bill.invoice_id is not None
            else sum(line.amount_cents or 0 for line in self.lines_model.lines)
        )
        self.total.setText(format_kes(total))
        self.paid.setText(format_kes(bill.paid_cents))
        self.balance.setText(format_kes(total - bill.paid_cents))
        colour = "#1b7d2f" if total - bill.paid_cents <= 0 and total > 0 else "#b00020"
        self.balance.setStyleSheet(f"{TOTAL_STYLE} color: {colour};")

    def _update_buttons(self) -> None:
        bill = self.bill
        editable = bill is not None and bill.lines_editable
        for widget in (self.service, self.quantity, self.add_button, self.remove_button):
            widget.setEnabled(editable)
        self.create_button.setVisible(bill is None or bill.invoice_id is None)
        self.create_button.setEnabled(bill is not None and bill.invoice_id is None)
        payment = self._selected_payment()
        self.print_button.setEnabled(payment is not None)
        self.save_button.setEnabled(payment is not None)
        self.reverse_button.setEnabled(
            payment is not None and payment.reverses is None and payment.reversed_by is None
        )

    def _banner(self, text: str | None, *, error: bool = False) -> None:
        self.banner.setText(text or "")
        self.banner.setStyleSheet(BANNER_ERROR_STYLE if error else BANNER_OK_STYLE)
        self.banner.setVisible(bool(text))

    # --- the lines -------------------------------------------------------------

    def _write(self, work: Callable[[Any], Any], done: Callable[[Any], None]) -> None:
        """Run ``work(session)`` in a write transaction on the database thread."""
        store = self.ctx.store

        def run() -> Any:
            with store.write() as session:
                return work(session)

        def finished(result: Any) -> None:
            self.ctx.saved()
            done(result)

        self.ctx.db.submit(run, finished, self._refused)

    def _chosen_service(self) -> PriceItem | None:
        text = self.service.currentText().strip()
        for item in self.price_items:
            if self._item_text(item) == text:
                return item
        matches = [i for i in self.price_items if text.lower() in i.name.lower()] if text else []
        return matches[0] if len(matches) == 1 else None

    def add_service(self) -> None:
        bill = self.bill
        item = self._chosen_service()
        if bill is None or not bill.lines_editable:
            return
        if item is None:
            self._banner(self.tr("Pick a service from the price list first"), error=True)
            return
        quantity = self.quantity.value()
        self._banner(None)
        if bill.invoice_id is None:
            lines = list(self.lines_model.lines)
            rows = self.lines.selectionModel().selectedRows()
            replaced = rows and lines[rows[0].row()].service_id is None
            if replaced:
                # the service for a prescription or test the price list did not match
                row = rows[0].row()
                quantity = lines[row].quantity
                lines[row] = BillLine(None, item.service_id, item.name, quantity, item.price_cents)
            else:
                lines.append(BillLine(None, item.service_id, item.name, quantity, item.price_cents))
            self.lines_model.set_lines(lines, True)
            self._show_totals()
        else:
            invoice_id, actor = bill.invoice_id, self.ctx.actor()
            self._write(
                lambda s: add_line(
                    invoice_id, LineInput(item.service_id, quantity), session=s, actor=actor
                ),
                lambda _r: self.reload_bill(),
            )
        self.service.setCurrentIndex(-1)
        self.service.clearEditText()
        self.quantity.setValue(1)

    def remove_selected_line(self) -> None:
        bill = self.bill
        rows = self.lines.selectionModel().selectedRows()
        if bill is None or not rows or not bill.lines_editable:
            return
        row = rows[0].row()
        line = self.lines_model.lines[row]
        if line.line_id is None:
            lines = list(self.lines_model.lines)
            del lines[row]
            self.lines_model.set_lines(lines, True)
            self._show_totals()
            return
        line_id, actor = line.line_id, self.ctx.actor()
        self._write(
            lambda s: remove_line(line_id, session=s, actor=actor), lambda _r: self.reload_bill()
        )

    def _quantity_changed(self, row: int, quantity: int) -> None:
        line = self.lines_model.lines[row]
        if line.line_id is None:
            if not 1 <= quantity <= 10_000:
                self._banner(
                    self.tr("Quantity must be a whole number from 1 to 10,000"), error=True
                )
                return
            lines = list(self.lines_model.lines)
            lines[row] = BillLine(
                None, line.service_id, line.description, quantity, line.unit_price_cents
            )
            QTimer.singleShot(0, lambda: self._replace_lines(lines))
            return
        line_id, actor = line.line_id, self.ctx.actor()
        self._write(
            lambda s: change_quantity(line_id, quantity, session=s, actor=actor),
            lambda _r: self.reload_bill(),
        )

    def _replace_lines(self, lines: list[BillLine]) -> None:
        self.lines_model.set_lines(lines, True)
        self._show_totals()

    def create_invoice(self) -> None:
        """Make the invoice from the lines on screen."""
        bill = self.bill
        if bill is None or bill.invoice_id is not None:
            return
        lines = self.lines_model.lines
        unmatched = [line.description for line in lines if line.service_id is None]
        if unmatched:
            self._banner(
                self.tr(
                    "Not on the price list: %s. Select the line and add the right service"
                    " in its place, or remove it."
                )
                % ", ".join(unmatched),
                error=True,
            )
            return
        inputs = [LineInput(line.service_id, line.quantity) for line in lines if line.service_id]
        visit_id, actor = bill.visit_id, self.ctx.actor()

        def made(_invoice_id: Any) -> None:
            self._banner(self.tr("Invoice created. Take the payment."))
            self.reload_bill(then=self.payment.amount.setFocus)
            self.refresh_waiting()

        self._write(lambda s: create_invoice(visit_id, inputs, session=s, actor=actor).id, made)

    # --- payments --------------------------------------------------------------

    def take_payment(self, entry: PaymentEntry, confirmed: bool = False) -> None:
        bill = self.bill
        if bill is None or bill.invoice_id is None:
            return
        invoice_id, actor, today = bill.invoice_id, self.ctx.actor(), self.ctx.today()
        self.payment.take_button.setEnabled(False)

        def work(session: Any) -> Taken | CodeSeen:
            if entry.method == PaymentMethod.MPESA and not confirmed:
                code = clean_mpesa_code(entry.reference, "reference")
                seen = mpesa_code_seen(code, session=session)
                if seen:
                    return CodeSeen(code, [s.describe(code) for s in seen])
            taken = record_payment(
                invoice_id,
                entry.method,
                entry.amount_cents,
                entry.reference,
                session=session,
                actor=actor,
                today=today,
                tendered_cents=entry.tendered_cents,
            )
            return Taken(
                taken.payment.id,
                taken.payment.receipt_number or "",
                taken.change_cents,
                entry.tendered_cents,
            )

        def done(result: Taken | CodeSeen) -> None:
            self.payment.take_button.setEnabled(True)
            if isinstance(result, CodeSeen):
                self._confirm_code(entry, result)
                return
            self.originals.add(result.payment_id)
            if entry.method == PaymentMethod.CASH:
                self.change_given[result.payment_id] = (result.change_cents, result.tendered_cents)
            text = self.tr("Receipt %s") % result.receipt_number
            if result.change_cents:
                text += "  ·  " + self.tr("Change %s") % format_kes(result.change_cents)
            self.receipt_label.setText(text)
            self._banner(None)
            self.reload_bill(then=self._after_payment)
            self.refresh_waiting()

        store = self.ctx.store

        def run() -> Taken | CodeSeen:
            with store.write() as session:
                return work(session)

        def finished(result: Taken | CodeSeen) -> None:
            if isinstance(result, Taken):
                self.ctx.saved()
            done(result)

        def failed(error: BaseException) -> None:
            self.payment.take_button.setEnabled(True)
            self._refused(error)

        self.ctx.db.submit(run, finished, failed)

    def _after_payment(self) -> None:
        bill = self.bill
        if bill is not None and bill.balance_cents > 0:
            self.payment.amount.setFocus()
            self.payment.amount.selectAll()

    def _confirm_code(self, entry: PaymentEntry, seen: CodeSeen) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("M-Pesa code used before"))
        box.setText(self.tr("M-Pesa code %s was used before:") % seen.code)
        box.setInformativeText(
            "\n".join(seen.where)
            + "\n\n"
            + self.tr("Check the M-Pesa message. Take this payment anyway?")
        )
        proceed = box.addButton(self.tr("Take it anyway"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(self.tr("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.exec()
        if box.clickedButton() is proceed:
            self.take_payment(entry, confirmed=True)
        else:
            self.payment.show_errors(
                [FieldError("reference", self.tr("Used before; check the code"))]
            )

    def _refused(self, error: BaseException) -> None:
        """A service said no: the reason next to its field, else on the banner."""
        if isinstance(error, InvalidValue):
            errors = [FieldError(error.field, error.reason)]
        elif isinstance(error, ValidationFailed):
            errors = error.errors
        elif isinstance(error, NotAllowed | LookupError):
            if self.payment.isEnabled():
                self.payment.show_message(str(error))
            else:
                self._banner(str(error), error=True)
            return
        else:
            raise error
        payment_fields = {"amount_cents", "reference", "tendered_cents", "method"}
        if all(e.field in payment_fields for e in errors) and self.payment.isEnabled():
            self.payment.show_errors(errors)
        else:
            self._banner("\n".join(f"{e.reason}" for e in errors), error=True)

    # --- receipts and reversals ---------------------------------------------------

    def _selected_payment(self) -> PaymentRow | None:
        rows = self.payments.selectionModel().selectedRows()
        return self.payments_model.rows[rows[0].row()] if rows else None

    def receipt_for(self, payment: PaymentRow) -> ReceiptData:
        """The receipt of one of the open bill's payments (or reversals)."""
        bill = self.bill
        assert bill is not None
        paid = 0
        for row in bill.payments:
            paid += row.amount_cents
            if row.payment_id == payment.payment_id:
                break
        change, tendered = self.change_given.get(payment.payment_id, (0, None))
        reverses = next(
            (p.receipt_number for p in bill.payments if p.payment_id == payment.reverses), None
        )
        return ReceiptData(
            clinic_name=self.clinic_name,
            branch_name=bill.branch_name,
            receipt_number=payment.receipt_number or "",
            received_at=payment.received_at,
            patient_name=bill.patient_name,
            op_number=bill.op_number,
            lines=[
                ReceiptLine(
                    line.description,
                    line.quantity,
                    line.unit_price_cents or 0,
                    line.amount_cents or 0,
                )
                for line in bill.lines
            ],
            total_cents=bill.total_cents,
            method=method_text(payment.method),
            reference=payment.reference,
            amount_cents=payment.amount_cents,
            paid_cents=paid,
            balance_cents=bill.total_cents - paid,
            cashier=payment.cashier_name
            or (self.ctx.user.full_name if payment.cashier_id == self.ctx.user.user_id else ""),
            change_cents=change,
            tendered_cents=tendered,
            reverses_receipt=reverses,
            reversal_reason=payment.reversal_reason,
        )

    def page(self) -> PageChoice:
        return PageChoice(self.page_choice.currentData())

    def _is_copy(self, payment: PaymentRow) -> bool:
        return payment.payment_id not in self.originals

    def save_receipt(self, path: Path | None = None) -> Path | None:
        """Save the selected payment's receipt as a PDF (asks where)."""
        payment = self._selected_payment()
        if payment is None:
            return None
        if path is None:
            path = ask_save_path(
                self,
                self.tr("Save receipt"),
                Path.home() / f"{payment.receipt_number}.pdf",
                self.tr("PDF files (*.pdf)"),
            )
            if path is None:
                return None
        try:
            save_receipt_pdf(
                self.receipt_for(payment), path, copy=self._is_copy(payment), page=self.page()
            )
        except OSError as error:
            self._banner(self.tr("Could not save the receipt: %s") % error, error=True)
            return None
        self.originals.discard(payment.payment_id)
        self._banner(self.tr("Receipt %s saved to %s") % (payment.receipt_number, path))
        return path

    def print_receipt(self) -> None:
        payment = self._selected_payment()
        if payment is None:
            return
        data = self.receipt_for(payment)
        try:
            if not print_receipt(self, data, copy=self._is_copy(payment), page=self.page()):
                return
        except OSError as error:
            self._banner(self.tr("Could not print the receipt: %s") % error, error=True)
            return
        self.originals.discard(payment.payment_id)
        self._banner(self.tr("Receipt %s sent to the printer") % payment.receipt_number)

    def reverse_selected(self) -> None:
        """Ask why, then reverse the selected payment with its own receipt."""
        payment = self._selected_payment()
        if payment is None or payment.reverses is not None or payment.reversed_by:
            return
        dialog = ReverseDialog(self, payment)
        actor, today = self.ctx.actor(), self.ctx.today()
        self.reverse_dialog = dialog

        def submit(reason: str) -> None:
            def done(result: tuple[uuid.UUID, str]) -> None:
                reversal_id, receipt = result
                self.originals.add(reversal_id)
                dialog.accept()
                self.receipt_label.setText(self.tr("Reversal receipt %s") % receipt)
                self.reload_bill()
                self.refresh_waiting()

            def failed(error: BaseException) -> None:
                if isinstance(error, InvalidValue):
                    dialog.show_error(error.reason)
                elif isinstance(error, NotAllowed | LookupError):
                    dialog.show_error(str(error))
                else:
                    raise error

            def work(session: Any) -> tuple[uuid.UUID, str]:
                reversal = reverse_payment(
                    payment.payment_id, reason, session=session, actor=actor, today=today
                )
                return reversal.id, reversal.receipt_number or ""

            store = self.ctx.store

            def run() -> tuple[uuid.UUID, str]:
                with store.write() as session:
                    return work(session)

            def finished(result: tuple[uuid.UUID, str]) -> None:
                self.ctx.saved()
                done(result)

            self.ctx.db.submit(run, finished, failed)

        dialog.submit = submit
        dialog.open()
