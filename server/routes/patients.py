"""Patients: everyone reads them (all branches); reception registers and edits."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from clinic.clock import clinic_today
from clinic.patients.search import search_patients
from clinic.patients.service import PatientDetails, get_patient, register_patient, update_patient
from clinic.permissions import Data
from server.deps import Caller, DbSession, reader_of, writer_of
from server.numbers import ensure_numbers
from server.schemas import PatientCreate, PatientOut, PatientUpdate, RegistrationOut

router = APIRouter(prefix="/api/patients", tags=["patients"])

Reader = Annotated[Caller, Depends(reader_of(Data.PATIENTS))]
Writer = Annotated[Caller, Depends(writer_of(Data.PATIENTS))]


@router.get("", response_model=list[PatientOut], responses={401: {}, 403: {}, 422: {}})
def find_patients(
    caller: Reader,
    session: DbSession,
    q: Annotated[str, Query(min_length=2, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[PatientOut]:
    """Patients matching ``q``: exact numbers first, then names, then number
    fragments (as on the desktop)."""
    hits = search_patients(q, session=session, limit=limit)
    return [PatientOut.model_validate(hit, from_attributes=True) for hit in hits]


@router.get("/{patient_id}", response_model=PatientOut, responses={401: {}, 403: {}, 404: {}})
def read_patient(patient_id: uuid.UUID, caller: Reader, session: DbSession) -> PatientOut:
    return PatientOut.model_validate(get_patient(patient_id, session=session))


@router.post(
    "", response_model=RegistrationOut, status_code=201, responses={401: {}, 403: {}, 422: {}}
)
def create_patient(body: PatientCreate, caller: Writer, session: DbSession) -> RegistrationOut:
    """Register a patient; likely duplicates come back as warnings."""
    actor = caller.actor()
    ensure_numbers(session, actor.device_id)
    registration = register_patient(
        PatientDetails(**body.model_dump(exclude_none=True)),
        session=session,
        actor=actor,
        today=clinic_today(),
    )
    session.commit()
    return RegistrationOut.model_validate(registration, from_attributes=True)


@router.patch(
    "/{patient_id}",
    response_model=RegistrationOut,
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
def edit_patient(
    patient_id: uuid.UUID, body: PatientUpdate, caller: Writer, session: DbSession
) -> RegistrationOut:
    """Change the fields sent (a field sent as null is cleared)."""
    registration = update_patient(
        patient_id,
        body.model_dump(exclude_unset=True),
        session=session,
        actor=caller.actor(),
        today=clinic_today(),
    )
    session.commit()
    return RegistrationOut.model_validate(registration, from_attributes=True)
