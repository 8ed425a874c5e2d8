"""Today's queue at this branch: who is waiting, for how long, for what,
and who is next; each role moves visits on as its work is done."""

from __future__ import annotations

import uuid
from datetime import datetime

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from clinic.db import utcnow
from clinic.enums import Role, VisitStatus
from clinic.errors import NotAllowed, ValidationFailed
from clinic.permissions import Data, may_read
from clinic.rules.ages import age_on
from clinic.visits.queries import QueueEntry, todays_queue
from clinic.visits.rules import may_move_visit, statuses_moved_by
from clinic.visits.service import move_visit
from desktop.context import AppContext
from desktop.display import sex_text, visit_status_text, waited_text
from desktop.screens.base import Screen
from desktop.screens.billing.models import STATE_COLOUR, state_text
from desktop.screens.billing.queries import BillState, bill_states

CLOSED = (VisitStatus.COMPLETED, VisitStatus.CANCELLED)
CRITICAL_COLOUR = "#c62828"
"""A visit with a critical lab result: the clinician must see it now."""
REFRESH_MS = 30_000

WORK_SCREEN = {
    Role.NURSE: ("triage", {VisitStatus.REGISTERED}),
    Role.CLINICAL_OFFICER: (
        "consultation",
        {
            VisitStatus.REGISTERED,
            VisitStatus.TRIAGED,
            VisitStatus.WAITING_CONSULTATION,
            VisitStatus.IN_CONSULTATION,
            VisitStatus.WAITING_LAB,
        },
    ),
    Role.CASHIER: ("billing", {VisitStatus.WAITING_PHARMACY, VisitStatus.COMPLETED}),
    Role.LAB_TECHNICIAN: ("lab", {VisitStatus.WAITING_LAB}),
}


def waited(entry: QueueEntry, now: datetime) -> str:
    return waited_text(max(0, int((now - entry.arrived_at).total_seconds() // 60)))


class QueueModel(QAbstractTableModel):
    HEADERS = (
        QT_TRANSLATE_NOOP("QueueModel", "No."),
        QT_TRANSLATE_NOOP("QueueModel", "OP number"),
        QT_TRANSLATE_NOOP("QueueModel", "Patient"),
        QT_TRANSLATE_NOOP("QueueModel", "Sex"),
        QT_TRANSLATE_NOOP("QueueModel", "Age"),
        QT_TRANSLATE_NOOP("QueueModel", "Status"),
        QT_TRANSLATE_NOOP("QueueModel", "Waiting"),
        QT_TRANSLATE_NOOP("QueueModel", "Visit"),
    )

    BILL_COLUMN = len(HEADERS)

    def __init__(self, show_bill: bool = False) -> None:
        super().__init__()
        self.show_bill = show_bill
        """A column for where the visit's bill stands (roles that read invoices)."""
        self.bills: dict[uuid.UUID, BillState] = {}
        self.entries: list[QueueEntry] = []
        self.next_id: uuid.UUID | None = None
        self.now = utcnow()

    def set_entries(
        self, entries: list[QueueEntry], bills: dict[uuid.UUID, BillState] | None = None
    ) -> None:
        self.beginResetModel()
        self.entries = entries
        self.bills = bills or {}
        self.now = utcnow()
        waiting = [e for e in entries if e.status not in CLOSED]
        self.next_id = waiting[0].visit_id if waiting else None
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS) + (1 if self.show_bill else 0)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if section == self.BILL_COLUMN:
                return self.tr("Bill")
            return QCoreApplication.translate("QueueModel", self.HEADERS[section])
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        entry = self.entries[index.row()]
        if index.column() == self.BILL_COLUMN:
            bill = self.bills.get(entry.visit_id)
            if bill is not None and role == Qt.ItemDataRole.DisplayRole:
                return state_text(bill)
            if bill is not None and role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(STATE_COLOUR[bill]))
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == 0:
                return entry.queue_position
            if column == 1:
                return entry.op_number
            if column == 2:
                return entry.patient_name + (
                    self.tr("  (next)") if entry.visit_id == self.next_id else ""
                )
            if column == 3:
                return sex_text(entry.sex)
            if column == 4:
                return age_on(entry.date_of_birth, self.now.date()) if entry.date_of_birth else ""
            if column == 5:
                mark = self.tr("  ⚠ critical lab result")
                return visit_status_text(entry.status) + (mark if entry.critical_results else "")
            if column == 6:
                return "" if entry.status in CLOSED else waited(entry, self.now)
            return self.tr("New") if entry.is_new else self.tr("Revisit")
        if role == Qt.ItemDataRole.ForegroundRole and entry.critical_results:
            return QBrush(QColor(CRITICAL_COLOUR))
        if role == Qt.ItemDataRole.ForegroundRole and entry.status in CLOSED:
            return QBrush(QColor("#777777"))
        if role == Qt.ItemDataRole.BackgroundRole and entry.visit_id == self.next_id:
            return QBrush(QColor("#e3f2e1"))
        return None


class QueueScreen(Screen):
    """The branch's visits of today in queue order; updated every 30 s and
    whenever changes arrive from other PCs."""

    key = "queue"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.model = QueueModel(show_bill=may_read(ctx.user.role, Data.INVOICES))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        QShortcut(
            QKeySequence(Qt.Key.Key_Return),
            self.table,
            self.open_selected,
            context=Qt.ShortcutContext.WidgetShortcut,
        )

        self.summary = QLabel()
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.clicked.connect(self.open_selected)
        self.move_buttons: dict[VisitStatus, QPushButton] = {}
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.open_button)
        for status, label in (
            (VisitStatus.WAITING_CONSULTATION, self.tr("Send to consultation")),
            (VisitStatus.WAITING_PHARMACY, self.tr("Send to pharmacy")),
            (VisitStatus.COMPLETED, self.tr("Complete")),
            (VisitStatus.CANCELLED, self.tr("Cancel visit…")),
        ):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, s=status: self.move_selected(s))
            button.setVisible(status in statuses_moved_by(ctx.user.role))
            self.move_buttons[status] = button
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        heading = QLabel(self.tr("Today's queue"))
        heading.setObjectName("heading")
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self._update_buttons()

    def title(self) -> str:
        return self.tr("Queue")

    def refresh(self) -> None:
        branch_id = self.ctx.actor().branch_id
        day = self.ctx.today()

        show_bill = self.model.show_bill

        def load() -> tuple[list[QueueEntry], dict[uuid.UUID, BillState]]:
            with self.ctx.store.session() as session:
                entries = todays_queue(session, branch_id, day)
                bills = bill_states(session, branch_id, day) if show_bill else {}
                return entries, {visit_id: state for visit_id, (state, _, _) in bills.items()}

        selected = self.selected()
        self.ctx.db.submit(load, lambda loaded: self._show(loaded[0], loaded[1], selected))

    def _show(
        self,
        entries: list[QueueEntry],
        bills: dict[uuid.UUID, BillState],
        selected: QueueEntry | None,
    ) -> None:
        self.model.set_entries(entries, bills)
        waiting = sum(1 for e in entries if e.status not in CLOSED)
        self.summary.setText(
            self.tr("%n waiting", "", waiting)
            + self.tr(", %n seen today", "", len(entries) - waiting)
        )
        if selected is not None:
            for row, entry in enumerate(entries):
                if entry.visit_id == selected.visit_id:
                    self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> QueueEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.entries[rows[0].row()] if rows else None

    def _may_move(self, entry: QueueEntry, status: VisitStatus) -> bool:
        return may_move_visit(self.ctx.user.role, entry.status, status)

    def _update_buttons(self) -> None:
        entry = self.selected()
        self.open_button.setEnabled(entry is not None)
        for status, button in self.move_buttons.items():
            button.setEnabled(entry is not None and self._may_move(entry, status))

    def open_selected(self) -> None:
        """Open the selected visit where this role works on it (triage,
        consultation), else the patient's page."""
        entry = self.selected()
        navigator = self.ctx.navigator
        if entry is None or navigator is None:
            return
        work = WORK_SCREEN.get(self.ctx.user.role)
        if work is not None and entry.status in work[1]:
            navigator.open_visit(work[0], entry.visit_id)
        else:
            navigator.open_patient(entry.patient_id)

    def move_selected(self, status: VisitStatus) -> None:
        entry = self.selected()
        if entry is None:
            return
        reason = None
        if status == VisitStatus.CANCELLED:
            reason, ok = QInputDialog.getText(
                self,
                self.tr("Cancel visit"),
                self.tr("Why is %s's visit cancelled?") % entry.patient_name,
            )
            if not ok:
                return
        actor = self.ctx.actor()

        def move() -> None:
            with self.ctx.store.write() as session:
                move_visit(entry.visit_id, status, session=session, actor=actor, reason=reason)

        def moved(_result: object) -> None:
            self.ctx.saved()
            self.refresh()

        self.ctx.db.submit(move, moved, self._refused)

    def _refused(self, error: BaseException) -> None:
        if isinstance(error, ValidationFailed):
            text = "\n".join(e.reason for e in error.errors)
        elif isinstance(error, NotAllowed | LookupError):
            text = str(error)
        else:
            raise error
        QMessageBox.warning(self, self.tr("Not done"), text)
