"""What the queue and the visit screens show, as plain data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.enums import VisitStatus
from clinic.lab.queries import RequestResults, visit_lab_results, visits_with_critical_results
from clinic.patients.merge import record_ids
from clinic.patients.models import Patient
from clinic.visits.models import Amendment, Diagnosis, LabRequest, Prescription, Triage, Visit


@dataclass(frozen=True)
class QueueEntry:
    visit_id: uuid.UUID
    patient_id: uuid.UUID
    op_number: str
    patient_name: str
    sex: str
    date_of_birth: date | None
    queue_position: int | None
    status: VisitStatus
    is_new: bool
    arrived_at: datetime
    signed: bool
    critical_results: bool = False
    """A lab result of the visit is critical: the clinician must see it now."""


def todays_queue(
    session: Session, branch_id: uuid.UUID | None, day: date, *, include_closed: bool = True
) -> list[QueueEntry]:
    """The branch's visits of ``day`` in queue order (all branches when
    ``branch_id`` is None)."""
    query = (
        select(Visit, Patient)
        .join(Patient, Patient.id == Visit.patient_id)
        .where(Visit.visit_date == day, Visit.deleted_at.is_(None))
        .order_by(Visit.queue_position, Visit.created_at)
    )
    if branch_id is not None:
        query = query.where(Visit.branch_id == branch_id)
    if not include_closed:
        query = query.where(Visit.status.not_in([VisitStatus.COMPLETED, VisitStatus.CANCELLED]))
    rows = session.execute(query).all()
    critical = visits_with_critical_results(session, [visit.id for visit, _ in rows])
    return [
        QueueEntry(
            visit_id=visit.id,
            patient_id=patient.id,
            op_number=patient.op_number,
            patient_name=patient.full_name,
            sex=patient.sex.value,
            date_of_birth=patient.date_of_birth,
            queue_position=visit.queue_position,
            status=visit.status,
            is_new=visit.is_new,
            arrived_at=visit.created_at,
            signed=visit.signed_at is not None,
            critical_results=visit.id in critical,
        )
        for visit, patient in rows
    ]


Child = TypeVar("Child", Triage, Diagnosis, Prescription, LabRequest, Amendment)


@dataclass(frozen=True)
class VisitRecord:
    """A visit with everything recorded in it (for the clinical screens;
    the caller decides what the user's role may see)."""

    visit_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    op_number: str
    sex: str
    date_of_birth: date | None
    visit_date: date
    status: VisitStatus
    complaint: str | None
    history: str | None
    examination: str | None
    plan: str | None
    signed_at: datetime | None
    triage: list[Triage]
    diagnoses: list[Diagnosis]
    prescriptions: list[Prescription]
    lab_requests: list[LabRequest]
    amendments: list[Amendment]
    lab_results: list[RequestResults] = field(default_factory=list)
    """Each lab request with its results, for showing beside the request."""


def visit_record(session: Session, visit_id: uuid.UUID) -> VisitRecord:
    """Raises LookupError when there is no such visit. The child rows are
    detached from the session (plain data for the GUI thread)."""
    visit = session.get(Visit, visit_id)
    if visit is None or visit.deleted_at is not None:
        raise LookupError(f"No visit with id {visit_id}")
    patient = session.get(Patient, visit.patient_id)
    assert patient is not None

    def children(model: type[Child]) -> list[Child]:
        rows = list(
            session.scalars(
                select(model)
                .where(model.visit_id == visit_id, model.deleted_at.is_(None))
                .order_by(model.created_at)
            )
        )
        for row in rows:
            session.expunge(row)
        return rows

    return VisitRecord(
        visit_id=visit.id,
        patient_id=patient.id,
        patient_name=patient.full_name,
        op_number=patient.op_number,
        sex=patient.sex.value,
        date_of_birth=patient.date_of_birth,
        visit_date=visit.visit_date,
        status=visit.status,
        complaint=visit.complaint,
        history=visit.history,
        examination=visit.examination,
        plan=visit.plan,
        signed_at=visit.signed_at,
        triage=children(Triage),
        diagnoses=children(Diagnosis),
        prescriptions=children(Prescription),
        lab_requests=children(LabRequest),
        amendments=children(Amendment),
        lab_results=visit_lab_results(session, visit_id),
    )


@dataclass(frozen=True)
class VisitSummary:
    visit_id: uuid.UUID
    visit_date: date
    status: VisitStatus
    is_new: bool
    diagnoses: str


def patient_visits(session: Session, patient_id: uuid.UUID) -> list[VisitSummary]:
    """A patient's visits, newest first, with their diagnosis codes."""
    visits = session.scalars(
        select(Visit)
        .where(
            Visit.patient_id.in_(record_ids(patient_id)),
            Visit.deleted_at.is_(None),
        )
        .order_by(Visit.visit_date.desc())
    ).all()
    codes: dict[uuid.UUID, list[str]] = {}
    if visits:
        for visit_id, code in session.execute(
            select(Diagnosis.visit_id, Diagnosis.code).where(
                Diagnosis.visit_id.in_([v.id for v in visits]), Diagnosis.deleted_at.is_(None)
            )
        ):
            codes.setdefault(visit_id, []).append(code)
    return [
        VisitSummary(v.id, v.visit_date, v.status, v.is_new, ", ".join(codes.get(v.id, [])))
        for v in visits
    ]
