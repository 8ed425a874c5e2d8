"""Reports: pick a report, the days and the branch; the tables on screen,
with a chart where the report has one; export to CSV, Excel or PDF.

Which reports a role sees is the catalogue's rule (``reports_for``), not
this screen's. A report runs on the database thread (:class:`DbRunner`)
from the local store, offline; a busy bar shows when it takes longer than
a second. The result is plain data (:class:`ReportResult`), so the screen,
the exports and the PDF all read the same thing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
)
from sqlalchemy import select

from clinic.clock import NAIROBI
from clinic.enums import Role
from clinic.errors import InvalidValue, NotAllowed
from clinic.org.models import Branch
from clinic.reports.base import ReportRequest, ReportResult
from clinic.reports.catalogue import TITLES, reports_for, run_report
from clinic.reports.export import write_csv, write_xlsx
from clinic.reports.names import DAILY_CASH, SHIFTS
from desktop.context import AppContext
from desktop.printing import clinic_name
from desktop.screens.base import Screen
from desktop.screens.reports.cells import is_numeric, range_text
from desktop.screens.reports.chart import chart_view
from desktop.screens.reports.model import ReportTableModel
from desktop.screens.reports.pdf import write_report_pdf
from desktop.screens.visit_screen import BANNER_ERROR_STYLE, BANNER_OK_STYLE, HEADING_STYLE
from desktop.widgets import ask_save_path

BUSY_AFTER_MS = 1000
"""A report that takes longer than this shows a busy bar."""
NARROW_COLUMN_CHARS = 3
"""Count columns whose heading is this short (the 705's days 1-31) stay narrow."""
TEXT_COLUMN_MAX = 320
REPORT_CHOICE_CHARS = 30
WIDTH_SAMPLE = 500
"""Columns are sized from this many rows (a month's register has thousands)."""
CELL_PADDING = 18
HEADING_PADDING = 16
NARROW_PADDING = 8
HEADER_STYLE = "QHeaderView::section { padding: 4px 3px; }"
"""Report headings are padded less than elsewhere, so a day column fits "31"."""
DENSE_COLUMNS = 10
"""A table of more columns than this (the register, the 705) is set a point smaller."""
DENSE_STYLE = "QTableView { font-size: 9pt; }"
DENSE_HEADER_STYLE = "QHeaderView::section { padding: 4px 2px; font-size: 9pt; }"
DAY_REPORTS = frozenset({DAILY_CASH, SHIFTS})
"""Reports of one day by default; the others default to this month so far."""


@dataclass(frozen=True)
class Setup:
    """What the screen needs from the store before a report runs."""

    branches: list[tuple[uuid.UUID, str]]
    clinic_name: str


def column_widths(view: QTableView, model: ReportTableModel) -> list[int]:
    """Each column as wide as its heading and its widest cell (the totals
    in bold), reading at most :data:`WIDTH_SAMPLE` rows; text columns at
    most :data:`TEXT_COLUMN_MAX`. A count under a short heading (the 705's
    days) stays as narrow as its numbers."""
    view.ensurePolished()  # the style sheet's type size, not the default one
    view.horizontalHeader().ensurePolished()
    plain = view.fontMetrics()
    model.set_view_font(view.font())
    bold = QFontMetrics(model.bold)
    header = view.horizontalHeader()
    heading = QFontMetrics(header.font())
    rows = min(model.rowCount(), WIDTH_SAMPLE)
    totals_row = model.rowCount() - 1 if model.has_totals() else None
    widths = []
    for position, column in enumerate(model.table.columns):
        texts = [str(model.index(r, position).data()) for r in range(rows)]
        widest = max((plain.horizontalAdvance(t) for t in texts), default=0)
        if totals_row is not None:
            total = str(model.index(totals_row, position).data())
            widest = max(widest, bold.horizontalAdvance(total))
        if is_numeric(column) and len(column.label) <= NARROW_COLUMN_CHARS:
            widest = max(
                widest, heading.horizontalAdvance(column.label), plain.horizontalAdvance("88")
            )
            widths.append(widest + NARROW_PADDING)
            continue
        width = max(
            widest + CELL_PADDING, heading.horizontalAdvance(column.label) + HEADING_PADDING
        )
        widths.append(width if is_numeric(column) else min(width, TEXT_COLUMN_MAX))
    return widths


def clear_tabs(tabs: QTabWidget) -> None:
    """Remove every tab and let its widget go (``clear`` keeps them alive)."""
    while tabs.count():
        old = tabs.widget(0)
        tabs.removeTab(0)
        if old is not None:
            old.deleteLater()


def table_view(model: ReportTableModel) -> QTableView:
    """A read-only view of one report table, its columns sized to their
    cells; a table of many columns (the 705's days) in a point smaller type."""
    view = QTableView()
    view.setObjectName("report_table")
    view.setModel(model)
    model.setParent(view)
    dense = model.columnCount() > DENSE_COLUMNS
    view.setStyleSheet(DENSE_STYLE if dense else "")
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(24)
    header = view.horizontalHeader()
    header.setStyleSheet(DENSE_HEADER_STYLE if dense else HEADER_STYLE)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setMinimumSectionSize(20)
    for position, width in enumerate(column_widths(view, model)):
        view.setColumnWidth(position, width)
    header.setStretchLastSection(False)
    return view


class ReportsScreen(Screen):
    key = "reports"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.result: ReportResult | None = None
        self.made_at: datetime | None = None
        """When the result on screen was read from the store."""
        self.clinic_name = ""
        self.branch_names: dict[uuid.UUID, str] = {}
        self.running = False
        heading = QLabel(self.tr("Reports"))
        heading.setStyleSheet(HEADING_STYLE)

        self.report_choice = QComboBox()
        self.report_choice.setObjectName("report_choice")
        self.report_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.report_choice.setMinimumContentsLength(REPORT_CHOICE_CHARS)
        for name in reports_for(ctx.user.role):
            self.report_choice.addItem(TITLES[name], name)
        self.report_choice.currentIndexChanged.connect(lambda _i: self._default_range())
        self.start = self._date_edit("report_from")
        self.end = self._date_edit("report_to")
        self.branch_choice = QComboBox()
        self.branch_choice.setObjectName("report_branch")
        self.branch_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.branch_choice.setMinimumContentsLength(14)
        self.run_button = QPushButton(self.tr("&Run"))
        self.run_button.setObjectName("run_report")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.export_buttons: dict[str, QPushButton] = {}
        for kind, label in (("csv", self.tr("CSV")), ("xlsx", self.tr("Excel")), ("pdf", "PDF")):
            button = QPushButton(label)
            button.setObjectName(f"export_{kind}")
            button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, k=kind: self.ask_export(k))
            self.export_buttons[kind] = button

        controls = QHBoxLayout()
        controls.addWidget(QLabel(self.tr("Report")))
        controls.addWidget(self.report_choice, 2)
        controls.addSpacing(8)
        controls.addWidget(QLabel(self.tr("From")))
        controls.addWidget(self.start)
        controls.addWidget(QLabel(self.tr("to")))
        controls.addWidget(self.end)
        controls.addSpacing(8)
        controls.addWidget(QLabel(self.tr("Branch")))
        controls.addWidget(self.branch_choice, 1)
        controls.addWidget(self.run_button)
        controls.addStretch(1)

        self.banner = QLabel()
        self.banner.setObjectName("report_message")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.busy = QProgressBar()
        self.busy.setObjectName("report_progress")
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(10)
        self.busy.hide()
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_AFTER_MS)
        self._busy_timer.timeout.connect(self.busy.show)
        self.summary = QLabel(self.tr("Pick a report, the days and the branch, then Run."))
        self.summary.setObjectName("report_summary")
        self.summary.setWordWrap(True)
        summary_line = QHBoxLayout()
        summary_line.addWidget(self.summary, 1)
        summary_line.addWidget(QLabel(self.tr("Export:")))
        for button in self.export_buttons.values():
            summary_line.addWidget(button)

        self.tables = QTabWidget()
        self.tables.setObjectName("report_tables")
        self.tables.setDocumentMode(True)
        self.charts = QTabWidget()
        self.charts.setObjectName("report_charts")
        self.charts.setDocumentMode(True)
        self.charts.hide()
        self.results = QSplitter(Qt.Orientation.Vertical)
        self.results.addWidget(self.tables)
        self.results.addWidget(self.charts)
        self.results.setStretchFactor(0, 3)
        self.results.setStretchFactor(1, 2)
        self.results.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(controls)
        layout.addWidget(self.busy)
        layout.addWidget(self.banner)
        layout.addLayout(summary_line)
        layout.addWidget(self.results, 1)
        self._default_range()

    def title(self) -> str:
        return self.tr("Reports")

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd MMM yyyy")
        return edit

    # --- choosing -----------------------------------------------------------

    def report_names(self) -> list[str]:
        return [self.report_choice.itemData(i) for i in range(self.report_choice.count())]

    def choose(self, name: str) -> None:
        """Pick a report (its default days come with it)."""
        self.report_choice.setCurrentIndex(self.report_choice.findData(name))

    def set_range(self, start: date, end: date) -> None:
        self.start.setDate(QDate(start.year, start.month, start.day))
        self.end.setDate(QDate(end.year, end.month, end.day))

    def _default_range(self) -> None:
        """Today for a day's reports (daily cash, shifts); this month so far
        for the rest (the MOH 705 is a month's form)."""
        today = self.ctx.today()
        name = self.report_choice.currentData()
        self.set_range(today if name in DAY_REPORTS else today.replace(day=1), today)

    def choose_branch(self, branch_id: uuid.UUID | None) -> None:
        """Pick a branch, or all (None). Items carry the id as text, which
        Qt can compare (it cannot compare Python objects)."""
        index = self.branch_choice.findData(str(branch_id or ""))
        if index >= 0:
            self.branch_choice.setCurrentIndex(index)

    def chosen_branch(self) -> uuid.UUID | None:
        data = self.branch_choice.currentData()
        return uuid.UUID(data) if data else None

    def refresh(self) -> None:
        """Load the branches to choose from (those synced since included); a
        report runs only when asked."""
        store = self.ctx.store

        def work() -> Setup:
            with store.session() as session:
                branches = [
                    (branch_id, name)
                    for branch_id, name in session.execute(
                        select(Branch.id, Branch.name)
                        .where(Branch.deleted_at.is_(None))
                        .order_by(Branch.name)
                    )
                ]
            return Setup(branches, clinic_name(store))

        self.ctx.db.submit(work, self._show_setup, self._setup_failed)

    def _setup_failed(self, error: BaseException) -> None:
        self.show_message(self.tr("Could not read the branches: %s") % error, error=True)

    def _show_setup(self, setup: Setup) -> None:
        self.clinic_name = setup.clinic_name
        self.branch_names = dict(setup.branches)
        own = self.ctx.actor().branch_id
        chosen = self.chosen_branch() if self.branch_choice.count() else own
        self.branch_choice.clear()
        if self.ctx.user.role == Role.ADMIN:
            self.branch_choice.addItem(self.tr("All branches"), "")
            for branch_id, name in setup.branches:
                self.branch_choice.addItem(name, str(branch_id))
            self.choose_branch(chosen)
        else:
            name = self.branch_names.get(own, self.tr("This branch")) if own else ""
            self.branch_choice.addItem(name, str(own or ""))
        self.branch_choice.setEnabled(self.branch_choice.count() > 1)

    # --- running ------------------------------------------------------------

    def request(self) -> ReportRequest:
        """The request the controls describe; :class:`InvalidValue` when the
        range ends before it starts."""
        return ReportRequest(
            start=self.start.date().toPython(),  # type: ignore[arg-type]
            end=self.end.date().toPython(),  # type: ignore[arg-type]
            branch_id=self.chosen_branch(),
        )

    def run(self) -> None:
        """Run the chosen report on the database thread."""
        if self.running:
            return
        name = self.report_choice.currentData()
        if name is None:
            return
        try:
            request = self.request()
        except InvalidValue as error:
            self.show_message(error.reason, error=True)
            return
        self.banner.hide()
        self.running = True
        self.run_button.setEnabled(False)
        self._busy_timer.start()
        store = self.ctx.store
        actor = self.ctx.actor()

        def work() -> ReportResult:
            with store.session() as session:
                return run_report(name, request, session=session, actor=actor)

        self.ctx.db.submit(work, self.show_result, self._failed)

    def _done(self) -> None:
        self.running = False
        self.run_button.setEnabled(True)
        self._busy_timer.stop()
        self.busy.hide()

    def _failed(self, error: BaseException) -> None:
        self._done()
        if isinstance(error, InvalidValue):
            self.show_message(error.reason, error=True)
        elif isinstance(error, NotAllowed | PermissionError):
            self.show_message(str(error), error=True)
        else:
            self.show_message(self.tr("Could not make the report: %s") % error, error=True)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(BANNER_ERROR_STYLE if error else BANNER_OK_STYLE)
        self.banner.show()

    def branch_text(self, branch_id: uuid.UUID | None) -> str:
        if branch_id is None:
            return self.tr("All branches")
        return self.branch_names.get(branch_id, str(branch_id))

    def show_result(self, result: ReportResult) -> None:
        self._done()
        self.result = result
        self.made_at = datetime.now(NAIROBI)
        request = result.request
        self.summary.setText(
            f"<b>{escape(result.title)}</b> · {range_text(request)}"
            f" · {escape(self.branch_text(request.branch_id))}"
            + " · "
            + self.tr("made at %s") % self.made_at.strftime("%H:%M")
        )
        clear_tabs(self.tables)
        for table in result.tables:
            view = table_view(ReportTableModel(table))
            self.tables.addTab(view, table.title)
        self.tables.tabBar().setVisible(len(result.tables) > 1)
        clear_tabs(self.charts)
        for chart in result.charts:
            self.charts.addTab(chart_view(result, chart), chart.title)
        self.charts.setVisible(bool(result.charts))
        if result.charts:
            total = max(self.results.height(), 400)
            self.results.setSizes([total * 55 // 100, total * 45 // 100])
        for button in self.export_buttons.values():
            button.setEnabled(True)

    # --- exporting ----------------------------------------------------------

    def ask_export(self, kind: str) -> None:
        if self.result is None:
            return
        filters = {
            "csv": self.tr("CSV files (*.csv)"),
            "xlsx": self.tr("Excel workbooks (*.xlsx)"),
            "pdf": self.tr("PDF files (*.pdf)"),
        }
        request = self.result.request
        suggested = Path.home() / f"{self.result.name}-{request.start}-{request.end}.{kind}"
        path = ask_save_path(self, self.tr("Export the report"), suggested, filters[kind])
        if path is not None:
            self.export_to(kind, path)

    def export_to(self, kind: str, path: Path) -> None:
        """Write the report on screen to ``path`` as ``kind`` (csv, xlsx,
        pdf); the outcome is shown in the banner. The PDF is laid out on the
        GUI thread (Qt's text layout needs it); the others on the worker."""
        result = self.result
        if result is None:
            return
        if kind == "pdf":
            try:
                write_report_pdf(
                    result,
                    path,
                    self.clinic_name,
                    branch_name=self.branch_text(result.request.branch_id),
                    made_at=self.made_at,
                )
            except OSError as error:
                self._export_failed(error)
            else:
                self._exported(path)
            return
        writer = write_csv if kind == "csv" else write_xlsx

        def work() -> Path:
            writer(result, path)
            return path

        self.ctx.db.submit(work, self._exported, self._export_failed)

    def _exported(self, path: Path) -> None:
        self.show_message(self.tr("Saved %s") % path)

    def _export_failed(self, error: BaseException) -> None:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        self.show_message(self.tr("Could not save the report: %s") % reason, error=True)
