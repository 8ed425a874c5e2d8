"""What the pharmacy screen shows, read on the database thread as plain
data (no ORM rows cross to the GUI thread)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.org.models import User
from clinic.patients.models import Patient
from clinic.pharmacy.queries import (
    DrugStock,
    ExpiringBatch,
    LineState,
    expiring_soon,
    lowest_first,
    stock_on_hand,
    visit_lines,
)
from clinic.pharmacy.rules import listed_drugs
from clinic.visits.service import get_visit


@dataclass(frozen=True)
class DrugChoice:
    service_id: uuid.UUID
    name: str


def drug_choices(session: Session) -> list[DrugChoice]:
    """The price list's active drugs, by name."""
    return [DrugChoice(s.id, s.name) for s in sorted(listed_drugs(session), key=lambda s: s.name)]


@dataclass(frozen=True)
class VisitAtPharmacy:
    visit_id: uuid.UUID
    patient_name: str
    op_number: str
    lines: list[LineState]
    drugs: list[DrugChoice]
    clinic_name: str
    """For the label."""
    staff: dict[uuid.UUID, str]
    """Who dispensed, by user id."""


def visit_at_pharmacy(session: Session, visit_id: uuid.UUID, clinic: str) -> VisitAtPharmacy:
    visit = get_visit(visit_id, session=session)
    patient = session.get(Patient, visit.patient_id)
    assert patient is not None
    lines = visit_lines(session, visit.id)
    given_by = {d.dispensed_by for line in lines for d in line.dispensings}
    staff = {
        row.id: row.full_name
        for row in session.execute(select(User.id, User.full_name).where(User.id.in_(given_by)))
    }
    return VisitAtPharmacy(
        visit_id=visit.id,
        patient_name=patient.full_name,
        op_number=patient.op_number,
        lines=lines,
        drugs=drug_choices(session),
        clinic_name=clinic,
        staff=staff,
    )


@dataclass(frozen=True)
class StockView:
    drugs: list[DrugStock]
    low: list[DrugStock]
    expiring: list[ExpiringBatch]
    choices: list[DrugChoice]


def stock_view(session: Session, branch_id: uuid.UUID, today: date) -> StockView:
    drugs = stock_on_hand(session, branch_id)
    return StockView(
        drugs=drugs,
        low=lowest_first(drugs),
        expiring=expiring_soon(session, branch_id, today),
        choices=drug_choices(session),
    )
