"""Fixtures for sync tests: the central API served by a real uvicorn on
127.0.0.1 (real PostgreSQL behind it), clinic PCs with their own SQLite
stores, and a test keyring backend."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
import uvicorn

from clinic.actor import Actor
from clinic.enums import Role
from clinic.store import DEVICE_ID_KEY, STORE_FILE, LocalStore, StoreSetting, open_local_store
from server.app import create_app
from server.config import Settings
from server.database import Database
from sync.auth import SignedIn, login_online
from sync.engine import SyncEngine
from sync.transport import Transport
from tests.keyring_backend import FileKeyring
from tests.central import PASSWORD, MakeStaff, Staff


@pytest.fixture(autouse=True)
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every sync test keeps tokens in a keyring file of its own."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.FileKeyring")
    monkeypatch.setenv("SETH_TEST_KEYRING_FILE", str(path))
    keyring.set_keyring(FileKeyring())
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServer:
    """The API on a real uvicorn in a thread; can be stopped and started
    again on the same port and database (a server restart)."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            create_app(self.settings, self.database),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = None


@pytest.fixture
def live_server(settings: Settings, central: Database) -> Iterator[LiveServer]:
    server = LiveServer(settings, central)
    server.start()
    yield server
    server.stop()


@dataclass
class Pc:
    """A clinic PC: its store, its transport to the server and its engine."""

    store: LocalStore
    transport: Transport
    engine: SyncEngine
    user: SignedIn | None = None

    def actor(self) -> Actor:
        assert self.user is not None, "log in first"
        return Actor(
            device_id=self.store.device_id,
            user_id=self.user.user_id,
            role=self.user.role,
            branch_id=self.user.branch_id,
        )

    def login(self, staff: Staff) -> SignedIn:
        """Log in online and take the first sync, as the app does."""
        self.user = login_online(self.store, self.transport, staff.username, PASSWORD)
        self.engine.sync()
        return self.user


MakePc = Callable[..., Pc]


@pytest.fixture
def make_pc(store_template: Path, tmp_path: Path, live_server: LiveServer) -> Iterator[MakePc]:
    """A new PC (its own data folder and device id) on the live server."""
    made: list[Pc] = []

    def make(name: str | None = None) -> Pc:
        folder = tmp_path / (name or f"pc-{uuid.uuid4().hex[:6]}")
        folder.mkdir()
        shutil.copy(store_template, folder / STORE_FILE)
        store = open_local_store(folder)
        with store.write() as session:
            session.merge(StoreSetting(key=DEVICE_ID_KEY, value=str(uuid.uuid4())))
        transport = Transport(live_server.url, store.device_id)
        pc = Pc(store=store, transport=transport, engine=SyncEngine(store, transport))
        made.append(pc)
        return pc

    yield make
    for pc in made:
        pc.transport.close()
        pc.store.close()


__all__ = ["MakePc", "MakeStaff", "Pc", "Role"]
