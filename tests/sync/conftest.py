"""Fixtures for sync tests: the central API served by a real uvicorn on
127.0.0.1 (real PostgreSQL behind it), clinic PCs with their own SQLite
stores, and a test keyring backend."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from keyring.backends import fail
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic import cipher
from clinic.actor import Actor
from clinic.enums import Role
from clinic.journal.entities import SYNCED
from clinic.journal.models import Conflict, StoreSetting
from clinic.journal.service import snapshot
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient, update_patient
from clinic.store import DEVICE_ID_KEY, STORE_FILE, LocalStore, connect_raw, open_local_store
from clinic.store_key import load_key, save_new_key
from clinic.visits.models import Visit
from server.app import create_app
from server.config import Settings
from server.database import Database
from server.threaded import ThreadedServer
from sync.auth import SignedIn, login_online
from sync.engine import SyncEngine
from sync.transport import Transport
from tests.central import PASSWORD, MakeStaff, Staff
from tests.conftest import TODAY, StoreTemplate, copy_template
from tests.keyring_backend import FileKeyring


@pytest.fixture(autouse=True)
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every sync test keeps tokens in a keyring file of its own."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.FileKeyring")
    monkeypatch.setenv("SETH_TEST_KEYRING_FILE", str(path))
    keyring.set_keyring(FileKeyring())
    return path


@pytest.fixture
def no_keyring(test_keyring: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A PC without a secure keyring: keyring's own failing backend, as on a
    Linux PC without a Secret Service (in this process and in the commands
    it runs). Replaces the test keyring file."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)


class LiveServer(ThreadedServer):
    """The API on a real uvicorn in a thread; ``stop`` then ``start`` is a
    server restart on the same port and database."""

    def __init__(self, settings: Settings, database: Database) -> None:
        super().__init__(self._new_app, settings.trusted_proxies)
        self.settings = settings
        self.database = database
        self.app: FastAPI | None = None

    def _new_app(self) -> FastAPI:
        self.app = create_app(self.settings, self.database)
        return self.app


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
def make_pc(
    store_template: StoreTemplate, tmp_path: Path, live_server: LiveServer
) -> Iterator[MakePc]:
    """A new PC (its own data folder and device id) on the live server."""
    made: list[Pc] = []

    def make(name: str | None = None) -> Pc:
        folder = tmp_path / (name or f"pc-{uuid.uuid4().hex[:6]}")
        copy_template(store_template, folder)
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


CopyPc = Callable[[Pc, str], Pc]


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with cheap parameters on the server and the PCs: the same
    code paths, a fraction of the time (a default hash takes ~0.6 s here)."""
    import server.security
    import sync.auth

    cheap = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    monkeypatch.setattr(server.security, "_hasher", cheap)
    monkeypatch.setattr(sync.auth, "_hasher", cheap)


def backup_store(store: LocalStore, destination: Path) -> None:
    """A consistent copy of a PC's SQLite file (WAL included), encrypted
    with the same key, as a backup tool or a copied data folder would have it."""
    key = load_key(store.path.parent)
    source = connect_raw(store.path)
    target = cipher.connect(destination, key)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def reopen_pc(pc: Pc, server_url: str) -> None:
    """Open the PC's store and transport afresh (after its file was replaced)."""
    pc.transport.close()
    pc.store = open_local_store(pc.store.path.parent)
    pc.transport = Transport(server_url, pc.store.device_id)
    pc.engine = SyncEngine(pc.store, pc.transport)


def restore_backup(pc: Pc, backup: Path, server_url: str) -> None:
    """Put a backup of the PC's store back in place of the current file."""
    pc.store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{pc.store.path}{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, pc.store.path)
    reopen_pc(pc, server_url)


@pytest.fixture
def copy_pc(tmp_path: Path, live_server: LiveServer) -> Iterator[CopyPc]:
    """A second PC made by copying another's data folder: the same device id,
    and (the keyring being keyed by device) the same tokens."""
    made: list[Pc] = []

    def copy(pc: Pc, name: str) -> Pc:
        folder = tmp_path / name
        folder.mkdir()
        backup_store(pc.store, folder / STORE_FILE)
        save_new_key(folder, load_key(pc.store.path.parent))
        store = open_local_store(folder)
        transport = Transport(live_server.url, store.device_id)
        clone = Pc(store=store, transport=transport, engine=SyncEngine(store, transport))
        clone.user = pc.user
        made.append(clone)
        return clone

    yield copy
    for pc in made:
        pc.transport.close()
        pc.store.close()


def table_rows(session: Session, model: type[Any]) -> dict[str, dict[str, Any]]:
    """Every row of a synced table as JSON-ready values, by id."""
    return {str(row.id): snapshot(row) for row in session.scalars(select(model))}


def register(pc: Pc, first_name: str, last_name: str | None = None, **details: Any) -> uuid.UUID:
    """Register a patient on the PC (offline: nothing is pushed); its id."""
    with pc.store.write() as session:
        registration = register_patient(
            PatientDetails(first_name=first_name, last_name=last_name, **details),
            session=session,
            actor=pc.actor(),
            today=TODAY,
        )
        return registration.patient.id


def edit_patient(pc: Pc, patient_id: uuid.UUID, **changes: Any) -> None:
    """Change some fields of a patient on the PC (offline)."""
    with pc.store.write() as session:
        update_patient(patient_id, changes, session=session, actor=pc.actor(), today=TODAY)


def local_patient(pc: Pc, patient_id: uuid.UUID) -> Patient:
    with pc.store.session() as session:
        patient = session.get(Patient, patient_id)
    assert patient is not None
    return patient


def server_patient(central: Database, patient_id: uuid.UUID) -> Patient:
    with central.sessions() as session:
        patient = session.get(Patient, patient_id)
    assert patient is not None
    return patient


CONVERGING = (Patient, Visit, Conflict)


def assert_converged(
    central: Database, pcs: list[Pc], models: tuple[type[Any], ...] = CONVERGING
) -> None:
    """Every PC's copy of these tables equals the server's, column by column,
    but for the fields the PC's user may not read, which it holds empty."""
    for model in models:
        with central.sessions() as session:
            rows = table_rows(session, model)
        for pc in pcs:
            assert pc.user is not None, "log in first"
            hidden = SYNCED[model.__tablename__].hidden_from([pc.user.role])
            expected = {
                row_id: {k: None if k in hidden else v for k, v in row.items()}
                for row_id, row in rows.items()
            }
            with pc.store.session() as session:
                assert table_rows(session, model) == expected, (model.__tablename__, pc.store.path)


__all__ = ["CopyPc", "MakePc", "MakeStaff", "Pc", "Role"]
