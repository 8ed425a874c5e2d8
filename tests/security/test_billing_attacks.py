"""Attacks on the money: another branch's invoice, a receptionist taking
money, negative and huge amounts, reversing twice, paying a cancelled
invoice, an M-Pesa code carrying a NUL byte. Each is refused with the
error shape and writes nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from clinic.billing.models import Invoice, Payment
from clinic.enums import InvoiceStatus, Role
from clinic.journal.models import AuditEvent
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.server.billing_helpers import invoice, mpesa_code
from tests.server.helpers import assert_error

pytestmark = pytest.mark.postgres


def _written(central: Database) -> tuple[int, int]:
    with central.sessions() as session:
        payments = session.scalar(select(func.count()).select_from(Payment)) or 0
        events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return payments, events


@pytest.fixture
def admin(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))


@pytest.fixture
def cashier(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.CASHIER)))


def _pay(
    client: TestClient, headers: dict[str, str], invoice_id: str, **body: object
) -> httpx.Response:
    payload = {"invoice_id": invoice_id, "method": "MPESA", "amount_cents": 100_00}
    payload["reference"] = mpesa_code()
    payload.update(body)
    response: httpx.Response = client.post("/api/payments", json=payload, headers=headers)
    return response


def test_another_branchs_invoice_is_neither_read_paid_nor_billed(
    client: TestClient, central: Database, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    west = bearer(login(client, make_staff(Role.CASHIER, branch_code="WEST")))
    bill = invoice(client, admin)
    before = _written(central)
    assert_error(client.get(f"/api/invoices/{bill['id']}", headers=west), 403, "forbidden")
    assert_error(_pay(client, west, bill["id"]), 403, "forbidden", message="branch")
    listed = client.get("/api/invoices", headers=west)
    assert listed.status_code == 200 and bill["id"] not in [x["id"] for x in listed.json()]
    rebill = client.post(
        "/api/invoices",
        json={
            "visit_id": bill["visit_id"],
            "lines": [{"service_id": bill["lines"][0]["service_id"]}],
        },
        headers=west,
    )
    assert_error(rebill, 403, "forbidden", message="branch")
    assert _written(central) == before


def test_a_receptionist_cannot_take_money_or_open_a_shift(
    client: TestClient, central: Database, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    receptionist = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    bill = invoice(client, admin)
    before = _written(central)
    assert_error(_pay(client, receptionist, bill["id"]), 403, "forbidden", message="receptionist")
    opened = client.post("/api/shifts", json={"opening_float_cents": 0}, headers=receptionist)
    assert_error(opened, 403, "forbidden")
    assert _written(central) == before


@pytest.mark.parametrize("amount", [-100_00, -1, 0, 10**12, 2**63, 10**40])
def test_negative_zero_and_huge_amounts_are_refused(
    client: TestClient,
    central: Database,
    admin: dict[str, str],
    cashier: dict[str, str],
    amount: int,
) -> None:
    bill = invoice(client, admin)
    before = _written(central)
    response = _pay(client, cashier, bill["id"], amount_cents=amount)
    assert_error(response, 422, "invalid", fields={"amount_cents"})
    assert _written(central) == before


def test_a_payment_is_reversed_once_and_a_reversal_never(
    client: TestClient, central: Database, admin: dict[str, str], cashier: dict[str, str]
) -> None:
    bill = invoice(client, admin)
    paid = _pay(client, cashier, bill["id"])
    payment_id = paid.json()["id"]
    first = client.post(
        f"/api/payments/{payment_id}/reverse", json={"reason": "Wrong patient"}, headers=cashier
    )
    assert first.status_code == 201, first.text
    before = _written(central)
    twice = client.post(
        f"/api/payments/{payment_id}/reverse", json={"reason": "Again"}, headers=cashier
    )
    assert_error(twice, 409, "not_allowed", message="already reversed")
    of_reversal = client.post(
        f"/api/payments/{first.json()['id']}/reverse", json={"reason": "Undo"}, headers=cashier
    )
    assert_error(of_reversal, 409, "not_allowed")
    no_reason = client.post(
        f"/api/payments/{payment_id}/reverse", json={"reason": ""}, headers=cashier
    )
    assert_error(no_reason, 422, "invalid", fields={"reason"})
    assert _written(central) == before


def test_a_cancelled_invoice_takes_no_payment(
    client: TestClient, central: Database, admin: dict[str, str], cashier: dict[str, str]
) -> None:
    bill = invoice(client, admin)
    with central.sessions.begin() as session:
        session.execute(
            update(Invoice)
            .where(Invoice.id == uuid.UUID(bill["id"]))
            .values(status=InvoiceStatus.CANCELLED, cancel_reason="Billed twice")
        )
    before = _written(central)
    response = _pay(client, cashier, bill["id"])
    assert_error(response, 409, "not_allowed", message="cancelled")
    assert _written(central) == before


@pytest.mark.parametrize(
    "reference", ["QGH3X7YZ2\x00", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "QGH3X7\x00YZ2A"]
)
def test_an_mpesa_code_with_a_nul_byte_is_refused_naming_the_field(
    client: TestClient,
    central: Database,
    admin: dict[str, str],
    cashier: dict[str, str],
    reference: str,
) -> None:
    bill = invoice(client, admin)
    before = _written(central)
    response = _pay(client, cashier, bill["id"], reference=reference)
    body = assert_error(response, 422, "invalid", fields={"reference"})
    assert "\x00" not in str(body)
    assert _written(central) == before


def test_a_nul_byte_in_a_reversal_reason_is_refused(
    client: TestClient, central: Database, admin: dict[str, str], cashier: dict[str, str]
) -> None:
    bill = invoice(client, admin)
    payment_id = _pay(client, cashier, bill["id"]).json()["id"]
    before = _written(central)
    response = client.post(
        f"/api/payments/{payment_id}/reverse", json={"reason": "oops\x00"}, headers=cashier
    )
    assert_error(response, 422, "invalid", fields={"reason"})
    assert _written(central) == before
