"""Quick ways to make SHA visits and their claims through the API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.server.billing_helpers import services
from tests.server.helpers import unique_name


def sha_number() -> str:
    """A well-formed SHA member number no other test used."""
    return f"CR{uuid.uuid4().int % 10**13:013d}-4"


def sha_visit(
    client: TestClient,
    admin: dict[str, str],
    *,
    number: str | None = "new",
    signed: bool = True,
    sha_cents: int | None = 500_00,
    lines: tuple[str, ...] = ("CONS-NEW",),
    branch_code: str | None = None,
) -> dict[str, Any]:
    """A visit (at ``branch_code``, else the admin's MAIN) of a patient with
    an SHA number (``"new"``: a fresh one), a diagnosis, signed, billed for
    ``lines`` and paid by SHA for ``sha_cents``. Returns the visit's and the
    invoice's ids."""
    patient: dict[str, Any] = {"first_name": "Achieng", "last_name": unique_name(), "sex": "F"}
    if number is not None:
        patient["sha_number"] = sha_number() if number == "new" else number
    made = client.post("/api/patients", json=patient, headers=admin)
    assert made.status_code == 201, made.text
    body: dict[str, Any] = {"patient_id": made.json()["patient"]["id"]}
    if branch_code is not None:
        body["branch_code"] = branch_code
    visit = client.post("/api/visits", json=body, headers=admin)
    assert visit.status_code == 201, visit.text
    visit_id: str = visit.json()["id"]
    consulted = client.put(
        f"/api/visits/{visit_id}/consultation",
        json={"complaint": "Fever for three days", "diagnoses": ["B54"]},
        headers=admin,
    )
    assert consulted.status_code == 200, consulted.text
    if signed:
        done = client.post(f"/api/visits/{visit_id}/sign", headers=admin)
        assert done.status_code == 200, done.text
    listed = services(client, admin)
    invoice = client.post(
        "/api/invoices",
        json={"visit_id": visit_id, "lines": [{"service_id": listed[c]["id"]} for c in lines]},
        headers=admin,
    )
    assert invoice.status_code == 201, invoice.text
    invoice_id: str = invoice.json()["id"]
    if sha_cents:
        paid = client.post(
            "/api/payments",
            json={"invoice_id": invoice_id, "method": "SHA", "amount_cents": sha_cents},
            headers=admin,
        )
        assert paid.status_code == 201, paid.text
    return {"visit_id": visit_id, "invoice_id": invoice_id}


def claim_for(client: TestClient, headers: dict[str, str], visit_id: str) -> dict[str, Any]:
    """The visit's claim as ``POST /api/claims`` answers it."""
    response = client.post("/api/claims", json={"visit_id": visit_id}, headers=headers)
    assert response.status_code == 201, response.text
    claim: dict[str, Any] = response.json()
    return claim


def move(
    client: TestClient, headers: dict[str, str], claim_id: str, status: str, **fields: Any
) -> Any:
    return client.post(
        f"/api/claims/{claim_id}/status", json={"status": status, **fields}, headers=headers
    )
