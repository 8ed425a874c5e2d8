"""A logged-in session of the desktop app: the main window, background sync
and daily backups, until the window closes. ``desktop.app`` imports this
only after the login, so the login window shows without these modules."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from clinic.backup import daily_backup
from clinic.clock import clinic_today
from clinic.store import LocalStore
from desktop.context import AppContext
from desktop.display import translate
from desktop.main_window import MainWindow
from desktop.runner import DbRunner
from desktop.sync_controller import SyncController
from sync.auth import SignedIn
from sync.engine import SyncEngine
from sync.transport import Transport

DAILY_BACKUP_CHECK_MS = 60 * 60 * 1000
"""How often a running app looks whether today's backup is taken yet."""


def run(
    app: QApplication,
    store: LocalStore,
    transport: Transport | None,
    user: SignedIn,
    offline_reason: str | None,
) -> int:
    """Show ``user``'s main window on ``store`` and run until it closes; the
    exit code. Syncs through ``transport`` when there is a server."""
    sync = SyncController(store, SyncEngine(store, transport)) if transport else None
    ctx = AppContext(store=store, db=DbRunner(), user=user, sync=sync)
    window = MainWindow(ctx, QSettings())
    if offline_reason:
        offline = translate("App", "Working offline: %1")
        window.show_message(offline.replace("%1", offline_reason), 15)
    window.show()
    schedule_daily_backups(ctx, window)
    if sync is not None:
        sync.start()
    code = app.exec()
    if sync is not None:
        sync.stop()
    ctx.db.shutdown()
    ctx.net.shutdown()
    return code


def schedule_daily_backups(ctx: AppContext, window: MainWindow) -> QTimer:
    """Take today's backup of the store (``clinic.backup.daily_backup``: the
    data folder's ``backups``, seven kept) now and, while the app runs,
    on each new Nairobi day (looked at hourly), on the database worker. A
    failure is shown in the status bar. The timer belongs to ``window``."""

    def take() -> None:
        ctx.db.submit(
            lambda: daily_backup(ctx.store.path, clinic_today()),
            lambda _made: None,
            lambda error: window.show_message(
                translate("App", "Today's backup failed: %1").replace("%1", str(error)), 60
            ),
        )

    timer = QTimer(window)
    timer.setInterval(DAILY_BACKUP_CHECK_MS)
    timer.timeout.connect(take)
    timer.start()
    take()
    return timer
