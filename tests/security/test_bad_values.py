"""Values PostgreSQL would refuse with an error of its own (text with a NUL
character, a whole number beyond its column) answered 500. Each is now a
422 naming the field, and nothing is written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, select

from clinic.enums import Role
from clinic.patients.models import Patient
from server import schemas
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.server.helpers import assert_error, open_visit, register

pytestmark = pytest.mark.postgres

NUL = "\u0000"


@pytest.fixture
def consultation_url(client: TestClient, make_staff: MakeStaff) -> tuple[str, dict[str, str]]:
    """A MAIN visit waiting for its consultation, and its clinician's headers."""
    reception = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    officer = bearer(login(client, make_staff(Role.CLINICAL_OFFICER)))
    visit = open_visit(client, reception, register(client, reception)["id"])
    moved = client.post(
        f"/api/visits/{visit['id']}/status",
        json={"status": "WAITING_CONSULTATION"},
        headers=reception,
    )
    assert moved.status_code == 200, moved.text
    return f"/api/visits/{visit['id']}/consultation", officer


def test_nul_in_a_login_is_a_422_naming_the_field(client: TestClient) -> None:
    for field, body in (
        ("username", {"username": f"adm{NUL}in", "password": "anything-at-all"}),
        ("password", {"username": "admin", "password": f"pass{NUL}word"}),
        ("device_name", {"username": "admin", "password": "x", "device_name": NUL}),
    ):
        answer = client.post("/api/auth/login", json=body | {"device_id": str(uuid.uuid4())})
        assert_error(answer, 422, "invalid", fields={field})
        assert "NUL" in answer.json()["error"]["fields"][0]["reason"]


def test_nul_in_a_patient_search_is_a_422_naming_the_parameter(
    client: TestClient, make_staff: MakeStaff
) -> None:
    headers = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    answer = client.get("/api/patients", params={"q": f"Wan{NUL}jiru"}, headers=headers)
    assert_error(answer, 422, "invalid", fields={"q"})


def test_nul_in_posted_text_is_a_422_naming_the_field(
    client: TestClient,
    make_staff: MakeStaff,
    central: Database,
    consultation_url: tuple[str, dict[str, str]],
) -> None:
    reception = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    admin = bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))
    url, officer = consultation_url
    prescription = {"drug": "Amoxicillin", "dose": "500 mg", "frequency": "TDS"}
    attempts: list[tuple[Callable[..., Any], str, dict[str, str], dict[str, Any], str]] = [
        (
            client.post,
            "/api/patients",
            reception,
            {"first_name": "Akinyi", "residence": NUL},
            "residence",
        ),
        (
            client.post,
            "/api/users",
            admin,
            {"username": "mole", "full_name": f"M{NUL}", "role": "cashier", "password": "x" * 12},
            "full_name",
        ),
        (client.put, url, officer, {"complaint": f"Cough{NUL}"}, "complaint"),
        (client.put, url, officer, {"diagnoses": ["J06.9", f"R50{NUL}"]}, "diagnoses"),
        (
            client.put,
            url,
            officer,
            {"prescriptions": [prescription | {"duration": f"5{NUL}", "quantity": 15}]},
            "prescriptions.0.duration",
        ),
    ]
    for send, path, headers, body, field in attempts:
        assert_error(send(path, json=body, headers=headers), 422, "invalid", fields={field})
    with central.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 1  # the visit's


def test_a_huge_prescription_quantity_is_a_422_naming_the_field(
    client: TestClient, consultation_url: tuple[str, dict[str, str]]
) -> None:
    url, officer = consultation_url
    prescription = {"drug": "Paracetamol", "dose": "1 g", "frequency": "TDS", "duration": "3 days"}
    answer = client.put(
        url, json={"prescriptions": [prescription | {"quantity": 10**12}]}, headers=officer
    )
    assert_error(answer, 422, "invalid", fields={"prescriptions.0.quantity"})


def _inputs(model: type[BaseModel]) -> list[type[BaseModel]]:
    return [model, *(m for sub in model.__subclasses__() for m in _inputs(sub))]


def test_every_whole_number_an_input_takes_is_bounded() -> None:
    """A new int field without bounds fails here, before PostgreSQL says 500.
    Amounts (``*_cents``) go to BigInteger columns; other whole numbers to
    Integer ones."""
    limits = {
        f"{model.__name__}.{name}": {type(m).__name__: m for m in field.metadata}
        for model in _inputs(schemas.Input)
        for name, field in model.model_fields.items()
        if field.annotation in (int, int | None)
    }
    assert "PrescriptionIn.quantity" in limits
    bigint_min, bigint_max = -(2**63), 2**63 - 1
    unbounded = [
        name
        for name, bounds in limits.items()
        if "Ge" not in bounds
        or "Le" not in bounds
        or bounds["Ge"].ge < (bigint_min if name.endswith("_cents") else schemas.INTEGER_MIN)
        or bounds["Le"].le > (bigint_max if name.endswith("_cents") else schemas.INTEGER_MAX)
    ]
    assert unbounded == []
