"""Visits: everyone reads the list; each role reads and writes its part of
the record (DESIGN.md's tables, in ``clinic.permissions``). Writes go to the
caller's own branch; an admin without a branch acts for all."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.clock import clinic_today
from clinic.enums import VisitStatus
from clinic.journal.service import record_audit
from clinic.org.models import Branch
from clinic.permissions import Data, may_read
from clinic.visits.models import Diagnosis, LabRequest, Prescription, Triage, Visit
from clinic.visits.service import (
    ConsultationNotes,
    LabRequestInput,
    PrescriptionInput,
    amend_visit,
    amendments,
    get_visit,
    move_visit,
    open_visit,
    record_consultation,
    record_triage,
    sign_visit,
)
from server.deps import Caller, CurrentUser, DbSession, working_branch, writer_of
from server.errors import forbidden
from server.schemas import (
    AmendmentIn,
    AmendmentOut,
    ConsultationIn,
    DiagnosisOut,
    LabRequestOut,
    PrescriptionOut,
    TriageIn,
    TriageOut,
    VisitDetailOut,
    VisitMove,
    VisitOpen,
    VisitOut,
)

router = APIRouter(prefix="/api/visits", tags=["visits"])

Reception = Annotated[Caller, Depends(writer_of(Data.VISITS))]
Nurse = Annotated[Caller, Depends(writer_of(Data.VITALS))]
Clinician = Annotated[Caller, Depends(writer_of(Data.CLINICAL_NOTES))]
ERRORS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


def _branch_id(session: Session, caller: Caller, code: str | None) -> uuid.UUID:
    return working_branch(session, caller, code, doing="open visits")


def _own_branch_visit(session: Session, caller: Caller, visit_id: uuid.UUID) -> Visit:
    visit = get_visit(visit_id, session=session)
    if caller.branch_id is not None and visit.branch_id != caller.branch_id:
        raise forbidden("This visit belongs to another branch")
    return visit


@router.get("", response_model=list[VisitOut], responses={401: {}, 403: {}, 422: {}})
def list_visits(
    caller: CurrentUser,
    session: DbSession,
    visit_date: Annotated[date | None, Query(alias="date")] = None,
    branch_code: Annotated[str | None, Query(max_length=16)] = None,
    status: VisitStatus | None = None,
    patient_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[VisitOut]:
    """Visits of a day (today by default), in queue order."""
    query = select(Visit).where(Visit.deleted_at.is_(None))
    if patient_id is not None:
        query = query.where(Visit.patient_id == patient_id)
        if visit_date is not None:
            query = query.where(Visit.visit_date == visit_date)
    else:
        query = query.where(Visit.visit_date == (visit_date or clinic_today()))
    if branch_code is not None:
        query = query.join(Branch, Branch.id == Visit.branch_id).where(Branch.code == branch_code)
    if status is not None:
        query = query.where(Visit.status == status)
    query = query.order_by(Visit.visit_date.desc(), Visit.queue_position).limit(limit)
    return [VisitOut.model_validate(v) for v in session.scalars(query)]


Child = TypeVar("Child", Triage, Diagnosis, Prescription, LabRequest)


def _children(session: Session, model: type[Child], visit_id: uuid.UUID) -> list[Child]:
    return list(
        session.scalars(
            select(model)
            .where(model.visit_id == visit_id, model.deleted_at.is_(None))
            .order_by(model.created_at)
        )
    )


def _detail(session: Session, caller: Caller, visit: Visit) -> VisitDetailOut:
    # Start from what everyone may read: validating the row itself would
    # copy its clinical notes into the answer whatever the role.
    detail = VisitDetailOut.model_validate(VisitOut.model_validate(visit).model_dump())
    role = caller.role
    shown: list[str] = []
    if may_read(role, Data.CLINICAL_NOTES):
        detail.complaint, detail.history = visit.complaint, visit.history
        detail.examination, detail.plan = visit.examination, visit.plan
        detail.amendments = [
            AmendmentOut.model_validate(a) for a in amendments(visit.id, session=session)
        ]
        shown.append("clinical_notes")
    if may_read(role, Data.DIAGNOSES):
        detail.clinician_id = visit.clinician_id
        detail.diagnoses = [
            DiagnosisOut.model_validate(d) for d in _children(session, Diagnosis, visit.id)
        ]
        shown.append("diagnoses")
    if may_read(role, Data.VITALS):
        detail.triage = [TriageOut.model_validate(t) for t in _children(session, Triage, visit.id)]
        shown.append("vitals")
    if may_read(role, Data.PRESCRIPTIONS):
        detail.prescriptions = [
            PrescriptionOut.model_validate(p) for p in _children(session, Prescription, visit.id)
        ]
        shown.append("prescriptions")
    if may_read(role, Data.LAB_REQUESTS):
        detail.lab_requests = [
            LabRequestOut.model_validate(x) for x in _children(session, LabRequest, visit.id)
        ]
        shown.append("lab_requests")
    if shown:
        record_audit(
            session,
            caller.actor(),
            action="read_clinical_record",
            entity="visits",
            entity_id=visit.id,
            after={"parts": shown},
        )
        session.commit()
    return detail


@router.get("/{visit_id}", response_model=VisitDetailOut, responses={401: {}, 403: {}, 404: {}})
def read_visit(visit_id: uuid.UUID, caller: CurrentUser, session: DbSession) -> VisitDetailOut:
    """A visit with the parts of its record the caller's role may read;
    reading clinical parts is recorded in the audit log."""
    return _detail(session, caller, get_visit(visit_id, session=session))


@router.post("", response_model=VisitOut, status_code=201, responses=ERRORS)
def create_visit(body: VisitOpen, caller: Reception, session: DbSession) -> VisitOut:
    """Open today's visit for a patient and queue them."""
    branch_id = _branch_id(session, caller, body.branch_code)
    visit = open_visit(
        body.patient_id, session=session, actor=caller.actor(branch_id), today=clinic_today()
    )
    session.commit()
    return VisitOut.model_validate(visit)


@router.post("/{visit_id}/status", response_model=VisitOut, responses=ERRORS)
def change_status(
    visit_id: uuid.UUID, body: VisitMove, caller: CurrentUser, session: DbSession
) -> VisitOut:
    """Move a visit on; which roles make which move is the visit workflow's."""
    _own_branch_visit(session, caller, visit_id)
    visit = move_visit(
        visit_id, body.status, session=session, actor=caller.actor(), reason=body.reason
    )
    session.commit()
    return VisitOut.model_validate(visit)


@router.post("/{visit_id}/triage", response_model=TriageOut, status_code=201, responses=ERRORS)
def add_triage(visit_id: uuid.UUID, body: TriageIn, caller: Nurse, session: DbSession) -> TriageOut:
    """Record vitals; critical readings need ``confirm_critical``."""
    _own_branch_visit(session, caller, visit_id)
    readings = body.model_dump(exclude={"confirm_critical", "notes"})
    triage = record_triage(
        visit_id,
        readings,
        session=session,
        actor=caller.actor(),
        confirm_critical=body.confirm_critical,
        notes=body.notes,
    )
    session.commit()
    return TriageOut.model_validate(triage)


@router.put("/{visit_id}/consultation", response_model=VisitDetailOut, responses=ERRORS)
def save_consultation(
    visit_id: uuid.UUID, body: ConsultationIn, caller: Clinician, session: DbSession
) -> VisitDetailOut:
    """Save the consultation draft (replacing the previous draft)."""
    _own_branch_visit(session, caller, visit_id)
    notes = ConsultationNotes(
        complaint=body.complaint,
        history=body.history,
        examination=body.examination,
        plan=body.plan,
        diagnoses=body.diagnoses,
        prescriptions=[PrescriptionInput(**p.model_dump()) for p in body.prescriptions],
        lab_requests=[LabRequestInput(**x.model_dump()) for x in body.lab_requests],
    )
    visit = record_consultation(visit_id, notes, session=session, actor=caller.actor())
    session.commit()
    return _detail(session, caller, visit)


@router.post("/{visit_id}/sign", response_model=VisitOut, responses=ERRORS)
def sign(visit_id: uuid.UUID, caller: Clinician, session: DbSession) -> VisitOut:
    _own_branch_visit(session, caller, visit_id)
    visit = sign_visit(visit_id, session=session, actor=caller.actor())
    session.commit()
    return VisitOut.model_validate(visit)


@router.post(
    "/{visit_id}/amendments", response_model=AmendmentOut, status_code=201, responses=ERRORS
)
def amend(
    visit_id: uuid.UUID, body: AmendmentIn, caller: Clinician, session: DbSession
) -> AmendmentOut:
    """Amend a signed visit's note; the signed text is kept."""
    _own_branch_visit(session, caller, visit_id)
    amendment = amend_visit(
        visit_id, body.field, body.new_value, body.reason, session=session, actor=caller.actor()
    )
    session.commit()
    return AmendmentOut.model_validate(amendment)
