"""A screen that works on one visit at a time (triage, consultation).

With no visit open it shows today's waiting list for the role at this branch
(Enter opens the highlighted patient); with a visit open it shows the patient
header and the screen's own form. Ctrl+S saves, Esc closes the visit (asking
first when something typed would be lost).

Everything read from the store is read on the database thread; results that
arrive for a visit the user has already left are dropped. Opening a visit
records a read of the clinical record in the audit log (DESIGN.md, Security).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic.clock import NAIROBI
from clinic.db import utcnow
from clinic.enums import VisitStatus
from clinic.journal.service import record_audit
from clinic.rules.ages import age_on
from clinic.visits.queries import QueueEntry, VisitRecord, todays_queue, visit_record
from desktop.context import AppContext
from desktop.display import sex_text, visit_status_text, waited_text
from desktop.screens.base import Screen

S = VisitStatus

_STATUS_COLOUR = {
    S.REGISTERED: "#5d4037",
    S.TRIAGED: "#1565c0",
    S.WAITING_CONSULTATION: "#1565c0",
    S.IN_CONSULTATION: "#6a1b9a",
    S.WAITING_LAB: "#00838f",
    S.WAITING_PHARMACY: "#2e7d32",
    S.COMPLETED: "#616161",
    S.CANCELLED: "#616161",
}

HEADING_STYLE = "font-size: 15pt; font-weight: 600;"
BANNER_OK_STYLE = (
    "background: #e3f2e1; color: #1b5e20; border: 1px solid #a5d6a7;"
    " border-radius: 3px; padding: 6px 10px;"
)
BANNER_ERROR_STYLE = (
    "background: #fdecea; color: #b00020; border: 1px solid #f5c6cb;"
    " border-radius: 3px; padding: 6px 10px;"
)


def age_in_years(date_of_birth: date | None, on: date) -> float | None:
    """The age the clinic's rules use (as ``record_triage`` computes it)."""
    if date_of_birth is None or date_of_birth > on:
        return None
    return (on - date_of_birth).days / 365.25


def shown_age(date_of_birth: date | None, on: date) -> str:
    if date_of_birth is None or date_of_birth > on:
        return ""
    return age_on(date_of_birth, on)


def local_time(moment: datetime, *, with_date: bool = False) -> str:
    """A UTC time as the clinic reads it (Africa/Nairobi)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(NAIROBI)
    return local.strftime("%d %b %Y %H:%M" if with_date else "%H:%M")


def waited(arrived_at: datetime, now: datetime) -> str:
    return waited_text(max(0, int((now - arrived_at).total_seconds() // 60)))


def ask(parent: QWidget, title: str, text: str, confirm: str, cancel: str) -> bool:
    """A modal question; True when ``confirm`` was pressed (Esc or ``cancel``: False)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    yes = box.addButton(confirm, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(cancel, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


@dataclass(frozen=True)
class Waiting:
    """One row of the waiting list."""

    entry: QueueEntry
    age: str
    waited: str


class WaitingList(QWidget):
    """Today's patients waiting for this screen's work, in queue order."""

    sig_visit_chosen = Signal(object)
    """A visit id (uuid.UUID): the user pressed Enter or double-clicked it."""

    def __init__(self, heading: str, empty_text: str) -> None:
        super().__init__()
        self.empty_text = empty_text
        title = QLabel(heading)
        title.setObjectName("heading")
        title.setStyleSheet(HEADING_STYLE)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.table = QTableWidget(0, 7)
        self.table.setObjectName("waiting_list")
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("No."),
                self.tr("OP number"),
                self.tr("Patient"),
                self.tr("Sex"),
                self.tr("Age"),
                self.tr("Status"),
                self.tr("Waiting"),
            ]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda _index: self.open_selected())
        self.empty = QLabel(empty_text)
        self.empty.setObjectName("empty")
        self.empty.setStyleSheet("color: #616161; padding: 8px 2px;")
        self.open_button = QPushButton(self.tr("&Open"))
        self.open_button.clicked.connect(self.open_selected)
        hint = QLabel(self.tr("Enter opens the highlighted patient."))
        hint.setStyleSheet("color: #616161;")
        buttons = QHBoxLayout()
        buttons.addWidget(hint, 1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.banner)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.setFocusProxy(self.table)
        self.visit_ids: list[uuid.UUID] = []

    def show_waiting(self, rows: list[Waiting]) -> None:
        selected = self.selected()
        self.visit_ids = [row.entry.visit_id for row in rows]
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            entry = row.entry
            values = (
                str(entry.queue_position or ""),
                entry.op_number,
                entry.patient_name,
                sex_text(entry.sex),
                row.age,
                visit_status_text(entry.status)
                + (self.tr("  ⚠ critical lab result") if entry.critical_results else ""),
                row.waited,
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if entry.critical_results:
                    item.setForeground(QColor("#c62828"))
                self.table.setItem(index, column, item)
        self.empty.setVisible(not rows)
        self.open_button.setEnabled(bool(rows))
        if rows:
            keep = self.visit_ids.index(selected) if selected in self.visit_ids else 0
            self.table.selectRow(keep)

    def show_banner(self, text: str | None, *, error: bool = False) -> None:
        self.banner.setText(text or "")
        self.banner.setStyleSheet(BANNER_ERROR_STYLE if error else BANNER_OK_STYLE)
        self.banner.setVisible(bool(text))

    def selected(self) -> uuid.UUID | None:
        row = self.table.currentRow()
        return self.visit_ids[row] if 0 <= row < len(self.visit_ids) else None

    def open_selected(self) -> None:
        visit_id = self.selected()
        if visit_id is not None:
            self.sig_visit_chosen.emit(visit_id)

    def patient_names(self) -> list[str]:
        """The names listed, in order (what the user sees in the Patient column)."""
        items = (self.table.item(row, 2) for row in range(self.table.rowCount()))
        return [item.text() if item else "" for item in items]


class VisitHeader(QFrame):
    """Who the open visit is for: name, OP number, sex, age, visit status."""

    sig_back = Signal()
    """The user asked to go back to the waiting list."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("visit_header")
        self.setStyleSheet(
            "#visit_header { background: #f3f6f9; border: 1px solid #d5dde5; border-radius: 4px; }"
        )
        self.back = QPushButton(self.tr("← Waiting list (Esc)"))
        self.back.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.back.clicked.connect(self.sig_back.emit)
        self.name = QLabel()
        self.name.setObjectName("patient_name")
        self.name.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel()
        self.details.setObjectName("patient_details")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("visit_status")
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self.name)
        names.addWidget(self.details)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.back)
        layout.addSpacing(12)
        layout.addLayout(names, 1)
        layout.addWidget(self.status)

    def show_loading(self) -> None:
        self.name.setText(self.tr("Opening the visit…"))
        self.details.setText("")
        self.status.hide()

    def show_visit(self, record: VisitRecord) -> None:
        self.name.setText(record.patient_name)
        parts = [record.op_number, sex_text(record.sex)]
        age = shown_age(record.date_of_birth, record.visit_date)
        parts.append(self.tr("Age %s") % age if age else self.tr("Age unknown"))
        parts.append(self.tr("Visit of %s") % record.visit_date.strftime("%d %b %Y"))
        self.details.setText("  ·  ".join(parts))
        self.status.setText(visit_status_text(record.status))
        self.status.setStyleSheet(
            f"background: {_STATUS_COLOUR[record.status]}; color: white; font-weight: 600;"
            " padding: 4px 10px; border-radius: 10px;"
        )
        self.status.show()


class VisitScreen(Screen):
    """Base of the screens that work on one visit; see the module docstring.

    Subclasses set ``waiting_statuses`` and implement ``build_form``,
    ``show_record``, ``is_dirty`` and ``save``.
    """

    waiting_statuses: frozenset[VisitStatus] = frozenset()

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.visit_id: uuid.UUID | None = None
        self.record: VisitRecord | None = None
        self._generation = 0
        self.waiting = WaitingList(self.waiting_heading(), self.waiting_empty_text())
        self.waiting.sig_visit_chosen.connect(self.open_visit)
        self.header = VisitHeader()
        self.header.sig_back.connect(self.close_visit)
        self.visit_page = QWidget()
        page = QVBoxLayout(self.visit_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(self.header)
        page.addWidget(self.build_form(), 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.waiting)
        self.stack.addWidget(self.visit_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.stack)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence.StandardKey.Save, self.visit_page, self.save, context=context)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.visit_page, self._escape, context=context)

    # --- for subclasses ---------------------------------------------------

    def waiting_heading(self) -> str:
        raise NotImplementedError

    def waiting_empty_text(self) -> str:
        raise NotImplementedError

    def build_form(self) -> QWidget:
        raise NotImplementedError

    def show_record(self, record: VisitRecord, *, fill: bool) -> None:
        """Show a freshly read record. ``fill``: (re)fill the editable form
        too; otherwise only what is read-only (typing in progress is kept)."""
        raise NotImplementedError

    def is_dirty(self) -> bool:
        """Whether the form holds typing that has not been saved."""
        raise NotImplementedError

    def save(self) -> None:
        raise NotImplementedError

    def set_form_enabled(self, enabled: bool) -> None:
        """Forms are disabled while the visit is being read."""

    # --- the waiting list -------------------------------------------------

    def refresh(self) -> None:
        """Reload the waiting list, and the open visit's read-only parts."""
        self._load_waiting()
        if self.visit_id is not None and self.record is not None:
            self.load_record(fill=False)

    def _load_waiting(self) -> None:
        ctx = self.ctx
        day = ctx.today()
        statuses = self.waiting_statuses

        def load() -> list[Waiting]:
            branch_id = ctx.actor().branch_id
            now = utcnow()
            with ctx.store.session() as session:
                entries = todays_queue(session, branch_id, day, include_closed=False)
            return [
                Waiting(e, shown_age(e.date_of_birth, day), waited(e.arrived_at, now))
                for e in entries
                if e.status in statuses
            ]

        ctx.db.submit(load, self.waiting.show_waiting, self._failed)

    def _failed(self, error: BaseException) -> None:
        text = self.tr("Could not read the store: %s") % error
        if self.stack.currentWidget() is self.waiting:
            self.waiting.show_banner(text, error=True)
        else:
            self.show_problem(text)

    def show_problem(self, text: str) -> None:
        """Show an error that belongs to no field (subclasses place it)."""
        QMessageBox.warning(self, self.tr("Seth Clinic"), text)

    # --- the open visit ---------------------------------------------------

    def open_visit(self, visit_id: uuid.UUID) -> None:
        """Show this visit (called from the waiting list and from the queue)."""
        if self.visit_id is not None and visit_id != self.visit_id and not self._may_leave():
            return
        self.visit_id = visit_id
        self.record = None
        self._generation += 1
        self.waiting.show_banner(None)
        self.header.show_loading()
        self.set_form_enabled(False)
        self.stack.setCurrentWidget(self.visit_page)
        self.load_record(fill=True, audit=True)

    def close_visit(self) -> None:
        """Back to the waiting list (asks first if typing would be lost)."""
        if self.visit_id is None:
            return
        if not self._may_leave():
            return
        self.visit_id = None
        self.record = None
        self._generation += 1
        self.stack.setCurrentWidget(self.waiting)
        self.waiting.setFocus()
        self._load_waiting()

    def visit_saved(self, message: str) -> None:
        """After a save that finishes the work on this visit: back to the list
        with a confirmation, and sync told."""
        self.ctx.saved()
        if self.ctx.navigator is not None:
            self.ctx.navigator.show_message(message)
        self.visit_id = None
        self.record = None
        self._generation += 1
        self.stack.setCurrentWidget(self.waiting)
        self.waiting.show_banner(message)
        self.waiting.setFocus()
        self._load_waiting()

    def _may_leave(self) -> bool:
        if self.record is None or not self.is_dirty():
            return True
        return ask(
            self,
            self.tr("Unsaved changes"),
            self.tr("Discard what you typed for %s?") % self.record.patient_name,
            self.tr("&Discard"),
            self.tr("&Keep editing"),
        )

    def _escape(self) -> None:
        focus = QApplication.focusWidget()
        viewport = focus.parentWidget() if focus is not None else None
        view = viewport.parentWidget() if viewport is not None else None
        if (
            focus is not None
            and isinstance(view, QAbstractItemView)
            and view.state() == QAbstractItemView.State.EditingState
        ):
            # Esc in a table cell cancels the cell's edit, not the visit.
            QApplication.sendEvent(
                focus,
                QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
            )
            return
        self.close_visit()

    def load_record(self, *, fill: bool, audit: bool = False) -> None:
        """Read the open visit on the database thread and show it."""
        visit_id = self.visit_id
        if visit_id is None:
            return
        generation = self._generation
        self.ctx.db.submit(
            self._read_work(visit_id, audit),
            lambda record: self._record_read(generation, record, fill),
            lambda error: self._record_failed(generation, error),
        )

    def _read_work(self, visit_id: uuid.UUID, audit: bool) -> Callable[[], VisitRecord]:
        ctx = self.ctx
        screen = self.key

        def read() -> VisitRecord:
            if not audit:
                with ctx.store.session() as session:
                    return visit_record(session, visit_id)
            with ctx.store.write() as session:
                record = visit_record(session, visit_id)
                record_audit(
                    session,
                    ctx.actor(),
                    action="read_clinical_record",
                    entity="visits",
                    entity_id=visit_id,
                    after={"screen": screen},
                )
                return record

        return read

    def _record_read(self, generation: int, record: VisitRecord, fill: bool) -> None:
        if generation != self._generation:
            return
        self.record = record
        self.header.show_visit(record)
        self.set_form_enabled(True)
        self.show_record(record, fill=fill)

    def _record_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.visit_id = None
        self.stack.setCurrentWidget(self.waiting)
        text = (
            self.tr("That visit no longer exists.")
            if isinstance(error, LookupError)
            else self.tr("Could not open the visit: %s") % error
        )
        self.waiting.show_banner(text, error=True)
        self._load_waiting()

    def run(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run store work for the open visit; its answer is dropped if the
        user has moved to another visit meanwhile."""
        generation = self._generation

        def done(result: Any) -> None:
            if generation == self._generation:
                on_done(result)

        def failed(error: BaseException) -> None:
            if generation == self._generation:
                on_error(error)

        self.ctx.db.submit(work, done, failed)
