"""A visit waiting at the pharmacy, made through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.server.helpers import unique_name

PARACETAMOL = {
    "drug": "Paracetamol 500 mg",
    "dose": "1 g",
    "frequency": "TDS",
    "duration": "3 days",
    "quantity": 18,
}


def pharmacy_visit(
    client: TestClient, admin: dict[str, str], *prescriptions: dict[str, Any]
) -> str:
    """A new patient's visit at MAIN, signed with ``prescriptions``
    (paracetamol 18 unless given), waiting at the pharmacy; its id."""
    made = client.post(
        "/api/patients", json={"first_name": "Akinyi", "last_name": unique_name()}, headers=admin
    )
    assert made.status_code == 201, made.text
    visit = client.post(
        "/api/visits", json={"patient_id": made.json()["patient"]["id"]}, headers=admin
    )
    assert visit.status_code == 201, visit.text
    visit_id: str = visit.json()["id"]
    body = {
        "complaint": "Fever",
        "diagnoses": ["B54"],
        "prescriptions": list(prescriptions) or [PARACETAMOL],
    }
    consulted = client.put(f"/api/visits/{visit_id}/consultation", json=body, headers=admin)
    assert consulted.status_code == 200, consulted.text
    signed = client.post(f"/api/visits/{visit_id}/sign", headers=admin)
    assert signed.json()["status"] == "WAITING_PHARMACY", signed.text
    return visit_id
