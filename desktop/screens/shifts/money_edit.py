"""A field for an amount in shillings, read as integer cents by the
clinic's own rule (:func:`clinic.rules.money.parse_kes`), with its message
shown under it."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from clinic.errors import InvalidValue
from clinic.rules.money import check_amount, format_kes, parse_kes
from desktop.widgets import ERROR_STYLE


class MoneyField(QWidget):
    """The edit and, under it, what is wrong with what was typed."""

    def __init__(self, name: str, placeholder: str = "") -> None:
        super().__init__()
        self.edit = QLineEdit()
        self.edit.setObjectName(name)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setMaxLength(20)
        self.error = QLabel()
        self.error.setObjectName(f"{name}_error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.edit.textEdited.connect(lambda _text: self.show_error(None))

    def cents(self) -> int:
        """What was typed, in cents (0 or more). Raises InvalidValue with a
        message for the cashier; an empty field is an error too."""
        text = self.edit.text().strip()
        if not text:
            raise InvalidValue("amount", self.tr("Type the amount in shillings, like 2,000"))
        cents = parse_kes(text)
        if cents < 0:
            raise InvalidValue("amount", self.tr("The amount cannot be negative"))
        return check_amount(cents, "amount", allow_zero=True)

    def checked_cents(self) -> int | None:
        """The amount, or None after showing why it cannot be read."""
        try:
            cents = self.cents()
        except InvalidValue as error:
            self.show_error(error.reason)
            self.edit.setFocus()
            self.edit.selectAll()
            return None
        self.show_error(None)
        return cents

    def set_cents(self, cents: int) -> None:
        self.edit.setText(format_kes(cents).removeprefix("KES "))
        self.show_error(None)

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
