"""The desktop app: first start, login, main window, background sync."""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from clinic.cipher import StoreState, store_state
from clinic.journal.models import StoreSetting
from clinic.migrate import NewerDatabase
from clinic.paths import resources_dir
from clinic.store import STORE_FILE, LocalStore, open_local_store, store_behind
from clinic.store_key import StoreKeyRefused
from desktop.display import translate
from desktop.language import chosen_language, install_translators
from desktop.local_server import DEMO_PORT, THIS_PC_PORT, LocalServer, seed_demo, start_local_server
from desktop.screens.login import FirstStartDialog, LoginDialog, PasswordChangeDialog
from desktop.screens.login.dialogs import ServerMode
from sync.auth import SERVER_URL_KEY, login_online
from sync.transport import Transport

SERVER_MODE_KEY = "server_mode"
DEMO_NOTICE_KEY = "demo_logins"
T = TypeVar("T")


def apply_style(app: QApplication) -> None:
    """The app's style sheet from resources/ (the look is data, not code)."""
    app.setStyleSheet((resources_dir() / "style.qss").read_text(encoding="utf-8"))


def run_with_progress(label: str, work: Callable[[], T]) -> T:
    """Run slow start-up work on a thread while a progress dialog keeps the
    window alive; re-raises its error."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = work()
        except BaseException as error:  # handed back to the GUI thread
            outcome["error"] = error

    progress = QProgressDialog(label, "", 0, 0)
    progress.setCancelButton(None)
    progress.setWindowModality(Qt.WindowModality.ApplicationModal)
    progress.show()
    thread = threading.Thread(target=target, name="start-up", daemon=True)
    thread.start()
    while thread.is_alive():
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        thread.join(0.02)
    progress.close()
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["result"]
    return result


def _local_server(
    data_dir: Path, mode: ServerMode, device_id: uuid.UUID
) -> tuple[LocalServer, str | None]:
    if mode == ServerMode.DEMO:
        server = start_local_server(data_dir / "demo-server", DEMO_PORT)
        return server, seed_demo(server.data_dir, device_id)
    server = start_local_server(data_dir / "server", THIS_PC_PORT)
    notice = None
    if server.one_time_password:
        notice = translate(
            "App",
            "This PC is now the clinic server. Log in as admin with the one-time "
            "password %1 (shown only now); you will choose your own password next.",
        ).replace("%1", server.one_time_password)
    return server, notice


def _server_for(
    store: LocalStore, data_dir: Path
) -> tuple[str | None, LocalServer | None, str | None]:
    """The server address to use, the local server started for it (if this
    PC runs one) and a notice for the login window."""
    mode = store.get_setting(SERVER_MODE_KEY)
    if mode is None:
        dialog = FirstStartDialog()
        if dialog.exec() != FirstStartDialog.DialogCode.Accepted:
            return None, None, None
        choice = dialog.choice()
        mode = choice.mode
        url = choice.url
        with store.write() as session:
            session.merge(StoreSetting(key=SERVER_MODE_KEY, value=mode.value))
            if url:
                session.merge(StoreSetting(key=SERVER_URL_KEY, value=url))
    mode = ServerMode(mode)
    if mode == ServerMode.REMOTE:
        return store.get_setting(SERVER_URL_KEY), None, None
    label = (
        translate("App", "Starting the demo clinic…")
        if mode == ServerMode.DEMO
        else translate("App", "Starting the clinic server…")
    )
    server, notice = run_with_progress(
        label, lambda: _local_server(data_dir, mode, store.device_id)
    )
    if mode == ServerMode.DEMO:
        with store.write() as session:
            if notice:
                session.merge(StoreSetting(key=DEMO_NOTICE_KEY, value=notice))
        notice = store.get_setting(DEMO_NOTICE_KEY)
    return server.url, server, notice


def _open_store(data_dir: Path) -> LocalStore:
    """The store, with a progress dialog while an older version's store is
    encrypted in place (minutes for a large one) or migrated (seconds)."""
    if store_state(data_dir / STORE_FILE) == StoreState.PLAIN:
        label = translate("App", "Encrypting this PC's clinic data (once, after the upgrade)…")
    elif store_behind(data_dir):
        label = translate("App", "Updating this PC's clinic data (once, after the upgrade)…")
    else:
        return open_local_store(data_dir)
    return run_with_progress(label, lambda: open_local_store(data_dir))


def main(data_dir: Path) -> int:
    """Run the desktop app on the store in ``data_dir``; the exit code."""
    running = QApplication.instance()
    app = running if isinstance(running, QApplication) else QApplication(sys.argv)
    QCoreApplication.setOrganizationName("Seth Clinic")
    QCoreApplication.setApplicationName("Seth Clinic")
    app.setWindowIcon(QIcon(str(resources_dir() / "icon.png")))
    apply_style(app)
    try:
        install_translators(app, chosen_language(QSettings()))
    except FileNotFoundError as missing:  # a broken install: English still works
        QMessageBox.warning(None, "Seth Clinic", f"{missing}; the app runs in English.")
    try:
        store = _open_store(data_dir)
    except StoreKeyRefused as error:
        QMessageBox.critical(None, "Seth Clinic", str(error))
        return 1
    except NewerDatabase as error:
        QMessageBox.critical(
            None,
            "Seth Clinic",
            translate(
                "App",
                "This PC's clinic data was last opened by a newer version of Seth Clinic"
                " (revision %1), which this version cannot read. Install that version or"
                " a newer one; nothing was changed.",
            ).replace("%1", error.revision),
        )
        return 1
    local_server: LocalServer | None = None
    try:
        url, local_server, notice = _server_for(store, data_dir)
        if url is None and store.get_setting(SERVER_MODE_KEY) is None:
            return 0
        transport = Transport(url, store.device_id) if url else None
        login = LoginDialog(store, transport, notice)
        mode = store.get_setting(SERVER_MODE_KEY)
        if mode == ServerMode.THIS_PC:
            # A single-PC clinic's one PC does everyone's work.
            login.device_roles.choose_every_role()
        elif mode == ServerMode.DEMO:
            # The demo server enrolled this PC for every role.
            login.device_roles.setVisible(False)
        if login.exec() != LoginDialog.DialogCode.Accepted or login.signed_in is None:
            return 0
        user = login.signed_in
        if user.must_change_password and transport is not None:
            change = PasswordChangeDialog(transport, login.password.text())
            if change.exec() != PasswordChangeDialog.DialogCode.Accepted:
                return 0
            user = login_online(store, transport, user.username, change.new.text())
        # The logged-in session's modules load only now: the login window
        # shows without them.
        from desktop import session

        return session.run(app, store, transport, user, login.offline_reason)
    except Exception as error:
        QMessageBox.critical(None, "Seth Clinic", str(error))
        return 1
    finally:
        store.close()
        if local_server is not None:
            local_server.stop()
