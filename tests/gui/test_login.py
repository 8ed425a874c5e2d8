"""The login dialog on its own: when it asks what the PC is for, how that
choice behaves, and which answers of the server fall back to an offline
login (the real server's answers: tests/sync/test_login_dialog.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QGroupBox
from pytestqt.qtbot import QtBot

from clinic.db import utcnow
from clinic.enums import Role
from clinic.org.models import OfflineLogin
from clinic.store import LocalStore
from desktop.screens.login import LoginDialog
from desktop.screens.login.dialogs import attempt_login
from sync.auth import LoginFailed
from sync.transport import Transport

PASSWORD = "correct-horse-battery"


def refusing(status: int, message: str) -> Transport:
    """A server at 127.0.0.1 that answers every request with ``status``."""

    def answer(_request: httpx.Request) -> httpx.Response:
        error = {"code": "refused", "message": message, "fields": []}
        return httpx.Response(status, json={"error": error, "request_id": "r"})

    return Transport("http://127.0.0.1:8750", uuid.uuid4(), transport=httpx.MockTransport(answer))


@pytest.fixture
def transport() -> Iterator[Transport]:
    server = refusing(503, "The server is restarting")
    yield server
    server.close()


def keep_offline_login(store: LocalStore, username: str = "wanjiru") -> None:
    """As an earlier online login on this PC leaves it."""
    with store.write() as session:
        session.add(
            OfflineLogin(
                username=username, user_id=uuid.uuid4(), full_name="Wanjiru Kamau",
                role=Role.RECEPTIONIST, branch_id=None,
                verifier=PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD),
                last_online_login=utcnow(),
            )
        )  # fmt: skip


def shown_dialog(qtbot: QtBot, store: LocalStore, transport: Transport | None) -> LoginDialog:
    dialog = LoginDialog(store, transport)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def this_pc_is_for(dialog: LoginDialog) -> QGroupBox:
    group = dialog.findChild(QGroupBox, "device_roles")
    assert group is not None
    return group


def checkboxes(dialog: LoginDialog) -> dict[str, QCheckBox]:
    return {box.text(): box for box in this_pc_is_for(dialog).findChildren(QCheckBox)}


def test_only_a_new_pc_with_a_server_asks_what_it_is_for(
    qtbot: QtBot, store: LocalStore, transport: Transport
) -> None:
    assert this_pc_is_for(shown_dialog(qtbot, store, transport)).isVisible()
    assert not this_pc_is_for(shown_dialog(qtbot, store, None)).isVisible()

    keep_offline_login(store)

    assert not this_pc_is_for(shown_dialog(qtbot, store, transport)).isVisible()


def test_the_roles_are_ticked_from_the_keyboard_and_all_ticks_every_one(
    qtbot: QtBot, store: LocalStore, transport: Transport
) -> None:
    dialog = shown_dialog(qtbot, store, transport)
    boxes = checkboxes(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    dialog.password.setFocus()

    qtbot.keyClick(dialog.password, Qt.Key.Key_Tab)
    assert boxes["Reception"].hasFocus()
    qtbot.keyClick(boxes["Reception"], Qt.Key.Key_Space)
    assert boxes["Reception"].isChecked()

    qtbot.keyClick(boxes["All (admin)"], Qt.Key.Key_Space)
    assert all(box.isChecked() for box in boxes.values())
    assert not any(box.isEnabled() for text, box in boxes.items() if text != "All (admin)")

    qtbot.keyClick(boxes["All (admin)"], Qt.Key.Key_Space)
    assert [text for text, box in boxes.items() if box.isChecked()] == ["Reception"]
    assert all(box.isEnabled() for box in boxes.values())


def test_a_failing_server_falls_back_to_the_offline_login(
    store: LocalStore, transport: Transport
) -> None:
    keep_offline_login(store)

    user, offline_reason = attempt_login(store, transport, "wanjiru", PASSWORD)

    assert user.username == "wanjiru" and not user.online
    assert offline_reason == "The server is restarting"


def test_a_proxys_page_for_a_restarting_server_falls_back_to_the_offline_login(
    store: LocalStore,
) -> None:
    """nginx's HTML while the API restarts is not the server's answer: the
    login is checked on this PC, and the reason is not the page's HTML."""
    keep_offline_login(store)

    def answer(_request: httpx.Request) -> httpx.Response:
        page = b"<html><head><title>502 Bad Gateway</title></head></html>"
        return httpx.Response(502, content=page, headers={"Content-Type": "text/html"})

    proxy = Transport("http://127.0.0.1:8750", uuid.uuid4(), transport=httpx.MockTransport(answer))
    user, offline_reason = attempt_login(store, proxy, "wanjiru", PASSWORD)

    assert user.username == "wanjiru" and not user.online
    assert offline_reason == "The clinic server cannot be reached"
    proxy.close()


@pytest.mark.parametrize("status", [200, 404])
def test_another_web_page_at_the_servers_address_is_said_at_the_offline_login(
    store: LocalStore, status: int
) -> None:
    """A Wi-Fi sign-in page, or another web server at a mistyped address:
    the login is checked on this PC, and the reason says what to look at."""
    keep_offline_login(store)

    def answer(_request: httpx.Request) -> httpx.Response:
        page = b"<html><head><title>Router</title></head></html>"
        return httpx.Response(status, content=page, headers={"Content-Type": "text/html"})

    other = Transport("http://127.0.0.1:8750", uuid.uuid4(), transport=httpx.MockTransport(answer))
    user, offline_reason = attempt_login(store, other, "wanjiru", PASSWORD)

    assert user.username == "wanjiru" and not user.online
    assert offline_reason == f"Wrong server address, or Wi-Fi sign-in (HTTP {status})"
    other.close()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (403, "This PC belongs to branch MAIN; log in on a PC of your own branch"),
        (429, "Too many login attempts; wait a minute and try again"),
    ],
)
def test_a_refusal_of_the_server_is_its_answer_not_an_offline_login(
    store: LocalStore, status: int, message: str
) -> None:
    keep_offline_login(store)
    server = refusing(status, message)

    with pytest.raises(LoginFailed) as refused:
        attempt_login(store, server, "wanjiru", PASSWORD)

    assert str(refused.value) == message
    server.close()
