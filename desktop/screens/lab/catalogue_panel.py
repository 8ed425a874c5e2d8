"""The lab's test catalogue as an admin sets it: the tests on the left, the
chosen one on the right as the catalogue file writes it (JSON: its results,
units, allowed values, reference bands by age and sex, critical limits).
Saving sets the clinic's version of the test through
:func:`clinic.lab.service.set_lab_test`, which names the part to fix when
something is wrong; the version syncs to every PC."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from clinic.errors import InvalidValue
from clinic.lab.catalogue import LabTest, definition_of
from clinic.lab.models import LabTestOverride
from clinic.lab.rules import clinic_catalogue
from clinic.lab.service import set_lab_test
from desktop.context import AppContext
from desktop.screens.patients.calls import submit_for
from desktop.screens.visit_screen import BANNER_ERROR_STYLE, BANNER_OK_STYLE

NEW_TEST = {
    "code": "LAB-NEW",
    "name": "New test",
    "aliases": [],
    "fields": [{"code": "result", "label": "Result", "kind": "text", "required": True}],
}


@dataclass(frozen=True)
class Loaded:
    tests: list[LabTest]
    clinics_own: set[str]
    """Codes of the tests the clinic has its own version of."""


class CataloguePanel(QWidget):
    """See the module docstring; ``refresh()`` reloads the tests."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.loaded: Loaded | None = None
        self.tests = QListWidget()
        self.tests.setObjectName("catalogue_tests")
        self.tests.currentRowChanged.connect(self._show)
        self.new_button = QPushButton(self.tr("&New test"))
        self.new_button.clicked.connect(self.new_test)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tests, 1)
        left_layout.addWidget(self.new_button)

        hint = QLabel(
            self.tr(
                "A band applies below its age in years (null: everyone older) to sex F, M"
                " or null (anyone); the first that fits the patient is used. Values outside"
                " normal_low to normal_high are flagged low or high, beyond a critical limit"
                " critical. Results already entered keep the flags they were given."
            )
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #616161;")
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("catalogue_editor")
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.textChanged.connect(lambda: self._show_message(None))
        self.message = QLabel()
        self.message.setObjectName("catalogue_message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.save_button = QPushButton(self.tr("&Save this test"))
        self.save_button.setObjectName("save_test")
        self.save_button.clicked.connect(self.save)
        bar = QHBoxLayout()
        bar.addWidget(self.message, 1)
        bar.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(hint)
        right_layout.addWidget(self.editor, 1)
        right_layout.addLayout(bar)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([300, 860])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def refresh(self, select_code: str | None = None, message: str | None = None) -> None:
        """Reload the tests, keeping (or selecting) one; then show ``message``."""
        ctx = self.ctx
        current = self.tests.currentItem()
        keep = select_code or (current.data(Qt.ItemDataRole.UserRole) if current else None)

        def load() -> Loaded:
            with ctx.store.session() as session:
                own = set(
                    session.scalars(
                        select(LabTestOverride.code).where(LabTestOverride.deleted_at.is_(None))
                    )
                )
                return Loaded(list(clinic_catalogue(session).tests), own)

        submit_for(
            self, ctx.db, load, lambda panel, loaded: panel._fill(loaded, keep, message), _raise
        )

    def _fill(self, loaded: Loaded, keep: str | None, message: str | None) -> None:
        self.loaded = loaded
        self.tests.blockSignals(True)
        self.tests.clear()
        for test in loaded.tests:
            own = self.tr("  (clinic's version)") if test.code in loaded.clinics_own else ""
            item = QListWidgetItem(f"{test.name} — {test.code}{own}")
            item.setData(Qt.ItemDataRole.UserRole, test.code)
            self.tests.addItem(item)
        self.tests.blockSignals(False)
        codes = [t.code for t in loaded.tests]
        self.tests.setCurrentRow(codes.index(keep) if keep in codes else 0)
        if message:
            self._show_message(message, error=False)

    def _show(self, row: int) -> None:
        if self.loaded is None or not 0 <= row < len(self.loaded.tests):
            return
        self._edit(definition_of(self.loaded.tests[row]))

    def _edit(self, definition: Mapping[str, object]) -> None:
        self.editor.setPlainText(json.dumps(definition, indent=2, ensure_ascii=False))
        self._show_message(None)

    def new_test(self) -> None:
        self.tests.clearSelection()
        self._edit(NEW_TEST)
        self.editor.setFocus()

    def save(self) -> None:
        try:
            definition = json.loads(self.editor.toPlainText())
        except json.JSONDecodeError as error:
            self._show_message(
                self.tr("Line %d, column %d: %s") % (error.lineno, error.colno, error.msg)
            )
            return
        if not isinstance(definition, dict):
            self._show_message(self.tr("Write the test as one JSON object { … }"))
            return
        ctx = self.ctx
        actor = ctx.actor()

        def work() -> str:
            with ctx.store.write() as session:
                return set_lab_test(definition, session=session, actor=actor).code

        submit_for(self, ctx.db, work, CataloguePanel._saved, CataloguePanel._refused)

    def _saved(self, code: str) -> None:
        self.ctx.saved()
        self.refresh(code, self.tr("Saved %s: new results are flagged by it.") % code)

    def _refused(self, error: BaseException) -> None:
        if not isinstance(error, InvalidValue):
            raise error
        self._show_message(f"{error.field}: {error.reason}")

    def _show_message(self, text: str | None, *, error: bool = True) -> None:
        self.message.setText(text or "")
        self.message.setStyleSheet(BANNER_ERROR_STYLE if error else BANNER_OK_STYLE)
        self.message.setVisible(bool(text))


def _raise(_panel: CataloguePanel, error: BaseException) -> None:
    raise error
