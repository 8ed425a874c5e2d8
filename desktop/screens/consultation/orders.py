"""Editable tables of orders (prescriptions, lab requests) with add and
remove, and each row's errors shown under the table with its row number.

Cells are typed in place: Tab moves to the next cell and opens it for
typing. Every keystroke is committed to the table at once, so Ctrl+S saves
what is on screen even while a cell is still being edited.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRegularExpression, Qt
from PySide6.QtGui import QBrush, QColor, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.widgets import ERROR_STYLE

ERROR_CELL = QColor("#fde0dc")


@dataclass(frozen=True)
class Column:
    """One column: ``key`` names the service's field, ``header`` is shown."""

    key: str
    header: str
    width: int | None = None
    digits_only: bool = False


class CellDelegate(QStyledItemDelegate):
    """A line edit per cell, with suggestions and a digits-only check where
    the column wants them; commits as the user types."""

    def __init__(self, columns: list[Column], parent: QWidget) -> None:
        super().__init__(parent)
        self.columns = columns
        self.suggestions: dict[str, list[str]] = {}

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        editor = QLineEdit(parent)
        column = self.columns[index.column()]
        if column.digits_only:
            editor.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,6}"), editor))
        words = self.suggestions.get(column.key)
        if words:
            completer = QCompleter(words, editor)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            editor.setCompleter(completer)
        editor.textChanged.connect(lambda _text: self.commitData.emit(editor))
        return editor


class OrdersTable(QWidget):
    """A titled table with "Add" and "Remove" and a line for row errors."""

    def __init__(self, title: str, add_text: str, columns: list[Column]) -> None:
        super().__init__()
        self.columns = columns
        self._read_only = False
        self.title = QLabel(title)
        self.title.setStyleSheet("font-weight: 600;")
        self.add_button = QPushButton(add_text)
        self.add_button.clicked.connect(self.add_row)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels([c.header for c in columns])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(self._edit_triggers())
        self.table.setTabKeyNavigation(True)
        self.table.setMinimumHeight(84)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.delegate = CellDelegate(columns, self.table)
        self.table.setItemDelegate(self.delegate)
        header = self.table.horizontalHeader()
        for index, column in enumerate(columns):
            if column.width is None:
                header.setSectionResizeMode(index, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(index, QHeaderView.ResizeMode.Interactive)
                self.table.setColumnWidth(index, column.width)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.itemChanged.connect(self._edited)
        self.table.currentCellChanged.connect(lambda *_: self._update_buttons())
        self.empty = QLabel()
        self.empty.setStyleSheet("color: #616161;")
        self.error = QLabel()
        self.error.setAccessibleName("error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        self._update_buttons()

    @staticmethod
    def _edit_triggers() -> QAbstractItemView.EditTrigger:
        triggers = QAbstractItemView.EditTrigger
        return (
            triggers.CurrentChanged
            | triggers.DoubleClicked
            | triggers.EditKeyPressed
            | triggers.AnyKeyPressed
        )

    def tab_order(self) -> list[QWidget]:
        return [self.table, self.add_button, self.remove_button]

    def set_suggestions(self, key: str, words: list[str]) -> None:
        self.delegate.suggestions[key] = words

    # --- rows -----------------------------------------------------------

    def add_row(self, values: dict[str, str] | None = None, *, edit: bool = True) -> int:
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        for index, column in enumerate(self.columns):
            self.table.setItem(row, index, QTableWidgetItem((values or {}).get(column.key, "")))
        self.table.blockSignals(False)
        if edit and not self._read_only:
            self.table.setFocus()
            self.table.setCurrentCell(row, 0)
            first = self.table.item(row, 0)
            if first is not None:
                self.table.editItem(first)
        self._update_buttons()
        return row

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0 or self._read_only:
            return
        self.table.removeRow(row)
        self.clear_errors()
        if self.table.rowCount():
            self.table.setCurrentCell(min(row, self.table.rowCount() - 1), 0)
        self._update_buttons()

    def set_rows(self, rows: list[dict[str, str]]) -> None:
        self.table.setRowCount(0)
        for values in rows:
            self.add_row(values, edit=False)
        self.clear_errors()

    def cell(self, row: int, key: str) -> str:
        item = self.table.item(row, self._column(key))
        return item.text().strip() if item else ""

    def filled_rows(self) -> list[tuple[int, dict[str, str]]]:
        """(table row, values) of every row with something typed in it."""
        rows = []
        for row in range(self.table.rowCount()):
            values = {column.key: self.cell(row, column.key) for column in self.columns}
            if any(values.values()):
                rows.append((row, values))
        return rows

    def _column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    # --- errors ---------------------------------------------------------

    def show_row_errors(self, errors: list[tuple[int, str | None, str]]) -> None:
        """(table row, column key or None, message) for each problem."""
        self.clear_errors()
        lines = []
        for row, key, message in errors:
            lines.append(self.tr("Row %d: %s") % (row + 1, message))
            columns = [self._column(key)] if key in {c.key for c in self.columns} else []
            for column in columns or range(len(self.columns)):
                item = self.table.item(row, column)
                if item is not None:
                    self.table.blockSignals(True)
                    item.setBackground(QBrush(ERROR_CELL))
                    self.table.blockSignals(False)
        self.error.setText("\n".join(lines))
        self.error.setVisible(bool(lines))
        if errors:
            row, key, _ = errors[0]
            column = self._column(key) if key in {c.key for c in self.columns} else 0
            # Select the cell without opening it, so its colour shows.
            self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            self.table.setFocus()
            self.table.setCurrentCell(row, column)
            self.table.clearSelection()
            self.table.setEditTriggers(self._edit_triggers())

    def show_error(self, text: str | None) -> None:
        self.clear_errors()
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def clear_errors(self) -> None:
        self.error.hide()
        self.error.clear()
        self.table.blockSignals(True)
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                item = self.table.item(row, column)
                if item is not None:
                    item.setData(Qt.ItemDataRole.BackgroundRole, None)
        self.table.blockSignals(False)

    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    def _edited(self, item: QTableWidgetItem) -> None:
        if item.background().color() == ERROR_CELL:
            self.table.blockSignals(True)
            item.setData(Qt.ItemDataRole.BackgroundRole, None)
            self.table.blockSignals(False)

    # --- modes ------------------------------------------------------------

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.NoEditTriggers if read_only else self._edit_triggers()
        )
        self.table.setTabKeyNavigation(not read_only)
        self.add_button.setVisible(not read_only)
        self.remove_button.setVisible(not read_only)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(not self._read_only and self.table.currentRow() >= 0)
