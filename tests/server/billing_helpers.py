"""Quick ways to make billable visits and invoices through the API."""

from __future__ import annotations

import secrets
import string
from typing import Any

from fastapi.testclient import TestClient

from tests.server.helpers import unique_name


def mpesa_code() -> str:
    """A well-formed M-Pesa code no other test used."""
    return "Q" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(9))


def services(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = client.get("/api/services", headers=headers)
    assert response.status_code == 200, response.text
    return {s["code"]: s for s in response.json()}


def visit(client: TestClient, admin: dict[str, str], branch_code: str | None = None) -> str:
    patient = client.post(
        "/api/patients",
        json={"first_name": "Achieng", "last_name": unique_name(), "sex": "F"},
        headers=admin,
    )
    assert patient.status_code == 201, patient.text
    body: dict[str, Any] = {"patient_id": patient.json()["patient"]["id"]}
    if branch_code is not None:
        body["branch_code"] = branch_code
    opened = client.post("/api/visits", json=body, headers=admin)
    assert opened.status_code == 201, opened.text
    visit_id: str = opened.json()["id"]
    return visit_id


def invoice(
    client: TestClient,
    admin: dict[str, str],
    lines: list[tuple[str, int]] | None = None,
    branch_code: str | None = None,
) -> dict[str, Any]:
    """An invoice for a new visit (consultation new and a malaria RDT unless said)."""
    listed = services(client, admin)
    body = {
        "visit_id": visit(client, admin, branch_code),
        "lines": [
            {"service_id": listed[code]["id"], "quantity": quantity}
            for code, quantity in (lines or [("CONS-NEW", 1), ("LAB-MRDT", 1)])
        ],
    }
    response = client.post("/api/invoices", json=body, headers=admin)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made
