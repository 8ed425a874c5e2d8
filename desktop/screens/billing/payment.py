"""Taking a payment, keyboard first: F2 to F7 pick the method, the amount
starts at the balance, cash shows what was tendered and the change, Enter
takes it. Errors are shown under the field they name."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic.billing.rules import INSURANCE_EXAMPLE
from clinic.enums import PaymentMethod
from clinic.errors import FieldError, InvalidValue
from clinic.rules.money import format_kes, parse_kes
from desktop.display import method_text
from desktop.widgets import ERROR_STYLE, ErrorForm

M = PaymentMethod
CHECKED_STYLE = (
    "QPushButton:checked { background: #2f6f8f; color: white; font-weight: bold;"
    " border: 1px solid #1f3a4d; border-radius: 3px; }"
)
BUTTON_PADDING = 24
METHOD_KEYS = (
    (M.CASH, Qt.Key.Key_F2),
    (M.MPESA, Qt.Key.Key_F3),
    (M.CARD, Qt.Key.Key_F4),
    (M.BANK, Qt.Key.Key_F5),
    (M.SHA, Qt.Key.Key_F6),
    (M.INSURANCE, Qt.Key.Key_F7),
)


@dataclass(frozen=True)
class PaymentEntry:
    """What the cashier typed, in the service's terms."""

    method: PaymentMethod
    amount_cents: int
    reference: str | None
    tendered_cents: int | None


def plain_amount(cents: int) -> str:
    """An amount as a cashier types it: ``1250.00``."""
    return f"{cents // 100}.{cents % 100:02d}"


class PaymentPanel(QGroupBox):
    """The payment form of the billing desk."""

    sig_payment_entered = Signal(object)
    """A PaymentEntry the cashier asked to take (Enter or the button)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Take payment"))
        self.balance_cents = 0
        self.method = M.CASH
        self.buttons: dict[PaymentMethod, QPushButton] = {}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        grid = QGridLayout()
        grid.setSpacing(4)
        for position, (method, key) in enumerate(METHOD_KEYS):
            button = QPushButton(f"{method_text(method)} ({QKeySequence(key).toString()})")
            button.setCheckable(True)
            button.setStyleSheet(CHECKED_STYLE)
            # Wide enough for its text in bold, as it shows when chosen.
            button.ensurePolished()
            bold = QFont(button.font())
            bold.setBold(True)
            button.setMinimumWidth(
                QFontMetrics(bold).horizontalAdvance(button.text()) + BUTTON_PADDING
            )
            button.setObjectName(f"method_{method.value.lower()}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, m=method: self.choose(m))
            self.group.addButton(button)
            self.buttons[method] = button
            grid.addWidget(button, position // 2, position % 2)
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda m=method: self._shortcut(m))

        self.amount = QLineEdit()
        self.amount.setObjectName("amount")
        self.reference = QLineEdit()
        self.reference.setObjectName("reference")
        self.tendered = QLineEdit()
        self.tendered.setObjectName("tendered")
        self.change = QLabel()
        self.change.setObjectName("change")
        self.change.setStyleSheet("font-size: 13pt; font-weight: bold; color: #1b5e20;")
        form_layout = QFormLayout()
        self.form = ErrorForm(form_layout)
        self.form.add("amount_cents", self.tr("Amount"), self.amount)
        self.reference_label = QLabel(self.tr("Reference"))
        self.form.add("reference", "", self.reference)
        form_layout.setWidget(1, QFormLayout.ItemRole.LabelRole, self.reference_label)
        self.tendered_label = QLabel(self.tr("Tendered"))
        self.form.add("tendered_cents", "", self.tendered)
        form_layout.setWidget(2, QFormLayout.ItemRole.LabelRole, self.tendered_label)
        self.change_label = QLabel(self.tr("Change"))
        form_layout.addRow(self.change_label, self.change)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.hide()
        self.take_button = QPushButton(self.tr("Take payment  (Enter)"))
        self.take_button.setObjectName("take_payment")
        self.take_button.clicked.connect(self.submit)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(form_layout)
        layout.addWidget(self.message)
        layout.addWidget(self.take_button)
        for edit in (self.amount, self.reference, self.tendered):
            edit.returnPressed.connect(self.submit)
        self.amount.textChanged.connect(self._show_change)
        self.tendered.textChanged.connect(self._show_change)
        self.choose(M.CASH, focus=False)
        self.set_balance(0, enabled=False)

    # --- state -------------------------------------------------------------

    def set_balance(self, balance_cents: int, *, enabled: bool) -> None:
        """The balance due; the amount starts at it."""
        self.balance_cents = balance_cents
        self.setEnabled(enabled)
        self.amount.setText(plain_amount(balance_cents) if balance_cents > 0 else "")
        self.reference.clear()
        self.tendered.clear()
        self.form.clear_errors()
        self.show_message(None)
        self._show_change()

    def _shortcut(self, method: PaymentMethod) -> None:
        if self.isEnabled() and self.isVisible():
            self.choose(method)

    def choose(self, method: PaymentMethod, *, focus: bool = True) -> None:
        """Pick the method: the reference asked for follows it, and cash
        asks what was handed over."""
        self.method = method
        self.buttons[method].setChecked(True)
        placeholders = {
            M.MPESA: (self.tr("M-Pesa code"), "QGH3X7YZ2A"),
            M.CARD: (self.tr("Card ref."), self.tr("approval code (optional)")),
            M.BANK: (self.tr("Bank ref."), self.tr("slip number (optional)")),
            M.SHA: (self.tr("SHA ref."), self.tr("pre-authorisation (optional)")),
            M.INSURANCE: (self.tr("Scheme/member"), INSURANCE_EXAMPLE),
        }
        label, hint = placeholders.get(method, ("", ""))
        cash = method == M.CASH
        self.reference_label.setText(label)
        self.reference.setPlaceholderText(hint)
        self.form.fields["reference"].setVisible(not cash)
        self.reference_label.setVisible(not cash)
        self.form.fields["tendered_cents"].setVisible(cash)
        self.tendered_label.setVisible(cash)
        self.change_label.setVisible(cash)
        self.change.setVisible(cash)
        self.form.clear_errors()
        self._show_change()
        if focus:
            target = self.tendered if cash else self.reference
            target.setFocus()
            target.selectAll()

    def _show_change(self) -> None:
        if self.method != M.CASH:
            self.change.setText("")
            return
        try:
            amount = parse_kes(self.amount.text())
            tendered = parse_kes(self.tendered.text()) if self.tendered.text().strip() else amount
        except InvalidValue:
            self.change.setText("")
            return
        change = tendered - min(amount, self.balance_cents)
        self.change.setText(format_kes(change) if change >= 0 else "")

    def show_message(self, text: str | None) -> None:
        self.message.setText(text or "")
        self.message.setVisible(bool(text))

    def show_errors(self, errors: list[FieldError]) -> None:
        """Each error under its field; any other shown under the form."""
        unplaced = self.form.show_errors(errors)
        self.show_message("\n".join(unplaced) if unplaced else None)

    def error_text(self, name: str) -> str:
        return self.form.error_text(name)

    # --- taking it ---------------------------------------------------------

    def entry(self) -> PaymentEntry:
        """What was typed; raises InvalidValue naming the field for an
        amount that is not one."""
        amount = parse_kes(self.amount.text(), "amount_cents")
        tendered = None
        if self.method == M.CASH and self.tendered.text().strip():
            tendered = parse_kes(self.tendered.text(), "tendered_cents")
        reference = self.reference.text().strip() if self.method != M.CASH else ""
        return PaymentEntry(self.method, amount, reference or None, tendered)

    def submit(self) -> None:
        if not self.isEnabled():
            return
        self.show_message(None)
        try:
            entry = self.entry()
        except InvalidValue as error:
            self.show_errors([FieldError(error.field, error.reason)])
            return
        self.form.clear_errors()
        self.sig_payment_entered.emit(entry)
