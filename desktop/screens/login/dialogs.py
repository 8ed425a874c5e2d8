"""The first start (where is the clinic server?) and the login.

Login tries the server first, on a worker thread, and falls back to the
verifier kept on this PC when the server cannot be reached; the dialog says
which it was. On a PC nobody has logged in on yet, the dialog also asks what
the PC is for: an admin's first login sets the roles it serves (DESIGN.md,
Sync 10). On a PC without a secure keyring the login's tokens live in
memory for the session, and the dialog says once (remembered in the store)
that it will ask for the password at each start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
)

from clinic.enums import Role
from clinic.journal.models import StoreSetting
from clinic.store import LocalStore
from desktop.display import translate
from desktop.widgets import ERROR_STYLE, CentredDialog
from sync.auth import LoginFailed, SignedIn, is_new_pc, login_offline, login_online
from sync.transport import ServerRefused, Transport, Unreachable

NOTICE_STYLE = "background: #fff8e1; padding: 8px; border: 1px solid #f0c36d;"
NO_KEYRING_SAID_KEY = "no_keyring_said"
"""Store setting: the PC has said it has no keyring (said once, not at every start)."""


class ServerMode(StrEnum):
    REMOTE = "remote"
    THIS_PC = "this_pc"
    DEMO = "demo"


@dataclass(frozen=True)
class ServerChoice:
    mode: ServerMode
    url: str | None


class FirstStartDialog(CentredDialog):
    """Where this PC's clinic server is: another PC or a cloud address, this
    PC itself (single-PC clinics), or a demo clinic with generated data."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(self.tr("Seth Clinic — first start"))
        self.remote = QRadioButton(self.tr("Connect to the clinic's server"))
        self.address = QLineEdit()
        self.address.setPlaceholderText("http://192.168.1.10:8750")
        self.this_pc = QRadioButton(self.tr("This PC is the clinic server (single-PC clinic)"))
        self.demo = QRadioButton(self.tr("Try a demo clinic with made-up patients"))
        group = QButtonGroup(self)
        for button in (self.remote, self.this_pc, self.demo):
            group.addButton(button)
        self.remote.setChecked(True)
        self.remote.toggled.connect(self.address.setEnabled)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Continue"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        intro = QLabel(
            self.tr(
                "Seth Clinic keeps working when the internet is down and syncs with the "
                "clinic's server when it is back. Where is the server?"
            )
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.remote)
        layout.addWidget(self.address)
        layout.addWidget(self.this_pc)
        layout.addWidget(self.demo)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def choice(self) -> ServerChoice:
        if self.this_pc.isChecked():
            return ServerChoice(ServerMode.THIS_PC, None)
        if self.demo.isChecked():
            return ServerChoice(ServerMode.DEMO, None)
        url = self.address.text().strip().rstrip("/")
        if url and "://" not in url:
            url = "http://" + url
        return ServerChoice(ServerMode.REMOTE, url)

    def _accept(self) -> None:
        choice = self.choice()
        if choice.mode == ServerMode.REMOTE and not choice.url:
            self.error.setText(self.tr("Type the server's address, e.g. http://192.168.1.10:8750"))
            self.address.setFocus()
            return
        self.accept()


class _Worker(QObject):
    sig_done = Signal(object, object)
    """(result, error) of the login attempt, delivered on the GUI thread."""

    def run(self, work: Callable[[], Any]) -> None:
        def target() -> None:
            try:
                result = work()
            except Exception as error:  # reported, never lost
                self.sig_done.emit(None, error)
            else:
                self.sig_done.emit(result, None)

        threading.Thread(target=target, name="login", daemon=True).start()


class DeviceRolesRefused(LoginFailed):
    """The server would not take the roles chosen for this PC (not an admin,
    or the PC is already set up); the message is the server's reason."""


def attempt_login(
    store: LocalStore,
    transport: Transport | None,
    username: str,
    password: str,
    *,
    device_roles: Collection[Role] | None = None,
) -> tuple[SignedIn, str | None]:
    """Online if the server answers, else offline; returns who logged in and
    why it is offline (None when online). ``device_roles`` go to the server
    with the login (see :func:`sync.auth.login_online`).

    The server's no (4xx: a wrong password, a PC of another branch or one
    that does not serve the user's role, roles it will not take, too many
    attempts) is the answer: it raises LoginFailed with the server's words,
    DeviceRolesRefused for the roles. Only a server that cannot be reached or
    that fails (5xx) falls back to the verifier kept on this PC; when that
    refuses too, LoginFailed says both why the server was not asked and why
    the PC refused. (A PC without a keyring logs in online like any other:
    its tokens stay in memory, see :mod:`sync.credentials`.)"""
    if transport is None:
        return login_offline(store, username, password), translate(
            "LoginDialog", "No clinic server is set up"
        )
    try:
        return login_online(store, transport, username, password, device_roles=device_roles), None
    except Unreachable as unreachable:
        if unreachable.answered_instead:
            reason = translate(
                "LoginDialog", "Wrong server address, or Wi-Fi sign-in (HTTP %1)"
            ).replace("%1", str(unreachable.status))
        else:
            reason = translate("LoginDialog", "The clinic server cannot be reached")
    except ServerRefused as refusal:
        if refusal.status >= 500:
            reason = refusal.message
        else:
            roles = [f["reason"] for f in refusal.fields if f.get("field") == "device_roles"]
            if roles:
                # The reason's first part is for people; the rest tells API
                # clients what to send, which the dialog says its own way.
                raise DeviceRolesRefused(roles[0].split(";")[0]) from None
            reasons = "; ".join(str(f.get("reason", "")) for f in refusal.fields)
            raise LoginFailed(reasons or refusal.message) from None
    try:
        return login_offline(store, username, password), reason
    except LoginFailed as refused:
        checked = translate("LoginDialog", "%1, so the login was checked on this PC: %2")
        raise LoginFailed(checked.replace("%1", reason).replace("%2", str(refused))) from None


class DeviceRolesBox(QGroupBox):
    """ "This PC is for:" on a PC nobody has logged in on yet: the roles an
    admin's first login sets it to serve. "All (admin)" serves every role."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("This PC is for:"))
        self.setObjectName("device_roles")
        note = QLabel(
            self.tr(
                "This PC is new: an admin logging in for the first time ticks the work it "
                "is for (left empty, it is for admins only). Anyone else leaves these "
                "empty, and the PC serves their own role."
            )
        )
        note.setWordWrap(True)
        self.roles: dict[Role, QCheckBox] = {
            Role.RECEPTIONIST: QCheckBox(self.tr("Reception")),
            Role.NURSE: QCheckBox(self.tr("Triage")),
            Role.CLINICAL_OFFICER: QCheckBox(self.tr("Consultation")),
            Role.CASHIER: QCheckBox(self.tr("Cashier")),
            Role.PHARMACIST: QCheckBox(self.tr("Pharmacy")),
            Role.CLAIMS_MANAGER: QCheckBox(self.tr("Claims")),
            Role.LAB_TECHNICIAN: QCheckBox(self.tr("Lab")),
        }
        self.everything = QCheckBox(self.tr("All (admin)"))
        self.everything.setObjectName("all_roles")
        self.everything.toggled.connect(self._everything_toggled)
        self._before_everything: dict[Role, bool] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        boxes = [*self.roles.values(), self.everything]
        columns = 2
        rows = (len(boxes) + columns - 1) // columns
        for index, box in enumerate(boxes):
            grid.addWidget(box, index % rows, index // rows)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(grid)

    def chosen(self) -> list[Role] | None:
        """The roles ticked (every role for "All"), or None for none."""
        if self.everything.isChecked():
            return list(Role)
        ticked = [role for role, box in self.roles.items() if box.isChecked()]
        return ticked or None

    def choose_every_role(self) -> None:
        """Tick "All (admin)" as the suggested choice."""
        self.everything.setChecked(True)

    def _everything_toggled(self, on: bool) -> None:
        if on:
            self._before_everything = {role: box.isChecked() for role, box in self.roles.items()}
        for role, box in self.roles.items():
            box.setChecked(True if on else self._before_everything.get(role, False))
            box.setEnabled(not on)


class LoginDialog(CentredDialog):
    """Username and password; shows whether the login was online or offline.
    On a new PC (:func:`sync.auth.is_new_pc`) with a server, it also asks
    what the PC is for (:class:`DeviceRolesBox`)."""

    def __init__(
        self, store: LocalStore, transport: Transport | None, notice: str | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.transport = transport
        self.signed_in: SignedIn | None = None
        self.offline_reason: str | None = None
        self.setWindowTitle(self.tr("Seth Clinic — log in"))
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.server = QLabel(transport.server_url if transport else self.tr("none"))
        self.device_roles = DeviceRolesBox()
        self.device_roles.setVisible(transport is not None and is_new_pc(store))
        self.notice = QLabel(notice or "")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setVisible(bool(notice))
        self.notice.setStyleSheet(NOTICE_STYLE)
        self.keyring_notice = QLabel(
            self.tr(
                "This PC has no secure keyring to keep your login (on Linux, a Secret "
                "Service such as gnome-keyring). Seth Clinic keeps it in memory until "
                "you close the app and will ask for your password at each start; it "
                "never writes it to a file. While the server cannot be reached at a "
                "start, you work offline and sync after your next login online."
            )
        )
        self.keyring_notice.setObjectName("no_keyring_notice")
        self.keyring_notice.setWordWrap(True)
        self.keyring_notice.setStyleSheet(NOTICE_STYLE)
        self.keyring_notice.setVisible(False)
        # Looking for a keyring takes a noticeable part of a second: the
        # window shows first, and the notice a moment later if it applies.
        self.keyring_check = QTimer(self, singleShot=True, interval=0)
        self.keyring_check.timeout.connect(self._show_keyring_notice)
        self.keyring_check.start()
        self.error = QLabel()
        self.error.setObjectName("login_error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Username"), self.username)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Server"), self.server)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Log in"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("Seth Clinic"))
        title.setObjectName("heading")
        title.setStyleSheet("font-size: 20px; font-weight: bold;")
        layout.addWidget(title)
        layout.addWidget(self.notice)
        layout.addWidget(self.keyring_notice)
        layout.addLayout(form)
        layout.addWidget(self.device_roles)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self._worker = _Worker()
        self._worker.sig_done.connect(self._finished)
        self.username.setFocus()

    def _show_keyring_notice(self) -> None:
        if self._say_no_keyring_once():
            self.keyring_notice.setVisible(True)
            self.centre()

    def _say_no_keyring_once(self) -> bool:
        """Whether to show the no-keyring notice: on a PC with a server and
        no secure keyring, the first time only (remembered in the store)."""
        if self.transport is None or not self.transport.tokens.in_memory:
            return False
        if self.store.get_setting(NO_KEYRING_SAID_KEY):
            return False
        with self.store.write() as session:
            session.merge(StoreSetting(key=NO_KEYRING_SAID_KEY, value=True))
        return True

    def submit(self) -> None:
        username, password = self.username.text().strip(), self.password.text()
        if not username or not password:
            self.error.setText(self.tr("Type your username and password"))
            return
        roles = None if self.device_roles.isHidden() else self.device_roles.chosen()
        self.error.setText(self.tr("Logging in…"))
        self.buttons.setEnabled(False)
        self._worker.run(
            lambda: attempt_login(
                self.store, self.transport, username, password, device_roles=roles
            )
        )

    def _finished(
        self, result: tuple[SignedIn, str | None] | None, error: Exception | None
    ) -> None:
        self.buttons.setEnabled(True)
        if error is not None:
            if isinstance(error, DeviceRolesRefused):
                self.error.setText(
                    self.tr("%s. Untick the boxes under “This PC is for” and log in again.") % error
                )
            else:
                self.error.setText(
                    str(error)
                    if isinstance(error, LoginFailed | ServerRefused)
                    else self.tr("Login failed: %s") % error
                )
            self.password.selectAll()
            self.password.setFocus()
            return
        assert result is not None
        self.signed_in, self.offline_reason = result
        self.accept()


class PasswordChangeDialog(CentredDialog):
    """Change a one-time password at first login (online only)."""

    def __init__(self, transport: Transport, current: str = "") -> None:
        super().__init__()
        self.transport = transport
        self.setWindowTitle(self.tr("Choose your password"))
        self.current = QLineEdit(current)
        self.new = QLineEdit()
        self.again = QLineEdit()
        for field in (self.current, self.new, self.again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Current password"), self.current)
        form.addRow(self.tr("New password"), self.new)
        form.addRow(self.tr("New password again"), self.again)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.submit)
        layout = QVBoxLayout(self)
        note = QLabel(
            self.tr("Your password was set by an admin; choose your own (10 characters or more).")
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def submit(self) -> None:
        if self.new.text() != self.again.text():
            self.error.setText(self.tr("The two new passwords differ"))
            return
        try:
            self.transport.call(
                "POST",
                "/api/auth/password",
                {"current_password": self.current.text(), "new_password": self.new.text()},
            )
        except ServerRefused as refusal:
            self.error.setText("; ".join(f["reason"] for f in refusal.fields) or refusal.message)
            return
        except Unreachable as error:
            self.error.setText(str(error))
            return
        self.accept()
