"""The claims list: filters (status, branch, visit dates, patient name, OP or
SHA number) over a table loaded a page at a time as the user scrolls.

Each change of filter resets the model and asks the database thread for
the first page and the totals; answers to an older filter are dropped.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic.claims.queries import (
    AWAITING_SHA,
    LIFECYCLE,
    PAGE_SIZE,
    BranchChoice,
    ClaimFilter,
    ClaimRow,
    ClaimTotals,
    claim_totals,
    claims_page,
)
from clinic.enums import ClaimStatus
from clinic.rules.money import format_kes
from desktop.context import AppContext
from desktop.display import claim_status_text, translate
from desktop.printing import local_time
from desktop.screens.claims.labels import STATUS_COLOURS
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import error_text
from desktop.widgets import ERROR_STYLE

AnyIndex = QModelIndex | QPersistentModelIndex
TEXT_DELAY_MS = 200
OUTSTANDING = "outstanding"
"""The status filter's entry for claims sent to SHA and not paid."""
DEFAULT_DAYS = 120
"""The list starts with visits of the last four months."""


class ClaimsModel(QAbstractTableModel):
    """Claims matching a filter, latest visit first, a page at a time."""

    sig_loaded = Signal(int)
    """A page arrived; carries how many rows are loaded now."""

    sig_totals = Signal(object)
    """The filter's :class:`ClaimTotals` arrived."""

    sig_failed = Signal(str)
    """Loading failed; carries the reason as one line."""

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[ClaimRow] = []
        self.filter = ClaimFilter()
        self._generation = 0
        self._has_more = False
        self._loading = False
        self.headers = [
            translate("Claims", "Visit"),
            translate("Claims", "Patient"),
            translate("Claims", "OP number"),
            translate("Claims", "SHA number"),
            translate("Claims", "Status"),
            translate("Claims", "Claimed"),
            translate("Claims", "Approved / paid"),
            translate("Claims", "Submitted"),
        ]

    def set_filter(self, wanted: ClaimFilter) -> None:
        self.beginResetModel()
        self._generation += 1
        self.filter = wanted
        self.rows = []
        self._has_more = True
        self._loading = False
        self.endResetModel()
        generation, store = self._generation, self.ctx.store

        def totals() -> ClaimTotals:
            with store.session() as session:
                return claim_totals(wanted, session=session)

        submit_for(
            self,
            self.ctx.db,
            totals,
            lambda model, result: model._totals_arrived(generation, result),
            lambda model, error: model._failed(generation, error),
        )
        self._load()

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent) and not self._loading:
            self._load()

    def _load(self) -> None:
        generation, store, wanted = self._generation, self.ctx.store, self.filter
        after = self.rows[-1].page_key if self.rows else None
        self._loading = True

        def work() -> list[ClaimRow]:
            with store.session() as session:
                return claims_page(wanted, session=session, after=after, limit=PAGE_SIZE)

        submit_for(
            self,
            self.ctx.db,
            work,
            lambda model, rows: model._arrived(generation, rows),
            lambda model, error: model._failed(generation, error),
        )

    def _arrived(self, generation: int, rows: list[ClaimRow]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._has_more = len(rows) == PAGE_SIZE
        if rows:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        self.sig_loaded.emit(len(self.rows))

    def _totals_arrived(self, generation: int, totals: ClaimTotals) -> None:
        if generation == self._generation:
            self.sig_totals.emit(totals)

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self._loading = False
            self._has_more = False
            self.sig_failed.emit(error_text(error))

    def claim_at(self, row: int) -> ClaimRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        claim = self.claim_at(index.row()) if index.isValid() else None
        if claim is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(claim, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 4:
            return QColor(STATUS_COLOURS[claim.status])
        if role == Qt.ItemDataRole.ToolTipRole and claim.rejection_reason and column == 4:
            return claim.rejection_reason
        return None

    @staticmethod
    def _cell(claim: ClaimRow, column: int) -> str:
        if column == 0:
            return f"{claim.visit_date:%d/%m/%Y}"
        if column == 1:
            return claim.patient_name
        if column == 2:
            return claim.op_number
        if column == 3:
            return claim.sha_member_number
        if column == 4:
            return claim_status_text(claim.status)
        if column == 5:
            return format_kes(claim.claimed_cents)
        if column == 6:
            shown = claim.paid_cents if claim.paid_cents is not None else claim.approved_cents
            return "" if shown is None else format_kes(shown)
        if column == 7:
            return local_time(claim.submitted_at, "%d/%m/%Y") if claim.submitted_at else ""
        return ""


class ClaimsListPanel(QWidget):
    """The filters and the table; Enter or a double click opens a claim."""

    sig_open_claim = Signal(object)
    """The user opened a claim; carries its id."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = ClaimsModel(ctx, self)
        self.model.sig_loaded.connect(self._loaded)
        self.model.sig_totals.connect(self._show_totals)
        self.model.sig_failed.connect(self._show_error)

        self.status = QComboBox()
        self.status.setObjectName("status_filter")
        self.status.addItem(translate("Claims", "All statuses"), None)
        self.status.addItem(translate("Claims", "Sent, not paid"), OUTSTANDING)
        for status in LIFECYCLE:
            self.status.addItem(claim_status_text(status), status.value)
        self.branch = QComboBox()
        self.branch.setObjectName("branch_filter")
        self.branch.addItem(translate("Claims", "All branches"), None)
        today = ctx.today()
        self.visit_from = self._date_edit("visit_from", today - timedelta(days=DEFAULT_DAYS))
        self.visit_to = self._date_edit("visit_to", today)
        self.search = QLineEdit()
        self.search.setObjectName("claim_search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(translate("Claims", "Patient name, OP number or SHA number"))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TEXT_DELAY_MS)
        self._timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        for combo in (self.status, self.branch):
            combo.currentIndexChanged.connect(lambda _index: self.apply_filter())
        for edit in (self.visit_from, self.visit_to):
            edit.dateChanged.connect(lambda _day: self.apply_filter())

        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.status)
        filters.addWidget(self.branch)
        filters.addWidget(QLabel(translate("Claims", "Visits from")))
        filters.addWidget(self.visit_from)
        filters.addWidget(QLabel(translate("Claims", "to")))
        filters.addWidget(self.visit_to)

        self.table = QTableView()
        self.table.setObjectName("claims_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        for column, width in enumerate((90, 220, 165, 150, 140, 110, 130, 90)):
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            opener = QShortcut(QKeySequence(key), self.table)
            opener.setContext(Qt.ShortcutContext.WidgetShortcut)
            opener.activated.connect(lambda: self._open_row(self.table.currentIndex().row()))
        self.summary = QLabel()
        self.summary.setObjectName("claims_summary")
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)

    def _date_edit(self, name: str, day: date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day))
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd/MM/yyyy")
        return edit

    def set_branches(self, branches: list[BranchChoice]) -> None:
        """Offer the branches in the filter (hidden when there is only one)."""
        current = self.branch.currentData()
        self.branch.blockSignals(True)
        self.branch.clear()
        self.branch.addItem(translate("Claims", "All branches"), None)
        for choice in branches:
            self.branch.addItem(f"{choice.code} — {choice.name}", choice.id.hex)
        found = self.branch.findData(current)
        self.branch.setCurrentIndex(max(found, 0))
        self.branch.blockSignals(False)
        self.branch.setVisible(len(branches) > 1)

    def current_filter(self) -> ClaimFilter:
        chosen = self.status.currentData()
        if chosen == OUTSTANDING:
            statuses = frozenset(AWAITING_SHA)
        elif chosen:
            statuses = frozenset({ClaimStatus(chosen)})
        else:
            statuses = frozenset()
        branch = self.branch.currentData()
        return ClaimFilter(
            statuses=statuses,
            branch_id=uuid.UUID(branch) if branch else None,
            visit_from=self.visit_from.date().toPython(),  # type: ignore[arg-type]
            visit_to=self.visit_to.date().toPython(),  # type: ignore[arg-type]
            text=self.search.text().strip(),
        )

    def apply_filter(self) -> None:
        self._timer.stop()
        self.error.hide()
        self.model.set_filter(self.current_filter())

    def _open_row(self, row: int) -> None:
        claim = self.model.claim_at(row)
        if claim is not None:
            self.sig_open_claim.emit(claim.id)

    def _loaded(self, count: int) -> None:
        if count and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def _show_totals(self, totals: ClaimTotals) -> None:
        self.summary.setText(
            translate("Claims", "{count} claims, {amount} claimed").format(
                count=f"{totals.count:,}", amount=format_kes(totals.claimed_cents)
            )
        )

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
