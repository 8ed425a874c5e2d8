"""Sync, for admins: sync now, the history of runs, conflicts to review
(keep or flip), and changes the server refused (send again or let go)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic.clock import NAIROBI
from clinic.errors import NotAllowed
from clinic.journal.review import (
    ConflictItem,
    RejectedItem,
    RunItem,
    dismiss_rejected,
    open_conflicts,
    open_rejections,
    resend_rejected,
    resolve_conflict,
    sync_history,
)
from desktop.context import AppContext
from desktop.screens.base import Screen


@dataclass(frozen=True)
class Review:
    runs: list[RunItem]
    conflicts: list[ConflictItem]
    rejected: list[RejectedItem]


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))


def _when(moment: Any) -> str:
    return moment.astimezone(NAIROBI).strftime("%d %b %H:%M") if moment else ""


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class SyncScreen(Screen):
    key = "sync"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.review = Review([], [], [])
        heading = QLabel(self.tr("Sync"))
        heading.setObjectName("heading")
        sync_now = QPushButton(self.tr("Sync now"))
        sync_now.setEnabled(ctx.sync is not None)
        sync_now.clicked.connect(self._sync_now)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(sync_now)

        self.runs = _table(
            [
                self.tr(h)
                for h in (
                    "Started",
                    "Finished",
                    "Pushed",
                    "Pulled",
                    "Conflicts",
                    "Refused",
                    "Problem",
                )
            ]
        )
        self.conflicts = _table(
            [self.tr(h) for h in ("When", "Record", "Field", "Kept value", "Other value")]
        )
        self.rejected = _table(
            [self.tr(h) for h in ("When", "Record", "Change", "Why the server refused it")]
        )
        keep = QPushButton(self.tr("Keep the kept value"))
        keep.clicked.connect(lambda: self._resolve(False))
        flip = QPushButton(self.tr("Use the other value"))
        flip.clicked.connect(lambda: self._resolve(True))
        resend = QPushButton(self.tr("Send again"))
        resend.clicked.connect(lambda: self._rejected_action(resend=True))
        dismiss = QPushButton(self.tr("Let it go"))
        dismiss.clicked.connect(lambda: self._rejected_action(resend=False))

        self.tabs = QTabWidget()
        self.tabs.addTab(self.runs, self.tr("History"))
        self.tabs.addTab(self._with_buttons(self.conflicts, keep, flip), self.tr("Conflicts"))
        self.tabs.addTab(
            self._with_buttons(self.rejected, resend, dismiss), self.tr("Refused changes")
        )
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        if ctx.sync is not None:
            ctx.sync.sig_state_changed.connect(lambda _state: self.refresh())

    @staticmethod
    def _with_buttons(table: QTableWidget, *buttons: QPushButton) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in buttons:
            row.addWidget(button)
        layout.addLayout(row)
        return page

    def title(self) -> str:
        return self.tr("Sync")

    def refresh(self) -> None:
        def load() -> Review:
            with self.ctx.store.session() as session:
                return Review(
                    sync_history(session), open_conflicts(session), open_rejections(session)
                )

        self.ctx.db.submit(load, self._show)

    def _show(self, review: Review) -> None:
        self.review = review
        _fill(
            self.runs,
            [
                [
                    _when(r.started_at),
                    _when(r.finished_at),
                    str(r.pushed),
                    str(r.pulled),
                    str(r.conflicts),
                    str(r.rejected),
                    r.error or "",
                ]
                for r in review.runs
            ],
        )
        _fill(
            self.conflicts,
            [
                [
                    _when(c.created_at),
                    c.entity,
                    c.field,
                    _value(c.winning_value),
                    _value(c.losing_value),
                ]
                for c in review.conflicts
            ],
        )
        _fill(
            self.rejected,
            [
                [_when(r.rejected_at), r.entity, ", ".join(sorted(r.changes)), r.reason]
                for r in review.rejected
            ],
        )
        self.tabs.setTabText(1, self.tr("Conflicts (%d)") % len(review.conflicts))
        self.tabs.setTabText(2, self.tr("Refused changes (%d)") % len(review.rejected))

    def _sync_now(self) -> None:
        if self.ctx.sync is not None:
            self.ctx.sync.sync_now()

    def _selected(self, table: QTableWidget) -> int | None:
        rows = table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _run(self, work: Callable[[], None]) -> None:
        def done(_result: object) -> None:
            self.ctx.saved()
            self.refresh()

        def failed(error: BaseException) -> None:
            if not isinstance(error, NotAllowed):
                raise error
            QMessageBox.warning(self, self.tr("Not done"), str(error))

        self.ctx.db.submit(work, done, failed)

    def _resolve(self, flip: bool) -> None:
        row = self._selected(self.conflicts)
        if row is None:
            return
        conflict_id = self.review.conflicts[row].id
        actor = self.ctx.actor()

        def work() -> None:
            with self.ctx.store.write() as session:
                resolve_conflict(conflict_id, keep_losing=flip, session=session, actor=actor)

        self._run(work)

    def _rejected_action(self, resend: bool) -> None:
        row = self._selected(self.rejected)
        if row is None:
            return
        rejected_id = self.review.rejected[row].id
        actor = self.ctx.actor()

        def work() -> None:
            with self.ctx.store.write() as session:
                if resend:
                    resend_rejected(rejected_id, session=session, actor=actor)
                else:
                    dismiss_rejected(rejected_id, session=session)

        self._run(work)
