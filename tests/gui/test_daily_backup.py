"""The desktop app's daily backup (issue 14): taken at start on the
database worker, kept in the data folder's ``backups``, a failure shown in
the status bar."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from clinic.backup import read_backup
from clinic.clock import clinic_today
from clinic.enums import Role
from clinic.store_key import load_key
from desktop.main_window import MainWindow
from desktop.session import DAILY_BACKUP_CHECK_MS, schedule_daily_backups
from tests.gui.conftest import MakeContext


def _window(qtbot: QtBot, make_context: MakeContext, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(make_context(Role.ADMIN), settings)
    qtbot.addWidget(window)
    window.show()
    return window


def test_the_app_takes_todays_backup_at_start_and_checks_again_hourly(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    window = _window(qtbot, make_context, tmp_path)
    store = window.ctx.store
    today = store.path.parent / "backups" / f"clinic-{clinic_today().isoformat()}.sqlite3"

    timer = schedule_daily_backups(window.ctx, window)

    qtbot.waitUntil(today.exists, timeout=10_000)
    assert read_backup(today, load_key(store.path.parent)).device_id == str(store.device_id)
    assert timer.isActive() and timer.interval() == DAILY_BACKUP_CHECK_MS


def test_a_failed_daily_backup_is_shown_in_the_status_bar(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    window = _window(qtbot, make_context, tmp_path)
    blocked = window.ctx.store.path.parent / "backups"
    shutil.rmtree(blocked, ignore_errors=True)
    blocked.write_text("a file where the backups folder goes")

    schedule_daily_backups(window.ctx, window)

    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage().startswith("Today's backup failed:"),
        timeout=10_000,
    )
