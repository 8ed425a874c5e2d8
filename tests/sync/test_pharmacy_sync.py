"""Two pharmacy PCs of one branch dispense the same drug offline, then
sync: the stock on hand is the receipt less both PCs' dispensings, on the
server and on each PC, with no conflict; the line dispensed in part stays
owed and its visit waits at the pharmacy, the other visit is completed."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from clinic.enums import Role, VisitStatus
from clinic.pharmacy.models import Dispensing, StockMovement
from clinic.pharmacy.queries import on_hand, visit_lines
from clinic.pharmacy.service import dispense
from clinic.visits.models import Prescription, Visit
from clinic.visits.service import (
    ConsultationNotes,
    PrescriptionInput,
    open_visit,
    record_consultation,
    sign_visit,
)
from server.database import Database
from sync.engine import sync_status
from tests.conftest import TODAY
from tests.pharmacy_data import AMOX, drug_id, receive
from tests.sync.conftest import MakePc, MakeStaff, Pc, assert_converged, register

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

AMOXICILLIN = PrescriptionInput("Amoxicillin 500 mg", "500 mg", "TDS", "5 days", 15)


def _line(pc: Pc, visit_id: uuid.UUID) -> uuid.UUID:
    with pc.store.session() as session:
        found = session.scalar(
            select(Prescription.id).where(
                Prescription.visit_id == visit_id, Prescription.deleted_at.is_(None)
            )
        )
    assert found is not None
    return found


def _stock(pc: Pc) -> int:
    actor = pc.actor()
    assert actor.branch_id is not None
    with pc.store.session() as session:
        return on_hand(session, actor.branch_id, drug_id(session, AMOX))


def test_two_pharmacy_pcs_dispense_offline_and_the_stock_adds_up(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception, consult = make_pc("reception"), make_pc("consult")
    reception.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    visits = []
    for name in ("Mary", "John"):
        patient = register(reception, name, "Otieno")
        with reception.store.write() as session:
            visits.append(
                open_visit(patient, session=session, actor=reception.actor(), today=TODAY).id
            )
    reception.engine.sync()
    consult.login(make_staff(Role.CLINICAL_OFFICER, "dr-kamau"))
    for visit_id in visits:
        notes = ConsultationNotes(
            complaint="Cough", diagnoses=["J06.9"], prescriptions=[AMOXICILLIN]
        )
        with consult.store.write() as session:
            record_consultation(visit_id, notes, session=session, actor=consult.actor())
            sign_visit(visit_id, session=session, actor=consult.actor())
    consult.engine.sync()

    a, b = make_pc("pharmacy-a"), make_pc("pharmacy-b")
    a.login(make_staff(Role.PHARMACIST, "njeri"))
    b.login(make_staff(Role.PHARMACIST, "mutua"))
    with a.store.write() as session:
        receive(session, a.actor(), AMOX, 100, "AMX-2611", TODAY.replace(year=TODAY.year + 1))
    a.engine.sync()
    b.engine.sync()
    assert _stock(a) == _stock(b) == 100

    # --- offline: both PCs dispense amoxicillin without syncing ---------------------
    with a.store.write() as session:
        given_a = dispense(_line(a, visits[0]), 15, session=session, actor=a.actor())
    with b.store.write() as session:
        given_b = dispense(_line(b, visits[1]), 9, session=session, actor=b.actor())
    assert given_a.visit_completed and not given_b.visit_completed
    assert (_stock(a), _stock(b)) == (85, 91)

    for _ in range(2):
        for pc in (a, b):
            pc.engine.sync()

    for pc in (a, b):
        assert _stock(pc) == 76
        status = sync_status(pc.store)
        assert (status.pending, status.rejected, status.conflicts) == (0, 0, 0)
        with pc.store.session() as session:
            (line,) = visit_lines(session, visits[1])
            assert (line.given, line.owed) == (9, 6)
    with central.sessions() as session:
        branch_id = session.scalar(select(Visit.branch_id).where(Visit.id == visits[0]))
        assert branch_id is not None
        assert on_hand(session, branch_id, drug_id(session, AMOX)) == 76
        statuses = [session.get(Visit, v).status for v in visits]  # type: ignore[union-attr]
    assert statuses == [VisitStatus.COMPLETED, VisitStatus.WAITING_PHARMACY]
    assert_converged(central, [a, b], (Dispensing, StockMovement))
