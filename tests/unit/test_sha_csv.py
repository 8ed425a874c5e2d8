"""A batch as the SHA portal's CSV: the columns, one row per claim line with
its claim's facts, money in decimal shillings, and no cell a spreadsheet would
run as a formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from clinic.claims.sha_csv import COLUMNS, batch_csv, write_batch_csv
from tests.claim_documents import ANAEMIA, MALARIA, claim_document, claim_line, named


def rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == list(COLUMNS)
    return list(reader)


def test_one_row_per_line_with_the_claims_facts_and_decimal_kes() -> None:
    document = claim_document()
    first, second, third = rows(batch_csv([document]))

    assert first == {
        "Facility SHA ID": "FID-47-123456-7",
        "KMHFL Code": "23157",
        "Facility": "Main branch",
        "Claim Number": "MAIN-20261130-OP-2026-000123-3",
        "Member Number": "CR1234567890123-4",
        "Principal Number": "CR1234567890123-4",
        "Relationship": "Principal",
        "Patient Name": "Mary Wanjiru Otieno",
        "OP Number": "OP-2026-000123-3",
        "Sex": "F",
        "Date of Birth": "1990-03-14",
        "National ID": "23456789",
        "Visit Date": "2026-11-30",
        "Pre-authorisation Number": "",
        "ICD-10 Codes": "B54",
        "ICD-11 Codes": "1F4Z",
        "Clinician": "Dr James Kamau",
        "Line": "1",
        "Intervention Code": "SHA-01-001",
        "Service": "Outpatient consultation",
        "Quantity": "1",
        "Unit Price (KES)": "500.00",
        "Amount (KES)": "500.00",
        "Tariff (KES)": "500.00",
        "Claim Total (KES)": "1250.00",
    }
    assert (second["Line"], second["Intervention Code"], second["Tariff (KES)"]) == (
        "2",
        "SHA-03-014",
        "300.00",
    )
    assert (third["Quantity"], third["Unit Price (KES)"], third["Amount (KES)"]) == (
        "4",
        "125.00",
        "500.00",
    )
    assert third["Tariff (KES)"] == ""  # no tariff set for the line
    assert {r["Claim Number"] for r in (first, second, third)} == {document.number}


def test_a_dependant_names_the_principal_and_codes_are_listed_in_order() -> None:
    (row,) = rows(
        batch_csv(
            [
                claim_document(
                    dependant=True,
                    diagnoses=[MALARIA, ANAEMIA],
                    lines=[claim_line("SHA-01-001", "Consultation", 1, 500_05)],
                    preauthorisation_number="PA-2026-0042",
                )
            ]
        )
    )
    assert row["Member Number"] == "CR1234567890123-4"
    assert row["Principal Number"] == "CR9876543210987-6"
    assert row["Relationship"] == "Dependant"
    assert row["ICD-10 Codes"] == "B54; D64.9" and row["ICD-11 Codes"] == ""
    assert row["Pre-authorisation Number"] == "PA-2026-0042"
    assert row["Amount (KES)"] == "500.05" and row["Claim Total (KES)"] == "500.05"


def test_a_batch_keeps_its_order_and_a_claim_without_lines_keeps_a_row() -> None:
    first, empty = claim_document(), claim_document(lines=[], diagnoses=[], clinician=None)
    table = rows(batch_csv([first, empty]))
    assert len(table) == 4
    assert [r["Claim Number"] for r in table[:3]] == [first.number] * 3
    last = table[3]
    assert last["Line"] == last["Intervention Code"] == last["Amount (KES)"] == ""
    assert last["Claim Total (KES)"] == "0.00" and last["Clinician"] == ""
    assert last["ICD-10 Codes"] == ""
    assert rows(batch_csv([])) == []


def test_text_a_spreadsheet_would_run_as_a_formula_is_neutralised() -> None:
    document = named(
        claim_document(
            lines=[claim_line("=1+1", "@SUM(A1:A9)", 1, 100_00), claim_line("+254", "-2", 1, 1)]
        ),
        first_name='=HYPERLINK("http://evil.example","Click")',
        middle_name=None,
        last_name=None,
    )
    first, second = rows(batch_csv([document]))
    assert first["Patient Name"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert first["Intervention Code"] == "'=1+1" and first["Service"] == "'@SUM(A1:A9)"
    assert second["Intervention Code"] == "'+254" and second["Service"] == "'-2"
    for row in (first, second):
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "@")), column
            assert not cell.startswith("-"), column


def test_the_csv_file_is_whole_utf8_with_a_bom_for_excel(tmp_path: Path) -> None:
    document = named(claim_document(), middle_name="Wanjirũ")
    path = write_batch_csv([document], tmp_path / "batch.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == batch_csv([document])
    assert "Mary Wanjirũ Otieno" in data.decode("utf-8-sig")
    assert [p.name for p in tmp_path.iterdir()] == ["batch.csv"]
