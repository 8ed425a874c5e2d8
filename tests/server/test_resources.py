"""The central API's resources end to end on PostgreSQL: patients, visits
from the queue to the amendment, users, devices, the audit log, and the
operational parts (body limit, request ids, metrics, health)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from clinic.clock import clinic_today
from clinic.enums import Role
from server.config import Settings
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.server.helpers import (
    PHONE,
    app_client,
    assert_error,
    open_visit,
    register,
    unique_name,
)

pytestmark = pytest.mark.postgres

Headers = dict[str, str]


@pytest.fixture
def reception(client: TestClient, make_staff: MakeStaff) -> Headers:
    return bearer(login(client, make_staff(Role.RECEPTIONIST)))


@pytest.fixture
def admin(client: TestClient, make_staff: MakeStaff) -> Headers:
    return bearer(login(client, make_staff(Role.ADMIN, "root", branch_code=None)))


# --- patients ----------------------------------------------------------------------


def test_register_a_patient_with_a_leased_op_number(client: TestClient, reception: Headers) -> None:
    response = client.post(
        "/api/patients",
        json={
            "first_name": "wanjiru",
            "middle_name": "Njeri",
            "last_name": "Kamau",
            "sex": "F",
            "age": "33yrs",
            "phone": PHONE,
            "national_id": "12345678",
            "residence": "Kibera",
        },
        headers=reception,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["duplicates"] == []
    patient = body["patient"]
    year = clinic_today().year
    assert re.fullmatch(rf"OP-{year}-000001-\d", patient["op_number"]), patient["op_number"]
    assert patient["first_name"] == "Wanjiru"
    assert patient["phone"] == "+254712345678"
    assert patient["date_of_birth_estimated"] is True
    assert patient["date_of_birth"].startswith(str(year - 33))
    assert patient["sex"] == "F"

    second = register(client, reception, first_name="Otieno")
    assert re.fullmatch(rf"OP-{year}-000002-\d", second["op_number"]), second["op_number"]
    assert not second["op_number"].startswith("TMP")

    fetched = client.get(f"/api/patients/{patient['id']}", headers=reception)
    assert fetched.status_code == 200
    assert fetched.json() == patient


def test_bad_phone_is_a_422_naming_the_field(client: TestClient, reception: Headers) -> None:
    response = client.post(
        "/api/patients", json={"first_name": "Baraka", "phone": "7139876"}, headers=reception
    )
    body = assert_error(response, 422, "invalid", fields={"phone"})
    assert "7139876" in body["error"]["fields"][0]["reason"]
    found = client.get("/api/patients", params={"q": "Baraka"}, headers=reception)
    assert found.json() == []  # nothing was written


def test_unknown_field_is_a_422_naming_it(client: TestClient, reception: Headers) -> None:
    response = client.post(
        "/api/patients", json={"first_name": "Baraka", "nickname": "Bazu"}, headers=reception
    )
    assert_error(response, 422, "invalid", fields={"nickname"})
    missing = client.post("/api/patients", json={"last_name": "Odhiambo"}, headers=reception)
    assert_error(missing, 422, "invalid", fields={"first_name"})
    several = client.post(
        "/api/patients",
        json={"first_name": "Baraka", "national_id": "12", "date_of_birth": "2999-01-01"},
        headers=reception,
    )
    assert_error(several, 422, "invalid", fields={"national_id", "date_of_birth"})


def test_duplicates_come_back_as_warnings(client: TestClient, reception: Headers) -> None:
    first = register(client, reception, first_name="Achieng", phone=PHONE)
    response = client.post(
        "/api/patients",
        json={"first_name": "Akinyi", "last_name": unique_name(), "phone": "+254712345678"},
        headers=reception,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["patient"]["id"] != first["id"]
    assert [(d["patient_id"], d["reasons"]) for d in body["duplicates"]] == [
        (first["id"], ["same phone"])
    ]
    assert body["duplicates"][0]["op_number"] == first["op_number"]


def test_search_get_and_update(client: TestClient, reception: Headers) -> None:
    surname = unique_name()
    patient = register(client, reception, first_name="Chebet", last_name=surname)
    register(client, reception, first_name="Kiprono")

    by_name = client.get("/api/patients", params={"q": surname}, headers=reception)
    assert by_name.status_code == 200
    assert [p["id"] for p in by_name.json()] == [patient["id"]]
    misspelt = surname[:3] + surname[4:]
    by_misspelt = client.get("/api/patients", params={"q": misspelt}, headers=reception)
    assert [p["id"] for p in by_misspelt.json()] == [patient["id"]]
    by_number = client.get("/api/patients", params={"q": patient["op_number"]}, headers=reception)
    assert [p["id"] for p in by_number.json()] == [patient["id"]]
    assert_error(
        client.get("/api/patients", params={"q": "C"}, headers=reception),
        422,
        "invalid",
        fields={"q"},
    )
    assert_error(client.get(f"/api/patients/{uuid.uuid4()}", headers=reception), 404, "not_found")
    assert_error(client.get("/api/patients/not-a-uuid", headers=reception), 422, "invalid")

    updated = client.patch(
        f"/api/patients/{patient['id']}",
        json={"phone": "0722 000 111", "residence": "Kisumu"},
        headers=reception,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["patient"]["phone"] == "+254722000111"
    assert updated.json()["patient"]["residence"] == "Kisumu"
    assert updated.json()["patient"]["op_number"] == patient["op_number"]

    bad = client.patch(
        f"/api/patients/{patient['id']}", json={"phone": "7139876"}, headers=reception
    )
    assert_error(bad, 422, "invalid", fields={"phone"})
    unknown = client.patch(
        f"/api/patients/{patient['id']}", json={"op_number": "OP-1"}, headers=reception
    )
    assert_error(unknown, 422, "invalid", fields={"op_number"})
    now = client.get(f"/api/patients/{patient['id']}", headers=reception).json()
    assert now["phone"] == "+254722000111"  # the refused updates changed nothing

    cleared = client.patch(
        f"/api/patients/{patient['id']}", json={"residence": None}, headers=reception
    )
    assert cleared.json()["patient"]["residence"] is None
    assert cleared.json()["patient"]["phone"] == "+254722000111"


# --- visits -----------------------------------------------------------------------------


def test_a_visit_from_the_queue_to_the_amendment(client: TestClient, make_staff: MakeStaff) -> None:
    reception = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    nurse = bearer(login(client, make_staff(Role.NURSE)))
    officer_staff = make_staff(Role.CLINICAL_OFFICER)
    officer = bearer(login(client, officer_staff))
    pharmacist = bearer(login(client, make_staff(Role.PHARMACIST)))

    patient = register(client, reception, first_name="Mutua", date_of_birth="1990-04-01")
    first_in_queue = register(client, reception, first_name="Kilonzo")
    earlier = open_visit(client, reception, first_in_queue["id"])
    visit = open_visit(client, reception, patient["id"])
    assert visit["status"] == "REGISTERED"
    assert visit["visit_date"] == clinic_today().isoformat()
    assert (earlier["queue_position"], visit["queue_position"]) == (1, 2)
    assert visit["is_new"] is True
    again = client.post("/api/visits", json={"patient_id": patient["id"]}, headers=reception)
    assert_error(again, 409, "not_allowed", message="already has a visit today")
    assert_error(
        client.post("/api/visits", json={"patient_id": str(uuid.uuid4())}, headers=reception),
        404,
        "not_found",
    )

    queue = client.get("/api/visits", headers=nurse)
    assert [v["id"] for v in queue.json()] == [earlier["id"], visit["id"]]
    by_status = client.get("/api/visits", params={"status": "REGISTERED"}, headers=nurse)
    assert len(by_status.json()) == 2
    by_patient = client.get("/api/visits", params={"patient_id": patient["id"]}, headers=nurse)
    assert [v["id"] for v in by_patient.json()] == [visit["id"]]
    other_day = client.get("/api/visits", params={"date": "2020-01-01"}, headers=nurse)
    assert other_day.json() == []

    # Triage: a critical reading needs confirming.
    vid = visit["id"]
    critical = {"temperature_c": 40.5, "pulse_bpm": 96, "systolic_mmhg": 118}
    refused = client.post(f"/api/visits/{vid}/triage", json=critical, headers=nurse)
    assert_error(refused, 409, "not_allowed", message="Critical readings need confirming")
    assert "temperature_c" in refused.json()["error"]["message"]
    impossible = client.post(f"/api/visits/{vid}/triage", json={"temperature_c": 3}, headers=nurse)
    assert_error(impossible, 422, "invalid", fields={"temperature_c"})
    triage = client.post(
        f"/api/visits/{vid}/triage",
        json=critical | {"confirm_critical": True, "weight_kg": 70, "height_cm": 175},
        headers=nurse,
    )
    assert triage.status_code == 201, triage.text
    assert triage.json()["flags"]["temperature_c"] == "CRITICAL_HIGH"
    assert triage.json()["bmi"] == pytest.approx(22.9, abs=0.1)
    assert client.get(f"/api/visits/{vid}", headers=nurse).json()["status"] == "TRIAGED"

    moved = client.post(
        f"/api/visits/{vid}/status", json={"status": "WAITING_CONSULTATION"}, headers=reception
    )
    assert moved.status_code == 200 and moved.json()["status"] == "WAITING_CONSULTATION"

    # Consultation: a bad code is named; a good draft moves the visit on.
    bad_code = client.put(
        f"/api/visits/{vid}/consultation",
        json={"complaint": "Fever", "diagnoses": ["ZZZ"]},
        headers=officer,
    )
    assert_error(bad_code, 422, "invalid", fields={"diagnoses"})
    unsigned = client.post(f"/api/visits/{vid}/sign", headers=officer)
    assert_error(unsigned, 422, "invalid", fields={"complaint", "diagnoses"})
    consultation = client.put(
        f"/api/visits/{vid}/consultation",
        json={
            "complaint": "Fever and chills for 3 days",
            "examination": "Temp 40.5, no neck stiffness",
            "plan": "AL, paracetamol",
            "diagnoses": ["b54", "R50.9"],
            "prescriptions": [
                {
                    "drug": "Artemether/Lumefantrine 20/120",
                    "dose": "4 tabs",
                    "frequency": "BD",
                    "duration": "3 days",
                    "quantity": 24,
                }
            ],
        },
        headers=officer,
    )
    assert consultation.status_code == 200, consultation.text
    draft = consultation.json()
    assert draft["status"] == "IN_CONSULTATION"
    assert draft["clinician_id"] == str(officer_staff.id)
    assert [(d["code"], d["is_primary"]) for d in draft["diagnoses"]] == [
        ("B54", True),
        ("R50.9", False),
    ]
    assert [p["quantity"] for p in draft["prescriptions"]] == [24]
    assert [t["temperature_c"] for t in draft["triage"]] == [40.5]

    signed = client.post(f"/api/visits/{vid}/sign", headers=officer)
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "WAITING_PHARMACY"
    assert signed.json()["signed_at"] is not None
    assert_error(client.post(f"/api/visits/{vid}/sign", headers=officer), 409, "not_allowed")
    after_sign = client.put(
        f"/api/visits/{vid}/consultation", json={"complaint": "Changed"}, headers=officer
    )
    assert_error(after_sign, 409, "not_allowed", message="amendment")

    bad_amendment = client.post(
        f"/api/visits/{vid}/amendments",
        json={"field": "diagnoses", "new_value": "x", "reason": " "},
        headers=officer,
    )
    assert_error(bad_amendment, 422, "invalid", fields={"field", "reason"})
    amendment = client.post(
        f"/api/visits/{vid}/amendments",
        json={"field": "plan", "new_value": "AL, paracetamol, review in 3 days", "reason": "FU"},
        headers=officer,
    )
    assert amendment.status_code == 201, amendment.text
    assert amendment.json()["old_value"] == "AL, paracetamol"
    assert amendment.json()["amended_by"] == str(officer_staff.id)

    completed = client.post(
        f"/api/visits/{vid}/status", json={"status": "COMPLETED"}, headers=pharmacist
    )
    assert completed.status_code == 200 and completed.json()["status"] == "COMPLETED"
    detail = client.get(f"/api/visits/{vid}", headers=officer).json()
    assert detail["plan"] == "AL, paracetamol"  # the signed text is kept
    assert [a["new_value"] for a in detail["amendments"]] == ["AL, paracetamol, review in 3 days"]
    closed = client.post(f"/api/visits/{vid}/triage", json={"pulse_bpm": 80}, headers=nurse)
    assert_error(closed, 409, "not_allowed")


def test_unknown_visit_is_404(client: TestClient, admin: Headers) -> None:
    missing = uuid.uuid4()
    assert_error(client.get(f"/api/visits/{missing}", headers=admin), 404, "not_found")
    moved = client.post(f"/api/visits/{missing}/status", json={"status": "TRIAGED"}, headers=admin)
    assert_error(moved, 404, "not_found")
    assert_error(
        client.post(f"/api/visits/{missing}/status", json={"status": "NOPE"}, headers=admin),
        422,
        "invalid",
        fields={"status"},
    )


# --- users, devices, audit -----------------------------------------------------------


def test_users_create_list_and_edit(client: TestClient, admin: Headers) -> None:
    body = {
        "username": "j.mwangi",
        "full_name": "John Mwangi",
        "role": "cashier",
        "branch_code": "MAIN",
        "password": "first-password-123",
    }
    created = client.post("/api/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["username"] == "j.mwangi"
    assert user["role"] == "cashier"
    assert user["must_change_password"] is True
    assert user["active"] is True
    assert "password" not in user and "password_hash" not in user

    assert_error(client.post("/api/users", json=body, headers=admin), 409, "exists")
    weak = client.post(
        "/api/users", json=body | {"username": "weak", "password": "short"}, headers=admin
    )
    assert_error(weak, 422, "invalid", fields={"password"})
    bad_name = client.post("/api/users", json=body | {"username": "Has Spaces"}, headers=admin)
    assert_error(bad_name, 422, "invalid", fields={"username"})
    bad_role = client.post(
        "/api/users", json=body | {"username": "x1", "role": "boss"}, headers=admin
    )
    assert_error(bad_role, 422, "invalid", fields={"role"})
    bad_branch = client.post(
        "/api/users", json=body | {"username": "x2", "branch_code": "NOPE"}, headers=admin
    )
    assert_error(bad_branch, 422, "invalid", fields={"branch_code"})

    listed = client.get("/api/users", headers=admin).json()
    assert [u["username"] for u in listed] == ["j.mwangi", "root"]

    # The new user logs in with the given password and must change it.
    first_login = client.post(
        "/api/auth/login",
        json={"username": "j.mwangi", "password": body["password"], "device_id": str(uuid.uuid4())},
    )
    assert first_login.json()["must_change_password"] is True

    edited = client.patch(
        f"/api/users/{user['id']}",
        json={"role": "pharmacist", "full_name": "John K. Mwangi"},
        headers=admin,
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["role"], edited.json()["full_name"]) == ("pharmacist", "John K. Mwangi")
    assert_error(
        client.patch(f"/api/users/{uuid.uuid4()}", json={"active": False}, headers=admin),
        404,
        "not_found",
    )
    assert_error(
        client.patch(f"/api/users/{user['id']}", json={"admin": True}, headers=admin),
        422,
        "invalid",
        fields={"admin"},
    )


def test_devices_list_and_revoke(client: TestClient, admin: Headers, make_staff: MakeStaff) -> None:
    nurse = make_staff(Role.NURSE)
    pc = uuid.uuid4()
    login(client, nurse, pc)
    devices = client.get("/api/devices", headers=admin).json()
    ours = next(d for d in devices if d["id"] == str(pc))
    assert ours["revoked_at"] is None and ours["last_seen_at"] is None
    assert len(devices) == 2  # the admin's and the nurse's, not the server's own

    revoked = client.post(f"/api/devices/{pc}/revoke", headers=admin)
    assert revoked.status_code == 200
    first_revocation = revoked.json()["revoked_at"]
    assert first_revocation is not None
    again = client.post(f"/api/devices/{pc}/revoke", headers=admin)
    assert again.json()["revoked_at"] == first_revocation  # revoking twice changes nothing
    assert_error(
        client.post(f"/api/devices/{uuid.uuid4()}/revoke", headers=admin), 404, "not_found"
    )
    server_device = "00000000-0000-7000-8000-000000000001"
    assert_error(
        client.post(f"/api/devices/{server_device}/revoke", headers=admin), 404, "not_found"
    )


def test_audit_log_filters(client: TestClient, admin: Headers, reception: Headers) -> None:
    first = register(client, reception, first_name="Auma")
    second = register(client, reception, first_name="Nafula")
    client.patch(f"/api/patients/{first['id']}", json={"residence": "Eldoret"}, headers=reception)

    def audit(**params: Any) -> list[dict[str, Any]]:
        response = client.get("/api/audit", params=params, headers=admin)
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()
        return events

    of_first = audit(entity="patients", entity_id=first["id"])
    assert [e["action"] for e in of_first] == ["update_patient", "register_patient"]
    assert all(e["entity_id"] == first["id"] for e in of_first)
    assert of_first[0]["after"]["residence"] == "Eldoret"
    registrations = audit(entity="patients", action="register_patient")
    assert {e["entity_id"] for e in registrations} == {first["id"], second["id"]}
    assert len(audit(entity="patients", limit=1)) == 1

    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None)
    naive = audit(entity="patients", since=an_hour_ago.isoformat(timespec="seconds"))
    assert len(naive) == 3
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None)
    assert audit(entity="patients", since=tomorrow.isoformat(timespec="seconds")) == []
    zoned = audit(entity="patients", until=f"{an_hour_ago.isoformat(timespec='seconds')}+00:00")
    assert zoned == []
    assert_error(
        client.get("/api/audit", params={"since": "yesterday"}, headers=admin),
        422,
        "invalid",
        fields={"since"},
    )
    assert_error(
        client.get("/api/audit", params={"limit": 0}, headers=admin),
        422,
        "invalid",
        fields={"limit"},
    )


# --- operations ----------------------------------------------------------------------


@pytest.fixture
def small_body_client(settings: Settings, central: Database) -> Iterator[TestClient]:
    with app_client(settings, central, max_body_bytes=512) as test_client:
        yield test_client


def test_a_body_over_the_limit_is_413(small_body_client: TestClient, make_staff: MakeStaff) -> None:
    client = small_body_client
    headers = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    big = {"first_name": "Baraka", "residence": "x" * 100, "next_of_kin_name": "y" * 600}

    declared = client.post("/api/patients", json=big, headers=headers)
    assert_error(declared, 413, "body_too_large", fields=set(), message="512 bytes")

    def chunks() -> Iterator[bytes]:
        payload = (
            b'{"first_name": "Baraka", "residence": "' + b"x" * 100 + b'", "next_of_kin_name": "'
        )
        yield payload
        for _ in range(10):
            yield b"y" * 100
        yield b'"}'

    chunked = client.post(
        "/api/patients",
        content=chunks(),
        headers=headers | {"Content-Type": "application/json"},
    )
    assert "content-length" not in chunked.request.headers
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    assert_error(chunked, 413, "body_too_large", fields=set())

    small = client.post("/api/patients", json={"first_name": "Baraka"}, headers=headers)
    assert small.status_code == 201, small.text
    # Nothing of the refused bodies was written.
    found = client.get("/api/patients", params={"q": "Baraka"}, headers=headers).json()
    assert len(found) == 1


def test_request_id_is_echoed_and_in_error_bodies(client: TestClient) -> None:
    sent = client.get("/api/auth/me", headers={"X-Request-ID": "desk-7f3a"})
    body = assert_error(sent, 401, "unauthorized")
    assert sent.headers["x-request-id"] == "desk-7f3a" == body["request_id"]

    made = client.get("/api/auth/me")
    assert_error(made, 401)
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert made.json()["request_id"] == made.headers["x-request-id"]
    other = client.get("/api/auth/me")
    assert other.headers["x-request-id"] != made.headers["x-request-id"]

    ok = client.get("/api/health", headers={"X-Request-ID": "health-1"})
    assert ok.headers["x-request-id"] == "health-1"
    unmatched = client.get("/api/no-such-thing")
    assert_error(unmatched, 404, "not_found")


def _request_counts(client: TestClient) -> dict[tuple[str, str, str], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    counts: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(response.text):
        if family.name == "seth_http_requests":
            for sample in family.samples:
                if sample.name == "seth_http_requests_total":
                    labels = sample.labels
                    counts[(labels["route"], labels["method"], labels["status"])] = sample.value
    return counts


def test_metrics_count_requests_by_route(client: TestClient, reception: Headers) -> None:
    patient = register(client, reception)
    for _ in range(3):
        assert client.get(f"/api/patients/{patient['id']}", headers=reception).status_code == 200
    client.get(f"/api/patients/{uuid.uuid4()}", headers=reception)
    client.get("/api/health")
    client.get("/api/health")
    client.get("/api/nothing-here")

    counts = _request_counts(client)
    assert counts[("/api/patients/{patient_id}", "GET", "200")] == 3
    assert counts[("/api/patients/{patient_id}", "GET", "404")] == 1
    assert counts[("/api/patients", "POST", "201")] == 1
    assert counts[("/api/health", "GET", "200")] == 2
    assert counts[("unmatched", "GET", "404")] == 1
    # Routes, not raw paths: no patient id appears as a label.
    assert not any(patient["id"] in route for route, _, _ in counts)
    latency = client.get("/metrics").text
    assert 'seth_http_request_seconds_count{method="GET",route="/api/health"} 2.0' in latency


def test_health_answers_without_a_token(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] is True
    assert body["uptime_seconds"] >= 0
    assert isinstance(body["version"], str) and body["version"]


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/patients" in paths and "/api/auth/login" in paths
    assert "/metrics" not in paths
    assert client.get("/docs").status_code == 200
