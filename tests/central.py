"""Fixtures for the central API (a pytest plugin loaded by tests/conftest.py): a
migrated PostgreSQL database per test (copied from a template migrated once),
the app on it, and users to log in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker

from clinic.enums import Role
from clinic.org.models import Branch, User
from server.app import create_app
from server.config import Settings
from server.database import (
    CENTRAL,
    SERVER_DEVICE_ID,
    Database,
    add_central,
    central_engine,
    migrate,
)
from server.security import hash_password

PASSWORD = "correct-horse-battery"
TEMPLATE = "central_template"


def _database_url(server_url: str, name: str) -> str:
    return server_url.replace("/postgres?", f"/{name}?", 1)


def _database(url: str) -> Database:
    engine = central_engine(url)
    return Database(
        engine=engine, sessions=sessionmaker(engine, expire_on_commit=False, info=CENTRAL)
    )


@pytest.fixture(scope="session")
def central_template(postgres_server: str) -> str:
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE}"'))
        connection.execute(text(f'CREATE DATABASE "{TEMPLATE}"'))
    template = _database(_database_url(postgres_server, TEMPLATE))
    migrate(template)
    template.close()
    admin.dispose()
    return TEMPLATE


@contextmanager
def copied_central(postgres_server: str, central_template: str) -> Iterator[Database]:
    """A migrated central database copied from the template (branch MAIN,
    the server's device, no users), dropped at the end."""
    name = f"central_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{central_template}"'))
    database = _database(_database_url(postgres_server, name))
    try:
        yield database
    finally:
        database.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def central(postgres_server: str, central_template: str) -> Iterator[Database]:
    """A migrated central database of this test's own (branch MAIN, the
    server's device, no users)."""
    with copied_central(postgres_server, central_template) as database:
        yield database


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=None, jwt_secret="t" * 48)


@pytest.fixture
def client(settings: Settings, central: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, central), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass(frozen=True)
class Staff:
    id: uuid.UUID
    username: str
    role: Role
    branch_code: str | None
    password: str = PASSWORD


MakeStaff = Callable[..., Staff]


@pytest.fixture
def make_staff(central: Database) -> MakeStaff:
    """Add a user (password :data:`PASSWORD`, no password change needed);
    ``branch_code=None`` makes an admin for all branches."""

    def make(role: Role, username: str | None = None, branch_code: str | None = "MAIN") -> Staff:
        name = username or f"{role.value}-{uuid.uuid4().hex[:6]}"
        with central.sessions.begin() as session:
            branch_id = None
            if branch_code is not None:
                branch_id = session.scalar(select(Branch.id).where(Branch.code == branch_code))
                if branch_id is None:
                    branch = Branch(code=branch_code, name=branch_code)
                    add_central(session, branch)
                    branch_id = branch.id
            user = User(
                username=name,
                full_name=name.title(),
                role=role,
                branch_id=branch_id,
                password_hash=hash_password(PASSWORD),
                device_id=SERVER_DEVICE_ID,
            )
            add_central(session, user)
            return Staff(id=user.id, username=name, role=role, branch_code=branch_code)

    return make


def login(client: TestClient, staff: Staff, device_id: uuid.UUID | None = None) -> dict[str, str]:
    """Log ``staff`` in from a device and return the tokens' JSON."""
    response = client.post(
        "/api/auth/login",
        json={
            "username": staff.username,
            "password": staff.password,
            "device_id": str(device_id or uuid.uuid4()),
        },
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}
