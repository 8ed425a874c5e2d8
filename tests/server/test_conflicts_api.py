"""The conflicts inbox on the API (``GET /api/conflicts``,
``POST /api/conflicts/{id}/resolve``): a conflict made by two PCs pushing
the same field, both sides named, settled by keeping or flipping."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clinic.db import utcnow
from clinic.enums import Role
from clinic.migrate import head_revision
from server.database import Database
from sync.protocol import PROTOCOL_VERSION
from tests.central import MakeStaff, Staff, bearer, login
from tests.server.helpers import assert_error, register

pytestmark = pytest.mark.postgres


def _push(
    client: TestClient, tokens: dict[str, str], staff: Staff, row: str, **changes: Any
) -> None:
    body = {
        "protocol": PROTOCOL_VERSION,
        "schema": head_revision("local"),
        "client_time": utcnow().isoformat(),
        "mutations": [
            {
                "sequence": 1,
                "entity": "patients",
                "row_id": row,
                "operation": "update",
                "changes": changes,
                "base_version": 1,
                "user_id": str(staff.id),
            }
        ],
    }
    response = client.post("/api/sync/push", json=body, headers=bearer(tokens))
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["outcome"] == "applied", response.text


@pytest.fixture
def conflict(client: TestClient, make_staff: MakeStaff) -> dict[str, Any]:
    """Two reception PCs changed a patient's residence offline; the second
    push won. Returns the patient and the two clerks."""
    first, second = (
        make_staff(Role.RECEPTIONIST, "wanjiru"),
        make_staff(Role.RECEPTIONIST, "otieno"),
    )
    first_pc, second_pc = login(client, first, uuid.uuid4()), login(client, second, uuid.uuid4())
    patient = register(client, bearer(first_pc), residence="Kisumu")
    _push(client, first_pc, first, patient["id"], residence="Kibera")
    _push(client, second_pc, second, patient["id"], residence="Nakuru")
    return {"patient": patient, "won_by": second, "lost_by": first}


@pytest.fixture
def admin(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.ADMIN, "head", branch_code=None)))


def test_the_inbox_names_both_sides_and_the_record(
    client: TestClient, conflict: dict[str, Any], admin: dict[str, str]
) -> None:
    response = client.get("/api/conflicts", headers=admin)
    assert response.status_code == 200, response.text
    (item,) = response.json()
    patient = conflict["patient"]
    assert item["record"] == f"Wanjiru {patient['last_name']} · {patient['op_number']}"
    assert (item["entity"], item["row_id"], item["field"]) == (
        "patients",
        patient["id"],
        "residence",
    )
    assert (item["winning_value"], item["losing_value"]) == ("Nakuru", "Kibera")
    assert (item["winning_user"], item["losing_user"]) == ("otieno", "wanjiru")
    assert item["winning_device"] and item["losing_device"]
    assert item["lost_at"] < item["won_at"]
    assert item["resolution"] is None
    assert client.get("/api/conflicts", params={"settled": True}, headers=admin).json() == []


def test_flipping_puts_the_other_value_back_and_settles_it_once(
    client: TestClient, conflict: dict[str, Any], admin: dict[str, str], central: Database
) -> None:
    (item,) = client.get("/api/conflicts", headers=admin).json()
    response = client.post(
        f"/api/conflicts/{item['id']}/resolve", json={"keep": "other"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["resolution"] == "flipped"
    patient = client.get(f"/api/patients/{conflict['patient']['id']}", headers=admin).json()
    assert patient["residence"] == "Kibera"
    assert client.get("/api/conflicts", headers=admin).json() == []
    again = client.post(
        f"/api/conflicts/{item['id']}/resolve", json={"keep": "kept"}, headers=admin
    )
    assert_error(again, 409, "not_allowed")


def test_keeping_leaves_the_record_and_bad_requests_change_nothing(
    client: TestClient, conflict: dict[str, Any], admin: dict[str, str]
) -> None:
    (item,) = client.get("/api/conflicts", headers=admin).json()
    assert_error(
        client.post(f"/api/conflicts/{item['id']}/resolve", json={"keep": "both"}, headers=admin),
        422,
        fields={"keep"},
    )
    assert_error(
        client.post(f"/api/conflicts/{uuid.uuid4()}/resolve", json={"keep": "kept"}, headers=admin),
        404,
    )
    assert client.get("/api/conflicts", headers=admin).json()[0]["resolution"] is None
    kept = client.post(f"/api/conflicts/{item['id']}/resolve", json={"keep": "kept"}, headers=admin)
    assert kept.json()["resolution"] == "kept"
    patient = client.get(f"/api/patients/{conflict['patient']['id']}", headers=admin).json()
    assert patient["residence"] == "Nakuru"
