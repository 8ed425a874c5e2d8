"""The audit log on the server: searching it (``GET /api/audit``) and checking
every device's hash chain (``GET /api/audit/verify``) after someone edited,
deleted or reordered events in PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from clinic.actor import Actor
from clinic.db import utcnow
from clinic.enums import Role
from clinic.journal.service import record_audit
from server.database import SERVER_DEVICE_ID, Database
from tests.central import MakeStaff, Staff, bearer, login
from tests.server.helpers import assert_error, open_visit, register

pytestmark = pytest.mark.postgres


@dataclass
class Pc:
    """A PC a nurse logged in on, and the events its chain holds."""

    device_id: uuid.UUID
    nurse: Staff


@pytest.fixture
def admin(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.ADMIN, "auditor", branch_code=None)))


def _pc(client: TestClient, central: Database, make_staff: MakeStaff, events: int) -> Pc:
    """A PC enrolled by its nurse's login, with ``events`` events in its
    chain, stored as the server stores a pushed chain."""
    nurse = make_staff(Role.NURSE)
    device_id = uuid.uuid4()
    login(client, nurse, device_id)
    actor = Actor(device_id=device_id, user_id=nurse.id, role=Role.NURSE)
    with central.sessions.begin() as session:
        for number in range(1, events + 1):
            record_audit(
                session,
                actor,
                action="record_triage",
                entity="triage",
                entity_id=uuid.uuid4(),
                after={"pulse_bpm": 70 + number},
            )
    return Pc(device_id, nurse)


def _sql(central: Database, statement: str, **values: Any) -> None:
    with central.engine.begin() as connection:
        connection.execute(text(statement), values)


def _event_id(central: Database, device_id: uuid.UUID, sequence: int) -> str:
    with central.engine.connect() as connection:
        found = connection.scalar(
            text("SELECT id FROM audit_events WHERE device_id = :d AND device_sequence = :s"),
            {"d": device_id, "s": sequence},
        )
    return str(found)


def _verify(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/audit/verify", headers=admin)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _chain(answer: dict[str, Any], device_id: uuid.UUID) -> dict[str, Any]:
    (chain,) = [c for c in answer["chains"] if c["device_id"] == str(device_id)]
    return chain


def test_whole_chains_are_reported_intact_with_their_lengths(
    client: TestClient, central: Database, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    first = _pc(client, central, make_staff, 3)
    second = _pc(client, central, make_staff, 5)
    answer = _verify(client, admin)
    assert answer["intact"] is True
    for pc, count in ((first, 3), (second, 5)):
        chain = _chain(answer, pc.device_id)
        assert (chain["events"], chain["last_sequence"], chain["intact"]) == (count, count, True)
        assert chain["broken"] is None
    assert _chain(answer, SERVER_DEVICE_ID)["intact"] is True


def test_an_edited_event_and_a_deleted_event_are_both_found(
    client: TestClient, central: Database, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    edited = _pc(client, central, make_staff, 4)
    deleted = _pc(client, central, make_staff, 5)
    whole = _pc(client, central, make_staff, 2)
    tampered_id = _event_id(central, edited.device_id, 2)
    _sql(
        central,
        "UPDATE audit_events SET after = CAST(:after AS json)"
        " WHERE device_id = :d AND device_sequence = 2",
        after='{"pulse_bpm": 180}',
        d=edited.device_id,
    )
    _sql(
        central,
        "DELETE FROM audit_events WHERE device_id = :d AND device_sequence = 3",
        d=deleted.device_id,
    )
    answer = _verify(client, admin)
    assert answer["intact"] is False
    # broken chains come first
    assert [c["intact"] for c in answer["chains"][:2]] == [False, False]
    edit = _chain(answer, edited.device_id)["broken"]
    assert edit == {
        "sequence": 2,
        "event_id": tampered_id,
        "problem": "edited",
        "detail": "Event 2 was changed after it was written",
    }
    gap = _chain(answer, deleted.device_id)
    assert (gap["events"], gap["last_sequence"]) == (4, 5)
    assert gap["broken"]["problem"] == "missing"
    assert gap["broken"]["sequence"] == 4
    assert gap["broken"]["event_id"] == _event_id(central, deleted.device_id, 4)
    assert "Event 3 is missing" in gap["broken"]["detail"]
    assert _chain(answer, whole.device_id)["intact"] is True


def test_swapped_events_are_reported_as_reordered(
    client: TestClient, central: Database, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    pc = _pc(client, central, make_staff, 4)
    _sql(
        central,
        "UPDATE audit_events SET device_sequence = CASE device_sequence"
        " WHEN 2 THEN 3 ELSE 2 END WHERE device_id = :d AND device_sequence IN (2, 3)",
        d=pc.device_id,
    )
    broken = _chain(_verify(client, admin), pc.device_id)["broken"]
    assert (broken["sequence"], broken["problem"]) == (2, "reordered")
    assert "written as event 3" in broken["detail"]


def test_a_rewritten_and_rehashed_event_unlinks_the_next(
    client: TestClient, central: Database, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    pc = _pc(client, central, make_staff, 3)
    # a forger who knows the hash recipe rewrites event 1 whole, hash included
    _sql(
        central,
        "UPDATE audit_events SET hash = :forged WHERE device_id = :d AND device_sequence = 1",
        forged="f" * 64,
        d=pc.device_id,
    )
    broken = _chain(_verify(client, admin), pc.device_id)["broken"]
    # event 1's own hash no longer covers it: that one is named first
    assert (broken["sequence"], broken["problem"]) == (1, "edited")


# --- searching ---------------------------------------------------------------------------


def test_the_log_is_searched_by_user_patient_action_and_time(
    client: TestClient, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    clerk = make_staff(Role.RECEPTIONIST)
    other_clerk = make_staff(Role.RECEPTIONIST)
    headers = bearer(login(client, clerk))
    patient = register(client, headers)
    visit = open_visit(client, headers, patient["id"])
    changed = client.patch(
        f"/api/patients/{patient['id']}",
        json={"residence": "Kisumu"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    register(client, bearer(login(client, other_clerk)))

    def search(**params: Any) -> list[dict[str, Any]]:
        response = client.get("/api/audit", params=params, headers=admin)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    mine = search(user_id=str(clerk.id))
    assert {(e["entity"], e["entity_id"]) for e in mine} >= {
        ("patients", patient["id"]),
        ("visits", visit["id"]),
    }
    assert {e["username"] for e in mine} == {clerk.username}
    about = search(patient_id=patient["id"])
    assert {e["entity_id"] for e in about} == {patient["id"], visit["id"]}
    name = f"Wanjiru {patient['last_name']}"
    assert {e["record"] for e in about} == {f"{name} · {patient['op_number']}", f"visit of {name}"}
    assert {e["device_name"] for e in about} == {"Central server"}
    (edit,) = [e for e in about if e["before"] is not None and "residence" in e["before"]]
    assert edit["before"] == {"residence": None}
    assert edit["after"] == {"residence": "Kisumu"}
    only_edits = search(patient_id=patient["id"], action=edit["action"])
    assert [e["id"] for e in only_edits] == [edit["id"]]
    now = utcnow()
    assert len(
        search(user_id=str(clerk.id), since=(now - timedelta(minutes=5)).isoformat())
    ) == len(mine)
    assert search(user_id=str(clerk.id), until=(now - timedelta(minutes=5)).isoformat()) == []
    assert search(patient_id=str(uuid.uuid4())) == []


def test_a_backwards_range_is_refused_naming_its_end(
    client: TestClient, admin: dict[str, str]
) -> None:
    now = utcnow()
    response = client.get(
        "/api/audit",
        params={"since": now.isoformat(), "until": (now - timedelta(days=1)).isoformat()},
        headers=admin,
    )
    assert_error(response, 422, fields={"until"})
