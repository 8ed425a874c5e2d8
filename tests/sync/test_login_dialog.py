"""The login dialog against a real server (DESIGN.md, Sync 10): on a new PC
an admin ticks what it is for; the server's refusals reach the dialog in
its own words, never as an offline login that was not asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QGroupBox, QLabel
from pytestqt.qtbot import QtBot

from clinic.enums import Role
from clinic.org.models import Device
from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.runner import DbRunner
from desktop.screens.login import LoginDialog
from server.database import Database
from sync.auth import login_offline
from sync.credentials import TokenStore
from sync.transport import Transport
from tests.central import PASSWORD, MakeStaff
from tests.sync.conftest import LiveServer, MakePc, Pc

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

LOGGING_IN = "Logging in…"


def open_login(qtbot: QtBot, pc: Pc) -> LoginDialog:
    dialog = LoginDialog(pc.store, pc.transport)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def this_pc_is_for(dialog: LoginDialog) -> QGroupBox:
    group = dialog.findChild(QGroupBox, "device_roles")
    assert group is not None
    assert group.title() == "This PC is for:"
    return group


def checkbox(dialog: LoginDialog, text: str) -> QCheckBox:
    (box,) = [b for b in dialog.findChildren(QCheckBox) if b.text() == text]
    return box


def shown_error(dialog: LoginDialog) -> str:
    label = dialog.findChild(QLabel, "login_error")
    assert label is not None
    return label.text()


def log_in(qtbot: QtBot, dialog: LoginDialog, username: str, *ticks: str) -> None:
    """Type the username and password, tick ``ticks``, click "Log in" and
    wait for the answer."""
    for field in (dialog.username, dialog.password):
        field.clear()
    qtbot.keyClicks(dialog.username, username)
    qtbot.keyClicks(dialog.password, PASSWORD)
    for text in ticks:
        box = checkbox(dialog, text)
        # On the box itself: a checkbox takes clicks on its box and label only.
        middle = box.height() // 2
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(middle, middle))
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert button.text() == "Log in"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            dialog.result() == QDialog.DialogCode.Accepted
            or (dialog.buttons.isEnabled() and shown_error(dialog) != LOGGING_IN)
        ),
        timeout=10_000,
    )


def server_roles(central: Database, pc: Pc) -> list[str] | None:
    with central.sessions() as session:
        device = session.get(Device, pc.store.device_id)
        return None if device is None else list(device.roles)


def test_an_admin_sets_a_new_pc_up_for_reception_and_cashier_and_a_nurse_is_told_no(
    qtbot: QtBot,
    make_pc: MakePc,
    make_staff: MakeStaff,
    central: Database,
) -> None:
    make_staff(Role.ADMIN, "amina", branch_code=None)
    make_staff(Role.NURSE, "akinyi")
    make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("front-desk")

    first = open_login(qtbot, desk)
    assert this_pc_is_for(first).isVisible()
    assert [b.text() for b in first.findChildren(QCheckBox)] == [
        "Reception", "Triage", "Consultation", "Cashier", "Pharmacy", "Claims", "Lab",
        "All (admin)",
    ]  # fmt: skip
    log_in(qtbot, first, "amina", "Reception", "Cashier")

    assert first.result() == QDialog.DialogCode.Accepted, shown_error(first)
    assert first.signed_in is not None and first.signed_in.role == Role.ADMIN
    assert first.offline_reason is None
    assert server_roles(central, desk) == ["receptionist", "cashier"]

    second = open_login(qtbot, desk)
    assert not this_pc_is_for(second).isVisible()
    log_in(qtbot, second, "akinyi")

    assert second.result() != QDialog.DialogCode.Accepted
    assert shown_error(second) == (
        "This PC is set up for: receptionist, cashier. Ask an admin to let it serve nurse too"
    )

    log_in(qtbot, second, "wanjiru")

    assert second.result() == QDialog.DialogCode.Accepted, shown_error(second)
    assert second.signed_in is not None and second.signed_in.role == Role.RECEPTIONIST
    assert second.offline_reason is None


def test_a_nurse_who_ticks_roles_on_a_new_pc_is_told_only_an_admin_chooses(
    qtbot: QtBot,
    make_pc: MakePc,
    make_staff: MakeStaff,
    central: Database,
) -> None:
    make_staff(Role.NURSE, "akinyi")
    ward = make_pc("ward")
    dialog = open_login(qtbot, ward)
    assert this_pc_is_for(dialog).isVisible()

    log_in(qtbot, dialog, "akinyi", "Lab")

    assert dialog.result() != QDialog.DialogCode.Accepted
    assert shown_error(dialog) == (
        "Only an admin chooses the roles a PC serves. "
        "Untick the boxes under “This PC is for” and log in again."
    )
    assert server_roles(central, ward) is None

    log_in(qtbot, dialog, "akinyi", "Lab")

    assert dialog.result() == QDialog.DialogCode.Accepted, shown_error(dialog)
    assert server_roles(central, ward) == ["nurse"]


def test_all_serves_every_role(
    qtbot: QtBot,
    make_pc: MakePc,
    make_staff: MakeStaff,
    central: Database,
) -> None:
    make_staff(Role.ADMIN, "amina", branch_code=None)
    office = make_pc("office")
    dialog = open_login(qtbot, office)

    log_in(qtbot, dialog, "amina", "All (admin)")

    assert dialog.result() == QDialog.DialogCode.Accepted, shown_error(dialog)
    assert server_roles(central, office) == [role.value for role in Role]


def keyring_notice(qtbot: QtBot, dialog: LoginDialog) -> QLabel:
    """The no-keyring notice, once the dialog has looked for a keyring (just
    after it shows)."""
    label = dialog.findChild(QLabel, "no_keyring_notice")
    assert label is not None
    qtbot.waitUntil(lambda: not dialog.keyring_check.isActive())
    return label


def test_without_a_keyring_the_login_works_online_and_the_pc_says_so_once(
    qtbot: QtBot,
    make_pc: MakePc,
    make_staff: MakeStaff,
    live_server: LiveServer,
    tmp_path: Path,
    no_keyring: None,
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("front-desk")

    first = open_login(qtbot, desk)
    notice = keyring_notice(qtbot, first)
    assert notice.isVisible()
    assert notice.text().startswith("This PC has no secure keyring to keep your login")
    assert "ask for your password at each start" in notice.text()
    log_in(qtbot, first, "wanjiru")

    assert first.result() == QDialog.DialogCode.Accepted, shown_error(first)
    assert first.signed_in is not None and first.offline_reason is None
    assert first.signed_in.online and first.signed_in.user_id == reception.id
    window = MainWindow(
        AppContext(store=desk.store, db=DbRunner(), user=first.signed_in, sync=None),
        QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
    )
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.windowTitle() == "Seth Clinic — Wanjiru (Receptionist)"
        assert window.ctx.user.user_id == reception.id
        assert desk.transport.call("GET", "/api/auth/me")["user"]["id"] == str(reception.id)
    finally:
        window.ctx.db.shutdown()
    assert login_offline(desk.store, "wanjiru", PASSWORD).user_id == reception.id

    # The next start: a new process, so the tokens are gone; no notice again.
    TokenStore(desk.store.device_id).clear()
    desk.transport.close()
    desk.transport = Transport(live_server.url, desk.store.device_id)
    second = open_login(qtbot, desk)
    assert not keyring_notice(qtbot, second).isVisible()
    log_in(qtbot, second, "wanjiru")
    assert second.result() == QDialog.DialogCode.Accepted, shown_error(second)
    assert second.signed_in is not None and second.offline_reason is None


def test_a_login_that_fails_offline_says_the_server_could_not_be_reached(
    qtbot: QtBot, make_pc: MakePc, make_staff: MakeStaff, live_server: LiveServer
) -> None:
    make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("front-desk")
    live_server.stop()
    dialog = open_login(qtbot, desk)
    log_in(qtbot, dialog, "wanjiru")
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert shown_error(dialog) == (
        "The clinic server cannot be reached, so the login was checked on this PC: This user"
        " has not logged in on this PC while online yet; connect to the server once"
    )
