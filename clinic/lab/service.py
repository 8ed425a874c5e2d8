"""Entering lab results.

The technician enters a request's results at once (a haemogram's five
values together); entering them again replaces them. When the last
requested test of a visit waiting for the lab has its results, the visit
goes back to the clinician (WAITING_LAB to IN_CONSULTATION, the move the
visit workflow lets a lab technician make). Services take the session as a
keyword; the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import utcnow
from clinic.enums import LabStatus, VisitStatus
from clinic.errors import NotAllowed
from clinic.journal.service import record_delete, record_insert, record_update, snapshot
from clinic.lab.catalogue import LabTest, definition_of, parse_test
from clinic.lab.models import LabResult, LabTestOverride
from clinic.lab.rules import (
    AssessedResult,
    assess_results,
    clinic_catalogue,
    patient_band,
    request_patient,
)
from clinic.visits.models import LabRequest
from clinic.visits.service import CLOSED, move_visit


def get_lab_request(request_id: uuid.UUID, *, session: Session) -> LabRequest:
    request = session.get(LabRequest, request_id)
    if request is None or request.deleted_at is not None:
        raise LookupError(f"No lab request with id {request_id}")
    return request


def current_results(request_id: uuid.UUID, *, session: Session) -> list[LabResult]:
    return list(
        session.scalars(
            select(LabResult)
            .where(LabResult.lab_request_id == request_id, LabResult.deleted_at.is_(None))
            .order_by(LabResult.created_at, LabResult.id)
        )
    )


def summary(assessed: list[AssessedResult]) -> str:
    """The results in one line, for the request's ``result`` (what older
    screens and the API's lab requests show): ``Haemoglobin 6.2 g/dL (CRITICAL_LOW)``."""
    parts = []
    for result in assessed:
        flag = (
            f" ({result.flag.value})" if result.flag is not None and result.flag != "NORMAL" else ""
        )
        parts.append(f"{result.field.label} {result.shown()}{flag}")
    return "; ".join(parts)


def record_lab_results(
    request_id: uuid.UUID,
    values: Mapping[str, object],
    *,
    session: Session,
    actor: Actor,
) -> LabRequest:
    """Enter a requested test's results (by the catalogue's field codes),
    flagged for the patient's age and sex, as ``actor``. Raises LookupError
    for an unknown request, NotAllowed for a cancelled request or a closed
    visit, ValidationFailed for bad or missing values; nothing is written then.
    The visit goes back to the clinician when it was the last test it waited for."""
    request = get_lab_request(request_id, session=session)
    if request.status == LabStatus.CANCELLED:
        raise NotAllowed(f"The {request.test_name} request was cancelled")
    visit, patient = request_patient(session, request)
    if visit.status in CLOSED:
        raise NotAllowed(f"The visit is {visit.status.value}; its results no longer change")
    age_years, sex = patient_band(visit, patient)
    test = clinic_catalogue(session).find(request.test_name)
    assessed = assess_results(test, values, age_years=age_years, sex=sex)
    for old in current_results(request.id, session=session):
        record_delete(session, actor, old, action="replace_lab_result")
    now = utcnow()
    for result in assessed:
        record_insert(
            session,
            actor,
            LabResult(
                lab_request_id=request.id,
                analyte=result.field.code,
                value_number=result.value.number,
                value_code=result.value.code,
                value_text=result.value.text,
                unit=result.field.unit or None,
                reference_range=result.reference_range or None,
                flag=result.flag.value if result.flag is not None else None,
                entered_by=actor.user_id,
                entered_at=now,
            ),
            action="record_lab_result",
        )
    before = snapshot(request)
    request.status = LabStatus.RESULTED
    request.result = summary(assessed)
    request.resulted_at = now
    request.resulted_by = actor.user_id
    record_update(session, actor, request, before, action="record_lab_results")
    waiting = session.scalar(
        select(func.count()).where(
            LabRequest.visit_id == visit.id,
            LabRequest.deleted_at.is_(None),
            LabRequest.status == LabStatus.REQUESTED,
        )
    )
    if not waiting and visit.status == VisitStatus.WAITING_LAB:
        move_visit(visit.id, VisitStatus.IN_CONSULTATION, session=session, actor=actor)
    return request


def set_lab_test(definition: Mapping[str, object], *, session: Session, actor: Actor) -> LabTest:
    """Set the clinic's version of a catalogue test (by its ``code``), or add
    a test of its own, written as a test of ``resources/lab_tests.json``.
    Raises InvalidValue naming the part to fix; nothing is written then.
    Results already entered keep the range and flag they were given."""
    test = parse_test(dict(definition))
    stored = definition_of(test)
    row = session.scalars(
        select(LabTestOverride)
        .where(LabTestOverride.code == test.code, LabTestOverride.deleted_at.is_(None))
        .order_by(LabTestOverride.updated_at.desc())
        .limit(1)
    ).first()
    if row is None:
        record_insert(
            session,
            actor,
            LabTestOverride(code=test.code, definition=stored),
            action="set_lab_test",
        )
    elif row.definition != stored:
        before = snapshot(row)
        row.definition = stored
        record_update(session, actor, row, before, action="set_lab_test")
    return test
