"""A report's table as a Qt model: its rows, then its totals row in bold;
money and counts right-aligned. The rows are the report's plain data; the
text of each cell comes from :func:`cell_text`, as on paper."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from clinic.reports.base import Cell, Table
from desktop.screens.reports.cells import cell_text, is_numeric

Index = QModelIndex | QPersistentModelIndex
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class ReportTableModel(QAbstractTableModel):
    """One :class:`Table` of a report, read-only."""

    def __init__(self, table: Table) -> None:
        super().__init__()
        self.table = table
        self.bold = QFont()
        self.bold.setBold(True)

    def set_view_font(self, font: QFont) -> None:
        """The totals row in bold of the view's own type (the style sheet's
        size), which its columns were measured in."""
        self.bold = QFont(font)
        self.bold.setBold(True)

    def has_totals(self) -> bool:
        return self.table.totals is not None

    def is_totals_row(self, row: int) -> bool:
        return self.has_totals() and row == len(self.table.rows)

    def _cells(self, row: int) -> tuple[Cell, ...]:
        if self.is_totals_row(row):
            return tuple(self.table.totals or ())
        return tuple(self.table.rows[row])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self.table.rows) + (1 if self.has_totals() else 0)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        column = self.table.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.label
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if is_numeric(column) else LEFT
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        column = self.table.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            cells = self._cells(index.row())
            return cell_text(column, cells[index.column()] if index.column() < len(cells) else None)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if is_numeric(column) else LEFT
        if role == Qt.ItemDataRole.FontRole and self.is_totals_row(index.row()):
            return self.bold
        if role == Qt.ItemDataRole.ToolTipRole:
            cells = self._cells(index.row())
            text = cell_text(column, cells[index.column()] if index.column() < len(cells) else None)
            return f"{column.label}: {text}" if text else None
        return None
