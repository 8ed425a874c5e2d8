"""A signed visit's amendments: the list (when, what, old → new, why) and
the dialog that adds one. The signed text itself never changes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic.errors import FieldError
from clinic.visits.models import Amendment
from clinic.visits.service import AMENDABLE_FIELDS
from desktop.display import note_label
from desktop.screens.visit_screen import local_time
from desktop.widgets import ERROR_STYLE, ErrorForm


class AmendmentsTable(QTableWidget):
    """Every amendment of the visit, oldest first."""

    def __init__(self) -> None:
        super().__init__(0, 4)
        self.setObjectName("amendments")
        self.setHorizontalHeaderLabels(
            [self.tr("When"), self.tr("Note"), self.tr("Old → new"), self.tr("Reason")]
        )
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(True)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

    def show_amendments(self, amendments: list[Amendment]) -> None:
        self.setRowCount(len(amendments))
        for row, amendment in enumerate(amendments):
            old = amendment.old_value or self.tr("(empty)")
            change = f"{old}  →  {amendment.new_value or ''}"
            values = (
                local_time(amendment.amended_at, with_date=True),
                note_label(amendment.field),
                change,
                amendment.reason,
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.setItem(row, column, item)
        self.resizeRowsToContents()

    def rows(self) -> list[list[str]]:
        """What the table shows, row by row."""
        rows = []
        for row in range(self.rowCount()):
            items = (self.item(row, column) for column in range(self.columnCount()))
            rows.append([item.text() if item else "" for item in items])
        return rows


class AmendDialog(QDialog):
    """Field, amended text and reason; the screen saves it and reports back
    with ``saved()`` or ``failed(errors)``."""

    sig_amend_requested = Signal(str, str, str)
    """(field, new text, reason): the user pressed "Save amendment"."""

    def __init__(self, current: dict[str, str], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("amend_dialog")
        self.setWindowTitle(self.tr("Amend signed notes"))
        self.setMinimumWidth(560)
        self.current = current
        self.field = QComboBox()
        for name in AMENDABLE_FIELDS:
            self.field.addItem(note_label(name), name)
        self.now_reads = QPlainTextEdit()
        self.now_reads.setObjectName("now_reads")
        self.now_reads.setReadOnly(True)
        self.now_reads.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.now_reads.setFixedHeight(64)
        self.now_reads.setStyleSheet("QPlainTextEdit { background: #f5f5f5; color: #424242; }")
        self.new_value = QPlainTextEdit()
        self.new_value.setObjectName("new_value")
        self.new_value.setTabChangesFocus(True)
        self.new_value.setMinimumHeight(110)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText(self.tr("Why the signed note is changed (required)"))
        form_layout = QFormLayout()
        self.form = ErrorForm(form_layout)
        self.form.add("field", self.tr("Note"), self.field)
        form_layout.addRow(self.tr("Now reads"), self.now_reads)
        self.form.add("new_value", self.tr("Amended text"), self.new_value)
        self.form.add("reason", self.tr("Reason"), self.reason)
        self.problem = QLabel()
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            self.tr("Save amendment"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._request)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(self.tr("The signed text stays as it was; the amendment is kept beside it."))
        )
        layout.addLayout(form_layout)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.field.currentIndexChanged.connect(lambda _index: self._field_chosen())
        self._field_chosen()

    def _field_chosen(self) -> None:
        text = self.current.get(str(self.field.currentData()), "")
        self.now_reads.setPlainText(text or self.tr("(empty)"))
        self.new_value.setPlainText(text)
        self.form.clear_errors()

    def choose(self, field_name: str) -> None:
        self.field.setCurrentIndex(max(0, self.field.findData(field_name)))

    def _request(self) -> None:
        self.form.clear_errors()
        self.problem.hide()
        self.save_button.setEnabled(False)
        self.sig_amend_requested.emit(
            str(self.field.currentData()), self.new_value.toPlainText(), self.reason.text()
        )

    def saved(self) -> None:
        self.accept()

    def failed(self, errors: list[FieldError] | None, message: str | None = None) -> None:
        self.save_button.setEnabled(True)
        unplaced = self.form.show_errors(errors or [])
        text = "\n".join([*unplaced, *([message] if message else [])])
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
