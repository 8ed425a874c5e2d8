"""The desktop app's start on an encrypted store (issue 15, item 5): a plain
store an older version left is encrypted in place behind a progress dialog,
and a store whose key is missing, or that a newer version made, is said so
in a message, not a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QProgressDialog
from pytestqt.qtbot import QtBot

from clinic.cipher import StoreState, store_state
from clinic.migrate import current_revision, downgrade, head_revision
from clinic.store import STORE_FILE, open_local_store, store_behind
from clinic.store_key import KEY_FILE
from desktop import app
from tests.conftest import stamp


@pytest.fixture
def progress_labels(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The labels of the progress dialogs shown while the test runs."""
    shown: list[str] = []
    original_show = QProgressDialog.show

    def show(dialog: QProgressDialog) -> None:
        shown.append(dialog.labelText())
        original_show(dialog)

    monkeypatch.setattr(QProgressDialog, "show", show)
    return shown


def test_a_plain_store_is_encrypted_at_start_behind_a_progress_dialog(
    qtbot: QtBot, tmp_path: Path, progress_labels: list[str]
) -> None:
    open_local_store(tmp_path, encrypted=False).close()

    app._open_store(tmp_path).close()

    assert progress_labels == ["Encrypting this PC's clinic data (once, after the upgrade)…"]
    assert store_state(tmp_path / STORE_FILE) == StoreState.ENCRYPTED
    app._open_store(tmp_path).close()  # an encrypted store opens with no dialog
    assert len(progress_labels) == 1


def test_a_store_an_older_version_made_is_migrated_at_start_behind_a_progress_dialog(
    qtbot: QtBot, tmp_path: Path, progress_labels: list[str]
) -> None:
    """A store at 0015 (the search index's old numbers) is made current
    behind a dialog that says so, and opens with no dialog after."""
    store = open_local_store(tmp_path)
    downgrade(store.engine, "local", "0015")
    store.close()
    assert store_behind(tmp_path)

    store = app._open_store(tmp_path)
    with store.engine.connect() as connection:
        assert current_revision(connection) == head_revision("local")
    store.close()

    assert progress_labels == ["Updating this PC's clinic data (once, after the upgrade)…"]
    assert not store_behind(tmp_path)
    app._open_store(tmp_path).close()
    assert len(progress_labels) == 1


def test_a_missing_key_is_said_in_a_message_at_start(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_local_store(tmp_path).close()
    (tmp_path / KEY_FILE).unlink()
    said: list[Any] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: said.append(args[2]))

    assert app.main(tmp_path) == 1

    assert len(said) == 1 and said[0].startswith("the store's key is missing")


def test_a_store_a_newer_version_made_is_said_in_a_message_at_start(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, progress_labels: list[str]
) -> None:
    store = open_local_store(tmp_path)
    stamp(store.engine, "0999")
    store.close()
    said: list[Any] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: said.append(args[2]))

    assert app.main(tmp_path) == 1

    assert said == [
        "This PC's clinic data was last opened by a newer version of Seth Clinic (revision"
        " 0999), which this version cannot read. Install that version or a newer one;"
        " nothing was changed."
    ]
    assert progress_labels == []
