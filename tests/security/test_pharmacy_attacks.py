"""Attacks on the pharmacy and its stock ledger, through sync push (raw
HTTP to a real server) and through the REST API: a negative receipt and an
adjustment without a reason, another branch's stock, editing or deleting a
movement, a forged author, a role that does not dispense, 10**12 units and
NUL bytes. Each is refused with its reason (the mutation alone, or a 4xx
in the error shape), writes nothing, and lets the valid rest apply."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinic.billing.models import Service
from clinic.enums import Role, StockMovementKind
from clinic.pharmacy.models import Dispensing, StockMovement
from clinic.visits.models import Prescription
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.security.conftest import Clinic, mutation
from tests.security.test_sync_attacks import applied, refused, visit
from tests.server.helpers import assert_error
from tests.server.pharmacy_helpers import pharmacy_visit

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
EXPIRY = date(2027, 6, 30)


def _drug(db: Database, code: str = "DRG-PCM500") -> uuid.UUID:
    with db.sessions() as session:
        found = session.scalar(select(Service.id).where(Service.code == code))
    assert found is not None
    return found


def _movements(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(StockMovement)) or 0


def _movement(clinic: Clinic, author: uuid.UUID, **values: Any) -> dict[str, Any]:
    """A receipt of 50 at MAIN written by ``author``, with ``values`` laid over it."""
    fields: dict[str, Any] = {
        "service_id": str(_drug(clinic.db)),
        "branch_id": str(clinic.main),
        "batch": "PCM-24A",
        "expiry": EXPIRY.isoformat(),
        "quantity": 50,
        "kind": "receipt",
        "moved_by": str(author),
        "moved_at": NOW.isoformat(),
    }
    fields.update(values)
    return mutation("stock_movements", uuid.uuid4(), "insert", user_id=author, **fields)


# --- through sync push ------------------------------------------------------------


def test_bad_movements_are_refused_alone_and_the_good_receipt_applies(clinic: Clinic) -> None:
    pc = clinic.device("pharmacist")
    me = clinic.staff["pharmacist"].id
    before = _movements(clinic.db)
    answer = pc.push(
        _movement(clinic, me, quantity=-50),
        _movement(clinic, me, kind="adjustment", quantity=-4),
        _movement(clinic, me, quantity=10**12),
        _movement(clinic, me, batch="PCM\x0024A"),
        _movement(clinic, me, kind="expiry", quantity=3, reason="Expired"),
        _movement(clinic, me),
    )
    reasons = refused(answer)
    assert sorted(reasons) == [1, 2, 3, 4, 5], answer
    assert "A receipt adds stock" in reasons[1]
    assert "Say why the stock is adjusted" in reasons[2]
    assert "quantity" in reasons[3]
    assert "NUL" in reasons[4] or "control" in reasons[4]
    assert "takes units out" in reasons[5]
    assert applied(answer) == [6]
    assert _movements(clinic.db) == before + 1


def test_another_branchs_stock_is_neither_written_nor_pulled(clinic: Clinic) -> None:
    pc = clinic.device("pharmacist")
    me = clinic.staff["pharmacist"].id
    west_receipt = StockMovement(
        service_id=_drug(clinic.db),
        branch_id=clinic.west,
        batch="WEST-1",
        quantity=70,
        kind=StockMovementKind.RECEIPT,
        moved_by=clinic.staff["west_cashier"].id,
        moved_at=NOW,
    )
    clinic.add(west_receipt)
    before = _movements(clinic.db)
    answer = pc.push(_movement(clinic, me, branch_id=str(clinic.west)))
    assert "own branch" in refused(answer)[pc.sequence]
    assert _movements(clinic.db) == before
    pulled = pc.pull_all().get("stock_movements", [])
    assert str(west_receipt.id) not in {row["id"] for row in pulled}


def test_a_movement_is_never_edited_nor_deleted(clinic: Clinic) -> None:
    pc = clinic.device("pharmacist")
    me = clinic.staff["pharmacist"].id
    receipt = StockMovement(
        service_id=_drug(clinic.db),
        branch_id=clinic.main,
        batch="PCM-9",
        quantity=40,
        kind=StockMovementKind.RECEIPT,
        moved_by=me,
        moved_at=NOW,
    )
    clinic.add(receipt)
    answer = pc.push(
        mutation("stock_movements", receipt.id, user_id=me, quantity=4000),
        mutation("stock_movements", receipt.id, "delete", user_id=me, deleted_at=NOW.isoformat()),
    )
    assert len(refused(answer)) == 2, answer
    assert all("never changed" in reason for reason in refused(answer).values()), answer
    stored = clinic.get(StockMovement, receipt.id)
    assert (stored.quantity, stored.deleted_at) == (40, None)


def test_a_forged_author_and_a_role_that_does_not_move_stock_are_refused(clinic: Clinic) -> None:
    clinic.device("admin")
    pharmacy = clinic.device("pharmacist")
    desk = clinic.device("cashier")
    me = clinic.staff["pharmacist"].id
    before = _movements(clinic.db)
    answer = pharmacy.push(_movement(clinic, me, moved_by=str(clinic.staff["admin"].id)))
    assert "moved_by must be the user who made the change" in refused(answer)[pharmacy.sequence]
    cashier = clinic.staff["cashier"].id
    answer = desk.push(_movement(clinic, cashier))
    assert "may not change stock" in refused(answer)[desk.sequence]
    assert _movements(clinic.db) == before


def test_only_a_pharmacist_dispenses_and_only_as_themselves(clinic: Clinic) -> None:
    seen = visit(clinic)
    line = Prescription(
        visit_id=seen.id,
        drug="Paracetamol 500 mg",
        dose="1 g",
        frequency="TDS",
        duration="3 days",
        quantity=18,
    )
    clinic.add(line)
    clinic.device("admin")
    pharmacy = clinic.device("pharmacist")
    consult = clinic.device("clinical_officer")

    def dispensing(author: uuid.UUID, **values: Any) -> dict[str, Any]:
        fields = {
            "prescription_id": str(line.id),
            "visit_id": str(seen.id),
            "service_id": str(_drug(clinic.db)),
            "quantity": 6,
            "dispensed_by": str(author),
            "dispensed_at": NOW.isoformat(),
            **values,
        }
        return mutation("dispensings", uuid.uuid4(), "insert", user_id=author, **fields)

    clinician = clinic.staff["clinical_officer"].id
    me = clinic.staff["pharmacist"].id
    answer = consult.push(dispensing(clinician))
    assert "may not change dispensing" in refused(answer)[consult.sequence]
    answer = pharmacy.push(
        dispensing(me, dispensed_by=str(clinic.staff["admin"].id)),
        dispensing(me, quantity=10**12),
        dispensing(me, counselling="Take\x00 with food"),
        dispensing(me, service_id=str(_drug(clinic.db, "DRG-AL24"))),
        dispensing(me, counselling="Take with food"),
    )
    reasons = refused(answer)
    assert len(reasons) == 4, answer
    first = pharmacy.sequence - 4
    assert "dispensed_by must be the user" in reasons[first]
    assert "quantity" in reasons[first + 1]
    assert "substitution_reason" in reasons[first + 3]
    assert applied(answer) == [pharmacy.sequence]
    with clinic.db.sessions() as session:
        given = session.scalars(select(Dispensing).where(Dispensing.prescription_id == line.id))
        assert [(d.quantity, d.counselling) for d in given] == [(6, "Take with food")]


# --- through the REST API -----------------------------------------------------------


@pytest.fixture
def pharmacist(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.PHARMACIST)))


def _receipt(central: Database, **values: Any) -> dict[str, Any]:
    return {"service_id": str(_drug(central)), "kind": "receipt", "quantity": 30, **values}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"quantity": -30}, "quantity"),
        ({"kind": "adjustment", "quantity": -3}, "reason"),
        ({"quantity": 10**12}, "quantity"),
        ({"batch": "B\x001"}, "batch"),
        ({"reason": "Delivery\x00"}, "reason"),
        ({"kind": "expiry", "quantity": 5}, "quantity"),
        ({"moved_by": str(uuid.uuid4())}, "moved_by"),
    ],
    ids=[
        "negative-receipt",
        "adjustment-no-reason",
        "10^12",
        "nul-batch",
        "nul-reason",
        "positive-write-off",
        "forged-author",
    ],
)
def test_bad_movements_through_the_api_are_refused(
    client: TestClient,
    central: Database,
    pharmacist: dict[str, str],
    values: dict[str, Any],
    field: str,
) -> None:
    response = client.post(
        "/api/stock/movements", json=_receipt(central, **values), headers=pharmacist
    )
    assert_error(response, 422, fields={field})
    assert _movements(central) == 0


def test_another_branchs_stock_through_the_api(
    client: TestClient, central: Database, make_staff: MakeStaff, pharmacist: dict[str, str]
) -> None:
    west = bearer(login(client, make_staff(Role.PHARMACIST, branch_code="WEST")))
    made = client.post("/api/stock/movements", json=_receipt(central), headers=pharmacist)
    assert made.status_code == 201, made.text
    for path in ("/api/stock", "/api/stock/low", "/api/stock/movements", "/api/stock/expiring"):
        answer = client.get(path, params={"branch_code": "MAIN"}, headers=west)
        assert_error(answer, 403, "forbidden", message="own branch")
    own = client.get("/api/stock/movements", headers=west)
    assert own.status_code == 200 and own.json() == []
    moved = client.post(
        "/api/stock/movements", json=_receipt(central, branch_code="MAIN"), headers=west
    )
    assert_error(moved, 403, "forbidden", message="own branch")
    counted = client.post(
        "/api/stock/counts",
        json={
            "service_id": str(_drug(central)),
            "counted": 0,
            "reason": "x",
            "branch_code": "MAIN",
        },
        headers=west,
    )
    assert_error(counted, 403, "forbidden")
    assert _movements(central) == 1
    movement_id = made.json()["id"]
    for method in ("PATCH", "PUT", "DELETE"):
        answer = client.request(
            method, f"/api/stock/movements/{movement_id}", json={"quantity": 1}, headers=pharmacist
        )
        assert answer.status_code in (404, 405), answer.text
    listed = client.get("/api/stock/movements", headers=pharmacist).json()
    assert [(m["id"], m["quantity"]) for m in listed] == [(movement_id, 30)]


def test_bad_dispensings_through_the_api_are_refused(
    client: TestClient, central: Database, make_staff: MakeStaff, pharmacist: dict[str, str]
) -> None:
    admin = bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))
    visit_id = pharmacy_visit(client, admin)
    (line,) = client.get(f"/api/pharmacy/visits/{visit_id}/lines", headers=admin).json()
    body: dict[str, Any] = {"prescription_id": line["prescription_id"], "quantity": 6}
    west = bearer(login(client, make_staff(Role.PHARMACIST, branch_code="WEST")))
    clinician = bearer(login(client, make_staff(Role.CLINICAL_OFFICER)))
    cases: list[tuple[dict[str, str], dict[str, Any], int, set[str]]] = [
        (pharmacist, {"quantity": 10**12}, 422, {"quantity"}),
        (pharmacist, {"quantity": -3}, 422, {"quantity"}),
        (pharmacist, {"counselling": "Take\x00 with food"}, 422, {"counselling"}),
        (pharmacist, {"dispensed_by": str(uuid.uuid4())}, 422, {"dispensed_by"}),
        (pharmacist, {"service_id": str(_drug(central, "DRG-AL24"))}, 422, {"substitution_reason"}),
        (west, {}, 403, set()),
        (clinician, {}, 403, set()),
    ]
    for headers, values, status, fields in cases:
        answer = client.post("/api/pharmacy/dispensings", json={**body, **values}, headers=headers)
        assert_error(answer, status, fields=fields)
    with central.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Dispensing)) == 0
    assert _movements(central) == 0
