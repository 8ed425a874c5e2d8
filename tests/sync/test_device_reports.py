"""What a PC reports at sync for the admin's list of PCs: its app version on
every request, and with each push the changes it still has to push after
that push (DESIGN.md, Sync 12: visible)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

import sync.engine
from clinic.enums import Role
from clinic.org.models import Device
from clinic.version import app_version
from server.database import Database
from tests.central import MakeStaff
from tests.sync.conftest import MakePc, register

pytestmark = pytest.mark.postgres


def test_each_push_reports_the_changes_left_and_the_last_reports_none(
    make_pc: MakePc,
    make_staff: MakeStaff,
    central: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = make_pc("front-desk")
    desk.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    for name in ("Achieng", "Baraka", "Chebet"):
        register(desk, name, "Otieno")
    monkeypatch.setattr(sync.engine, "MAX_PUSH_MUTATIONS", 1)
    pushed: list[tuple[int, str]] = []
    real_call = desk.transport.call

    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        if path == "/api/sync/push":
            sent = orjson.loads(body)
            pushed.append((sent["pending"], sent["app_version"]))
        return real_call(method, path, body, **kwargs)

    monkeypatch.setattr(desk.transport, "call", call)

    desk.engine.sync()

    assert [pending for pending, _version in pushed] == [2, 1, 0]
    assert {version for _pending, version in pushed} == {app_version()}
    with central.sessions() as session:
        device = session.get(Device, desk.store.device_id)
        assert device is not None
        assert (device.pending_changes, device.app_version) == (0, app_version())
