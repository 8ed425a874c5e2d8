"""Backups, for admins: the daily backups kept, and a backup to a file of
one's choice (a USB disk) with a progress bar. Restoring is done on the
command line into an empty data folder (``seth-clinic restore``), never
over the store the app has open."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from clinic.backup import (
    DAILY_FOLDER,
    DAILY_KEEP,
    BackupInfo,
    DailyBackup,
    backup_store,
    kept_backups,
)
from clinic.clock import clinic_today
from desktop.context import AppContext
from desktop.screens.base import Screen
from desktop.widgets import ask_save_path


class BackupScreen(Screen):
    key = "backup"

    sig_backup_progress = Signal(int, int)
    """(pages copied, pages in all) of the backup under way; emitted on the
    database thread, shown on the GUI thread."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        heading = QLabel(self.tr("Backups"))
        heading.setObjectName("heading")
        self.back_up = QPushButton(self.tr("Back up now…"))
        self.back_up.clicked.connect(self._choose_file)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.back_up)
        folder = ctx.store.path.parent / DAILY_FOLDER
        about = QLabel(
            self.tr(
                "The app backs this PC's data up each day into %1 and keeps the last %2."
                " To restore one, use seth-clinic restore FILE into an empty data folder."
            )
            .replace("%1", str(folder))
            .replace("%2", str(DAILY_KEEP))
        )
        about.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.kept = QTableWidget(0, 3)
        self.kept.setHorizontalHeaderLabels([self.tr("Day"), self.tr("Size"), self.tr("File")])
        self.kept.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.kept.verticalHeader().hide()
        self.kept.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.kept.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(about)
        layout.addWidget(self.progress)
        layout.addWidget(self.outcome)
        layout.addWidget(self.kept, 1)
        self.sig_backup_progress.connect(self._show_progress)

    def title(self) -> str:
        return self.tr("Backups")

    def refresh(self) -> None:
        path = self.ctx.store.path
        self.ctx.db.submit(lambda: kept_backups(path), self._show_kept)

    def _show_kept(self, kept: list[DailyBackup]) -> None:
        self.kept.setRowCount(len(kept))
        for row, backup in enumerate(reversed(kept)):
            cells = (backup.day.strftime("%d %b %Y"), _size(backup.size), str(backup.path))
            for column, text in enumerate(cells):
                self.kept.setItem(row, column, QTableWidgetItem(text))

    def _choose_file(self) -> None:
        suggested = str(Path.home() / f"seth-clinic-{clinic_today().isoformat()}.sqlite3")
        path = ask_save_path(
            self, self.tr("Back up to"), suggested, self.tr("Seth Clinic backup (*.sqlite3)")
        )
        if path is not None:
            self.back_up_to(path)

    def back_up_to(self, destination: Path) -> None:
        """Back the store up to ``destination`` on the database thread,
        with the progress bar; the outcome is shown below it."""
        self.back_up.setEnabled(False)
        self.outcome.clear()
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        path = self.ctx.store.path
        self.ctx.db.submit(
            lambda: backup_store(path, destination, self.sig_backup_progress.emit),
            lambda info: self._backed_up(destination, info),
            self._failed,
        )

    def _show_progress(self, copied: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(copied)

    def _backed_up(self, destination: Path, info: BackupInfo) -> None:
        self._done(
            self.tr("Backed up to %1 (%2 changes not yet synced).")
            .replace("%1", str(destination))
            .replace("%2", str(info.pending))
        )

    def _failed(self, error: BaseException) -> None:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        self._done(self.tr("The backup failed: %1").replace("%1", reason))

    def _done(self, text: str) -> None:
        self.progress.setVisible(False)
        self.outcome.setText(text)
        self.back_up.setEnabled(True)
        self.refresh()


def _size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(1, size // 1024)} kB"
