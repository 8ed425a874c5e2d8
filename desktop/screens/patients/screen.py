"""The Patients screen: find a patient while they stand at the desk.

Search runs as the user types: each keystroke restarts a short timer
(``SEARCH_DELAY_MS``), and when it fires the query goes to the database
thread with a sequence number; an answer that comes back after a newer
query was sent is dropped, so the table always shows the latest text's
hits. With the search box empty, the table lists every patient in order of
registration, loaded a page at a time as the user scrolls.

The screen is a stack: the search view, and on top of it the page of the
patient opened (Esc returns to the search).
"""

from __future__ import annotations

import uuid

import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic.patients.search import MIN_QUERY_LENGTH, PatientSummary, search_patients
from clinic.permissions import Data, may_write
from clinic.rules.numbers import NumberKind, format_number
from desktop.context import AppContext
from desktop.display import sex_choices
from desktop.screens.base import Screen
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import NOTICE_STYLE, error_text
from desktop.screens.patients.import_dialog import ImportDialog
from desktop.screens.patients.model import PAGE_SIZE, PatientTableModel
from desktop.screens.patients.page import PatientPage
from desktop.screens.patients.register import PatientDialog, SavedPatient
from desktop.widgets import ERROR_STYLE

SEARCH_DELAY_MS = 120
"""Typing pause before a search runs: long enough to skip the keystrokes of
a word typed in one go, short enough to feel immediate."""

SEARCH_LIMIT = 50
REFRESH_KEEP_ROWS = 2000
"""On refresh, the browse list reloads at most this many rows it had."""

COLUMN_WIDTHS = (150, 230, 70, 60, 115, 150, 100, 150)
"""Starting widths of the table's columns (name stretches), in pixels at 96 dpi,
widened to a heading that needs more; the OP number column fits a provisional
number, the sex column its longest word, in the font the style sheet gives."""
OP_COLUMN = 0
NAME_COLUMN = 1
SEX_COLUMN = 2
NATIONAL_ID_COLUMN = 6
SHA_COLUMN = 7
GIVING_WAY = (SHA_COLUMN, NATIONAL_ID_COLUMN)
"""The columns hidden, in this order, while the name would otherwise get
less than its starting width (SHA number, then National ID: the patient's
page shows both): at 1024 px the table had a scroll bar sideways, and both
off screen."""
WIDEST_OP_NUMBER = format_number(NumberKind.OP, 2026, 888_888, provisional=True)
CELL_PADDING = 12


class _Latest:
    """The number of the latest query sent. A plain object, not the widget:
    the database thread reads it to skip queries already superseded, and a
    worker thread must not touch a QObject."""

    def __init__(self) -> None:
        self.sequence = 0


class PatientsScreen(Screen):
    """Search, register, import and open patients.

    For the main window: ``focus_search()`` (Ctrl+F), ``new_patient()``
    (Ctrl+N; writers of patients only), ``open_patient(id)`` shows a
    patient's page inside this screen, ``refresh()`` re-runs the current
    search (changes arrived from other PCs).
    """

    key = "patients"

    sig_search_done = Signal(int)
    """A search answered and its hits are shown; carries how many."""

    sig_patient_opened = Signal(object)
    """A patient's page is shown in this screen; carries the patient's id."""

    def __init__(self, ctx: AppContext, page_size: int = PAGE_SIZE) -> None:
        super().__init__(ctx)
        self.setObjectName("patientsScreen")
        role = ctx.user.role
        self.may_register = may_write(role, Data.PATIENTS)
        self.may_import = may_write(role, Data.PATIENTS)
        self._latest = _Latest()
        self._query = ""
        self._open_first_on_answer = False
        self.page: PatientPage | None = None
        self.dialog: PatientDialog | None = None
        self.import_dialog: ImportDialog | None = None
        self.model = PatientTableModel(
            ctx.store, ctx.db, ctx.today, page_size=page_size, parent=self
        )
        self.model.sig_page_loaded.connect(self._page_loaded)
        self.model.sig_load_failed.connect(self._load_failed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._run_search)
        self._build()
        self._shortcuts()
        self._start_query("")

    def title(self) -> str:
        return self.tr("Patients")

    # --- building ----------------------------------------------------------

    def _build(self) -> None:
        self.search_box = QLineEdit()
        self.search_box.setObjectName("patientSearch")
        self.search_box.setPlaceholderText(self.tr("Name, OP number, phone, ID or SHA number"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setToolTip(self.tr("Ctrl+F"))
        font = self.search_box.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.search_box.setFont(font)
        self.search_box.setMinimumHeight(34)
        self.search_box.textChanged.connect(self._text_changed)
        self.search_box.returnPressed.connect(self._open_current)
        self.search_box.installEventFilter(self)

        self.new_button = QPushButton(self.tr("New patient"))
        self.new_button.setObjectName("newPatient")
        self.new_button.setToolTip(self.tr("Ctrl+N"))
        self.new_button.clicked.connect(self.new_patient)
        if not self.may_register:
            self.new_button.hide()
        self.import_button = QPushButton(self.tr("Import paper register…"))
        self.import_button.setObjectName("importRegister")
        self.import_button.clicked.connect(self.import_register)
        if not self.may_import:
            self.import_button.hide()

        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.import_button)

        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setStyleSheet(NOTICE_STYLE)
        self.notice.hide()

        self.table = QTableView()
        self.table.setObjectName("patientTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        self.table.ensurePolished()  # the style sheet's font, which the widths measure
        metrics = self.table.fontMetrics()
        widths = list(COLUMN_WIDTHS)
        widest_sex = max(metrics.horizontalAdvance(label) for label, _sex in sex_choices())
        widths[SEX_COLUMN] = max(widths[SEX_COLUMN], widest_sex + CELL_PADDING)
        widest_number = metrics.horizontalAdvance(WIDEST_OP_NUMBER)
        widths[OP_COLUMN] = max(widths[OP_COLUMN], widest_number + CELL_PADDING)
        # Never narrower than its heading, which is longer in Swahili.
        self._widths = [
            max(width, header.sectionSizeHint(column)) for column, width in enumerate(widths)
        ]
        for column, width in enumerate(self._widths):
            header.resizeSection(column, width)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.viewport().installEventFilter(self)
        self.table.activated.connect(self._open_index)

        search_view = QWidget()
        search_layout = QVBoxLayout(search_view)
        search_layout.setContentsMargins(0, 0, 0, 0)
        search_layout.addLayout(top)
        search_layout.addWidget(self.status)
        search_layout.addWidget(self.notice)
        search_layout.addWidget(self.table, 1)
        self.search_view = search_view

        self.stack = QStackedWidget()
        self.stack.addWidget(search_view)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

    def _shortcuts(self) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        find = QShortcut(QKeySequence.StandardKey.Find, self, context=context)
        find.activated.connect(self.focus_search)
        find.activatedAmbiguously.connect(self.focus_search)
        new = QShortcut(QKeySequence.StandardKey.New, self, context=context)
        new.activated.connect(self.new_patient)
        new.activatedAmbiguously.connect(self.new_patient)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search box moves to the hits, so a patient is picked
        from the keyboard: type, Down, Enter. The table's columns are fitted
        to it when it is resized."""
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        if (
            watched is self.search_box
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and self.model.rowCount() > 0
        ):
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)
            return True
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        """Hide the columns of :data:`GIVING_WAY` the name needs the room of,
        and show them again when the table is wide enough."""
        room = self.table.viewport().width()
        hidden: set[int] = set()
        for column in GIVING_WAY:
            others = sum(w for c, w in enumerate(self._widths) if c not in {NAME_COLUMN, *hidden})
            if room - others >= self._widths[NAME_COLUMN]:
                break
            hidden.add(column)
        for column in GIVING_WAY:
            self.table.setColumnHidden(column, column in hidden)

    # --- what the main window calls ------------------------------------------

    def focus_search(self) -> None:
        """Back to the search view, with the search text selected."""
        self._close_page()
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def new_patient(self) -> None:
        """Open the register dialog (for roles that may write patients)."""
        if not self.may_register:
            return
        if self.dialog is not None and shiboken6.isValid(self.dialog) and self.dialog.isVisible():
            self.dialog.activateWindow()
            return
        self.dialog = PatientDialog(self.ctx, parent=self)
        self.dialog.sig_saved.connect(self._registered)
        self.dialog.sig_open_patient.connect(self.open_patient)
        self.dialog.open()

    def import_register(self) -> None:
        """Open the paper-register import (receptionists and admins)."""
        if not self.may_import:
            return
        self.import_dialog = ImportDialog(self.ctx, parent=self)
        self.import_dialog.sig_imported.connect(self._imported)
        self.import_dialog.open()

    def open_patient(self, patient_id: uuid.UUID) -> None:
        """Show the patient's page inside this screen."""
        self._close_page()
        self.page = PatientPage(self.ctx, patient_id, parent=self.stack)
        self.page.sig_closed.connect(self.focus_search)
        self.page.sig_changed.connect(self._patient_changed)
        self.stack.addWidget(self.page)
        self.stack.setCurrentWidget(self.page)
        self.page.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.page.setFocus()
        self.sig_patient_opened.emit(patient_id)

    def refresh(self) -> None:
        """Re-run the current search (and reload an open patient page)."""
        self.refresh_search()
        if self.page is not None:
            self.page.refresh()

    def refresh_search(self) -> None:
        self._start_query(self._query, keep=True)

    # --- searching ---------------------------------------------------------

    def _text_changed(self, _text: str) -> None:
        self._open_first_on_answer = False
        self._timer.start()

    def _run_search(self) -> None:
        self._start_query(self.search_box.text().strip())

    def _start_query(self, query: str, *, keep: bool = False) -> None:
        latest = self._latest
        latest.sequence += 1
        sequence = latest.sequence
        self._query = query
        self.status.setStyleSheet("")
        if len(query) < MIN_QUERY_LENGTH:
            self._open_first_on_answer = False
        if not query:
            self.status.setText(
                self.tr("All patients, in order of registration. Type at least 2 characters.")
            )
            if keep:
                self.model.reload(REFRESH_KEEP_ROWS)
            else:
                self.model.browse()
            return
        if len(query) < MIN_QUERY_LENGTH:
            self.model.clear()
            self.status.setText(self.tr("Type at least 2 characters"))
            return
        store = self.ctx.store

        def work() -> list[PatientSummary] | None:
            if sequence != latest.sequence:
                return None
            with store.session() as session:
                return search_patients(query, session=session, limit=SEARCH_LIMIT)

        submit_for(
            self,
            self.ctx.db,
            work,
            lambda screen, rows: screen._search_answered(sequence, rows),
            lambda screen, error: screen._search_failed(sequence, error),
        )

    def _search_answered(self, sequence: int, rows: list[PatientSummary] | None) -> None:
        if rows is None or sequence != self._latest.sequence:
            return
        selected = self._selected_id()
        self.model.show_results(rows)
        self.status.setStyleSheet("")
        if len(rows) >= SEARCH_LIMIT:
            self.status.setText(
                self.tr("The first {n} patients found: type more to narrow").format(n=len(rows))
            )
        elif len(rows) == 1:
            self.status.setText(self.tr("1 patient found"))
        elif rows or not self.may_register:
            self.status.setText(self.tr("{n} patients found").format(n=len(rows)))
        else:
            self.status.setText(self.tr("0 patients found. Ctrl+N registers a new patient."))
        row = self.model.row_of(selected) if selected is not None else None
        self.table.selectRow(row if row is not None else 0)
        self.sig_search_done.emit(len(rows))
        if self._open_first_on_answer:
            self._open_first_on_answer = False
            if rows:
                self._open(rows[0].id)

    def _search_failed(self, sequence: int, error: BaseException) -> None:
        if sequence == self._latest.sequence:
            self.status.setStyleSheet(ERROR_STYLE)
            self.status.setText(self.tr("Search failed: {reason}").format(reason=error_text(error)))

    def _page_loaded(self, rows: int) -> None:
        if not self.table.currentIndex().isValid() and rows:
            self.table.selectRow(0)

    def _load_failed(self, reason: str) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(self.tr("Could not load patients: {reason}").format(reason=reason))

    def _selected_id(self) -> uuid.UUID | None:
        patient = self.model.patient_at(self.table.currentIndex().row())
        return patient.id if patient is not None else None

    # --- opening -----------------------------------------------------------

    def _open_index(self, index: QModelIndex | QPersistentModelIndex) -> None:
        patient = self.model.patient_at(index.row())
        if patient is not None:
            self._open(patient.id)

    def _open_current(self) -> None:
        """Enter in the search box opens the selected (or first) hit; typed
        faster than the search delay, it searches now and opens the first hit
        when the answer comes."""
        if self._timer.isActive():
            self._timer.stop()
            self._open_first_on_answer = True
            self._run_search()
            return
        row = self.table.currentIndex().row()
        patient = self.model.patient_at(row if row >= 0 else 0)
        if patient is not None:
            self._open(patient.id)

    def _open(self, patient_id: uuid.UUID) -> None:
        if self.ctx.navigator is not None:
            self.ctx.navigator.open_patient(patient_id)
        else:
            self.open_patient(patient_id)

    def _close_page(self) -> None:
        if self.page is not None:
            # Deleting the page takes it out of the stack as well.
            self.stack.setCurrentWidget(self.search_view)
            self.page.deleteLater()
            self.page = None

    # Bound methods, not lambdas: with PySide 6.12 a lambda connected to a
    # signal of a page crashed the process when the page was deleted.

    def _imported(self, _report: object) -> None:
        self.refresh()

    def _patient_changed(self, _patient_id: object) -> None:
        self.refresh_search()

    def _registered(self, saved: SavedPatient) -> None:
        self.refresh_search()
        self._open(saved.patient_id)
        if self.page is not None:
            self.page.show_message(
                self.tr("Registered {name} with OP number {op}.").format(
                    name=saved.full_name, op=saved.op_number
                )
            )
        if self.ctx.navigator is not None:
            self.ctx.navigator.show_message(
                self.tr("Registered {name}: {op}").format(name=saved.full_name, op=saved.op_number)
            )
