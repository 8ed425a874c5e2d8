"""Attacks on the audit log's search and chain check: staff who are not
admins reading it, and searches built to break the query (NUL bytes, text
too long, limits out of range) — each refused with a reason, nothing read,
nothing written, never a 5xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinic.enums import Role
from clinic.journal.models import AuditEvent
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.server.helpers import assert_error, register

pytestmark = pytest.mark.postgres

NOT_ADMINS = [role for role in Role if role != Role.ADMIN]


def _events(central: Database) -> int:
    with central.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


@pytest.mark.parametrize("role", NOT_ADMINS, ids=lambda r: r.value)
@pytest.mark.parametrize("path", ["/api/audit/verify", "/api/audit"])
def test_staff_who_are_not_admins_cannot_read_or_check_the_log(
    client: TestClient, central: Database, make_staff: MakeStaff, role: Role, path: str
) -> None:
    headers = bearer(login(client, make_staff(role)))
    before = _events(central)
    response = client.get(path, headers=headers)
    assert_error(response, 403)
    assert "chains" not in response.text and "device_sequence" not in response.text
    assert _events(central) == before


def test_without_a_token_the_check_answers_401(client: TestClient) -> None:
    assert_error(client.get("/api/audit/verify"), 401)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"action": "create\x00_patient"}, "action"),
        ({"entity": "patients\x00; DROP TABLE audit_events"}, "entity"),
        ({"action": "x" * 41}, "action"),
        ({"limit": 1_000_000}, "limit"),
        ({"limit": 0}, "limit"),
        ({"patient_id": "' OR 1=1 --"}, "patient_id"),
        ({"user_id": "\x00"}, "user_id"),
        ({"since": "yesterday\x00"}, "since"),
    ],
)
def test_a_poisoned_search_is_refused_naming_its_field(
    client: TestClient,
    central: Database,
    make_staff: MakeStaff,
    params: dict[str, object],
    field: str,
) -> None:
    admin = bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))
    register(client, bearer(login(client, make_staff(Role.RECEPTIONIST))))
    before = _events(central)
    response = client.get("/api/audit", params=params, headers=admin)
    assert_error(response, 422, fields={field})
    assert _events(central) == before
    # the log is still there and whole afterwards
    assert client.get("/api/audit", headers=admin).json()
    assert client.get("/api/audit/verify", headers=admin).json()["intact"] is True
