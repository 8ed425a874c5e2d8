"""ClaimDocuments for the tests of what is made from one (the FHIR bundle, the
SHA CSV, the SHA invoice): a malaria visit at the Main branch billed to SHA,
varied with keywords. The documents are plain data, as ``load_claim_document``
returns them; the tests that read them from a store build the claim there."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from clinic.claims.document import (
    ClaimDiagnosis,
    ClaimDocument,
    ClaimLine,
    ClaimPatient,
    Clinician,
    Facility,
)
from clinic.enums import ClaimStatus, Sex
from clinic.rules.diagnoses import ICD10, ICD11

MAIN = Facility(
    code="MAIN", name="Main branch", kmhfl_code="23157", sha_facility_id="FID-47-123456-7"
)
MARY = ClaimPatient(
    id=uuid.UUID("5a0f3c64-1d8e-4f55-9a2e-6f1b3c1d0a01"),
    op_number="OP-2026-000123-3",
    first_name="Mary",
    middle_name="Wanjiru",
    last_name="Otieno",
    sex=Sex.FEMALE,
    date_of_birth=date(1990, 3, 14),
    national_id="23456789",
    phone="0712345678",
)
DR_KAMAU = Clinician(
    id=uuid.UUID("0c7d9a10-33e2-4b7f-8d41-2a9e6c5b7f02"),
    full_name="Dr James Kamau",
    username="jkamau",
)
MALARIA = ClaimDiagnosis(ICD10, "B54", "Unspecified malaria", is_primary=True)
MALARIA_ICD11 = ClaimDiagnosis(ICD11, "1F4Z", "", is_primary=False)
ANAEMIA = ClaimDiagnosis(ICD10, "D64.9", "Anaemia, unspecified", is_primary=False)


def claim_line(
    code: str,
    description: str,
    quantity: int,
    amount_cents: int,
    tariff_cents: int | None = None,
) -> ClaimLine:
    return ClaimLine(uuid.uuid4(), description, code, quantity, amount_cents, tariff_cents)


def default_lines() -> tuple[ClaimLine, ...]:
    """A consultation, a malaria test and a course of tablets: KES 1,250.00."""
    return (
        claim_line("SHA-01-001", "Outpatient consultation", 1, 500_00, 500_00),
        claim_line("SHA-03-014", "Malaria rapid diagnostic test", 1, 250_00, 300_00),
        claim_line("SHA-12-004", "Artemether/lumefantrine 20/120 mg tablets", 4, 500_00),
    )


def claim_document(
    *,
    dependant: bool = False,
    lines: Sequence[ClaimLine] | None = None,
    diagnoses: Sequence[ClaimDiagnosis] = (MALARIA, MALARIA_ICD11),
    clinician: Clinician | None = DR_KAMAU,
    patient: ClaimPatient = MARY,
    facility: Facility = MAIN,
    status: ClaimStatus = ClaimStatus.READY,
    visit_date: date = date(2026, 11, 30),
    preauthorisation_number: str | None = None,
) -> ClaimDocument:
    """A claim for Mary Otieno's malaria visit: her own SHA cover, or as a
    ``dependant`` on her husband's; ``lines`` default to :func:`default_lines`."""
    lines = default_lines() if lines is None else tuple(lines)
    total = sum(line.amount_cents for line in lines)
    return ClaimDocument(
        id=uuid.uuid4(),
        status=status,
        branch_id=uuid.UUID("b7e1c2d3-4f5a-4b6c-8d7e-9f0a1b2c3d04"),
        batch_id=None,
        visit_id=uuid.uuid4(),
        invoice_id=uuid.uuid4(),
        sha_member_number="CR1234567890123-4",
        sha_principal_number="CR9876543210987-6" if dependant else None,
        preauthorisation_number=preauthorisation_number,
        facility=facility,
        patient=patient,
        clinician=clinician,
        visit_date=visit_date,
        visit_signed_at=datetime(2026, 11, 30, 7, 45, tzinfo=UTC),
        diagnoses=tuple(diagnoses),
        lines=lines,
        invoice_total_cents=total,
        claimed_cents=total,
        approved_cents=None,
        paid_cents=None,
        rejection_reason=None,
        created_at=datetime(2026, 11, 30, 8, 5, tzinfo=UTC),
        submitted_at=None,
        paid_on=None,
        payment_reference=None,
    )


def named(document: ClaimDocument, **names: Any) -> ClaimDocument:
    """``document`` with its patient's names (first_name, last_name, ...) changed."""
    return replace(document, patient=replace(document.patient, **names))
