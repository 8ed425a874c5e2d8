"""The pharmacy through the API: the worklist, a line dispensed in part
(the rest owed, a dispense beyond stock warned about) then closed, the
visit completed, reading the lines audited, and the branch's stock: on
hand by batch, a count's adjustment, low-stock and expiring-soon lists."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinic.clock import clinic_today
from clinic.enums import Role
from clinic.journal.models import AuditEvent
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.server.billing_helpers import services
from tests.server.helpers import assert_error
from tests.server.pharmacy_helpers import pharmacy_visit

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))


@pytest.fixture
def pharmacist(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.PHARMACIST)))


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _reads(central: Database, visit_id: str) -> int:
    """Reads of the visit's clinical record in the audit log."""
    with central.sessions() as session:
        return len(
            session.scalars(
                select(AuditEvent.id).where(
                    AuditEvent.action == "read_clinical_record",
                    AuditEvent.entity_id == uuid.UUID(visit_id),
                )
            ).all()
        )


def test_a_line_dispensed_in_part_then_closed_completes_the_visit(
    client: TestClient, central: Database, admin: dict[str, str], pharmacist: dict[str, str]
) -> None:
    visit_id = pharmacy_visit(client, admin)
    pcm = services(client, admin)["DRG-PCM500"]["id"]
    soon = clinic_today() + timedelta(days=20)
    _ok(
        client.post(
            "/api/stock/movements",
            json={"service_id": pcm, "kind": "receipt", "quantity": 12, "batch": "P1",
                  "expiry": soon.isoformat()},
            headers=pharmacist,
        ),
        201,
    )  # fmt: skip
    (entry,) = [
        e for e in _ok(client.get("/api/pharmacy/worklist", headers=pharmacist))
        if e["visit_id"] == visit_id
    ]  # fmt: skip
    assert (entry["lines_owed"], entry["units_owed"]) == (1, 18)
    reads_before = _reads(central, visit_id)
    (line,) = _ok(client.get(f"/api/pharmacy/visits/{visit_id}/lines", headers=pharmacist))
    assert line["prescribed_drug_id"] == pcm
    assert _reads(central, visit_id) == reads_before + 1

    first = _ok(
        client.post(
            "/api/pharmacy/dispensings",
            json={"prescription_id": line["prescription_id"], "quantity": 14,
                  "counselling": "Take after meals"},
            headers=pharmacist,
        ),
        201,
    )  # fmt: skip
    assert (first["line"]["given"], first["line"]["owed"], first["visit_completed"]) == (
        14,
        4,
        False,
    )
    assert first["warnings"] == [
        "Only 12 in stock, 14 given: the stock count may be behind; count this drug"
    ]
    too_many = client.post(
        "/api/pharmacy/dispensings",
        json={"prescription_id": line["prescription_id"], "quantity": 5},
        headers=pharmacist,
    )
    assert_error(too_many, 422, "invalid", fields={"quantity"})
    closed = _ok(
        client.post(
            "/api/pharmacy/dispensings",
            json={"prescription_id": line["prescription_id"], "quantity": 0,
                  "close_reason": "Patient has paracetamol at home"},
            headers=pharmacist,
        ),
        201,
    )  # fmt: skip
    assert closed["visit_completed"] and closed["line"]["closed"] and closed["line"]["owed"] == 0
    visit = _ok(client.get(f"/api/visits/{visit_id}", headers=admin))
    assert visit["status"] == "COMPLETED"
    again = client.post(
        "/api/pharmacy/dispensings",
        json={"prescription_id": line["prescription_id"], "quantity": 1},
        headers=pharmacist,
    )
    assert_error(again, 409, "not_allowed")

    stock = {d["code"]: d for d in _ok(client.get("/api/stock", headers=pharmacist))}
    assert stock["DRG-PCM500"]["on_hand"] == -2
    assert stock["DRG-PCM500"]["batches"] == [{"batch": "P1", "expiry": soon.isoformat(),
                                               "on_hand": -2}]  # fmt: skip
    counted = _ok(
        client.post(
            "/api/stock/counts",
            json={"service_id": pcm, "batch": "P1", "expiry": soon.isoformat(), "counted": 3,
                  "reason": "Counted on the shelf"},
            headers=pharmacist,
        )
    )  # fmt: skip
    assert (counted["kind"], counted["quantity"]) == ("adjustment", 5)
    _ok(
        client.put(
            "/api/stock/reorder-levels", json={"service_id": pcm, "level": 30}, headers=pharmacist
        )
    )
    low = _ok(client.get("/api/stock/low", headers=pharmacist))
    assert [(d["code"], d["on_hand"], d["reorder_level"]) for d in low] == [("DRG-PCM500", 3, 30)]
    expiring = _ok(client.get("/api/stock/expiring", headers=pharmacist))
    assert [(e["batch"], e["on_hand"], e["expired"]) for e in expiring] == [("P1", 3, False)]
    kinds = [m["kind"] for m in _ok(client.get("/api/stock/movements", headers=pharmacist))]
    assert sorted(kinds) == ["adjustment", "dispense", "receipt"]
