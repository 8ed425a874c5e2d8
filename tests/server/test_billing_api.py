"""The price list and billing API: the same services as the desk, money in
bounded integer cents, receipts and warnings in the answers, shifts that
answer expected and variance by method."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from clinic.clock import clinic_today
from clinic.enums import Role
from clinic.rules.numbers import NumberKind, parse_number
from tests.central import MakeStaff, bearer, login
from tests.server.billing_helpers import invoice, mpesa_code, services, visit
from tests.server.helpers import assert_error

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))


@pytest.fixture
def cashier(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.CASHIER)))


def test_the_price_list_is_seeded_with_todays_prices_and_sha_codes(
    client: TestClient, cashier: dict[str, str]
) -> None:
    listed = services(client, cashier)
    assert listed["CONS-NEW"]["price_cents"] == 500_00
    assert listed["CONS-NEW"]["sha_intervention_code"]
    assert listed["CONS-NEW"]["kind"] == "consultation"
    assert {"LAB-MRDT", "LAB-HIV", "DRG-AL24", "DRG-ORSZN", "PROC-SUTURE"} <= set(listed)


def test_an_admin_adds_renames_and_reprices_a_service(
    client: TestClient, admin: dict[str, str]
) -> None:
    made = client.post(
        "/api/services",
        json={"code": "LAB-TSH", "name": "TSH", "kind": "lab", "price_cents": 1500_00},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    service = made.json()
    assert (service["code"], service["price_cents"]) == ("LAB-TSH", 1500_00)
    renamed = client.patch(
        f"/api/services/{service['id']}",
        json={"name": "Thyroid stimulating hormone", "sha_intervention_code": "SHA-X"},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["sha_intervention_code"] == "SHA-X"
    cleared = client.patch(
        f"/api/services/{service['id']}", json={"sha_intervention_code": None}, headers=admin
    )
    assert cleared.json()["sha_intervention_code"] is None
    tomorrow = clinic_today() + timedelta(days=1)
    priced = client.post(
        f"/api/services/{service['id']}/prices",
        json={"price_cents": 1800_00, "effective_from": tomorrow.isoformat()},
        headers=admin,
    )
    assert priced.status_code == 201, priced.text
    assert services(client, admin)["LAB-TSH"]["price_cents"] == 1500_00
    past = client.post(
        f"/api/services/{service['id']}/prices",
        json={"price_cents": 1, "effective_from": "2020-01-01"},
        headers=admin,
    )
    assert_error(past, 422, "invalid", fields={"effective_from"})
    again = client.post(
        "/api/services",
        json={"code": "lab-tsh", "name": "TSH", "kind": "lab", "price_cents": 1},
        headers=admin,
    )
    assert_error(again, 422, "invalid", fields={"code"})


def test_a_visit_is_billed_found_and_read(
    client: TestClient, admin: dict[str, str], cashier: dict[str, str]
) -> None:
    listed = services(client, cashier)
    visit_id = visit(client, admin)
    made = client.post(
        "/api/invoices",
        json={
            "visit_id": visit_id,
            "lines": [
                {"service_id": listed["CONS-NEW"]["id"]},
                {"service_id": listed["DRG-AMOX500"]["id"], "quantity": 21},
            ],
        },
        headers=cashier,
    )
    assert made.status_code == 201, made.text
    bill = made.json()
    assert (bill["total_cents"], bill["paid_cents"], bill["balance_cents"]) == (605_00, 0, 605_00)
    assert bill["status"] == "OPEN"
    assert [(x["quantity"], x["amount_cents"]) for x in bill["lines"]] == [
        (1, 500_00),
        (21, 105_00),
    ]
    found = client.get("/api/invoices", params={"visit_id": visit_id}, headers=cashier)
    assert [x["id"] for x in found.json()] == [bill["id"]]
    today = client.get(
        "/api/invoices",
        params={"status": "OPEN", "date": clinic_today().isoformat()},
        headers=cashier,
    )
    assert bill["id"] in [x["id"] for x in today.json()]
    assert client.get(f"/api/invoices/{bill['id']}", headers=cashier).json() == bill
    missing = client.get("/api/invoices/00000000-0000-7000-8000-00000000abcd", headers=cashier)
    assert_error(missing, 404, "not_found")


def test_split_payment_answers_receipts_change_and_a_duplicate_code_warning(
    client: TestClient, admin: dict[str, str], cashier: dict[str, str]
) -> None:
    bill = invoice(client, admin)
    shift = client.post("/api/shifts", json={"opening_float_cents": 1000_00}, headers=cashier)
    assert shift.status_code == 201, shift.text
    code = mpesa_code()
    first = client.post(
        "/api/payments",
        json={
            "invoice_id": bill["id"],
            "method": "MPESA",
            "amount_cents": 400_00,
            "reference": code.lower(),
        },
        headers=cashier,
    )
    assert first.status_code == 201, first.text
    assert first.json()["reference"] == code and first.json()["warnings"] == []
    assert parse_number(first.json()["receipt_number"]).kind == NumberKind.RECEIPT
    assert not parse_number(first.json()["receipt_number"]).provisional
    cash = client.post(
        "/api/payments",
        json={"invoice_id": bill["id"], "method": "CASH", "amount_cents": 1000_00},
        headers=cashier,
    )
    assert cash.status_code == 201, cash.text
    assert (cash.json()["amount_cents"], cash.json()["change_cents"]) == (300_00, 700_00)
    assert cash.json()["shift_id"] == shift.json()["id"]
    paid = client.get(f"/api/invoices/{bill['id']}", headers=cashier).json()
    assert (paid["status"], paid["balance_cents"]) == ("PAID", 0)

    other = invoice(client, admin)
    again = client.post(
        "/api/payments",
        json={
            "invoice_id": other["id"],
            "method": "MPESA",
            "amount_cents": 100_00,
            "reference": code,
        },
        headers=cashier,
    )
    assert again.status_code == 201, again.text
    assert len(again.json()["warnings"]) == 1
    assert first.json()["receipt_number"] in again.json()["warnings"][0]
    over = client.post(
        "/api/payments",
        json={"invoice_id": other["id"], "method": "CARD", "amount_cents": 700_00},
        headers=cashier,
    )
    assert_error(over, 422, "invalid", fields={"amount_cents"})


def test_a_reversal_and_the_shift_close_by_method(
    client: TestClient, admin: dict[str, str], cashier: dict[str, str]
) -> None:
    bill = invoice(client, admin)
    shift = client.post("/api/shifts", json={"opening_float_cents": 500_00}, headers=cashier)
    second = client.post("/api/shifts", json={"opening_float_cents": 0}, headers=cashier)
    assert_error(second, 409, "not_allowed")
    cash = client.post(
        "/api/payments",
        json={"invoice_id": bill["id"], "method": "CASH", "amount_cents": 700_00},
        headers=cashier,
    ).json()
    reversed_ = client.post(
        f"/api/payments/{cash['id']}/reverse", json={"reason": "Wrong patient"}, headers=cashier
    )
    assert reversed_.status_code == 201, reversed_.text
    reversal = reversed_.json()
    assert (reversal["amount_cents"], reversal["reverses"]) == (-700_00, cash["id"])
    assert reversal["receipt_number"] != cash["receipt_number"]
    mpesa = client.post(
        "/api/payments",
        json={
            "invoice_id": bill["id"],
            "method": "MPESA",
            "amount_cents": 700_00,
            "reference": mpesa_code(),
        },
        headers=cashier,
    )
    assert mpesa.status_code == 201, mpesa.text
    closed = client.post(
        f"/api/shifts/{shift.json()['id']}/close",
        json={"counted_cash_cents": 450_00},
        headers=cashier,
    )
    assert closed.status_code == 200, closed.text
    report = closed.json()
    by_method = {m["method"]: m for m in report["methods"]}
    assert by_method["CASH"] == {
        "method": "CASH",
        "received_cents": 700_00,
        "reversed_cents": 700_00,
        "expected_cents": 500_00,
        "counted_cents": 450_00,
        "variance_cents": -50_00,
    }
    assert by_method["MPESA"]["expected_cents"] == 700_00
    assert report["shift"]["variance_cents"] == -50_00
    assert len(report["payments"]) == 2 and len(report["reversals"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "CASH", "amount_cents": 10**12}, "amount_cents"),
        ({"method": "CASH", "amount_cents": 10**30}, "amount_cents"),
        ({"method": "CASH", "amount_cents": 0}, "amount_cents"),
        ({"method": "MPESA", "amount_cents": 100, "reference": "QGH3X7YZ\x002A"}, "reference"),
        ({"method": "CARD", "amount_cents": 100, "reference": "x" * 65}, "reference"),
        ({"method": "CHEQUE", "amount_cents": 100}, "method"),
        ({"method": "CASH", "amount_cents": 100, "extra": 1}, "extra"),
    ],
)
def test_bad_payment_values_are_422_naming_the_field(
    client: TestClient,
    admin: dict[str, str],
    cashier: dict[str, str],
    body: dict[str, object],
    field: str,
) -> None:
    bill = invoice(client, admin)
    response = client.post(
        "/api/payments", json={"invoice_id": bill["id"], **body}, headers=cashier
    )
    assert_error(response, 422, "invalid", fields={field})


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/shifts", {"opening_float_cents": 10**12}, "opening_float_cents"),
        ("/api/shifts", {"opening_float_cents": -1}, "opening_float_cents"),
        ("/api/services", {"code": "X\x00", "name": "X", "kind": "lab", "price_cents": 1}, "code"),
        (
            "/api/services",
            {"code": "X", "name": "X", "kind": "lab", "price_cents": 10**12},
            "price_cents",
        ),
    ],
)
def test_bad_amounts_and_text_elsewhere_are_422_too(
    client: TestClient, admin: dict[str, str], path: str, body: dict[str, object], field: str
) -> None:
    assert_error(client.post(path, json=body, headers=admin), 422, "invalid", fields={field})


def test_bad_invoice_lines_are_named(
    client: TestClient, admin: dict[str, str], cashier: dict[str, str]
) -> None:
    listed = services(client, cashier)
    visit_id = visit(client, admin)
    huge = client.post(
        "/api/invoices",
        json={
            "visit_id": visit_id,
            "lines": [{"service_id": listed["CONS-NEW"]["id"], "quantity": 10**9}],
        },
        headers=cashier,
    )
    assert_error(huge, 422, "invalid", fields={"lines.0.quantity"})
    unknown = client.post(
        "/api/invoices",
        json={
            "visit_id": visit_id,
            "lines": [{"service_id": "00000000-0000-7000-8000-00000000abcd"}],
        },
        headers=cashier,
    )
    assert_error(unknown, 422, "invalid", fields={"lines[1].service_id"})
    empty = client.post("/api/invoices", json={"visit_id": visit_id, "lines": []}, headers=cashier)
    assert_error(empty, 422, "invalid", fields={"lines"})
