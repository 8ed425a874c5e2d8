"""What the admin screens that run the clinic's server-side administration
share: the central API's admin rows as plain calls (:class:`AdminApi`),
and a screen that makes them on the network thread and says plainly when
the server is needed and cannot be had (:class:`ServerScreen`).

Branches, users and devices live on the central server (PCs pull them,
none pushes them): these screens read and change them through the server's
API, with the PC's own login (its tokens, refreshed as sync refreshes
them). Offline they show why they cannot work, and the rest of the app goes
on working.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from clinic.errors import FieldError
from desktop.context import AppContext
from desktop.display import translate
from desktop.screens.base import Screen
from desktop.widgets import ErrorForm
from sync.transport import ServerRefused, Transport, Unreachable

T = TypeVar("T")
Json = dict[str, Any]


class NoServer(ConnectionError):
    """This PC has no clinic server set up (it works on its own store only)."""


class AdminApi:
    """The admin rows of the central API (DESIGN.md, Central API). Blocking
    network calls: run them on ``AppContext.net``, never the GUI thread.
    Raise :class:`NoServer`, and the transport's Unreachable and
    ServerRefused (whose message and fields are the server's, for staff)."""

    def __init__(self, transport: Transport | None) -> None:
        self.transport = transport

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        if self.transport is None:
            raise NoServer(translate("ServerScreen", "No clinic server is set up on this PC"))
        return self.transport.call(method, path, body)

    def branches(self) -> list[Json]:
        answer: list[Json] = self._call("GET", "/api/branches")
        return answer

    def add_branch(self, fields: Json) -> Json:
        answer: Json = self._call("POST", "/api/branches", fields)
        return answer

    def edit_branch(self, branch_id: str, changes: Json) -> Json:
        answer: Json = self._call("PATCH", f"/api/branches/{branch_id}", changes)
        return answer

    def users(self) -> list[Json]:
        answer: list[Json] = self._call("GET", "/api/users")
        return answer

    def add_user(self, fields: Json) -> Json:
        answer: Json = self._call("POST", "/api/users", fields)
        return answer

    def edit_user(self, user_id: str, changes: Json) -> Json:
        answer: Json = self._call("PATCH", f"/api/users/{user_id}", changes)
        return answer

    def devices(self) -> list[Json]:
        answer: list[Json] = self._call("GET", "/api/devices")
        return answer

    def set_device_roles(self, device_id: str, roles: list[str]) -> Json:
        answer: Json = self._call("PATCH", f"/api/devices/{device_id}", {"roles": roles})
        return answer

    def revoke_device(self, device_id: str) -> Json:
        answer: Json = self._call("POST", f"/api/devices/{device_id}/revoke")
        return answer


class ServerScreen(Screen):
    """An admin screen whose rows live on the central server. Subclasses put
    their widgets in ``self.body`` and make their calls with :meth:`call`.

    While the server cannot be had, ``self.body`` is disabled and
    ``self.notice`` says why, with a "Try again" button; a change the server
    refuses shows its reasons next to the fields of ``self.form``, and
    what has no field there in ``self.problem``."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.api = AdminApi(ctx.transport())
        self.notice = QLabel()
        self.notice.setObjectName("server_notice")
        self.notice.setWordWrap(True)
        self.retry = QPushButton(self.tr("Try again"))
        self.retry.clicked.connect(self.refresh)
        notice_row = QHBoxLayout()
        notice_row.addWidget(self.notice, 1)
        notice_row.addWidget(self.retry)
        self.notice_box = QWidget()
        self.notice_box.setLayout(notice_row)
        self.notice_box.setVisible(False)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        self.body = QWidget()
        self.form: ErrorForm | None = None
        """The screen's form, where a refused field's reason goes."""
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice_box)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.problem)

    def call(self, work: Callable[[AdminApi], T], on_done: Callable[[T], None]) -> None:
        """Run ``work(api)`` on the network thread; ``on_done(result)`` on
        the GUI thread, or the reason it could not be done shown."""
        api = self.api
        self.problem.setVisible(False)
        if self.form is not None:
            self.form.clear_errors()
        self.ctx.net.submit(
            lambda: work(api), lambda result: self._reached(on_done, result), self._failed
        )

    def _reached(self, on_done: Callable[[T], None], result: T) -> None:
        self.notice_box.setVisible(False)
        self.body.setEnabled(True)
        on_done(result)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, NoServer):
            self._offline(
                self.tr(
                    "This needs the clinic server, and this PC has none set up: it works on "
                    "its own data only."
                ),
                retry=False,
            )
        elif isinstance(error, Unreachable):
            self._offline(
                self.tr(
                    "This needs the clinic server, which cannot be reached now. The rest of "
                    "the app works offline; try again when the network is back."
                ),
                retry=True,
            )
        elif isinstance(error, ServerRefused) and error.status == 401:
            self._offline(
                self.tr("The clinic server did not accept this PC's login: %1").replace(
                    "%1", error.message
                ),
                retry=True,
            )
        elif isinstance(error, ServerRefused):
            problems = [
                FieldError(str(f.get("field")), str(f.get("reason")))
                for f in error.fields
                if f.get("reason")
            ]
            unplaced = self.form.show_errors(problems) if self.form is not None else []
            if unplaced or not problems:
                self.show_problem(error.message if not problems else "; ".join(unplaced))
        else:
            raise error

    def show_problem(self, text: str) -> None:
        self.problem.setText(self.tr("Not done: %1").replace("%1", text))
        self.problem.setVisible(True)

    def _offline(self, text: str, *, retry: bool) -> None:
        self.notice.setText(text)
        self.retry.setVisible(retry)
        self.notice_box.setVisible(True)
        self.body.setEnabled(False)
