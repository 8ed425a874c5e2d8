"""The lab technician's screen: today's worklist of requested tests at this
branch (oldest first, with the patient and the requesting clinician) and,
under it, the result form of the test chosen in it; for admins, a second tab
where they set the test catalogue.

Saving enters the test's results through :func:`clinic.lab.service.record_lab_results`
(flagged for the patient's age and sex; the visit goes back to the clinician
after its last test). Opening a test's results records a read of the clinical
record in the audit log. Everything is read and written on the database thread.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic.enums import LabStatus, VisitStatus
from clinic.errors import NotAllowed, ValidationFailed
from clinic.journal.service import record_audit
from clinic.lab.queries import ResultSheet, WorkItem, lab_worklist, result_sheet
from clinic.lab.service import record_lab_results
from clinic.permissions import Data, may_write
from clinic.visits.models import Visit
from desktop.context import AppContext
from desktop.display import sex_text, translate
from desktop.screens.base import Screen
from desktop.screens.lab.catalogue_panel import CataloguePanel
from desktop.screens.lab.result_form import ResultForm
from desktop.screens.patients.calls import submit_for
from desktop.screens.queue.screen import CRITICAL_COLOUR
from desktop.screens.visit_screen import BANNER_ERROR_STYLE, BANNER_OK_STYLE, local_time, shown_age

REFRESH_MS = 30_000


@dataclass(frozen=True)
class Saved:
    """Results were entered: the test's sheet as it is now, and whether its
    visit went back to the clinician."""

    sheet: ResultSheet
    returned: bool


class WorklistModel(QAbstractTableModel):
    HEADERS = (
        QT_TRANSLATE_NOOP("WorklistModel", "Requested"),
        QT_TRANSLATE_NOOP("WorklistModel", "OP number"),
        QT_TRANSLATE_NOOP("WorklistModel", "Patient"),
        QT_TRANSLATE_NOOP("WorklistModel", "Age"),
        QT_TRANSLATE_NOOP("WorklistModel", "Test"),
        QT_TRANSLATE_NOOP("WorklistModel", "Clinician"),
        QT_TRANSLATE_NOOP("WorklistModel", "Status"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.items: list[WorkItem] = []

    def set_items(self, items: list[WorkItem]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return translate("WorklistModel", self.HEADERS[section])
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == 0:
                return local_time(item.requested_at)
            if column == 1:
                return item.op_number
            if column == 2:
                return item.patient_name
            if column == 3:
                age = shown_age(item.date_of_birth, item.requested_at.date())
                return f"{age} {item.sex}".strip()
            if column == 4:
                return item.test_name
            if column == 5:
                return item.clinician
            if item.critical:
                return self.tr("Critical result")
            return self.tr("Results in") if item.status == LabStatus.RESULTED else self.tr("To do")
        if role == Qt.ItemDataRole.ForegroundRole:
            if item.critical:
                return QBrush(QColor(CRITICAL_COLOUR))
            if item.status == LabStatus.RESULTED:
                return QBrush(QColor("#777777"))
        if role == Qt.ItemDataRole.ToolTipRole and item.notes:
            return item.notes
        return None


class LabScreen(Screen):
    """See the module docstring. ``open_request(id)`` shows a test's form."""

    key = "lab"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.request_id: uuid.UUID | None = None
        self.sheet: ResultSheet | None = None
        self._wanted_visit: uuid.UUID | None = None
        self.may_enter = may_write(ctx.user.role, Data.LAB_RESULTS)

        heading = QLabel(self.tr("Lab worklist"))
        heading.setObjectName("heading")
        self.summary = QLabel()
        self.summary.setObjectName("worklist_summary")
        self.show_done = QCheckBox(self.tr("Show tests with results"))
        self.show_done.toggled.connect(lambda _on: self.refresh())
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.summary)
        top.addSpacing(12)
        top.addWidget(self.show_done)

        self.model = WorklistModel()
        self.table = QTableView()
        self.table.setObjectName("worklist")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())

        self.patient = QLabel()
        self.patient.setObjectName("lab_patient")
        self.patient.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.patient.setWordWrap(True)
        self.test = QLabel()
        self.test.setObjectName("lab_test")
        self.test.setWordWrap(True)
        self.test.setTextFormat(Qt.TextFormat.RichText)
        self.form = ResultForm()
        self.form.setObjectName("result_form")
        self.form.sig_changed.connect(lambda: self._show_message(None))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.form)
        self.entered = QLabel()
        self.entered.setObjectName("entered_by")
        self.entered.setStyleSheet("color: #616161;")
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.save_button = QPushButton(self.tr("&Save results (Ctrl+S)"))
        self.save_button.setObjectName("save_results")
        self.save_button.clicked.connect(self.save)
        self.save_button.setVisible(self.may_enter)
        bar = QHBoxLayout()
        bar.addWidget(self.entered, 1)
        bar.addWidget(self.save_button)
        self.empty = QLabel(self.tr("Choose a test in the worklist to enter its results."))
        self.empty.setStyleSheet("color: #616161;")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.detail = QWidget()
        detail_layout = QVBoxLayout(self.detail)
        detail_layout.setContentsMargins(0, 6, 0, 0)
        detail_layout.addWidget(self.patient)
        detail_layout.addWidget(self.test)
        detail_layout.addWidget(scroll, 1)
        detail_layout.addWidget(self.message)
        detail_layout.addLayout(bar)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.empty, 1)
        right_layout.addWidget(self.detail, 1)
        self.detail.hide()

        # The worklist above the form: each keeps the PC's full width.
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([250, 420])

        worklist = QWidget()
        worklist_layout = QVBoxLayout(worklist)
        worklist_layout.setContentsMargins(0, 0, 0, 0)
        worklist_layout.addLayout(top)
        worklist_layout.addWidget(splitter, 1)
        layout = QVBoxLayout(self)
        self.catalogue: CataloguePanel | None = None
        if may_write(ctx.user.role, Data.PRICE_LIST):
            self.catalogue = CataloguePanel(ctx)
            self.tabs = QTabWidget()
            self.tabs.addTab(worklist, self.tr("Worklist"))
            self.tabs.addTab(self.catalogue, self.tr("Test catalogue"))
            self.tabs.currentChanged.connect(lambda _index: self.refresh())
            layout.addWidget(self.tabs)
        else:
            layout.addWidget(worklist)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def title(self) -> str:
        return self.tr("Lab")

    # --- the worklist -----------------------------------------------------

    def refresh(self) -> None:
        if self.catalogue is not None and self.tabs.currentWidget() is self.catalogue:
            self.catalogue.refresh()
            return
        ctx = self.ctx
        branch_id = ctx.actor().branch_id
        day = ctx.today()
        include_done = self.show_done.isChecked()

        def load() -> list[WorkItem]:
            with ctx.store.session() as session:
                return lab_worklist(session, branch_id, day, include_done=include_done)

        submit_for(self, ctx.db, load, LabScreen._show_items, LabScreen._failed)

    def _show_items(self, items: list[WorkItem]) -> None:
        current = self.request_id
        self.table.blockSignals(True)
        self.model.set_items(items)
        self.table.blockSignals(False)
        waiting = sum(1 for i in items if i.status == LabStatus.REQUESTED)
        self.summary.setText(self.tr("%n test(s) waiting", "", waiting))
        for row, item in enumerate(items):
            if item.request_id == current:
                self.table.selectionModel().blockSignals(True)
                self.table.selectRow(row)
                self.table.selectionModel().blockSignals(False)
        if self._wanted_visit is not None:
            wanted, self._wanted_visit = self._wanted_visit, None
            self._select_visit(wanted)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_request(self.model.items[rows[0].row()].request_id)

    def open_visit(self, visit_id: uuid.UUID) -> None:
        """Show the first test of a visit still waiting for its results (the
        queue opens a visit waiting for the lab here)."""
        if not self._select_visit(visit_id):
            self._wanted_visit = visit_id
            self.refresh()

    def _select_visit(self, visit_id: uuid.UUID) -> bool:
        for row, item in enumerate(self.model.items):
            if item.visit_id == visit_id and item.status == LabStatus.REQUESTED:
                self.table.selectRow(row)
                return True
        return False

    # --- one test ---------------------------------------------------------

    def open_request(self, request_id: uuid.UUID) -> None:
        """Show the result form of lab request ``request_id``."""
        ctx = self.ctx
        self.request_id = request_id

        def load() -> ResultSheet:
            with ctx.store.write() as session:
                sheet = result_sheet(session, request_id)
                record_audit(
                    session,
                    ctx.actor(),
                    action="read_clinical_record",
                    entity="lab_requests",
                    entity_id=request_id,
                    after={"screen": "lab"},
                )
                return sheet

        submit_for(self, ctx.db, load, LabScreen._show_sheet, LabScreen._failed)

    def _show_sheet(self, sheet: ResultSheet) -> None:
        if sheet.request_id != self.request_id:
            return
        self.sheet = sheet
        age = shown_age(sheet.date_of_birth, self.ctx.today())
        self.patient.setText(
            f"{sheet.patient_name}  ·  {sheet.op_number}  ·  {sex_text(sheet.sex.value)}"
            + (f"  ·  {age}" if age else self.tr("  ·  age not recorded"))
        )
        notes = f" — <i>{html.escape(sheet.notes)}</i>" if sheet.notes else ""
        self.test.setText(f"<b>{html.escape(sheet.test.name)}</b>{notes}")
        self.form.show_test(sheet.test, sheet.age_years, sheet.sex.value, sheet.entered)
        self.form.setEnabled(self.may_enter)
        if sheet.results:
            first = sheet.results[0]
            self.entered.setText(
                self.tr("Entered by %s at %s")
                % (first.entered_by or "?", local_time(first.entered_at))
            )
        else:
            self.entered.clear()
        self._show_message(None)
        self.empty.hide()
        self.detail.show()

    def save(self) -> None:
        sheet = self.sheet
        if sheet is None or not self.may_enter:
            return
        ctx = self.ctx
        values = self.form.values()
        actor = ctx.actor()
        request_id = sheet.request_id

        def work() -> Saved:
            with ctx.store.write() as session:
                visit = session.get(Visit, sheet.visit_id)
                waited = visit is not None and visit.status == VisitStatus.WAITING_LAB
                record_lab_results(request_id, values, session=session, actor=actor)
                returned = waited and visit is not None and visit.status != VisitStatus.WAITING_LAB
                return Saved(result_sheet(session, request_id), returned)

        submit_for(self, ctx.db, work, LabScreen._saved, LabScreen._refused)

    def _saved(self, saved: Saved) -> None:
        self.ctx.saved()
        self._show_sheet(saved.sheet)
        critical = [r for r in saved.sheet.results if r.critical]
        if critical:
            self._show_message(
                self.tr("Critical result: %s. Tell the clinician now; the queue marks the visit.")
                % ", ".join(f"{r.label} {r.shown}" for r in critical)
            )
        else:
            self._show_message(
                self.tr("Results saved.")
                + (self.tr(" The visit went back to the clinician.") if saved.returned else ""),
                error=False,
            )
        self.refresh()

    def _refused(self, error: BaseException) -> None:
        if isinstance(error, ValidationFailed):
            self.form.show_errors(error.errors)
            unplaced = self.form.unplaced(error.errors)
            self._show_message(
                "\n".join(e.reason for e in unplaced) or self.tr("Check the results marked in red.")
            )
        elif isinstance(error, NotAllowed | LookupError):
            self._show_message(str(error))
        else:
            raise error

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, LookupError):
            self._show_message(str(error))
        else:
            raise error

    def _show_message(self, text: str | None, *, error: bool = True) -> None:
        self.message.setText(text or "")
        self.message.setStyleSheet(BANNER_ERROR_STYLE if error else BANNER_OK_STYLE)
        self.message.setVisible(bool(text))
