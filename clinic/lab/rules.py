"""What a lab result must be: a value its test allows, flagged against the
patient's reference band. Called by the result service, by the server's
sync apply (through the registry, :mod:`clinic.journal.entities`) and by the
result entry form as the technician types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.enums import Sex
from clinic.errors import FieldError, InvalidValue, ValidationFailed
from clinic.lab.catalogue import (
    Catalogue,
    LabField,
    LabTest,
    ResultValue,
    coded_text,
    lab_catalogue,
    parse_test,
)
from clinic.lab.models import LabTestOverride
from clinic.patients.models import Patient
from clinic.rules.ages import years_of_age
from clinic.rules.vitals import Flag
from clinic.visits.models import LabRequest, Visit

CRITICAL = frozenset({Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH})


@dataclass(frozen=True)
class AssessedResult:
    """One result as it is stored: its value, the patient's normal range
    and the flag the value has against it."""

    field: LabField
    value: ResultValue
    flag: Flag | None
    reference_range: str

    @property
    def critical(self) -> bool:
        return self.flag in CRITICAL

    def shown(self) -> str:
        return show_value(self.field, self.value)


def show_value(lab_field: LabField, value: ResultValue) -> str:
    """A result as staff read it: ``6.2 g/dL``, ``Positive``, the text."""
    if value.number is not None:
        number = lab_field.show_number(value.number)
        if not lab_field.unit:
            return number
        return f"{number}%" if lab_field.unit == "%" else f"{number} {lab_field.unit}"
    if value.code is not None:
        return coded_text(value.code)
    return value.text or ""


def assess_results(
    test: LabTest,
    values: Mapping[str, object],
    *,
    age_years: float | None,
    sex: Sex | str | None,
) -> list[AssessedResult]:
    """The results of ``test`` from what was typed or sent (by field code),
    in the catalogue's order; blanks are skipped. Raises ValidationFailed
    listing every unknown field, unreadable value and missing required result."""
    errors: list[FieldError] = []
    known = {f.code for f in test.fields}
    for name in values:
        if name not in known:
            errors.append(FieldError(str(name)[:40], f"{test.name} has no result '{name}'"))
    assessed: list[AssessedResult] = []
    for lab_field in test.fields:
        try:
            value = lab_field.read(values.get(lab_field.code))
        except InvalidValue as error:
            errors.append(FieldError(error.field, error.reason))
            continue
        if value is None:
            if lab_field.required:
                errors.append(FieldError(lab_field.code, f"Enter the {lab_field.label.lower()}"))
            continue
        assessed.append(
            AssessedResult(
                lab_field,
                value,
                lab_field.flag(value, age_years, sex),
                lab_field.range_text(age_years, sex),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return assessed


def clinic_catalogue(session: Session) -> Catalogue:
    """The shipped catalogue with the clinic's own versions of its tests
    (:class:`LabTestOverride`; of two of one code, the later written)."""
    rows = session.scalars(
        select(LabTestOverride)
        .where(LabTestOverride.deleted_at.is_(None))
        .order_by(LabTestOverride.updated_at, LabTestOverride.id)
    )
    latest = {row.code: row.definition for row in rows}
    return lab_catalogue().with_tests(parse_test(d) for d in latest.values())


def request_patient(session: Session, request: LabRequest) -> tuple[Visit, Patient]:
    visit = session.get(Visit, request.visit_id)
    patient = session.get(Patient, visit.patient_id) if visit is not None else None
    if visit is None or patient is None:
        raise LookupError(f"No visit for lab request {request.id}")
    return visit, patient


def patient_band(visit: Visit, patient: Patient) -> tuple[float | None, Sex]:
    """The age (on the visit's day) and sex that choose the reference bands."""
    return years_of_age(patient.date_of_birth, visit.visit_date), patient.sex


def check_result_row(session: Session, values: Mapping[str, Any]) -> None:
    """A result row as a device sent it: on a live request, a field of its
    test, one value it allows, and the unit, range and flag that value has
    for the patient (the server recomputes them rather than trust them).
    Raises InvalidValue."""
    request = session.get(LabRequest, values.get("lab_request_id"))
    if request is None or request.deleted_at is not None:
        raise InvalidValue("lab_request_id", "There is no such lab request")
    test = clinic_catalogue(session).find(request.test_name)
    lab_field = test.field(str(values.get("analyte")))
    sent = [values.get(k) for k in ("value_number", "value_code", "value_text")]
    given = [v for v in sent if v is not None]
    if len(given) != 1:
        raise InvalidValue(lab_field.code, f"{lab_field.label}: give exactly one value")
    value = lab_field.read(given[0])
    if value is None or (value.number, value.code, value.text) != tuple(sent):
        raise InvalidValue(
            lab_field.code, f"{lab_field.label}: the value is not in its checked form"
        )
    age_years, sex = patient_band(*request_patient(session, request))
    flag = lab_field.flag(value, age_years, sex)
    expected = {
        "unit": lab_field.unit or None,
        "reference_range": lab_field.range_text(age_years, sex) or None,
        "flag": flag.value if flag is not None else None,
    }
    for name, want in expected.items():
        if values.get(name) != want:
            raise InvalidValue(
                name, f"{lab_field.label}: the {name.replace('_', ' ')} should be {want!r}"
            )
