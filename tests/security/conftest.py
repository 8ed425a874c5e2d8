"""The attacker's world. Each test in this folder replays one attack
against the real app and is named for it.

Fixtures: staff of branches MAIN and WEST on a PostgreSQL database of each
test's own (``tests/central.py``); and for the sync attacks, one real server
(uvicorn on 127.0.0.1, real PostgreSQL) per test module, one user per role,
and devices enrolled by logging in, driven by raw HTTP so that anything can
be forged."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, select, text

from clinic.db import SyncColumns
from clinic.enums import Role
from clinic.migrate import head_revision
from clinic.org.models import Branch, User
from server.config import Settings
from server.database import SERVER_DEVICE_ID, Database, add_central
from server.models import DeviceUser
from sync.protocol import PROTOCOL_VERSION
from tests.central import PASSWORD, MakeStaff, Staff, _database, _database_url
from tests.sync.conftest import LiveServer


@pytest.fixture
def main_receptionist(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.RECEPTIONIST, "main-reception", branch_code="MAIN")


@pytest.fixture
def main_cashier(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.CASHIER, "main-cashier", branch_code="MAIN")


@pytest.fixture
def west_cashier(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.CASHIER, "west-cashier", branch_code="WEST")


@pytest.fixture
def admin(make_staff: MakeStaff) -> Staff:
    """An admin for all branches (no branch of their own)."""
    return make_staff(Role.ADMIN, "head-office", branch_code=None)


CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
"""Argon2id verifies with the parameters written in the hash: logins stay fast."""

SCHEMA = head_revision("local")


@pytest.fixture(scope="module")
def attacked_db(postgres_server: str, central_template: str) -> Iterator[Database]:
    """A migrated central database for the whole module."""
    name = f"attacks_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{central_template}"'))
    database = _database(_database_url(postgres_server, name))
    yield database
    database.close()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def attacked_server(
    attacked_db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("server")),
        database_url=None,
        jwt_secret="t" * 48,
        login_rate_per_minute=10_000,
    )
    server = LiveServer(settings, attacked_db)
    server.start()
    yield server
    server.stop()


@dataclass
class Clinic:
    """The attacked clinic: its server, database, branches and staff."""

    server: LiveServer
    db: Database
    main: uuid.UUID
    west: uuid.UUID
    staff: dict[str, Staff] = field(default_factory=dict)

    def add(self, *rows: SyncColumns) -> None:
        """Rows the server already holds (written as the server's own)."""
        with self.db.sessions.begin() as session:
            for row in rows:
                add_central(session, row)

    def get(self, model: type[Any], row_id: uuid.UUID) -> Any:
        with self.db.sessions() as session:
            return session.get(model, row_id)

    def device(self, who: str, device_id: uuid.UUID | None = None) -> Pc:
        """A new device (or ``device_id``) with ``who`` logged in online on it."""
        pc = Pc(self, device_id or uuid.uuid4())
        pc.login(who)
        return pc


@dataclass
class Pc:
    """A device talking raw HTTP to the server as its logged-in user."""

    clinic: Clinic
    device_id: uuid.UUID
    token: str = ""
    user_id: uuid.UUID | None = None
    sequence: int = 0

    def login(self, who: str) -> None:
        staff = self.clinic.staff[who]
        response = httpx.post(
            f"{self.clinic.server.url}/api/auth/login",
            json={
                "username": staff.username,
                "password": PASSWORD,
                "device_id": str(self.device_id),
            },
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        self.user_id = staff.id
        # Until login records who logged in on a device, record it as login
        # will: the server takes changes only from authors it saw log in here.
        with self.clinic.db.sessions.begin() as session:
            if session.get(DeviceUser, (self.device_id, staff.id)) is None:
                session.add(DeviceUser(device_id=self.device_id, user_id=staff.id))

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            f"{self.clinic.server.url}/api/sync/{path}",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            content=_json(body),
            timeout=30,
        )

    def push_raw(self, body: dict[str, Any]) -> httpx.Response:
        return self.post("push", {"protocol": PROTOCOL_VERSION, "schema": SCHEMA, **body})

    def push(
        self, *mutations: dict[str, Any], audit_events: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Push ``mutations`` (numbered in turn unless they carry a
        sequence); the answer, which must be a 200."""
        numbered = []
        for mutation in mutations:
            if "sequence" not in mutation:
                self.sequence += 1
                mutation = {"sequence": self.sequence, **mutation}
            numbered.append(mutation)
        response = self.push_raw(
            {
                "client_time": datetime.now(UTC).isoformat(),
                "mutations": numbered,
                "audit_events": audit_events or [],
            }
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def pull_all(self) -> dict[str, list[dict[str, Any]]]:
        """Every row the device pulls, by table, each by column name."""
        rows: dict[str, list[dict[str, Any]]] = {}
        cursor = None
        while True:
            response = self.post(
                "pull",
                {"protocol": PROTOCOL_VERSION, "schema": SCHEMA, "cursor": cursor, "limit": 10000},
            )
            assert response.status_code == 200, response.text
            page = response.json()
            for table in page["tables"]:
                rows.setdefault(table["entity"], []).extend(
                    dict(zip(table["columns"], values, strict=True)) for values in table["rows"]
                )
            cursor = page["cursor"]
            if not page["more"]:
                return rows


def _json(body: dict[str, Any]) -> bytes:
    """JSON as an attacker may write it: NaN and Infinity included."""
    return json.dumps(body, allow_nan=True).encode()


def mutation(
    entity: str,
    row_id: uuid.UUID,
    operation: str = "update",
    user_id: uuid.UUID | None = None,
    **changes: Any,
) -> dict[str, Any]:
    return {
        "entity": entity,
        "row_id": str(row_id),
        "operation": operation,
        "changes": changes,
        "base_version": 0 if operation == "insert" else 1,
        "user_id": str(user_id) if user_id else None,
    }


STAFF: dict[str, tuple[Role, str | None]] = {
    **{role.value: (role, "MAIN") for role in Role if role != Role.ADMIN},
    "admin": (Role.ADMIN, None),
    "west_receptionist": (Role.RECEPTIONIST, "WEST"),
    "west_cashier": (Role.CASHIER, "WEST"),
}


@pytest.fixture(scope="module")
def clinic(attacked_server: LiveServer, attacked_db: Database) -> Clinic:
    """Branches MAIN and WEST and one user per role (at MAIN; the admin for
    all branches; a receptionist and a cashier at WEST)."""
    with attacked_db.sessions.begin() as session:
        main = session.scalar(select(Branch.id).where(Branch.code == "MAIN"))
        assert main is not None
        west_branch = Branch(code="WEST", name="West branch", device_id=SERVER_DEVICE_ID)
        add_central(session, west_branch)
        west = west_branch.id
        staff = {}
        for name, (role, code) in STAFF.items():
            user = User(
                username=name,
                full_name=name.replace("_", " ").title(),
                role=role,
                branch_id={"MAIN": main, "WEST": west, None: None}[code],
                password_hash=CHEAP_HASH,
                device_id=SERVER_DEVICE_ID,
            )
            add_central(session, user)
            staff[name] = Staff(id=user.id, username=name, role=role, branch_code=code)
    return Clinic(attacked_server, attacked_db, main, west, staff)
