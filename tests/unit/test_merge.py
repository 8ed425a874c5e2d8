"""Merging duplicate patients: the kept record takes the chosen values, the
merged one points at it, its visits and bills follow, its numbers still find
the kept one, and the merge can be undone."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from clinic.actor import Actor
from clinic.billing.models import Service
from clinic.billing.service import LineInput, create_invoice, seed_price_list
from clinic.enums import Role
from clinic.errors import InvalidValue, NotAllowed
from clinic.journal.models import AuditEvent
from clinic.org.models import Branch
from clinic.patients.merge import merge_patients, unmerge_patient
from clinic.patients.models import Patient
from clinic.patients.queries import open_balance_cents
from clinic.patients.search import search_patients
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import LocalStore
from clinic.visits.queries import patient_visits
from clinic.visits.service import is_new_this_year, open_visit
from tests.conftest import TODAY, make_actor


@pytest.fixture
def admin(store: LocalStore, branch: Branch) -> Actor:
    return make_actor(store, branch, Role.ADMIN)


def add(store: LocalStore, actor: Actor, **details: Any) -> uuid.UUID:
    with store.write() as session:
        return register_patient(
            PatientDetails(**details),
            session=session,
            actor=actor,
            today=TODAY,
        ).patient.id


def row(store: LocalStore, patient_id: uuid.UUID) -> Patient:
    with store.session() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        session.expunge(patient)
        return patient


@pytest.fixture
def twins(store: LocalStore, receptionist: Actor) -> tuple[uuid.UUID, uuid.UUID]:
    """The same mother registered twice: once with her phone, once with her ID."""
    kept = add(
        store,
        receptionist,
        first_name="Achieng",
        last_name="Odhiambo",
        phone="0712345678",
        date_of_birth=date(1990, 5, 17),
    )
    merged = add(
        store,
        receptionist,
        first_name="Achieng",
        last_name="Odiambo",
        national_id="23456789",
        residence="Kibera",
        date_of_birth=date(1990, 5, 17),
    )
    return kept, merged


def test_the_kept_record_takes_the_chosen_values_and_the_other_points_at_it(
    store: LocalStore, admin: Actor, twins: tuple[uuid.UUID, uuid.UUID]
) -> None:
    kept, merged = twins
    with store.write() as session:
        merge_patients(
            kept, merged, ("national_id", "residence"), session=session, actor=admin, today=TODAY
        )
    after = row(store, kept)
    assert (after.last_name, after.phone) == ("Odhiambo", "+254712345678")
    assert (after.national_id, after.residence) == ("23456789", "Kibera")
    assert after.merged_into is None
    gone = row(store, merged)
    assert gone.merged_into == kept
    assert gone.national_id == "23456789"  # the merged record itself is unchanged
    with store.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_id == merged)
        ).all()
    assert "merge_patients" in actions


def test_visits_and_bills_follow_the_kept_record(
    store: LocalStore,
    admin: Actor,
    receptionist: Actor,
    branch: Branch,
    twins: tuple[uuid.UUID, uuid.UUID],
) -> None:
    kept, merged = twins
    cashier = make_actor(store, branch, Role.CASHIER)
    with store.write() as session:
        seed_price_list(session=session, actor=Actor(device_id=store.device_id))
        service = session.scalars(select(Service).where(Service.code == "CONS-NEW")).one()
        earlier = open_visit(merged, session=session, actor=receptionist, today=TODAY)
        create_invoice(earlier.id, [LineInput(service.id, 1)], session=session, actor=cashier)
    with store.session() as session:
        owed = open_balance_cents(merged, session=session)
        assert owed > 0
        assert open_balance_cents(kept, session=session) == 0
    with store.write() as session:
        merge_patients(kept, merged, session=session, actor=admin, today=TODAY)
    with store.session() as session:
        assert [v.visit_id for v in patient_visits(session, kept)] == [earlier.id]
        assert open_balance_cents(kept, session=session) == owed
        # The merged record's visit this year makes the kept one's next a revisit.
        assert not is_new_this_year(session, kept, date(TODAY.year, 12, 31))


def test_the_merged_records_numbers_find_the_kept_one_and_its_name_does_not(
    store: LocalStore, admin: Actor, twins: tuple[uuid.UUID, uuid.UUID]
) -> None:
    kept, merged = twins
    merged_op = row(store, merged).op_number
    with store.write() as session:
        merge_patients(kept, merged, session=session, actor=admin, today=TODAY)
    with store.session() as session:
        for query in (merged_op, "23456789"):
            assert [h.id for h in search_patients(query, session=session)] == [kept], query
        assert [h.id for h in search_patients("odiambo", session=session)] == [kept]
        assert merged not in [h.id for h in search_patients("achieng", session=session)]


def test_a_merge_is_undone(
    store: LocalStore, admin: Actor, receptionist: Actor, twins: tuple[uuid.UUID, uuid.UUID]
) -> None:
    kept, merged = twins
    with store.write() as session:
        visit = open_visit(merged, session=session, actor=receptionist, today=TODAY)
        merge_patients(kept, merged, session=session, actor=admin, today=TODAY)
    with store.write() as session:
        unmerge_patient(merged, session=session, actor=admin)
    assert row(store, merged).merged_into is None
    with store.session() as session:
        assert patient_visits(session, kept) == []
        assert [v.visit_id for v in patient_visits(session, merged)] == [visit.id]
        assert merged in [h.id for h in search_patients("achieng", session=session)]


def test_bad_merges_are_refused_and_change_nothing(
    store: LocalStore,
    admin: Actor,
    receptionist: Actor,
    twins: tuple[uuid.UUID, uuid.UUID],
) -> None:
    kept, merged = twins
    third = add(store, receptionist, first_name="Akinyi")
    with store.write() as session, pytest.raises(NotAllowed, match="Only an admin"):
        merge_patients(kept, merged, session=session, actor=receptionist, today=TODAY)
    with store.write() as session, pytest.raises(NotAllowed, match="into itself"):
        merge_patients(kept, kept, session=session, actor=admin, today=TODAY)
    with store.write() as session, pytest.raises(InvalidValue) as unknown:
        merge_patients(kept, merged, ("op_number",), session=session, actor=admin, today=TODAY)
    assert unknown.value.field == "take"
    with store.write() as session:
        merge_patients(kept, merged, session=session, actor=admin, today=TODAY)
    with store.write() as session, pytest.raises(NotAllowed, match="already merged"):
        merge_patients(third, merged, session=session, actor=admin, today=TODAY)
    with store.write() as session, pytest.raises(NotAllowed, match="itself merged"):
        merge_patients(merged, third, session=session, actor=admin, today=TODAY)
    with store.write() as session, pytest.raises(NotAllowed, match="merged into this patient"):
        merge_patients(third, kept, session=session, actor=admin, today=TODAY)
    with store.write() as session, pytest.raises(NotAllowed, match="not merged"):
        unmerge_patient(third, session=session, actor=admin)
    assert row(store, third).merged_into is None
    assert row(store, kept).merged_into is None
    assert row(store, merged).merged_into == kept
