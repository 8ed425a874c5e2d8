"""Closing a shift: count the drawer (by denomination if wanted), see the
variance against what is expected, and confirm."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinic.errors import InvalidValue
from clinic.rules.money import format_kes
from desktop.display import method_text
from desktop.screens.shifts.data import ShiftView
from desktop.screens.shifts.labels import variance_colour, variance_text
from desktop.screens.shifts.money_edit import MoneyField

NOTES = (1000, 500, 200, 100, 50)
COINS = (40, 20, 10, 5, 1)
"""Kenyan notes and coins in shillings."""


class DenominationCount(QGroupBox):
    """How many of each note and coin; their sum in cents."""

    def __init__(self) -> None:
        super().__init__(self.tr("Count by notes and coins (optional)"))
        self.counts: dict[int, QSpinBox] = {}
        grid = QGridLayout(self)
        for column, (heading, values) in enumerate(
            ((self.tr("Notes"), NOTES), (self.tr("Coins"), COINS))
        ):
            grid.addWidget(QLabel(f"<b>{heading}</b>"), 0, column * 3, 1, 2)
            for row, value in enumerate(values, start=1):
                spin = QSpinBox()
                spin.setObjectName(f"count_{value}")
                spin.setRange(0, 100_000)
                spin.setAccelerated(True)
                spin.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
                spin.setAlignment(Qt.AlignmentFlag.AlignRight)
                spin.setFixedWidth(90)
                self.counts[value] = spin
                times = self.tr("%s ×")  # noqa: RUF001
                grid.addWidget(QLabel(times % f"{value:,}"), row, column * 3)
                grid.addWidget(spin, row, column * 3 + 1)
        grid.setHorizontalSpacing(12)
        grid.setColumnMinimumWidth(2, 40)
        grid.setColumnStretch(5, 1)
        self.total = QLabel()
        self.total.setObjectName("denomination_total")
        grid.addWidget(self.total, len(NOTES) + 1, 0, 1, 6)
        for spin in self.counts.values():
            spin.valueChanged.connect(self._show_total)
        self._show_total()

    def total_cents(self) -> int:
        return sum(value * 100 * spin.value() for value, spin in self.counts.items())

    def _show_total(self) -> None:
        self.total.setText(self.tr("Notes and coins: %s") % format_kes(self.total_cents()))


class CloseShiftDialog(QDialog):
    """Asks for the cash counted; ``counted_cents`` holds it once accepted."""

    def __init__(self, shift: ShiftView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("close_shift_dialog")
        self.setWindowTitle(self.tr("Close the shift"))
        self.shift = shift
        self.counted_cents: int | None = None

        summary = QFormLayout()
        summary.addRow(self.tr("Opening float"), QLabel(format_kes(shift.opening_float_cents)))
        summary.addRow(self.tr("Cash taken (net)"), QLabel(format_kes(shift.cash_taken_cents)))
        expected = QLabel(f"<b>{format_kes(shift.expected_cash_cents)}</b>")
        expected.setObjectName("expected_cash")
        summary.addRow(self.tr("Expected cash in the drawer"), expected)
        for line in shift.methods:
            if line.method.value != "CASH":
                summary.addRow(
                    self.tr("%s expected (not counted here)") % method_text(line.method),
                    QLabel(format_kes(line.expected_cents)),
                )

        self.counted = MoneyField("counted_cash", self.tr("e.g. 12,450"))
        use_count = QPushButton(self.tr("Use the notes and coins total"))
        use_count.setObjectName("use_denominations")
        self.denominations = DenominationCount()
        use_count.clicked.connect(lambda: self.counted.set_cents(self.denominations.total_cents()))
        counted_row = QHBoxLayout()
        counted_row.addWidget(self.counted, 1)
        counted_row.addWidget(use_count, 0, Qt.AlignmentFlag.AlignTop)
        summary.addRow(self.tr("Cash counted"), counted_row)
        self.variance = QLabel()
        self.variance.setObjectName("variance")
        variance_label = self.tr("Variance (counted − expected)")  # noqa: RUF001
        summary.addRow(variance_label, self.variance)
        self.counted.edit.textChanged.connect(lambda _text: self._show_variance())
        self._show_variance()

        buttons = QDialogButtonBox()
        self.confirm = buttons.addButton(
            self.tr("Close shift"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.confirm.setObjectName("confirm_close")
        buttons.addButton(self.tr("Keep it open"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._confirm)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(summary)
        layout.addWidget(self.denominations)
        note = QLabel(self.tr("Closing is final: payments after it need a new shift."))
        note.setStyleSheet("color: #616161;")
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.counted.edit.setFocus()

    def _show_variance(self) -> None:
        try:
            counted = self.counted.cents()
        except InvalidValue:
            self.variance.setText("—")
            self.variance.setStyleSheet("")
            return
        variance = counted - self.shift.expected_cash_cents
        self.variance.setText(variance_text(variance))
        self.variance.setStyleSheet(f"color: {variance_colour(variance)}; font-weight: bold;")

    def _confirm(self) -> None:
        cents = self.counted.checked_cents()
        if cents is None:
            return
        self.counted_cents = cents
        self.accept()
