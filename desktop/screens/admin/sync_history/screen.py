"""Sync, for admins: sync now, and the history of this PC's syncs with what
each moved (pushed, pulled, conflicts, refused) and how it ended."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from clinic.journal.review import RunItem, sync_history
from desktop.context import AppContext
from desktop.screens.admin.tables import when
from desktop.screens.base import Screen
from desktop.sync_controller import SyncState
from desktop.widgets import fill_table, rows_table


class SyncHistoryScreen(Screen):
    key = "sync"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        heading = QLabel(self.tr("Sync"))
        heading.setObjectName("heading")
        self.sync_now = QPushButton(self.tr("Sync now"))
        self.sync_now.setEnabled(ctx.sync is not None)
        self.sync_now.setToolTip(
            self.tr("Push this PC's changes and pull the others' now")
            if ctx.sync is not None
            else self.tr("This PC has no server to sync with")
        )
        self.sync_now.clicked.connect(self._sync_now)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.sync_now)
        self.state = QLabel()
        self.state.setObjectName("sync_state")
        self.state.setWordWrap(True)
        self.runs = rows_table(
            [
                self.tr("Started"),
                self.tr("Finished"),
                self.tr("Pushed"),
                self.tr("Pulled"),
                self.tr("Conflicts"),
                self.tr("Refused"),
                self.tr("Problem"),
            ],
            name="sync_runs",
        )
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state)
        layout.addWidget(self.runs, 1)
        if ctx.sync is not None:
            ctx.sync.sig_state_changed.connect(self._show_state)

    def title(self) -> str:
        return self.tr("Sync")

    def refresh(self) -> None:
        def load() -> list[RunItem]:
            with self.ctx.store.session() as session:
                return sync_history(session)

        self.ctx.db.submit(load, self._show)

    def _show(self, runs: list[RunItem]) -> None:
        fill_table(
            self.runs,
            [
                [
                    when(r.started_at),
                    when(r.finished_at, with_date=False) if r.finished_at else self.tr("running"),
                    str(r.pushed),
                    str(r.pulled),
                    str(r.conflicts),
                    str(r.rejected),
                    r.error or "",
                ]
                for r in runs
            ],
            keep_selection=False,
        )

    def _show_state(self, state: SyncState) -> None:
        status = state.status
        self.state.setText(
            self.tr("%1 · %2 waiting to be pushed%3")
            .replace("%1", self.tr("Online") if state.online else self.tr("Offline"))
            .replace("%2", str(status.pending))
            .replace("%3", f" · {state.message}" if state.message else "")
        )
        self.sync_now.setEnabled(True)
        if self.isVisible():  # opening the screen refreshes it anyway
            self.refresh()

    def _sync_now(self) -> None:
        if self.ctx.sync is not None:
            self.sync_now.setEnabled(False)
            self.state.setText(self.tr("Syncing…"))
            self.ctx.sync.sync_now()
