"""Small pieces the screens share: errors shown next to form fields, a
label for flagged values, read-only tables of rows, asking where to save a
file, and windows of their own that open in the middle of the screen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic.errors import FieldError

ERROR_STYLE = "color: #b00020;"


class CentredDialog(QDialog):
    """A dialog of its own (no parent window: the first start, the login)
    that opens in the middle of its screen, and stays there when it grows
    (:meth:`centre`). Qt's own placement allows for a window manager's frame
    it guesses, which leaves the window off centre where there is none."""

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.centre()

    def centre(self) -> None:
        self.adjustSize()
        screen = self.screen() or QGuiApplication.primaryScreen()
        frame = self.frameGeometry()
        frame.moveCenter(screen.availableGeometry().center())
        self.move(frame.topLeft())


class FieldWithError(QWidget):
    """A form field with a line for its error message under it."""

    def __init__(self, field: QWidget) -> None:
        super().__init__()
        self.field = field
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        self.error.setAccessibleName("error")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        layout.addWidget(self.error)
        self.setFocusProxy(field)

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))


class ErrorForm:
    """A QFormLayout whose rows are named fields that can show errors."""

    def __init__(self, layout: QFormLayout) -> None:
        self.layout = layout
        self.fields: dict[str, FieldWithError] = {}
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)

    def add(self, name: str, label: str, field: QWidget) -> QWidget:
        wrapped = FieldWithError(field)
        self.fields[name] = wrapped
        self.layout.addRow(label, wrapped)
        return field

    def clear_errors(self) -> None:
        for wrapped in self.fields.values():
            wrapped.show_error(None)

    def show_errors(self, errors: list[FieldError]) -> list[str]:
        """Put each error next to its field; returns the messages that have
        no field on this form (to show elsewhere)."""
        self.clear_errors()
        unplaced = []
        first: FieldWithError | None = None
        for error in errors:
            wrapped = self.fields.get(error.field.split(".")[0].split("[")[0])
            if wrapped is None:
                unplaced.append(f"{error.field}: {error.reason}")
                continue
            wrapped.show_error(error.reason)
            first = first or wrapped
        if first is not None:
            first.field.setFocus()
        return unplaced

    def error_text(self, name: str) -> str:
        wrapped = self.fields[name]
        return wrapped.error.text() if wrapped.error.isVisible() else ""


def ask_save_path(
    parent: QWidget, title: str, suggested: str | Path, file_filter: str
) -> Path | None:
    """The file the person picks in Qt's save dialog, or None if they cancel."""
    name, _filter = QFileDialog.getSaveFileName(parent, title, str(suggested), file_filter)
    return Path(name) if name else None


def rows_table(headers: list[str], stretch: int = -1, name: str = "") -> QTableWidget:
    """A read-only table of a few hundred rows at most, one selected at a
    time; the columns fit their contents but column ``stretch`` (the last
    by default), which takes the width left and shortens its text (whole in
    the tooltip). ``name`` is its object name, for tests."""
    table = QTableWidget(0, len(headers))
    if name:
        table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch % len(headers), QHeaderView.ResizeMode.Stretch)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]], *, keep_selection: bool = True) -> None:
    """Show ``rows`` (texts by column) in ``table``, each text whole in its
    tooltip; the selected row stays selected unless ``keep_selection`` is
    False (the rows changed under it)."""
    selected = selected_row(table) if keep_selection else None
    table.clearSelection()
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    if selected is not None and selected < len(rows):
        table.selectRow(selected)


def selected_row(table: QTableWidget) -> int | None:
    rows = table.selectionModel().selectedRows()
    return rows[0].row() if rows else None
