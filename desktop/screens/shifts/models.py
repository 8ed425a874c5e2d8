"""Qt models over the plain data of :mod:`desktop.screens.shifts.data`.

:class:`PaymentsModel` hands its rows to the view in pages
(``canFetchMore``/``fetchMore``): a busy shift's hundreds of payments are
not all turned into rows until the cashier scrolls to them.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from clinic.rules.money import format_kes
from desktop.display import method_text
from desktop.printing import local_time
from desktop.screens.shifts.data import MethodLine, PaymentRow, ShiftView
from desktop.screens.shifts.labels import variance_colour, variance_text

Index = QModelIndex | QPersistentModelIndex
PAGE = 200
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class PaymentsModel(QAbstractTableModel):
    """A shift's payments and reversals, oldest first; reversals in red
    with their reason."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: Sequence[PaymentRow] = ()
        self._shown = 0

    def headers(self) -> tuple[str, ...]:
        return (
            self.tr("Time"),
            self.tr("Receipt"),
            self.tr("Method"),
            self.tr("Amount"),
            self.tr("Reference"),
            self.tr("Patient"),
            self.tr("Reversal reason"),
        )

    def set_rows(self, rows: Sequence[PaymentRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._shown = min(PAGE, len(rows))
        self.endResetModel()

    def total_rows(self) -> int:
        return len(self._rows)

    def row_at(self, row: int) -> PaymentRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._shown

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers())

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._shown < len(self._rows)

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid():
            return
        more = min(PAGE, len(self._rows) - self._shown)
        if more <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._shown, self._shown + more - 1)
        self._shown += more
        self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return local_time(row.received_at, "%H:%M")
            if column == 1:
                return row.receipt_number or ""
            if column == 2:
                text = method_text(row.method)
                return self.tr("%s reversal") % text if row.is_reversal else text
            if column == 3:
                return format_kes(row.amount_cents)
            if column == 4:
                return row.reference or ""
            if column == 5:
                return row.patient
            return row.reversal_reason or ""
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and row.is_reversal:
            return QBrush(QColor("#b00020"))
        return None


class MethodsModel(QAbstractTableModel):
    """Totals by payment method: received, reversed, expected and, once
    cash is counted, counted and variance (cash only)."""

    def __init__(self) -> None:
        super().__init__()
        self._lines: Sequence[MethodLine] = ()
        self._counted: int | None = None
        self._variance: int | None = None

    def headers(self) -> tuple[str, ...]:
        return (
            self.tr("Method"),
            self.tr("Received"),
            self.tr("Reversed"),
            self.tr("Expected"),
            self.tr("Counted"),
            self.tr("Variance"),
        )

    def set_lines(
        self,
        lines: Sequence[MethodLine],
        counted_cash_cents: int | None = None,
        variance_cents: int | None = None,
    ) -> None:
        self.beginResetModel()
        self._lines = lines
        self._counted = counted_cash_cents
        self._variance = variance_cents
        self.endResetModel()

    def set_shift(self, shift: ShiftView) -> None:
        self.set_lines(shift.methods, shift.counted_cash_cents, shift.variance_cents)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers())

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        return None

    def _is_cash(self, row: int) -> bool:
        return self._lines[row].method.value == "CASH"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        line = self._lines[index.row()]
        column = index.column()
        cash = self._is_cash(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return method_text(line.method)
            if column == 1:
                return format_kes(line.received_cents)
            if column == 2:
                return format_kes(-line.reversed_cents) if line.reversed_cents else ""
            if column == 3:
                return format_kes(line.expected_cents)
            if column == 4:
                return format_kes(self._counted) if cash and self._counted is not None else ""
            return variance_text(self._variance) if cash else ""
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return RIGHT
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and column == 5
            and cash
            and self._variance is not None
        ):
            return QBrush(QColor(variance_colour(self._variance)))
        return None
