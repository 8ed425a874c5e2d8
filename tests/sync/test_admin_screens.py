"""The admin's desk on the desktop against a real server (issue 14): staff,
PCs and branches read and changed through the API from the admin's PC; a
revoked PC's next sync refused with the reason on its screen; and the
screens saying plainly when the server is needed and cannot be had."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from clinic.enums import Role
from clinic.org.models import Branch, Device, User
from clinic.version import app_version
from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.runner import DbRunner
from desktop.screens.admin.branches import BranchesScreen
from desktop.screens.admin.devices import DevicesScreen
from desktop.screens.admin.server import ServerScreen
from desktop.screens.admin.users import UsersScreen
from desktop.sync_controller import SyncController
from server.database import Database
from sync.transport import Transport
from tests.central import MakeStaff
from tests.gui.conftest import shown
from tests.sync.conftest import LiveServer, MakePc, Pc, register

pytestmark = pytest.mark.postgres


@pytest.fixture
def contexts() -> Iterator[list[AppContext]]:
    made: list[AppContext] = []
    yield made
    for ctx in made:
        if ctx.sync is not None:
            ctx.sync.stop()
        ctx.db.shutdown()
        ctx.net.shutdown()


@pytest.fixture
def office(make_pc: MakePc, make_staff: MakeStaff) -> Pc:
    """The head office's PC, its admin (of all branches) logged in."""
    pc = make_pc("office")
    pc.login(make_staff(Role.ADMIN, "head", branch_code=None))
    return pc


def context(pc: Pc, contexts: list[AppContext], *, server: bool = True) -> AppContext:
    assert pc.user is not None
    sync = SyncController(pc.store, pc.engine) if server else None
    ctx = AppContext(store=pc.store, db=DbRunner(), user=pc.user, sync=sync)
    contexts.append(ctx)
    return ctx


def cells(screen: UsersScreen | DevicesScreen | BranchesScreen) -> list[list[str]]:
    table = screen.table
    return [
        [item.text() if (item := table.item(r, c)) else "" for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def row_of(screen: UsersScreen | DevicesScreen | BranchesScreen, first_cell: str) -> int:
    return [row[0] for row in cells(screen)].index(first_cell)


def stored_user(central: Database, username: str) -> User:
    with central.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


# --- staff --------------------------------------------------------------------------


def test_an_admin_adds_changes_and_deactivates_staff(
    qtbot: QtBot,
    office: Pc,
    make_staff: MakeStaff,
    central: Database,
    contexts: list[AppContext],
) -> None:
    make_staff(Role.CASHIER, "west-cashier", branch_code="WEST")
    screen = shown(qtbot, UsersScreen(context(office, contexts)))
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2)
    assert cells(screen)[0][:4] == ["head", "Head", "Admin", "All branches"]
    assert screen.branch.currentData() == "MAIN"

    qtbot.keyClicks(screen.username, "m.achieng")
    qtbot.keyClicks(screen.full_name, "Mary Achieng")
    screen.role.setCurrentIndex(screen.role.findData("nurse"))
    qtbot.keyClicks(screen.password, "short")
    qtbot.mouseClick(screen.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(screen.form.error_text("password")))
    assert "at least" in screen.form.error_text("password")

    screen.password.setText("a-good-first-password")
    qtbot.mouseClick(screen.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 3)
    added = stored_user(central, "m.achieng")
    assert (added.role, added.must_change_password, added.active) == (Role.NURSE, True, True)
    assert cells(screen)[row_of(screen, "m.achieng")][2:] == [
        "Nurse",
        "MAIN",
        "Active; must change password",
    ]

    screen.table.selectRow(row_of(screen, "m.achieng"))
    screen.role.setCurrentIndex(screen.role.findData("clinical_officer"))
    screen.branch.setCurrentIndex(screen.branch.findData("WEST"))
    qtbot.mouseClick(screen.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cells(screen)[row_of(screen, "m.achieng")][2] == "Clinical officer")
    assert cells(screen)[row_of(screen, "m.achieng")][3] == "WEST"

    qtbot.mouseClick(screen.active, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cells(screen)[row_of(screen, "m.achieng")][4] == "Deactivated")
    assert not stored_user(central, "m.achieng").active
    assert screen.active.text() == "Reactivate"


def test_a_one_time_password_is_shown_once_and_must_be_changed(
    qtbot: QtBot,
    office: Pc,
    make_staff: MakeStaff,
    live_server: LiveServer,
    contexts: list[AppContext],
) -> None:
    make_staff(Role.CASHIER, "otieno")
    screen = shown(qtbot, UsersScreen(context(office, contexts)))
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2)
    screen.table.selectRow(row_of(screen, "otieno"))

    qtbot.mouseClick(screen.reset, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "One-time password for otieno" in screen.outcome.text())
    password = screen.outcome.text().split(": ", 1)[1].split("\n")[0]
    cash_desk = uuid.uuid4()
    transport = Transport(live_server.url, cash_desk)
    try:
        answer = transport.call(
            "POST",
            "/api/auth/login",
            {"username": "otieno", "password": password, "device_id": str(cash_desk)},
            authenticated=False,
        )
    finally:
        transport.close()
    assert answer["must_change_password"] is True
    qtbot.waitUntil(
        lambda: cells(screen)[row_of(screen, "otieno")][4] == "Active; must change password"
    )


# --- PCs ----------------------------------------------------------------------------


def test_the_pcs_show_what_they_reported_and_a_revoked_pc_is_told_why(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    office: Pc,
    make_pc: MakePc,
    make_staff: MakeStaff,
    central: Database,
    tmp_path: Path,
    contexts: list[AppContext],
) -> None:
    desk = make_pc("front-desk")
    desk.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    register(desk, "Achieng", "Otieno")
    desk.engine.sync()
    with central.sessions() as session:
        device = session.get(Device, desk.store.device_id)
        assert device is not None
        name = device.name
    screen = shown(qtbot, DevicesScreen(context(office, contexts)))
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2)

    row = cells(screen)[row_of(screen, name)]
    assert row[1:3] == ["MAIN", "Receptionist"]
    assert row[3] and row[4:] == [app_version(), "right", "0", "Active"]

    screen.table.selectRow(row_of(screen, name))
    assert screen.editor.title() == f"{name} serves:"
    screen.roles[Role.NURSE].setChecked(True)
    qtbot.mouseClick(screen.save_roles, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cells(screen)[row_of(screen, name)][2] == "Receptionist, Nurse")

    window = MainWindow(
        context(desk, contexts), QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    screen.table.selectRow(row_of(screen, name))
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: next(answers))
    screen.ask_revoke()
    qtbot.wait(300)
    assert cells(screen)[row_of(screen, name)][7] == "Active"
    screen.ask_revoke()
    qtbot.waitUntil(lambda: cells(screen)[row_of(screen, name)][7].startswith("Revoked"))
    assert not screen.save_roles.isEnabled() and not screen.revoke.isEnabled()

    assert window.ctx.sync is not None
    window.ctx.sync.start()
    window.sync_now()
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == "This device was revoked; ask an admin",
        timeout=30_000,
    )
    assert window.online_label.text() == "○ Offline"
    assert window.online_label.toolTip() == "This device was revoked; ask an admin"


# --- branches -----------------------------------------------------------------------


def test_an_admin_adds_a_branch_and_a_taken_code_is_shown_at_its_field(
    qtbot: QtBot, office: Pc, central: Database, contexts: list[AppContext]
) -> None:
    screen = shown(qtbot, BranchesScreen(context(office, contexts)))
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1)

    for name, text in (("code", "kit"), ("name", "Kitengela"), ("kmhfl_code", "20111")):
        qtbot.keyClicks(screen.fields[name], text)
    qtbot.mouseClick(screen.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2)
    assert cells(screen)[row_of(screen, "KIT")] == ["KIT", "Kitengela", "20111", ""]

    screen.new_branch()
    qtbot.keyClicks(screen.fields["code"], "KIT")
    qtbot.keyClicks(screen.fields["name"], "Kitengela again")
    qtbot.mouseClick(screen.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(screen.form.error_text("code")))
    assert screen.form.error_text("code") == "Another branch has the code KIT; choose another"
    with central.sessions() as session:
        assert sorted(session.scalars(select(Branch.code))) == ["KIT", "MAIN"]


# --- without the server ---------------------------------------------------------------


def test_without_a_server_the_screens_say_it_is_needed(
    qtbot: QtBot, office: Pc, live_server: LiveServer, contexts: list[AppContext]
) -> None:
    alone = shown(qtbot, UsersScreen(context(office, contexts, server=False)))
    qtbot.waitUntil(alone.notice_box.isVisible)
    assert "this PC has none set up" in alone.notice.text()
    assert not alone.body.isEnabled() and not alone.retry.isVisible()

    live_server.stop()
    users = shown(qtbot, UsersScreen(context(office, contexts)))
    screens: list[ServerScreen] = [
        users,
        shown(qtbot, DevicesScreen(context(office, contexts))),
        shown(qtbot, BranchesScreen(context(office, contexts))),
    ]
    for screen in screens:
        qtbot.waitUntil(screen.notice_box.isVisible, timeout=15_000)
        assert "cannot be reached now" in screen.notice.text()
        assert not screen.body.isEnabled() and screen.retry.isVisible()

    live_server.start()
    qtbot.mouseClick(users.retry, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: users.table.rowCount() == 1, timeout=15_000)
    assert users.body.isEnabled() and not users.notice_box.isVisible()
