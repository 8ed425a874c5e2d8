"""A visit waiting at the pharmacy, and drugs in stock, on any store: what
the pharmacy's tests (unit, sync, GUI) start from."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.models import Service
from clinic.enums import StockMovementKind
from clinic.patients.service import PatientDetails, register_patient
from clinic.pharmacy.service import MovementInput, record_movement
from clinic.visits.models import Visit
from clinic.visits.service import (
    ConsultationNotes,
    PrescriptionInput,
    open_visit,
    record_consultation,
    sign_visit,
)

AL = "DRG-AL24"
AMOX = "DRG-AMOX500"
PCM = "DRG-PCM500"


def drug_id(session: Session, code: str) -> uuid.UUID:
    found = session.scalar(select(Service.id).where(Service.code == code))
    assert found is not None, f"seed the price list first: no {code}"
    return found


def visit_at_pharmacy(
    session: Session,
    *,
    receptionist: Actor,
    clinician: Actor,
    today: date,
    first_name: str = "Achieng",
    prescriptions: list[PrescriptionInput] | None = None,
) -> Visit:
    """A new patient's visit, signed with ``prescriptions`` (amoxicillin 15
    and paracetamol 10 unless said), waiting at the pharmacy."""
    patient = register_patient(
        PatientDetails(first_name=first_name, last_name="Odhiambo", date_of_birth=date(1988, 3, 2)),
        session=session,
        actor=receptionist,
        today=today,
    ).patient
    visit = open_visit(patient.id, session=session, actor=receptionist, today=today)
    notes = ConsultationNotes(
        complaint="Cough and fever for three days",
        diagnoses=["J06.9"],
        prescriptions=prescriptions
        or [
            PrescriptionInput("Amoxicillin 500 mg", "500 mg", "TDS", "5 days", 15),
            PrescriptionInput("Paracetamol 500 mg", "1 g", "TDS", "3 days", 10),
        ],
    )
    record_consultation(visit.id, notes, session=session, actor=clinician)
    return sign_visit(visit.id, session=session, actor=clinician)


def receive(
    session: Session,
    actor: Actor,
    code: str,
    quantity: int,
    batch: str,
    expiry: date | None,
) -> None:
    record_movement(
        MovementInput(drug_id(session, code), StockMovementKind.RECEIPT, quantity, batch, expiry),
        session=session,
        actor=actor,
    )
