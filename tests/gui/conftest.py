"""GUI test fixtures: real widgets, offscreen, on a real local store; a
logged-in user of any role; no server (screens work offline)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from clinic.enums import Role
from clinic.journal.models import StoreSetting
from clinic.org.models import Branch
from clinic.store import LocalStore
from desktop.context import AppContext
from desktop.runner import DbRunner
from sync.auth import BRANCH_ID_KEY, SignedIn

MakeContext = Callable[..., AppContext]


@pytest.fixture
def make_context(store: LocalStore, branch: Branch, qtbot: object) -> Iterator[MakeContext]:
    """An AppContext for a user of ``role`` at the store's branch."""
    with store.write() as session:
        session.merge(StoreSetting(key=BRANCH_ID_KEY, value=str(branch.id)))
    runners: list[DbRunner] = []

    def make(role: Role = Role.RECEPTIONIST, name: str = "Test User") -> AppContext:
        runner = DbRunner()
        runners.append(runner)
        user = SignedIn(
            user_id=uuid.uuid4(),
            username=name.lower().replace(" ", "."),
            full_name=name,
            role=role,
            branch_id=branch.id,
            online=False,
        )
        return AppContext(store=store, db=runner, user=user, sync=None)

    yield make
    for runner in runners:
        runner.shutdown()


ScreenT = TypeVar("ScreenT", bound=QWidget)


def shown(qtbot: QtBot, screen: ScreenT) -> ScreenT:
    """A screen shown at the clinic PC's size, active and loaded."""
    qtbot.addWidget(screen)
    screen.resize(1366, 720)
    screen.show()
    qtbot.waitExposed(screen)
    screen.activateWindow()
    screen.refresh()  # type: ignore[attr-defined]
    return screen
