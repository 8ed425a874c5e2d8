"""Visits from the queue to the signature.

Reception opens (one visit per patient per day), queues and cancels; the
nurse records triage; the clinical officer records the consultation and signs;
after signing, notes change only by amendments that keep the original.
Services take the session as a keyword; the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import utcnow
from clinic.enums import LabStatus, VisitStatus
from clinic.errors import FieldError, InvalidValue, NotAllowed, ValidationFailed
from clinic.journal.service import record_delete, record_insert, record_update, snapshot
from clinic.patients.merge import record_ids
from clinic.patients.models import Patient
from clinic.patients.service import get_patient
from clinic.rules.ages import years_of_age
from clinic.rules.diagnoses import Diagnosis as CodedDiagnosis
from clinic.rules.diagnoses import check_icd10, check_icd11_format
from clinic.rules.vitals import assess_vitals
from clinic.visits.models import Amendment, Diagnosis, LabRequest, Prescription, Triage, Visit
from clinic.visits.rules import check_visit_move

S = VisitStatus
CLOSED = frozenset({S.COMPLETED, S.CANCELLED})

AMENDABLE_FIELDS = ("complaint", "history", "examination", "plan")


@dataclass
class PrescriptionInput:
    drug: str
    dose: str
    frequency: str
    duration: str
    quantity: int
    instructions: str | None = None


@dataclass
class LabRequestInput:
    test_name: str
    notes: str | None = None


@dataclass
class ConsultationNotes:
    """A draft of the consultation; saving it again replaces the draft.
    ``diagnoses`` are codes: ICD-10 by default, ``ICD-11:1A00`` for ICD-11."""

    complaint: str | None = None
    history: str | None = None
    examination: str | None = None
    plan: str | None = None
    diagnoses: list[str] = field(default_factory=list)
    prescriptions: list[PrescriptionInput] = field(default_factory=list)
    lab_requests: list[LabRequestInput] = field(default_factory=list)


def get_visit(visit_id: uuid.UUID, *, session: Session) -> Visit:
    visit = session.get(Visit, visit_id)
    if visit is None or visit.deleted_at is not None:
        raise LookupError(f"No visit with id {visit_id}")
    return visit


def _describe(patient: Patient) -> str:
    return f"{patient.full_name} ({patient.op_number})"


def is_new_this_year(session: Session, patient_id: uuid.UUID, visit_date: date) -> bool:
    """Whether a visit on ``visit_date`` is the patient's first of that
    calendar year (the MOH 705 "new" attendance)."""
    earlier = session.scalar(
        select(func.count())
        .select_from(Visit)
        .where(
            Visit.patient_id.in_(record_ids(patient_id)),
            Visit.visit_date >= date(visit_date.year, 1, 1),
            Visit.visit_date < visit_date,
            Visit.status != S.CANCELLED,
            Visit.deleted_at.is_(None),
        )
    )
    return not earlier


def open_visit(patient_id: uuid.UUID, *, session: Session, actor: Actor, today: date) -> Visit:
    """Open today's visit for a patient at the actor's branch and put them at
    the end of the queue. Raises NotAllowed when the patient already has a
    visit today that is not cancelled, or was merged into another patient."""
    patient = get_patient(patient_id, session=session)
    if patient.merged_into is not None:
        raise NotAllowed(f"{_describe(patient)} was merged into another patient; open that one")
    if actor.branch_id is None:
        raise NotAllowed("Choose a branch first: a visit belongs to a branch")
    existing = session.scalar(
        select(Visit).where(
            Visit.patient_id == patient_id,
            Visit.visit_date == today,
            Visit.status != S.CANCELLED,
            Visit.deleted_at.is_(None),
        )
    )
    if existing is not None:
        raise NotAllowed(f"{_describe(patient)} already has a visit today; open that one")
    last_in_queue = session.scalar(
        select(func.max(Visit.queue_position)).where(
            Visit.branch_id == actor.branch_id, Visit.visit_date == today
        )
    )
    visit = Visit(
        patient_id=patient_id,
        branch_id=actor.branch_id,
        visit_date=today,
        is_new=is_new_this_year(session, patient_id, today),
        status=S.REGISTERED,
        queue_position=(last_in_queue or 0) + 1,
    )
    record_insert(session, actor, visit, action="open_visit")
    return visit


def move_visit(
    visit_id: uuid.UUID,
    to_status: VisitStatus,
    *,
    session: Session,
    actor: Actor,
    reason: str | None = None,
) -> Visit:
    """Move a visit to its next status. Raises NotAllowed for a move that
    does not exist or that the actor's role does not make; a cancellation
    needs a reason."""
    visit = get_visit(visit_id, session=session)
    if visit.status == to_status:
        raise NotAllowed(f"The visit is {to_status.value} already")
    check_visit_move(actor.role, visit.status, to_status)
    if to_status == S.CANCELLED and not (reason and reason.strip()):
        raise ValidationFailed([FieldError("reason", "Say why the visit is cancelled")])
    before = snapshot(visit)
    visit.status = to_status
    if to_status == S.CANCELLED:
        visit.cancel_reason = reason.strip() if reason else None
    record_update(session, actor, visit, before, action=f"visit_{to_status.value.lower()}")
    return visit


class CriticalVitals(NotAllowed):
    """Critical readings were entered without confirming them; ``names`` lists them."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("Critical readings need confirming: " + ", ".join(names))
        self.names = names


def record_triage(
    visit_id: uuid.UUID,
    readings: Mapping[str, float | None],
    *,
    session: Session,
    actor: Actor,
    confirm_critical: bool = False,
    notes: str | None = None,
) -> Triage:
    """Record vital signs, flagged against the patient's age; BMI computed.
    Raises ValidationFailed for impossible readings and CriticalVitals when a
    critical reading was not confirmed. A registered visit becomes TRIAGED."""
    visit = get_visit(visit_id, session=session)
    if visit.status in CLOSED:
        raise NotAllowed(f"The visit is {visit.status.value}; vitals cannot be added")
    patient = get_patient(visit.patient_id, session=session)
    assessment = assess_vitals(
        readings, age_years=years_of_age(patient.date_of_birth, visit.visit_date)
    )
    if assessment.critical and not confirm_critical:
        raise CriticalVitals(assessment.critical)
    triage = Triage(
        visit_id=visit.id,
        **{k: v for k, v in readings.items() if v is not None},
        bmi=assessment.bmi,
        flags={k: v.value for k, v in assessment.flags.items()},
        critical_confirmed=bool(assessment.critical),
        notes=notes,
    )
    record_insert(session, actor, triage, action="record_triage")
    if visit.status == S.REGISTERED:
        before = snapshot(visit)
        visit.status = S.TRIAGED
        record_update(session, actor, visit, before, action="visit_triaged")
    return triage


def check_diagnosis(code: str) -> CodedDiagnosis:
    """An ICD-10 code checked against the WHO list, or ``ICD-11:<code>``
    checked for its format."""
    text = code.strip()
    if text.upper().startswith("ICD-11:"):
        return check_icd11_format(text[7:], "diagnoses")
    return check_icd10(text, "diagnoses")


def _check_notes(notes: ConsultationNotes) -> list[CodedDiagnosis]:
    errors: list[FieldError] = []
    coded: list[CodedDiagnosis] = []
    for code in notes.diagnoses:
        try:
            coded.append(check_diagnosis(code))
        except InvalidValue as error:
            errors.append(FieldError(error.field, error.reason))
    for index, p in enumerate(notes.prescriptions, start=1):
        for name in ("drug", "dose", "frequency", "duration"):
            if not str(getattr(p, name) or "").strip():
                errors.append(FieldError(f"prescriptions[{index}].{name}", f"Give the {name}"))
        if not isinstance(p.quantity, int) or p.quantity <= 0:
            errors.append(
                FieldError(
                    f"prescriptions[{index}].quantity", "Quantity must be a whole number above 0"
                )
            )
    for index, lab in enumerate(notes.lab_requests, start=1):
        if not lab.test_name.strip():
            errors.append(FieldError(f"lab_requests[{index}].test_name", "Name the test"))
    if errors:
        raise ValidationFailed(errors)
    return coded


VisitChild = Diagnosis | Prescription | LabRequest
VISIT_CHILDREN: tuple[type[VisitChild], ...] = (Diagnosis, Prescription, LabRequest)


def _current_children(
    session: Session, visit_id: uuid.UUID, model: type[VisitChild]
) -> Sequence[VisitChild]:
    return cast(
        Sequence[VisitChild],
        session.scalars(
            select(model).where(model.visit_id == visit_id, model.deleted_at.is_(None))
        ).all(),
    )


def _replace_children(
    session: Session,
    actor: Actor,
    model: type[VisitChild],
    old_rows: Sequence[VisitChild],
    new_rows: Sequence[VisitChild],
) -> None:
    table = model.__tablename__
    for old in old_rows:
        record_delete(session, actor, old, action=f"remove_{table}")
    for row in new_rows:
        record_insert(session, actor, row, action=f"add_{table}")


def record_consultation(
    visit_id: uuid.UUID, notes: ConsultationNotes, *, session: Session, actor: Actor
) -> Visit:
    """Save the consultation as a draft (diagnoses, prescriptions and lab
    requests replace the previous draft's). Raises NotAllowed on a signed or
    closed visit (amend a signed one) and ValidationFailed for bad input."""
    visit = get_visit(visit_id, session=session)
    if visit.signed_at is not None:
        raise NotAllowed("The visit is signed; change it with an amendment")
    if visit.status in CLOSED:
        raise NotAllowed(f"The visit is {visit.status.value}")
    coded = _check_notes(notes)
    # The draft's rows are read before anything changes, so that the changes
    # are flushed together at the commit.
    drafted = {model: _current_children(session, visit.id, model) for model in VISIT_CHILDREN}
    before = snapshot(visit)
    for name in AMENDABLE_FIELDS:
        value = getattr(notes, name)
        setattr(visit, name, value.strip() if value and value.strip() else None)
    if visit.status in (S.REGISTERED, S.TRIAGED, S.WAITING_CONSULTATION):
        visit.status = S.IN_CONSULTATION
    visit.clinician_id = actor.user_id
    record_update(session, actor, visit, before, action="record_consultation")
    _replace_children(
        session,
        actor,
        Diagnosis,
        drafted[Diagnosis],
        [
            Diagnosis(
                visit_id=visit.id,
                code_system=d.system,
                code=d.code,
                description=d.description,
                is_primary=i == 0,
            )
            for i, d in enumerate(coded)
        ],
    )
    _replace_children(
        session,
        actor,
        Prescription,
        drafted[Prescription],
        [
            Prescription(
                visit_id=visit.id,
                drug=p.drug.strip(),
                dose=p.dose.strip(),
                frequency=p.frequency.strip(),
                duration=p.duration.strip(),
                quantity=p.quantity,
                instructions=p.instructions,
            )
            for p in notes.prescriptions
        ],
    )
    _replace_children(
        session,
        actor,
        LabRequest,
        drafted[LabRequest],
        [
            LabRequest(visit_id=visit.id, test_name=lab.test_name.strip(), notes=lab.notes)
            for lab in notes.lab_requests
        ],
    )
    return visit


def sign_visit(visit_id: uuid.UUID, *, session: Session, actor: Actor) -> Visit:
    """Sign the consultation. It needs a complaint and at least one diagnosis.
    The visit then waits for the lab (tests requested) or the pharmacy
    (drugs prescribed)."""
    visit = get_visit(visit_id, session=session)
    if visit.signed_at is not None:
        raise NotAllowed("The visit is already signed")
    errors = []
    if not visit.complaint:
        errors.append(FieldError("complaint", "Write the complaint before signing"))
    active = Diagnosis.deleted_at.is_(None)
    if not session.scalar(select(func.count()).where(Diagnosis.visit_id == visit.id, active)):
        errors.append(FieldError("diagnoses", "Add at least one diagnosis before signing"))
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(visit)
    visit.signed_at = utcnow()
    visit.clinician_id = actor.user_id
    pending_labs = session.scalar(
        select(func.count()).where(
            LabRequest.visit_id == visit.id,
            LabRequest.deleted_at.is_(None),
            LabRequest.status == LabStatus.REQUESTED,
        )
    )
    prescribed = session.scalar(
        select(func.count()).where(
            Prescription.visit_id == visit.id, Prescription.deleted_at.is_(None)
        )
    )
    if visit.status == S.IN_CONSULTATION and pending_labs:
        visit.status = S.WAITING_LAB
    elif visit.status == S.IN_CONSULTATION and prescribed:
        visit.status = S.WAITING_PHARMACY
    record_update(session, actor, visit, before, action="sign_visit")
    return visit


def amend_visit(
    visit_id: uuid.UUID,
    field_name: str,
    new_value: str,
    reason: str,
    *,
    session: Session,
    actor: Actor,
) -> Amendment:
    """Amend a signed visit's note; the signed text stays as it was."""
    visit = get_visit(visit_id, session=session)
    if visit.signed_at is None:
        raise NotAllowed("The visit is not signed yet; edit the draft instead")
    errors = []
    if field_name not in AMENDABLE_FIELDS:
        errors.append(FieldError("field", f"Choose one of {', '.join(AMENDABLE_FIELDS)}"))
    if not reason.strip():
        errors.append(FieldError("reason", "Say why the signed visit is amended"))
    if not new_value.strip():
        errors.append(FieldError("new_value", "Write the amended text"))
    if errors:
        raise ValidationFailed(errors)
    amendment = Amendment(
        visit_id=visit.id,
        field=field_name,
        old_value=current_note(visit, field_name, session=session),
        new_value=new_value.strip(),
        reason=reason.strip(),
        amended_by=actor.user_id,
        amended_at=utcnow(),
    )
    record_insert(session, actor, amendment, action="amend_visit")
    return amendment


def amendments(visit_id: uuid.UUID, *, session: Session) -> list[Amendment]:
    return list(
        session.scalars(
            select(Amendment)
            .where(Amendment.visit_id == visit_id, Amendment.deleted_at.is_(None))
            .order_by(Amendment.amended_at, Amendment.id)
        )
    )


def current_note(visit: Visit, field_name: str, *, session: Session) -> str | None:
    """A note as it reads now: the signed text, or its latest amendment."""
    latest = [a for a in amendments(visit.id, session=session) if a.field == field_name]
    return latest[-1].new_value if latest else getattr(visit, field_name)
