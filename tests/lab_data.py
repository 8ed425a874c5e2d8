"""Visits waiting for the lab, for the lab's unit and GUI tests: a patient
registered, seen, and signed with tests requested."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from clinic.actor import Actor
from clinic.enums import Role, Sex, VisitStatus
from clinic.org.models import User
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import LocalStore
from clinic.visits.models import LabRequest, Visit
from clinic.visits.service import (
    ConsultationNotes,
    LabRequestInput,
    open_visit,
    record_consultation,
    sign_visit,
)

CLINICIAN = "Dr. Achieng Odhiambo"
TECHNICIAN = "Brian Kiprono"


def add_user(store: LocalStore, actor: Actor, full_name: str) -> None:
    """The user row an actor's name is read from (as sync brings it to a PC)."""
    assert actor.user_id is not None and actor.role is not None
    with store.write() as session:
        session.add(
            User(
                id=actor.user_id,
                username=full_name.lower().replace(" ", "."),
                full_name=full_name,
                role=actor.role,
                branch_id=actor.branch_id,
            )
        )


def waiting_for_lab(
    store: LocalStore,
    actors: dict[Role, Actor],
    tests: list[str],
    *,
    day: date,
    name: tuple[str, str] = ("Mary", "Otieno"),
    born: date | None = date(1990, 5, 17),
    sex: Sex = Sex.FEMALE,
) -> Visit:
    """A visit of ``day`` signed with ``tests`` requested: it waits for the lab."""
    with store.write() as session:
        patient = register_patient(
            PatientDetails(first_name=name[0], last_name=name[1], date_of_birth=born, sex=sex),
            session=session,
            actor=actors[Role.RECEPTIONIST],
            today=day,
        ).patient
        visit = open_visit(patient.id, session=session, actor=actors[Role.RECEPTIONIST], today=day)
        notes = ConsultationNotes(
            complaint="Fever for 3 days",
            diagnoses=["B54"],
            lab_requests=[LabRequestInput(test_name=test) for test in tests],
        )
        clinician = actors[Role.CLINICAL_OFFICER]
        record_consultation(visit.id, notes, session=session, actor=clinician)
        sign_visit(visit.id, session=session, actor=clinician)
        assert visit.status == VisitStatus.WAITING_LAB
        return visit


def requests_of(store: LocalStore, visit: Visit) -> dict[str, uuid.UUID]:
    """The visit's lab request ids by test name."""
    with store.session() as session:
        rows = session.scalars(select(LabRequest).where(LabRequest.visit_id == visit.id))
        return {r.test_name: r.id for r in rows}


def visit_status(store: LocalStore, visit_id: uuid.UUID) -> VisitStatus:
    with store.session() as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None
        return visit.status
