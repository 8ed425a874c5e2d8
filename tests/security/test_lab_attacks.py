"""Attacks on the lab's results, through the REST API and through sync push:
a lab technician writing a diagnosis, results on another branch's request,
a forged author or flag, a nurse entering results, NUL bytes and absurd
numbers. Each is refused (a 4xx in the error shape, or the mutation alone
with its reason) and writes nothing; the valid rest of a batch applies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinic.enums import LabStatus, Role, VisitStatus
from clinic.journal.models import AuditEvent
from clinic.lab.catalogue import definition_of, parse_test
from clinic.lab.models import LabResult, LabTestOverride
from clinic.patients.models import Patient
from clinic.visits.models import Diagnosis, LabRequest, Visit
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.security.conftest import Clinic, mutation
from tests.server.helpers import assert_error

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


# --- through the REST API ------------------------------------------------------


def _written(central: Database) -> tuple[int, int, int]:
    with central.sessions() as session:
        results = session.scalar(select(func.count()).select_from(LabResult)) or 0
        diagnoses = session.scalar(select(func.count()).select_from(Diagnosis)) or 0
        events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return results, diagnoses, events


def _requested(client: TestClient, admin: dict[str, str], test_name: str) -> dict[str, str]:
    """A test requested at a signed visit at MAIN: its request and visit ids."""
    patient = client.post(
        "/api/patients", json={"first_name": "Wanjiru", "sex": "F"}, headers=admin
    ).json()["patient"]["id"]
    visit = client.post("/api/visits", json={"patient_id": patient}, headers=admin).json()["id"]
    body = {"complaint": "Fever", "diagnoses": ["B54"], "lab_requests": [{"test_name": test_name}]}
    response = client.put(f"/api/visits/{visit}/consultation", json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert client.post(f"/api/visits/{visit}/sign", headers=admin).status_code == 200
    return {"request": response.json()["lab_requests"][0]["id"], "visit": visit}


@pytest.fixture
def admin(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))


@pytest.fixture
def lab(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.LAB_TECHNICIAN)))


def test_a_lab_technician_writes_no_diagnosis_over_rest(
    client: TestClient, central: Database, admin: dict[str, str], lab: dict[str, str]
) -> None:
    requested = _requested(client, admin, "Hb")
    before = _written(central)
    consultation = client.put(
        f"/api/visits/{requested['visit']}/consultation",
        json={"complaint": "Fever", "diagnoses": ["A01.0"]},
        headers=lab,
    )
    assert_error(consultation, 403, "forbidden", message="lab_technician")
    smuggled = client.post(
        f"/api/lab/requests/{requested['request']}/results",
        json={"values": {"hb": "11", "diagnosis": "A01.0"}},
        headers=lab,
    )
    assert_error(smuggled, 422, fields={"diagnosis"})
    assert _written(central) == before


def test_another_branchs_request_is_neither_read_nor_resulted_over_rest(
    client: TestClient, central: Database, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    west = bearer(login(client, make_staff(Role.LAB_TECHNICIAN, branch_code="WEST")))
    requested = _requested(client, admin, "Malaria RDT")
    before = _written(central)
    path = f"/api/lab/requests/{requested['request']}"
    assert_error(client.get(path, headers=west), 403, "forbidden", message="branch")
    entered = client.post(f"{path}/results", json={"values": {"result": "NEGATIVE"}}, headers=west)
    assert_error(entered, 403, "forbidden", message="branch")
    listed = client.get("/api/lab/worklist", headers=west)
    assert listed.status_code == 200 and listed.json() == []
    assert _written(central) == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ('{"values": {"hb": 1e308}}', {"hb"}),
        ('{"values": {"hb": NaN}}', {"hb"}),
        ('{"values": {"hb": -3}}', {"hb"}),
        ('{"values": {"hb": "12\\u0000"}}', {"values"}),
        ('{"values": {"hb": "12"}, "entered_by": "00000000-0000-0000-0000-000000000001"}', None),
        ('{"values": {"hb": true}}', {"values.hb.float", "values.hb.str"}),
    ],
)
def test_nul_bytes_absurd_numbers_and_a_forged_author_are_refused_over_rest(
    client: TestClient,
    central: Database,
    admin: dict[str, str],
    lab: dict[str, str],
    body: str,
    fields: set[str] | None,
) -> None:
    requested = _requested(client, admin, "Haemoglobin (Hb)")
    before = _written(central)
    response = client.post(
        f"/api/lab/requests/{requested['request']}/results",
        content=body,
        headers={**lab, "Content-Type": "application/json"},
    )
    assert_error(response, 422, fields=fields)
    assert _written(central) == before
    with central.sessions() as session:
        request = session.get(LabRequest, uuid.UUID(requested["request"]))
        assert request is not None and request.status == LabStatus.REQUESTED


def test_results_entered_over_rest_send_the_visit_back_to_the_clinician(
    client: TestClient, central: Database, admin: dict[str, str], lab: dict[str, str]
) -> None:
    requested = _requested(client, admin, "Haemoglobin (Hb)")
    path = f"/api/lab/requests/{requested['request']}"
    response = client.post(f"{path}/results", json={"values": {"hb": 6.2}}, headers=lab)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert (result["shown"], result["flag"]) == ("6.2 g/dL", "CRITICAL_LOW")
    assert response.json()["fields"][0]["reference_range"] == "12\N{EN DASH}15.5"
    visit = client.get(f"/api/visits/{requested['visit']}", headers=admin).json()
    assert visit["status"] == VisitStatus.IN_CONSULTATION


# --- through sync push ----------------------------------------------------------


def _request_at(clinic: Clinic, branch: uuid.UUID, test_name: str = "Hb") -> LabRequest:
    patient = Patient(op_number=f"OP-2026-{uuid.uuid4().int % 10**6:06d}-0", first_name="Akinyi")
    clinic.add(patient)
    visit = Visit(
        patient_id=patient.id,
        branch_id=branch,
        visit_date=date(2026, 11, 26),
        is_new=True,
        status=VisitStatus.WAITING_LAB,
        queue_position=1,
    )
    clinic.add(visit)
    request = LabRequest(visit_id=visit.id, test_name=test_name)
    clinic.add(request)
    return request


def _result(
    request: LabRequest, entered_by: uuid.UUID, user_id: uuid.UUID | None = None, **values: Any
) -> dict[str, Any]:
    """A pushed Hb result of 6.0 g/dL as the service writes it for a patient
    of unknown age and sex, with ``values`` laid over it."""
    changes: dict[str, Any] = {
        "lab_request_id": str(request.id),
        "analyte": "hb",
        "value_number": 6.0,
        "value_code": None,
        "value_text": None,
        "unit": "g/dL",
        "reference_range": "12\N{EN DASH}17.5",
        "flag": "CRITICAL_LOW",
        "entered_by": str(entered_by),
        "entered_at": NOW.isoformat(),
    }
    return mutation("lab_results", uuid.uuid4(), "insert", user_id=user_id, **(changes | values))


def _refused(answer: dict[str, Any]) -> list[str]:
    return [r["reason"] for r in answer["results"] if r["outcome"] == "refused"]


def _outcomes(answer: dict[str, Any]) -> list[str]:
    return [r["outcome"] for r in answer["results"]]


def _results_of(clinic: Clinic, request: LabRequest) -> int:
    with clinic.db.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(LabResult)
                .where(LabResult.lab_request_id == request.id)
            )
            or 0
        )


def test_a_pushed_diagnosis_from_the_lab_is_refused_and_its_valid_result_applies(
    clinic: Clinic,
) -> None:
    bench = clinic.device("lab_technician")
    tech = clinic.staff["lab_technician"].id
    request = _request_at(clinic, clinic.main)
    diagnosis = uuid.uuid4()
    answer = bench.push(
        mutation(
            "diagnoses",
            diagnosis,
            "insert",
            visit_id=str(request.visit_id),
            code_system="ICD-10",
            code="A01.0",
            description="Typhoid fever",
        ),
        _result(request, tech),
    )
    assert _outcomes(answer) == ["refused", "applied"]
    assert _refused(answer) == ["A lab_technician may not change diagnoses"]
    assert clinic.get(Diagnosis, diagnosis) is None
    assert _results_of(clinic, request) == 1


def test_a_pushed_result_on_another_branchs_request_is_refused(clinic: Clinic) -> None:
    bench = clinic.device("lab_technician")
    west_request = _request_at(clinic, clinic.west)
    answer = bench.push(_result(west_request, clinic.staff["lab_technician"].id))
    assert _refused(answer) == ["Changes go to this device's own branch only"]
    assert _results_of(clinic, west_request) == 0


def test_a_forged_author_or_a_nurse_writes_no_result(clinic: Clinic) -> None:
    bench = clinic.device("lab_technician")
    ward = clinic.device("nurse")
    request = _request_at(clinic, clinic.main)
    nurse = clinic.staff["nurse"].id
    forged = bench.push(_result(request, clinic.staff["clinical_officer"].id))
    by_nurse = ward.push(_result(request, nurse))
    assert _refused(forged) == ["entered_by must be the user who made the change"]
    assert _refused(by_nurse) == ["A nurse may not change lab results"]
    assert _results_of(clinic, request) == 0


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"value_number": 1e308, "flag": "CRITICAL_HIGH"}, "impossible"),
        ({"value_number": float("nan")}, "finite number"),
        ({"value_number": None, "value_text": "six\x00"}, "value_text"),
        ({"analyte": "diagnosis"}, "has no result 'diagnosis'"),
        ({"flag": "NORMAL"}, "the flag should be 'CRITICAL_LOW'"),
        ({"reference_range": "0\N{EN DASH}100"}, "the reference range should be"),
        ({"value_code": "POSITIVE"}, "give exactly one value"),
    ],
)
def test_absurd_values_nul_bytes_and_forged_flags_are_refused_in_a_push(
    clinic: Clinic, values: dict[str, Any], reason: str
) -> None:
    bench = clinic.device("lab_technician")
    request = _request_at(clinic, clinic.main)
    answer = bench.push(_result(request, clinic.staff["lab_technician"].id, **values))
    [refusal] = _refused(answer)
    assert reason in refusal
    assert _results_of(clinic, request) == 0


# --- the catalogue ----------------------------------------------------------------

GLUCOSE = {
    "code": "glucose",
    "label": "Glucose",
    "kind": "numeric",
    "unit": "mmol/L",
    "plausible_min": 0.5,
    "plausible_max": 50,
    "bands": [{"sex": None, "normal_low": 3.9, "normal_high": 7.8}],
}


def _overrides(central: Database) -> int:
    with central.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(LabTestOverride)) or 0)


def test_only_an_admin_sets_the_catalogue_and_a_bad_test_is_a_422_over_rest(
    client: TestClient, central: Database, admin: dict[str, str], lab: dict[str, str]
) -> None:
    body = {"name": "Random blood sugar (RBS)", "fields": [GLUCOSE]}
    assert_error(client.put("/api/lab/tests/LAB-RBS", json=body, headers=lab), 403, "forbidden")
    for bad, field in (
        (
            {"fields": [GLUCOSE | {"bands": [{"normal_low": 1e308}]}]},
            "test.fields[0].bands[0].normal_low",
        ),
        ({"fields": [GLUCOSE | {"kind": "chart"}]}, "test.fields[0].kind"),
        ({"fields": [GLUCOSE | {"label": "Glu\u0000cose"}]}, "fields"),
        ({"fields": []}, "test.fields"),
    ):
        response = client.put("/api/lab/tests/LAB-RBS", json=body | bad, headers=admin)
        assert_error(response, 422, fields={field})
    assert_error(client.put("/api/lab/tests/lab%20rbs", json=body, headers=admin), 422)
    assert _overrides(central) == 0
    done = client.put("/api/lab/tests/LAB-RBS", json=body, headers=admin)
    assert done.status_code == 200, done.text
    listed = {t["code"]: t for t in client.get("/api/lab/tests", headers=lab).json()}
    assert listed["LAB-RBS"]["fields"][0]["bands"][0]["critical_low"] is None
    assert _overrides(central) == 1


def test_a_pushed_catalogue_change_is_the_admins_alone_and_checked(clinic: Clinic) -> None:
    bench = clinic.device("lab_technician")
    office = clinic.device("admin")
    test = definition_of(
        parse_test({"code": "LAB-RBS", "name": "Random blood sugar (RBS)", "fields": [GLUCOSE]})
    )
    by_lab = bench.push(
        mutation("lab_test_overrides", uuid.uuid4(), "insert", code="LAB-RBS", definition=test)
    )
    assert _refused(by_lab) == ["A lab_technician may not change price list"]
    forged = office.push(
        mutation(
            "lab_test_overrides",
            uuid.uuid4(),
            "insert",
            code="LAB-RBS",
            definition=test | {"fields": [GLUCOSE | {"decimals": 99}]},
        ),
        mutation("lab_test_overrides", uuid.uuid4(), "insert", code="LAB-HB", definition=test),
        mutation(
            "lab_test_overrides",
            uuid.uuid4(),
            "insert",
            code="LAB-RBS",
            definition=definition_of(parse_test(test)) | {"script": "<b>"},
        ),
        mutation("lab_test_overrides", uuid.uuid4(), "insert", code="LAB-RBS", definition=test),
    )
    assert _outcomes(forged) == ["refused", "refused", "refused", "applied"]
    assert _refused(forged) == [
        "test.fields[0].decimals: a whole number from 0 to 4",
        "code: the definition is of another test",
        "definition: not in its checked form (unknown or missing parts)",
    ]
