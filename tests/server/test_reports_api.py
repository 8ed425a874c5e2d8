"""``GET /api/reports/{name}`` on PostgreSQL with the generated month
(tests/reports_data.py): each format, each role's reports, own branch only
for staff with a branch, and clear 4xx answers to bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from clinic.enums import Role
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.reports_data import MONTH_END, MONTH_START, Expected, generate
from tests.server.helpers import assert_error

pytestmark = pytest.mark.postgres

DAY = "2026-11-03"


@pytest.fixture
def month(central: Database) -> Expected:
    with central.sessions.begin() as session:
        return generate(session)


def get(client: TestClient, headers: dict[str, str], name: str, **params: Any) -> Any:
    return client.get(f"/api/reports/{name}", params=params, headers=headers)


def headers_of(
    client: TestClient, make_staff: MakeStaff, role: Role, branch: str | None
) -> dict[str, str]:
    return bearer(login(client, make_staff(role, branch_code=branch)))


def test_json_csv_and_excel_say_the_same(
    client: TestClient, make_staff: MakeStaff, month: Expected
) -> None:
    admin = headers_of(client, make_staff, Role.ADMIN, None)
    window = {"from": DAY, "to": DAY}
    answer = get(client, admin, "daily-cash", **window)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    methods = body["tables"][0]
    assert methods["title"] == "Payments by method"
    net = methods["totals"][3]
    assert net == sum(month.payments_in[MONTH_START.replace(day=3)])
    assert body["charts"][0]["kind"] == "pie"

    as_csv = get(client, admin, "daily-cash", format="csv", **window)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert (
        'filename="daily-cash_2026-11-03_2026-11-03.csv"' in as_csv.headers["content-disposition"]
    )
    lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    total_line = next(line for line in lines if line and line[0] == "Total")
    assert total_line[3] == f"{net // 100}.{net % 100:02d}"

    as_xlsx = get(client, admin, "daily-cash", format="xlsx", **window)
    assert as_xlsx.status_code == 200
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert book.sheetnames == ["Payments by method", "Shifts and cash-up"]
    sheet = book["Payments by method"]
    assert sheet["A1"].font.bold and sheet["B1"].value == "Received (KES)"
    assert sheet.cell(sheet.max_row, 4).value == pytest.approx(net / 100)
    assert sheet.cell(2, 2).number_format == "#,##0.00"


def test_every_report_answers_for_an_admin(
    client: TestClient, make_staff: MakeStaff, month: Expected
) -> None:
    admin = headers_of(client, make_staff, Role.ADMIN, None)
    for name in ("daily-cash", "revenue", "visits", "moh705a", "moh705b", "shifts"):
        answer = get(
            client, admin, name, **{"from": MONTH_START.isoformat(), "to": MONTH_END.isoformat()}
        )
        assert answer.status_code == 200, (name, answer.text)
        assert answer.json()["name"] == name


def test_a_cashier_sees_daily_cash_of_their_own_branch_only(
    client: TestClient, make_staff: MakeStaff, month: Expected
) -> None:
    cashier = headers_of(client, make_staff, Role.CASHIER, "WEST")
    window = {"from": DAY, "to": DAY}
    own = get(client, cashier, "daily-cash", **window)
    assert own.status_code == 200, own.text
    assert own.json()["branch_id"] == str(month.branches["WEST"])
    assert get(client, cashier, "shifts", branch="WEST", **window).status_code == 200
    assert_error(
        get(client, cashier, "daily-cash", branch="MAIN", **window),
        403,
        "forbidden",
        message="own branch",
    )
    assert_error(
        get(client, cashier, "visits", **window), 403, "forbidden", message="may not run the visits"
    )


@pytest.mark.parametrize(
    "role", [Role.RECEPTIONIST, Role.NURSE, Role.CLINICAL_OFFICER, Role.PHARMACIST]
)
def test_roles_without_reports_are_refused(
    client: TestClient, make_staff: MakeStaff, role: Role
) -> None:
    headers = headers_of(client, make_staff, role, "MAIN")
    assert_error(get(client, headers, "daily-cash", **{"from": DAY, "to": DAY}), 403, "forbidden")


@pytest.mark.parametrize(
    ("name", "params", "field", "reason"),
    [
        ("cash", {"from": DAY, "to": DAY}, "name", "choose one of daily-cash"),
        ("daily-cash", {"from": "2026-11-31", "to": DAY}, "from", "date"),
        ("daily-cash", {"to": DAY}, "from", "Field required"),
        ("daily-cash", {"from": DAY, "to": "2026-11-01"}, "to", "before it starts"),
        ("revenue", {"from": DAY, "to": "9999-12-31"}, "to", "not a day a report covers"),
        ("moh705b", {"from": "0001-01-01", "to": "0001-01-31"}, "from", "not a day"),
        (
            "daily-cash",
            {"from": DAY, "to": DAY, "branch": "NOPE"},
            "branch",
            "No branch with code NOPE",
        ),
        ("daily-cash", {"from": DAY, "to": DAY, "format": "pdf"}, "format", "json"),
        ("moh705a", {"from": "2026-11-01", "to": "2026-12-01"}, "to", "monthly form"),
    ],
)
def test_bad_input_answers_422_naming_the_field(
    client: TestClient,
    make_staff: MakeStaff,
    name: str,
    params: dict[str, str],
    field: str,
    reason: str,
) -> None:
    admin = headers_of(client, make_staff, Role.ADMIN, None)
    body = assert_error(get(client, admin, name, **params), 422, "invalid", fields={field})
    assert reason in body["error"]["fields"][0]["reason"]


def test_a_report_needs_a_login(client: TestClient) -> None:
    assert_error(client.get("/api/reports/daily-cash", params={"from": DAY, "to": DAY}), 401)
