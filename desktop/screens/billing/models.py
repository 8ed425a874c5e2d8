"""Qt models of the billing desk: who is waiting to pay, a bill's lines,
and an invoice's payments. They hold plain data from ``queries``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from clinic.rules.money import format_kes
from desktop.display import method_text
from desktop.printing import local_time
from desktop.screens.billing.queries import BillLine, BillState, PaymentRow, WaitingToPay

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole

_STATE_TEXT = {
    BillState.TO_BILL: QT_TRANSLATE_NOOP("BillState", "To bill"),
    BillState.UNPAID: QT_TRANSLATE_NOOP("BillState", "Unpaid"),
    BillState.PART_PAID: QT_TRANSLATE_NOOP("BillState", "Part paid"),
    BillState.PAID: QT_TRANSLATE_NOOP("BillState", "Paid"),
}
STATE_COLOUR = {
    BillState.TO_BILL: "#1565c0",
    BillState.UNPAID: "#b00020",
    BillState.PART_PAID: "#9a6700",
    BillState.PAID: "#1b7d2f",
}


def state_text(state: BillState) -> str:
    return QCoreApplication.translate("BillState", str(_STATE_TEXT[state]))


class WaitingModel(QAbstractTableModel):
    """Today's visits waiting to pay: one row per visit, data fetched by
    the screen on the database thread."""

    HEADERS = (
        QT_TRANSLATE_NOOP("WaitingModel", "Patient"),
        QT_TRANSLATE_NOOP("WaitingModel", "Bill"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[WaitingToPay] = []

    def set_entries(self, entries: list[WaitingToPay]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> object:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY:
            return QCoreApplication.translate("WaitingModel", str(self.HEADERS[section]))
        return None

    def data(self, index: Index, role: int = DISPLAY) -> object:
        entry = self.entries[index.row()]
        column = index.column()
        if role == DISPLAY:
            if column == 0:
                return f"{entry.patient_name}\n{entry.op_number}"
            if entry.state == BillState.TO_BILL:
                return state_text(entry.state)
            return f"{state_text(entry.state)}\n{format_kes(entry.balance_cents)}"
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QBrush(QColor(STATE_COLOUR[entry.state]))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class LinesModel(QAbstractTableModel):
    """A bill's lines; the quantity is edited in place while the lines may
    change (``on_quantity`` is told, and decides what follows)."""

    HEADERS = (
        QT_TRANSLATE_NOOP("LinesModel", "Service"),
        QT_TRANSLATE_NOOP("LinesModel", "Quantity"),
        QT_TRANSLATE_NOOP("LinesModel", "Unit price"),
        QT_TRANSLATE_NOOP("LinesModel", "Amount"),
    )
    QUANTITY = 1

    def __init__(self, on_quantity: Callable[[int, int], None]) -> None:
        super().__init__()
        self.lines: list[BillLine] = []
        self.editable = False
        self.on_quantity = on_quantity

    def set_lines(self, lines: list[BillLine], editable: bool) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.editable = editable
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> object:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY:
            return QCoreApplication.translate("LinesModel", str(self.HEADERS[section]))
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if self.editable and index.column() == self.QUANTITY:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = DISPLAY) -> object:
        line = self.lines[index.row()]
        column = index.column()
        unmatched = line.service_id is None
        if role in (DISPLAY, Qt.ItemDataRole.EditRole):
            if column == 0:
                if unmatched and role == DISPLAY:
                    return line.description + QCoreApplication.translate(
                        "LinesModel", "  — not on the price list"
                    )
                return line.description
            if column == 1:
                return line.quantity
            if column == 2:
                return "" if line.unit_price_cents is None else format_kes(line.unit_price_cents)
            amount = line.amount_cents
            return "" if amount is None else format_kes(amount)
        if role == Qt.ItemDataRole.ForegroundRole and unmatched:
            return QBrush(QColor("#b00020"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != self.QUANTITY:
            return False
        try:
            quantity = int(str(value))
        except ValueError:
            return False
        self.on_quantity(index.row(), quantity)
        return True


class PaymentsModel(QAbstractTableModel):
    """An invoice's payments and reversals, in the order they were taken."""

    HEADERS = (
        QT_TRANSLATE_NOOP("PaymentsModel", "Receipt"),
        QT_TRANSLATE_NOOP("PaymentsModel", "Time"),
        QT_TRANSLATE_NOOP("PaymentsModel", "Method"),
        QT_TRANSLATE_NOOP("PaymentsModel", "Reference"),
        QT_TRANSLATE_NOOP("PaymentsModel", "Amount"),
        QT_TRANSLATE_NOOP("PaymentsModel", "Cashier"),
        QT_TRANSLATE_NOOP("PaymentsModel", "Note"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PaymentRow] = []

    def set_rows(self, rows: list[PaymentRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> object:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY:
            return QCoreApplication.translate("PaymentsModel", str(self.HEADERS[section]))
        return None

    def data(self, index: Index, role: int = DISPLAY) -> object:
        row = self.rows[index.row()]
        column = index.column()
        if role == DISPLAY:
            values = (
                row.receipt_number or "",
                local_time(row.received_at, "%H:%M"),
                method_text(row.method),
                row.reference or "",
                format_kes(row.amount_cents),
                row.cashier_name,
                self._note(row),
            )
            return values[column]
        if role == Qt.ItemDataRole.ForegroundRole and (row.reversed_by or row.reverses):
            return QBrush(QColor("#777777"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _note(row: PaymentRow) -> str:
        if row.reverses is not None:
            return QCoreApplication.translate("PaymentsModel", "Reversal: %s") % (
                row.reversal_reason or ""
            )
        if row.reversed_by:
            return QCoreApplication.translate("PaymentsModel", "Reversed by %s") % row.reversed_by
        return ""
