"""The conflicts inbox, for admins: every field two PCs changed at once,
with both values, who made each change on which PC and when, and which
won; keep the winner or flip to the other value, with the record opened
beside it as it is now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic.errors import NotAllowed
from clinic.journal.records import RecordView, record_view, value_text
from clinic.journal.review import ConflictItem, open_conflicts, resolve_conflict
from desktop.context import AppContext
from desktop.screens.admin.tables import run_write, when
from desktop.screens.base import Screen
from desktop.widgets import fill_table, rows_table, selected_row


@dataclass(frozen=True)
class _Opened:
    conflict_id: uuid.UUID
    record: RecordView | None
    problem: str | None


def _by(user: str | None, moment: datetime | None) -> str:
    return " · ".join(p for p in (user or "?", when(moment)) if p)


def _side(user: str | None, device: str | None, moment: datetime | None) -> str:
    """Who, on which PC, when: a side of a conflict in full."""
    parts = [user or "?", f"on {device}" if device else "", f"at {when(moment)}" if moment else ""]
    return " ".join(p for p in parts if p)


class ConflictsScreen(Screen):
    key = "conflicts"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.items: list[ConflictItem] = []
        heading = QLabel(self.tr("Conflicts"))
        heading.setObjectName("heading")
        self.settled = QCheckBox(self.tr("Show settled ones"))
        self.settled.toggled.connect(lambda _on: self.refresh())
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.settled)
        about = QLabel(
            self.tr(
                "Two PCs changed the same field before they synced. The change that reached"
                " the server last was kept; keep it, or use the other value instead."
            )
        )
        about.setWordWrap(True)
        self.table = rows_table(
            [
                self.tr("Record"),
                self.tr("Field"),
                self.tr("Kept value"),
                self.tr("Kept: by, when"),
                self.tr("Other value"),
                self.tr("Other: by, when"),
                self.tr("Settled"),
            ],
            name="conflicts",
            stretch=0,
        )
        self.table.itemSelectionChanged.connect(self._open_selected)
        self.keep = QPushButton(self.tr("Keep the kept value"))
        self.keep.clicked.connect(lambda: self._resolve(flip=False))
        self.flip = QPushButton(self.tr("Use the other value"))
        self.flip.clicked.connect(lambda: self._resolve(flip=True))
        self.count = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.count, 1)
        buttons.addWidget(self.keep)
        buttons.addWidget(self.flip)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(buttons)

        self.record_title = QLabel(self.tr("Pick a conflict to see its record"))
        self.record_title.setObjectName("subheading")
        self.record_title.setWordWrap(True)
        self.record = QTableWidget(0, 2)
        self.record.setObjectName("conflict_record")
        self.record.setHorizontalHeaderLabels([self.tr("Field"), self.tr("Now")])
        self.record.verticalHeader().hide()
        self.record.horizontalHeader().setStretchLastSection(True)
        self.record.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.sides = QLabel()
        self.sides.setObjectName("conflict_sides")
        self.sides.setWordWrap(True)
        right_layout.addWidget(self.sides)
        right_layout.addWidget(self.record_title)
        right_layout.addWidget(self.record, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([800, 340])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(about)
        layout.addWidget(splitter, 1)
        self._enable_buttons()
        if ctx.sync is not None:
            # Shown screens only: opening one refreshes it anyway.
            ctx.sync.sig_state_changed.connect(
                lambda _state: self.refresh() if self.isVisible() else None
            )

    def title(self) -> str:
        return self.tr("Conflicts")

    def refresh(self) -> None:
        settled = self.settled.isChecked()

        def load() -> list[ConflictItem]:
            with self.ctx.store.session() as session:
                return open_conflicts(session, settled=settled)

        self.ctx.db.submit(load, self._show)

    def _show(self, items: list[ConflictItem]) -> None:
        self.items = items
        fill_table(
            self.table,
            [
                [
                    c.record,
                    c.field.replace("_", " "),
                    value_text(c.winning_value),
                    _by(c.winning_user, c.won_at),
                    value_text(c.losing_value),
                    _by(c.losing_user, c.lost_at),
                    f"{c.resolution} {when(c.resolved_at)}" if c.resolution else "",
                ]
                for c in items
            ],
            keep_selection=False,
        )
        self.table.setColumnHidden(6, not self.settled.isChecked())
        self.count.setText(
            self.tr("%n settled", "", len(items))
            if self.settled.isChecked()
            else self.tr("%n to settle", "", len(items))
        )
        self.record.setRowCount(0)
        self.sides.clear()
        self.record_title.setText(self.tr("Pick a conflict to see its record"))
        self._enable_buttons()

    def _enable_buttons(self) -> None:
        row = selected_row(self.table)
        open_one = row is not None and self.items[row].resolution is None
        self.keep.setEnabled(open_one)
        self.flip.setEnabled(open_one)

    def _open_selected(self) -> None:
        self._enable_buttons()
        row = selected_row(self.table)
        if row is None:
            return
        conflict = self.items[row]
        self.sides.setText(
            self.tr("%1: kept %2 (%3, reached the server last); the other value %4 (%5).")
            .replace("%1", conflict.field.replace("_", " ").capitalize())
            .replace("%2", f"“{value_text(conflict.winning_value)}”")
            .replace("%3", _side(conflict.winning_user, conflict.winning_device, conflict.won_at))
            .replace("%4", f"“{value_text(conflict.losing_value)}”")
            .replace("%5", _side(conflict.losing_user, conflict.losing_device, conflict.lost_at))
        )

        def load() -> _Opened:
            with self.ctx.store.session() as session:
                try:
                    view = record_view(conflict.entity, conflict.row_id, session=session)
                except NotAllowed as refusal:
                    return _Opened(conflict.id, None, str(refusal))
                return _Opened(conflict.id, view, None)

        self.ctx.db.submit(load, self._show_record)

    def _show_record(self, opened: _Opened) -> None:
        row = selected_row(self.table)
        if row is None or self.items[row].id != opened.conflict_id:
            return
        conflict = self.items[row]
        if opened.record is None:
            self.record_title.setText(opened.problem or "")
            self.record.setRowCount(0)
            return
        view = opened.record
        title = self.tr("%1 now").replace("%1", conflict.record)
        if view.deleted:
            title += " " + self.tr("(deleted)")
        self.record_title.setText(title)
        self.record.setRowCount(len(view.fields))
        bold = QFont()
        bold.setBold(True)
        for r, (name, text) in enumerate(view.fields):
            cells = (QTableWidgetItem(name.replace("_", " ")), QTableWidgetItem(text))
            for c, cell in enumerate(cells):
                cell.setToolTip(text)
                if name == conflict.field:
                    cell.setFont(bold)
                self.record.setItem(r, c, cell)
            if name == conflict.field:
                self.record.scrollToItem(cells[0])
        self.record.resizeColumnToContents(0)

    def _resolve(self, *, flip: bool) -> None:
        row = selected_row(self.table)
        if row is None:
            return
        conflict_id = self.items[row].id
        actor = self.ctx.actor()

        def work() -> None:
            with self.ctx.store.write() as session:
                resolve_conflict(conflict_id, keep_losing=flip, session=session, actor=actor)

        run_write(self, self.ctx, work, self.refresh)
