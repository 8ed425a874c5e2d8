"""What the lab's worklist, its result form and the consultation show, as
plain data (no ORM rows cross to the GUI thread)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from clinic.enums import LabStatus, Sex
from clinic.lab.catalogue import LabTest, ResultValue
from clinic.lab.models import LabResult
from clinic.lab.rules import (
    CRITICAL,
    clinic_catalogue,
    patient_band,
    request_patient,
    show_value,
)
from clinic.lab.service import current_results, get_lab_request
from clinic.org.models import User
from clinic.patients.models import Patient
from clinic.rules.vitals import Flag
from clinic.visits.models import LabRequest, Visit


@dataclass(frozen=True)
class WorkItem:
    """One requested test on the lab's worklist."""

    request_id: uuid.UUID
    visit_id: uuid.UUID
    patient_id: uuid.UUID
    op_number: str
    patient_name: str
    sex: str
    date_of_birth: date | None
    test_name: str
    notes: str | None
    requested_at: datetime
    clinician: str
    status: LabStatus
    critical: bool


def lab_worklist(
    session: Session, branch_id: uuid.UUID | None, day: date, *, include_done: bool = False
) -> list[WorkItem]:
    """The tests requested at the branch's visits of ``day`` (all branches
    when ``branch_id`` is None), oldest request first, with the patient and
    the clinician who requested them; those with results too when ``include_done``."""
    clinician = aliased(User)
    query = (
        select(LabRequest, Visit, Patient, clinician.full_name)
        .join(Visit, Visit.id == LabRequest.visit_id)
        .join(Patient, Patient.id == Visit.patient_id)
        .outerjoin(clinician, clinician.id == LabRequest.created_by)
        .where(
            Visit.visit_date == day,
            Visit.deleted_at.is_(None),
            LabRequest.deleted_at.is_(None),
            LabRequest.status != LabStatus.CANCELLED,
        )
        .order_by(LabRequest.created_at, LabRequest.id)
    )
    if branch_id is not None:
        query = query.where(Visit.branch_id == branch_id)
    if not include_done:
        query = query.where(LabRequest.status == LabStatus.REQUESTED)
    rows = session.execute(query).all()
    critical = requests_with_critical_results(session, [r[0].id for r in rows])
    return [
        WorkItem(
            request_id=request.id,
            visit_id=visit.id,
            patient_id=patient.id,
            op_number=patient.op_number,
            patient_name=patient.full_name,
            sex=patient.sex.value,
            date_of_birth=patient.date_of_birth,
            test_name=request.test_name,
            notes=request.notes,
            requested_at=request.created_at,
            clinician=name or "",
            status=request.status,
            critical=request.id in critical,
        )
        for request, visit, patient, name in rows
    ]


def requests_with_critical_results(
    session: Session, request_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    if not request_ids:
        return set()
    return set(
        session.scalars(
            select(LabResult.lab_request_id).where(
                LabResult.lab_request_id.in_(list(request_ids)),
                LabResult.deleted_at.is_(None),
                LabResult.flag.in_([f.value for f in CRITICAL]),
            )
        )
    )


def visits_with_critical_results(
    session: Session, visit_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Of ``visit_ids``, those with a critical lab result (the queue marks them)."""
    if not visit_ids:
        return set()
    return set(
        session.scalars(
            select(LabRequest.visit_id)
            .join(LabResult, LabResult.lab_request_id == LabRequest.id)
            .where(
                LabRequest.visit_id.in_(list(visit_ids)),
                LabRequest.deleted_at.is_(None),
                LabResult.deleted_at.is_(None),
                LabResult.flag.in_([f.value for f in CRITICAL]),
            )
        )
    )


@dataclass(frozen=True)
class ResultLine:
    analyte: str
    label: str
    shown: str
    reference_range: str
    flag: Flag | None
    abnormal: bool
    """Outside the normal range, or a coded value the catalogue marks abnormal."""
    entered_at: datetime
    entered_by: str

    @property
    def critical(self) -> bool:
        return self.flag in CRITICAL


@dataclass(frozen=True)
class RequestResults:
    request_id: uuid.UUID
    test_name: str
    notes: str | None
    status: LabStatus
    results: list[ResultLine]

    @property
    def critical(self) -> bool:
        return any(line.critical for line in self.results)


def _lines(session: Session, test: LabTest, rows: list[LabResult]) -> list[ResultLine]:
    names = dict(
        session.execute(
            select(User.id, User.full_name).where(
                User.id.in_([r.entered_by for r in rows if r.entered_by is not None])
            )
        ).all()
    )
    lines = []
    for row in rows:
        lab_field = test.field(row.analyte)
        value = ResultValue(row.value_number, row.value_code, row.value_text)
        flag = Flag(row.flag) if row.flag else None
        lines.append(
            ResultLine(
                analyte=row.analyte,
                label=lab_field.label,
                shown=show_value(lab_field, value),
                reference_range=row.reference_range or "",
                flag=flag,
                abnormal=(flag is not None and flag != Flag.NORMAL) or lab_field.is_abnormal(value),
                entered_at=row.entered_at,
                entered_by=names.get(row.entered_by, "") if row.entered_by else "",
            )
        )
    return lines


def visit_lab_results(session: Session, visit_id: uuid.UUID) -> list[RequestResults]:
    """A visit's lab requests, each with its results (the consultation shows them)."""
    catalogue = clinic_catalogue(session)
    requests = session.scalars(
        select(LabRequest)
        .where(LabRequest.visit_id == visit_id, LabRequest.deleted_at.is_(None))
        .order_by(LabRequest.created_at, LabRequest.id)
    ).all()
    return [
        RequestResults(
            request_id=request.id,
            test_name=request.test_name,
            notes=request.notes,
            status=request.status,
            results=_lines(
                session,
                catalogue.find(request.test_name),
                current_results(request.id, session=session),
            ),
        )
        for request in requests
    ]


@dataclass(frozen=True)
class ResultSheet:
    """A request as the result form shows it: the test's fields, the
    patient's age and sex that choose their ranges, and what was entered."""

    request_id: uuid.UUID
    visit_id: uuid.UUID
    test: LabTest
    patient_name: str
    op_number: str
    sex: Sex
    date_of_birth: date | None
    age_years: float | None
    notes: str | None
    status: LabStatus
    entered: dict[str, str]
    """What was entered, by field code, as the form's inputs hold it."""
    results: list[ResultLine]


def result_sheet(session: Session, request_id: uuid.UUID) -> ResultSheet:
    """Raises LookupError for an unknown request."""
    request = get_lab_request(request_id, session=session)
    visit, patient = request_patient(session, request)
    age_years, _sex = patient_band(visit, patient)
    test = clinic_catalogue(session).find(request.test_name)
    rows = current_results(request.id, session=session)
    entered = {}
    for row in rows:
        lab_field = test.field(row.analyte)
        if row.value_number is not None:
            entered[row.analyte] = lab_field.show_number(row.value_number)
        else:
            entered[row.analyte] = row.value_code or row.value_text or ""
    return ResultSheet(
        request_id=request.id,
        visit_id=visit.id,
        test=test,
        patient_name=patient.full_name,
        op_number=patient.op_number,
        sex=patient.sex,
        date_of_birth=patient.date_of_birth,
        age_years=age_years,
        notes=request.notes,
        status=request.status,
        entered=entered,
        results=_lines(session, test, rows),
    )
