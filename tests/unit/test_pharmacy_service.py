"""Dispensing and the stock ledger on a PC's store: partial dispensing and
what stays owed, substitution and closing with reasons, the visit completed
when every line is done, stock taken first-expiring batch first, a
dispense beyond stock warned about, counts, low-stock and expiring lists,
and the refusals (a negative receipt, an adjustment without a reason)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic.actor import Actor
from clinic.billing.service import seed_price_list
from clinic.enums import Role, StockMovementKind, VisitStatus
from clinic.errors import InvalidValue, NotAllowed
from clinic.journal.entities import SYNCED, Refused
from clinic.journal.models import OutboxEntry
from clinic.org.models import Branch
from clinic.pharmacy.models import Dispensing, StockMovement
from clinic.pharmacy.queries import (
    batch_stock,
    expiring_soon,
    low_stock,
    on_hand,
    pharmacy_worklist,
    visit_lines,
)
from clinic.pharmacy.service import (
    MovementInput,
    count_stock,
    dispense,
    record_movement,
    set_reorder_level,
    write_off_batch,
)
from clinic.store import LocalStore
from clinic.visits.models import Prescription, Visit
from clinic.visits.service import PrescriptionInput
from tests.conftest import TODAY, make_actor
from tests.pharmacy_data import AL, AMOX, PCM, drug_id, receive, visit_at_pharmacy

K = StockMovementKind


@pytest.fixture
def actors(store: LocalStore, branch: Branch) -> dict[Role, Actor]:
    actors = {role: make_actor(store, branch, role) for role in Role}
    with store.write() as session:
        seed_price_list(session=session, actor=actors[Role.ADMIN])
    return actors


@pytest.fixture
def pharmacist(actors: dict[Role, Actor]) -> Actor:
    return actors[Role.PHARMACIST]


@pytest.fixture
def visit(store: LocalStore, actors: dict[Role, Actor]) -> Visit:
    with store.write() as session:
        return visit_at_pharmacy(
            session,
            receptionist=actors[Role.RECEPTIONIST],
            clinician=actors[Role.CLINICAL_OFFICER],
            today=TODAY,
        )


def _lines(store: LocalStore, visit: Visit) -> dict[str, tuple[int, int, bool]]:
    with store.session() as session:
        return {
            line.drug: (line.given, line.owed, line.closed)
            for line in visit_lines(session, visit.id)
        }


def _status(store: LocalStore, visit: Visit) -> VisitStatus:
    with store.session() as session:
        found = session.get(Visit, visit.id)
        assert found is not None
        return found.status


def _branch(actor: Actor) -> uuid.UUID:
    assert actor.branch_id is not None
    return actor.branch_id


def _line_id(store: LocalStore, visit: Visit, drug: str) -> uuid.UUID:
    with store.session() as session:
        found = session.scalar(
            select(Prescription.id).where(
                Prescription.visit_id == visit.id,
                Prescription.drug == drug,
                Prescription.deleted_at.is_(None),
            )
        )
    assert found is not None
    return found


def test_partial_dispensing_leaves_the_rest_owed_until_it_is_given(
    store: LocalStore, pharmacist: Actor, visit: Visit
) -> None:
    with store.write() as session:
        receive(session, pharmacist, AMOX, 100, "AMX-1", TODAY + timedelta(days=400))
        receive(session, pharmacist, PCM, 100, "PCM-1", TODAY + timedelta(days=400))
    amox = _line_id(store, visit, "Amoxicillin 500 mg")
    pcm = _line_id(store, visit, "Paracetamol 500 mg")
    with store.write() as session:
        first = dispense(
            amox, 6, session=session, actor=pharmacist, counselling="Finish the course"
        )
    assert first.warnings == [] and not first.visit_completed
    assert _lines(store, visit)["Amoxicillin 500 mg"] == (6, 9, False)
    with store.session() as session:
        (entry,) = pharmacy_worklist(session, _branch(pharmacist))
    assert (entry.visit_id, entry.lines_owed, entry.units_owed) == (visit.id, 2, 19)
    with store.write() as session:
        dispense(pcm, 10, session=session, actor=pharmacist)
    assert _status(store, visit) == VisitStatus.WAITING_PHARMACY
    with store.write() as session, pytest.raises(InvalidValue, match="Only 9 are still owed"):
        dispense(amox, 10, session=session, actor=pharmacist)
    with store.write() as session:
        last = dispense(amox, 9, session=session, actor=pharmacist)
    assert last.visit_completed
    assert _status(store, visit) == VisitStatus.COMPLETED
    assert _lines(store, visit)["Amoxicillin 500 mg"] == (15, 0, False)
    with store.session() as session:
        assert on_hand(session, _branch(pharmacist), drug_id(session, AMOX)) == 85
        assert pharmacy_worklist(session, _branch(pharmacist)) == []
        line = session.get(Prescription, amox)
        assert line is not None and line.dispensed_by == pharmacist.user_id


def test_a_line_closed_with_a_reason_owes_nothing_and_completes_the_visit(
    store: LocalStore, pharmacist: Actor, visit: Visit
) -> None:
    amox = _line_id(store, visit, "Amoxicillin 500 mg")
    pcm = _line_id(store, visit, "Paracetamol 500 mg")
    with store.write() as session:
        dispense(pcm, 10, session=session, actor=pharmacist)
        with pytest.raises(InvalidValue, match="close the line with a reason"):
            dispense(amox, 0, session=session, actor=pharmacist)
    with store.write() as session, pytest.raises(InvalidValue, match="Say why"):
        dispense(amox, 5, session=session, actor=pharmacist, close_reason="  ")
    with store.write() as session:
        done = dispense(
            amox, 5, session=session, actor=pharmacist, close_reason="Patient buys the rest"
        )
    assert done.visit_completed and done.line.owed == 0 and done.line.closed
    assert done.warnings and "Only 0 in stock" in done.warnings[0]
    with store.session() as session:
        assert on_hand(session, _branch(pharmacist), drug_id(session, AMOX)) == -5


def test_another_drug_is_given_only_with_a_reason(
    store: LocalStore, pharmacist: Actor, visit: Visit
) -> None:
    amox = _line_id(store, visit, "Amoxicillin 500 mg")
    with store.session() as session:
        al = drug_id(session, AL)
    with store.write() as session, pytest.raises(InvalidValue) as refused:
        dispense(amox, 1, session=session, actor=pharmacist, service_id=al)
    assert refused.value.field == "substitution_reason"
    with store.write() as session:
        given = dispense(
            amox, 1, session=session, actor=pharmacist, service_id=al, substitution_reason="Out"
        )
    assert given.line.dispensings[0].drug_name.startswith("Artemether")
    with store.session() as session:
        assert on_hand(session, _branch(pharmacist), al) == -1


def test_dispensing_takes_the_first_expiring_batch_first_and_warns_beyond_stock(
    store: LocalStore, pharmacist: Actor, visit: Visit
) -> None:
    soon, later = TODAY + timedelta(days=30), TODAY + timedelta(days=300)
    with store.write() as session:
        receive(session, pharmacist, AMOX, 10, "LATER", later)
        receive(session, pharmacist, AMOX, 4, "SOON", soon)
    amox = _line_id(store, visit, "Amoxicillin 500 mg")
    with store.write() as session:
        given = dispense(amox, 6, session=session, actor=pharmacist)
    assert given.warnings == []
    with store.session() as session:
        stock = {b.batch: b.on_hand for b in batch_stock(session, _branch(pharmacist))}
    assert stock == {"SOON": 0, "LATER": 8}
    with store.write() as session:
        beyond = dispense(amox, 9, session=session, actor=pharmacist)
    assert beyond.warnings == [
        "Only 8 in stock, 9 given: the stock count may be behind; count this drug"
    ]
    with store.session() as session:
        stock = {b.batch: b.on_hand for b in batch_stock(session, _branch(pharmacist))}
    assert stock == {"SOON": 0, "LATER": -1}


def test_a_negative_receipt_and_an_adjustment_without_a_reason_are_refused(
    store: LocalStore, pharmacist: Actor
) -> None:
    with store.session() as session:
        amox = drug_id(session, AMOX)
        outbox = session.scalar(select(func.count()).select_from(OutboxEntry))
    bad = [
        (MovementInput(amox, K.RECEIPT, -5, "B1"), "quantity", "A receipt adds stock"),
        (MovementInput(amox, K.ADJUSTMENT, -3, "B1"), "reason", "Say why"),
        (MovementInput(amox, K.RECEIPT, 10**12, "B1"), "quantity", "at most 100,000"),
        (MovementInput(amox, K.EXPIRY, 4, "B1"), "quantity", "takes units out"),
        (MovementInput(amox, K.RECEIPT, 5, "B\x001"), "batch", "control characters"),
        (MovementInput(amox, K.DISPENSE, -1, "B1"), "kind", "Dispense from the prescription"),
    ]
    for entry, field, message in bad:
        with store.write() as session, pytest.raises(InvalidValue, match=message) as refused:
            record_movement(entry, session=session, actor=pharmacist)
        assert refused.value.field == field
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(StockMovement)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == outbox


def test_a_count_records_the_difference_as_an_adjustment(
    store: LocalStore, pharmacist: Actor
) -> None:
    expiry = TODAY + timedelta(days=200)
    with store.write() as session:
        receive(session, pharmacist, PCM, 100, "P-7", expiry)
        pcm = drug_id(session, PCM)
        with pytest.raises(InvalidValue, match="Say why"):
            count_stock(pcm, "P-7", expiry, 93, None, session=session, actor=pharmacist)
    with store.write() as session:
        assert count_stock(pcm, "P-7", expiry, 100, None, session=session, actor=pharmacist) is None
        counted = count_stock(
            pcm, "P-7", expiry, 93, "Count on shelf", session=session, actor=pharmacist
        )
    assert counted is not None
    assert (counted.kind, counted.quantity, counted.reason) == (K.ADJUSTMENT, -7, "Count on shelf")
    with store.session() as session:
        assert on_hand(session, _branch(pharmacist), pcm) == 93


def test_low_stock_and_expiring_soon(store: LocalStore, pharmacist: Actor) -> None:
    with store.write() as session:
        receive(session, pharmacist, AMOX, 20, "A-1", TODAY + timedelta(days=20))
        receive(session, pharmacist, PCM, 500, "P-1", TODAY + timedelta(days=700))
        receive(session, pharmacist, AL, 5, "AL-OLD", TODAY - timedelta(days=2))
        set_reorder_level(drug_id(session, AMOX), 50, session=session, actor=pharmacist)
        set_reorder_level(drug_id(session, PCM), 100, session=session, actor=pharmacist)
    with store.session() as session:
        low = low_stock(session, _branch(pharmacist))
        expiring = expiring_soon(session, _branch(pharmacist), TODAY)
    assert [(d.code, d.on_hand, d.reorder_level) for d in low] == [(AMOX, 20, 50)]
    assert [(e.batch, e.on_hand, e.expired) for e in expiring] == [
        ("AL-OLD", 5, True),
        ("A-1", 20, False),
    ]
    with store.write() as session:
        set_reorder_level(drug_id(session, AMOX), 10, session=session, actor=pharmacist)
    with store.session() as session:
        assert low_stock(session, _branch(pharmacist)) == []


def test_dispensing_waits_for_the_pharmacy_and_the_own_branch(
    store: LocalStore, actors: dict[Role, Actor], pharmacist: Actor
) -> None:
    with store.write() as session:
        visit = visit_at_pharmacy(
            session,
            receptionist=actors[Role.RECEPTIONIST],
            clinician=actors[Role.CLINICAL_OFFICER],
            today=TODAY,
        )
        other = Branch(code="WEST", name="West")
        session.add(other)
        session.flush()
        west = make_actor(store, other, Role.PHARMACIST)
    amox = _line_id(store, visit, "Amoxicillin 500 mg")
    with store.write() as session, pytest.raises(NotAllowed, match="another branch"):
        dispense(amox, 1, session=session, actor=west)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Dispensing)) == 0


def test_the_registry_refuses_changing_or_deleting_a_movement() -> None:
    movements = SYNCED["stock_movements"]
    row = StockMovement(
        service_id=None, branch_id=None, batch="B", quantity=5, kind=K.RECEIPT, deleted_at=None
    )
    with pytest.raises(Refused, match="never changed"):
        movements.check_change(None, {"quantity": 500}, row)  # type: ignore[arg-type]
    with pytest.raises(Refused, match="never changed"):
        movements.check_change(None, {"deleted_at": date(2026, 1, 1)}, row)  # type: ignore[arg-type]
    assert movements.check_state is not None
    with pytest.raises(Refused, match="A receipt adds stock"):
        movements.check_state(None, {"kind": "receipt", "quantity": -3, "batch": "B"}, None)  # type: ignore[arg-type]


def test_a_line_naming_no_listed_drug_is_given_as_the_pharmacist_picks(
    store: LocalStore, actors: dict[Role, Actor], pharmacist: Actor
) -> None:
    with store.write() as session:
        visit = visit_at_pharmacy(
            session,
            receptionist=actors[Role.RECEPTIONIST],
            clinician=actors[Role.CLINICAL_OFFICER],
            today=TODAY,
            prescriptions=[PrescriptionInput("Dawa ya kikohozi", "10 ml", "TDS", "5 days", 1)],
        )
    line = _line_id(store, visit, "Dawa ya kikohozi")
    with store.write() as session, pytest.raises(InvalidValue) as refused:
        dispense(line, 1, session=session, actor=pharmacist)
    assert refused.value.field == "service_id"
    with store.write() as session:
        given = dispense(
            line, 1, session=session, actor=pharmacist, service_id=drug_id(session, PCM)
        )
    assert given.visit_completed and given.line.dispensings[0].drug_name.startswith("Paracetamol")


def test_an_expired_batch_is_written_off_whole_and_once(
    store: LocalStore, pharmacist: Actor
) -> None:
    old = TODAY - timedelta(days=3)
    with store.write() as session:
        receive(session, pharmacist, AL, 30, "AL-OLD", old)
        receive(session, pharmacist, AL, 40, "AL-NEW", TODAY + timedelta(days=400))
        al = drug_id(session, AL)
        written = write_off_batch(al, "AL-OLD", old, "Expired", session=session, actor=pharmacist)
    assert (written.kind, written.quantity, written.reason) == (K.EXPIRY, -30, "Expired")
    with store.write() as session, pytest.raises(NotAllowed, match="nothing in stock"):
        write_off_batch(al, "AL-OLD", old, "Expired", session=session, actor=pharmacist)
    with store.session() as session:
        assert on_hand(session, _branch(pharmacist), al) == 40
        assert expiring_soon(session, _branch(pharmacist), TODAY) == []
