"""The completeness check, rule by rule: a complete claim has nothing
missing, and each defect brings exactly its own item, saying what to fix
and where."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from clinic.claims.completeness import SUBMISSION_WINDOW_DAYS, FixIn, missing
from clinic.claims.document import (
    ClaimDiagnosis,
    ClaimDocument,
    ClaimLine,
    ClaimPatient,
    Clinician,
    Facility,
)
from clinic.enums import ClaimStatus, Sex
from clinic.rules.sha import canonical_sha_member_number, is_sha_member_number

VISIT_DAY = date(2026, 11, 20)
TODAY = date(2026, 11, 26)


def line(**changes: object) -> ClaimLine:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "description": "Consultation (new)",
        "intervention_code": "SHA-PHC-OP-001",
        "quantity": 1,
        "amount_cents": 500_00,
        "tariff_cents": 500_00,
    }
    return ClaimLine(**(values | changes))  # type: ignore[arg-type]


def complete(**changes: object) -> ClaimDocument:
    document = ClaimDocument(
        id=uuid.uuid4(),
        status=ClaimStatus.DRAFT,
        branch_id=uuid.uuid4(),
        batch_id=None,
        visit_id=uuid.uuid4(),
        invoice_id=uuid.uuid4(),
        sha_member_number="CR4082193652041-7",
        sha_principal_number=None,
        preauthorisation_number=None,
        facility=Facility("MAIN", "Seth Clinic Kayole", "23141", "FID-47-23141-1"),
        patient=ClaimPatient(
            id=uuid.uuid4(),
            op_number="OP-2026-000123-3",
            first_name="Mary",
            middle_name=None,
            last_name="Otieno",
            sex=Sex.FEMALE,
            date_of_birth=date(1990, 5, 17),
            national_id="23456789",
            phone="+254712345678",
        ),
        clinician=Clinician(uuid.uuid4(), "Brian Kiprono", "clinician"),
        visit_date=VISIT_DAY,
        visit_signed_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        diagnoses=(ClaimDiagnosis("ICD-10", "B54", "Unspecified malaria", True),),
        lines=(line(), line(description="Malaria RDT", amount_cents=200_00, tariff_cents=None)),
        invoice_total_cents=700_00,
        claimed_cents=700_00,
        approved_cents=None,
        paid_cents=None,
        rejection_reason=None,
        created_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
        submitted_at=None,
        paid_on=None,
        payment_reference=None,
    )
    return replace(document, **changes)  # type: ignore[arg-type]


def codes(document: ClaimDocument, today: date = TODAY) -> list[str]:
    return [item.code for item in missing(document, today=today)]


def test_a_complete_claim_misses_nothing() -> None:
    assert missing(complete(), today=TODAY) == []


@pytest.mark.parametrize(
    ("number", "canonical"),
    [
        ("CR4082193652041-7", "CR4082193652041-7"),
        ("cr 4082193652041 7", "CR4082193652041-7"),
        ("CR40821936520417", "CR4082193652041-7"),
        ("CR408219365204-7", None),  # 12 digits before the check digit
        ("4082193652041", None),  # an old NHIF-style number
        ("CR4082193652041-X", None),
        ("", None),
        (None, None),
    ],
)
def test_the_sha_number_form(number: str | None, canonical: str | None) -> None:
    assert canonical_sha_member_number(number) == canonical
    assert is_sha_member_number(number) is (canonical is not None)


def test_no_sha_number() -> None:
    found = missing(complete(sha_member_number=""), today=TODAY)
    assert [(m.code, m.fix_in) for m in found] == [("no_sha_number", FixIn.PATIENT)]
    assert "SHA number" in found[0].message


def test_a_number_of_the_wrong_form() -> None:
    found = missing(complete(sha_member_number="12345678"), today=TODAY)
    assert [(m.code, m.fix_in) for m in found] == [("sha_number_form", FixIn.PATIENT)]
    assert "'12345678'" in found[0].message and "CR4082193652041-7" in found[0].message


def test_a_dependant_without_the_principals_number() -> None:
    child = replace(complete().patient, date_of_birth=date(2019, 3, 1))
    assert codes(complete(patient=child)) == ["no_principal_number"]
    assert missing(complete(patient=child), today=TODAY)[0].fix_in == FixIn.PATIENT
    with_parent = complete(patient=child, sha_principal_number="CR1111111111111-1")
    assert codes(with_parent) == []
    turned_eighteen = replace(child, date_of_birth=date(2008, 11, 20))
    assert codes(complete(patient=turned_eighteen)) == []


def test_a_principal_number_of_the_wrong_form() -> None:
    assert codes(complete(sha_principal_number="NHIF-123")) == ["principal_number_form"]


def test_no_diagnosis() -> None:
    found = missing(complete(diagnoses=()), today=TODAY)
    assert [(m.code, m.fix_in) for m in found] == [("no_diagnosis", FixIn.CONSULTATION)]


def test_a_line_without_an_intervention_code_names_the_line() -> None:
    lines = (line(), line(description="Widal test", intervention_code=""))
    found = missing(complete(lines=lines), today=TODAY)
    assert [(m.code, m.fix_in) for m in found] == [("line_without_code", FixIn.PRICE_LIST)]
    assert "Widal test" in found[0].message


def test_a_line_above_the_tariff_where_one_is_set() -> None:
    above = line(
        description="Full haemogram", quantity=2, amount_cents=1200_00, tariff_cents=500_00
    )
    found = missing(complete(lines=(above,)), today=TODAY)
    assert [(m.code, m.fix_in) for m in found] == [("above_tariff", FixIn.PRICE_LIST)]
    assert "KES 1,200.00" in found[0].message and "KES 1,000.00" in found[0].message
    at_tariff = line(quantity=2, amount_cents=1000_00, tariff_cents=500_00)
    no_tariff = line(amount_cents=10_000_00, tariff_cents=None)
    assert codes(complete(lines=(at_tariff, no_tariff))) == []


def test_the_visit_not_signed() -> None:
    found = missing(complete(visit_signed_at=None), today=TODAY)
    assert [(m.code, m.fix_in) for m in found] == [("not_signed", FixIn.CONSULTATION)]


def test_older_than_the_submission_window() -> None:
    last_day = VISIT_DAY + timedelta(days=SUBMISSION_WINDOW_DAYS)
    assert codes(complete(), today=last_day) == []
    found = missing(complete(), today=last_day + timedelta(days=1))
    assert [(m.code, m.fix_in) for m in found] == [("too_late", FixIn.CLAIM)]
    assert f"{SUBMISSION_WINDOW_DAYS + 1} days ago" in found[0].message


def test_no_lines_and_nothing_claimed() -> None:
    assert codes(complete(lines=())) == ["no_lines"]
    assert codes(complete(claimed_cents=0)) == ["nothing_claimed"]


def test_every_defect_at_once_is_listed_each_once() -> None:
    document = complete(
        sha_member_number="",
        diagnoses=(),
        visit_signed_at=None,
        lines=(line(intervention_code="", amount_cents=900_00),),
    )
    assert codes(document, TODAY + timedelta(days=200)) == [
        "no_sha_number",
        "no_diagnosis",
        "not_signed",
        "line_without_code",
        "above_tariff",
        "too_late",
    ]
