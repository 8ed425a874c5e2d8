"""The admin's Backups screen (issue 14): the daily backups kept, and a
backup to a chosen file with a progress bar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from clinic.backup import daily_backup, read_backup
from clinic.enums import Role
from clinic.store_key import load_key
from desktop.screens.admin.backup import BackupScreen
from tests.gui.conftest import MakeContext, shown


def _screen(qtbot: QtBot, make_context: MakeContext) -> BackupScreen:
    return shown(qtbot, BackupScreen(make_context(Role.ADMIN)))


def test_the_daily_backups_kept_are_listed_newest_first(
    qtbot: QtBot, make_context: MakeContext
) -> None:
    ctx = make_context(Role.ADMIN)
    for day in (date(2026, 11, 24), date(2026, 11, 25)):
        daily_backup(ctx.store.path, day)
    screen = shown(qtbot, BackupScreen(ctx))

    qtbot.waitUntil(lambda: screen.kept.rowCount() == 2)
    cells = [[screen.kept.item(row, column) for column in range(3)] for row in range(2)]
    texts = [[cell.text() if cell else "" for cell in row] for row in cells]
    assert [row[0] for row in texts] == ["25 Nov 2026", "24 Nov 2026"]
    assert texts[0][2].endswith("clinic-2026-11-25.sqlite3")


def test_back_up_now_writes_the_chosen_file_with_a_progress_bar(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = _screen(qtbot, make_context)
    chosen = tmp_path / "usb" / "clinic.sqlite3"
    chosen.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(chosen), ""))
    reported: list[tuple[int, int]] = []
    screen.sig_backup_progress.connect(lambda copied, total: reported.append((copied, total)))

    qtbot.mouseClick(screen.back_up, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: screen.outcome.text().startswith("Backed up to"))
    assert str(chosen) in screen.outcome.text()
    key = load_key(screen.ctx.store.path.parent)
    assert read_backup(chosen, key).device_id == str(screen.ctx.store.device_id)
    assert reported and reported[-1][0] == reported[-1][1] > 0
    assert screen.progress.isHidden() and screen.back_up.isEnabled()


def test_a_failed_backup_says_why(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = _screen(qtbot, make_context)
    missing = tmp_path / "unplugged" / "clinic.sqlite3"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(missing), ""))

    qtbot.mouseClick(screen.back_up, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: screen.outcome.text().startswith("The backup failed:"))
    assert "No such file or directory" in screen.outcome.text()
    assert not missing.parent.exists()
