"""A batch of claims as the CSV the SHA portal takes: one row per claim line.

Each row repeats its claim's facts (facility, claim number, member and
principal numbers, patient, visit date, diagnoses, clinician) so the portal,
or a person filtering in a spreadsheet, never has to join rows. A claim with
no lines still gets one row, with the line's columns empty, so no claim of the
batch goes missing. Money is shillings with two decimals (``1250.00``), dates
are ISO (``2026-11-30``), and every text cell is made safe to open in a
spreadsheet (:func:`clinic.rules.spreadsheet.text_cell`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from clinic.claims.document import ClaimDocument, ClaimLine
from clinic.files import write_whole
from clinic.rules.diagnoses import ICD10, ICD11
from clinic.rules.money import decimal_kes, decimal_kes_each
from clinic.rules.spreadsheet import text_cell

COLUMNS: Sequence[str] = (
    "Facility SHA ID",
    "KMHFL Code",
    "Facility",
    "Claim Number",
    "Member Number",
    "Principal Number",
    "Relationship",
    "Patient Name",
    "OP Number",
    "Sex",
    "Date of Birth",
    "National ID",
    "Visit Date",
    "Pre-authorisation Number",
    "ICD-10 Codes",
    "ICD-11 Codes",
    "Clinician",
    "Line",
    "Intervention Code",
    "Service",
    "Quantity",
    "Unit Price (KES)",
    "Amount (KES)",
    "Tariff (KES)",
    "Claim Total (KES)",
)
"""The header row, in the order of the cells of every row."""

CODE_SEPARATOR = "; "


def _codes(document: ClaimDocument, system: str) -> str:
    return CODE_SEPARATOR.join(d.code for d in document.diagnoses if d.code_system == system)


def _claim_cells(document: ClaimDocument) -> list[str]:
    patient = document.patient
    return [
        text_cell(document.facility.sha_facility_id),
        text_cell(document.facility.kmhfl_code),
        text_cell(document.facility.name),
        text_cell(document.number),
        text_cell(document.sha_member_number),
        text_cell(document.sha_principal_number or document.sha_member_number),
        "Dependant" if document.is_dependant else "Principal",
        text_cell(patient.full_name),
        text_cell(patient.op_number),
        patient.sex.value,
        patient.date_of_birth.isoformat() if patient.date_of_birth else "",
        text_cell(patient.national_id),
        document.visit_date.isoformat(),
        text_cell(document.preauthorisation_number),
        text_cell(_codes(document, ICD10)),
        text_cell(_codes(document, ICD11)),
        text_cell(document.clinician.full_name if document.clinician else None),
    ]


def _line_cells(sequence: int, line: ClaimLine) -> list[str]:
    return [
        str(sequence),
        text_cell(line.intervention_code),
        text_cell(line.description),
        str(line.quantity),
        str(decimal_kes_each(line.amount_cents, line.quantity)),
        str(decimal_kes(line.amount_cents)),
        str(decimal_kes(line.tariff_cents)) if line.tariff_cents is not None else "",
    ]


def claim_rows(document: ClaimDocument) -> list[list[str]]:
    """The claim's rows of the CSV, in :data:`COLUMNS`' order."""
    claim = _claim_cells(document)
    total = str(decimal_kes(sum(line.amount_cents for line in document.lines)))
    if not document.lines:
        return [[*claim, *[""] * 7, total]]
    return [
        [*claim, *_line_cells(sequence, line), total]
        for sequence, line in enumerate(document.lines, start=1)
    ]


def batch_csv(documents: Iterable[ClaimDocument]) -> str:
    """The batch's CSV: the header, then each claim's rows in the batch's
    order. Raises InvalidValue for a line of no units."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for document in documents:
        writer.writerows(claim_rows(document))
    return out.getvalue()


def write_batch_csv(documents: Iterable[ClaimDocument], path: Path) -> Path:
    """Write the batch's CSV to ``path``, whole or not at all, in UTF-8 with a
    byte-order mark so Excel reads names like "Wanjirũ" right."""
    return write_whole(path, batch_csv(documents).encode("utf-8-sig"))
