"""Visits from the queue to the signature: opening, status moves by role,
triage, the consultation draft, signing and amendments."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from clinic.actor import Actor
from clinic.enums import ChangeOperation, LabStatus, Role, VisitStatus
from clinic.errors import NotAllowed, ValidationFailed
from clinic.journal.models import AuditEvent, OutboxEntry
from clinic.org.models import Branch
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import LocalStore
from clinic.visits.models import Amendment, Diagnosis, LabRequest, Prescription, Triage, Visit
from clinic.visits.service import (
    ConsultationNotes,
    CriticalVitals,
    LabRequestInput,
    PrescriptionInput,
    amend_visit,
    amendments,
    current_note,
    move_visit,
    open_visit,
    record_consultation,
    record_triage,
    sign_visit,
)
from tests.conftest import TODAY, make_actor

S = VisitStatus


# --- helpers -----------------------------------------------------------------


@pytest.fixture
def actors(store: LocalStore, branch: Branch) -> dict[Role, Actor]:
    return {role: make_actor(store, branch, role) for role in Role}


@pytest.fixture
def patient(store: LocalStore, receptionist: Actor) -> Patient:
    return add_patient(store, receptionist, "Mary", "Otieno", date(1990, 5, 17))


def add_patient(
    store: LocalStore, actor: Actor, first: str, last: str, born: date | None = None
) -> Patient:
    with store.write() as session:
        return register_patient(
            PatientDetails(first_name=first, last_name=last, date_of_birth=born),
            session=session,
            actor=actor,
            today=TODAY,
        ).patient


def open_(store: LocalStore, actor: Actor, patient_id: uuid.UUID, day: date = TODAY) -> Visit:
    with store.write() as session:
        return open_visit(patient_id, session=session, actor=actor, today=day)


def move(
    store: LocalStore, actor: Actor, visit: Visit, to: VisitStatus, reason: str | None = None
) -> Visit:
    with store.write() as session:
        return move_visit(visit.id, to, session=session, actor=actor, reason=reason)


def triage(
    store: LocalStore, actor: Actor, visit: Visit, confirm: bool = False, **readings: float
) -> Triage:
    with store.write() as session:
        return record_triage(
            visit.id, readings, session=session, actor=actor, confirm_critical=confirm
        )


def consult(store: LocalStore, actor: Actor, visit: Visit, **notes: Any) -> Visit:
    with store.write() as session:
        return record_consultation(
            visit.id, ConsultationNotes(**notes), session=session, actor=actor
        )


def sign(store: LocalStore, actor: Actor, visit: Visit) -> Visit:
    with store.write() as session:
        return sign_visit(visit.id, session=session, actor=actor)


def amend(
    store: LocalStore, actor: Actor, visit: Visit, field: str, value: str, reason: str
) -> Amendment:
    with store.write() as session:
        return amend_visit(visit.id, field, value, reason, session=session, actor=actor)


def reload(store: LocalStore, visit: Visit) -> Visit:
    with store.session() as session:
        found = session.get(Visit, visit.id)
        assert found is not None
        return found


def count(store: LocalStore, model: type[Any]) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def journal_size(store: LocalStore) -> tuple[int, int]:
    return count(store, OutboxEntry), count(store, AuditEvent)


def set_status(store: LocalStore, visit: Visit, status: VisitStatus) -> None:
    with store.write() as session:
        row = session.get(Visit, visit.id)
        assert row is not None
        row.status = status


def children(store: LocalStore, model: type[Any], visit: Visit) -> list[Any]:
    with store.session() as session:
        return list(
            session.scalars(
                select(model).where(model.visit_id == visit.id).order_by(model.created_at, model.id)
            )
        )


PARACETAMOL = PrescriptionInput("Paracetamol 500mg", "1 tab", "TDS", "3 days", 9)


# --- open_visit --------------------------------------------------------------


def test_open_visit_puts_the_patient_in_todays_queue(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    visit = reload(store, open_(store, receptionist, patient.id))
    assert visit.patient_id == patient.id
    assert visit.branch_id == receptionist.branch_id
    assert visit.visit_date == TODAY
    assert visit.status == S.REGISTERED
    assert visit.queue_position == 1
    assert visit.is_new is True
    assert visit.created_by == receptionist.user_id
    with store.session() as session:
        entry = session.scalars(select(OutboxEntry).where(OutboxEntry.row_id == visit.id)).one()
    assert entry.entity == "visits"
    assert entry.operation == ChangeOperation.INSERT
    assert entry.changes["status"] == "REGISTERED"
    assert entry.changes["visit_date"] == "2026-11-26"


def test_a_second_visit_the_same_day_is_refused_naming_the_patient(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    open_(store, receptionist, patient.id)
    before = journal_size(store)
    with pytest.raises(NotAllowed) as error:
        open_(store, receptionist, patient.id)
    assert str(error.value) == (
        "Mary Otieno (TMP-OP-2026-000001-1) already has a visit today; open that one"
    )
    assert count(store, Visit) == 1
    assert journal_size(store) == before


def test_the_same_patient_may_come_back_the_next_day(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    open_(store, receptionist, patient.id)
    tomorrow = open_(store, receptionist, patient.id, TODAY + timedelta(days=1))
    assert tomorrow.queue_position == 1
    assert tomorrow.is_new is False


def test_a_cancelled_visit_does_not_block_a_new_one(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    first = open_(store, receptionist, patient.id)
    move(store, receptionist, first, S.CANCELLED, reason="Opened for the wrong patient")
    second = open_(store, receptionist, patient.id)
    assert second.id != first.id
    assert second.queue_position == 2
    assert second.is_new is True
    assert reload(store, first).status == S.CANCELLED


def test_queue_positions_count_per_branch_and_per_day(
    store: LocalStore, branch: Branch, receptionist: Actor
) -> None:
    with store.write() as session:
        other_branch = Branch(code="WEST", name="West branch")
        session.add(other_branch)
    at_west = make_actor(store, other_branch, Role.RECEPTIONIST)
    people = [add_patient(store, receptionist, name, "Kamau") for name in ("Ann", "Ben", "Cy")]
    assert [open_(store, receptionist, p.id).queue_position for p in people[:2]] == [1, 2]
    assert open_(store, at_west, people[2].id).queue_position == 1
    assert open_(store, receptionist, people[2].id, TODAY + timedelta(days=1)).queue_position == 1
    dan = add_patient(store, receptionist, "Dan", "Kamau")
    assert open_(store, receptionist, dan.id).queue_position == 3
    with store.session() as session:
        west = session.scalars(select(Visit).where(Visit.branch_id == other_branch.id)).one()
    assert west.patient_id == people[2].id


def test_new_or_revisit_follows_the_calendar_year(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    visits = [
        open_(store, receptionist, patient.id, day)
        for day in (date(2026, 1, 5), date(2026, 11, 26), date(2027, 1, 2), date(2027, 3, 1))
    ]
    assert [v.is_new for v in visits] == [True, False, True, False]


def test_a_cancelled_visit_does_not_make_the_next_one_a_revisit(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    first = open_(store, receptionist, patient.id, date(2026, 3, 1))
    move(store, receptionist, first, S.CANCELLED, reason="Left before triage")
    assert open_(store, receptionist, patient.id).is_new is True


def test_each_patient_has_their_own_new_visits(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    open_(store, receptionist, patient.id, date(2026, 3, 1))
    other = add_patient(store, receptionist, "John", "Kamau")
    assert open_(store, receptionist, other.id).is_new is True


def test_a_merged_patient_cannot_get_a_visit(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    survivor = add_patient(store, receptionist, "Maria", "Otieno")
    with store.write() as session:
        session.get(Patient, patient.id).merged_into = survivor.id  # type: ignore[union-attr]
    with pytest.raises(NotAllowed) as error:
        open_(store, receptionist, patient.id)
    assert str(error.value) == (
        "Mary Otieno (TMP-OP-2026-000001-1) was merged into another patient; open that one"
    )
    assert count(store, Visit) == 0


def test_an_actor_without_a_branch_cannot_open_a_visit(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    admin = Actor(device_id=store.device_id, user_id=uuid.uuid4(), role=Role.ADMIN)
    with pytest.raises(NotAllowed, match="Choose a branch first"):
        open_(store, admin, patient.id)
    assert count(store, Visit) == 0


def test_a_visit_for_an_unknown_patient_is_refused(store: LocalStore, receptionist: Actor) -> None:
    with pytest.raises(LookupError, match="No patient with id"):
        open_(store, receptionist, uuid.uuid4())
    assert count(store, Visit) == 0


# --- move_visit --------------------------------------------------------------

R, N, C = Role.RECEPTIONIST, Role.NURSE, Role.CLINICAL_OFFICER
CASH, PH, LAB = Role.CASHIER, Role.PHARMACIST, Role.LAB_TECHNICIAN

# Who may make which move (DESIGN.md: reception opens, queues and cancels; the
# nurse marks triaged; the clinical officer moves it through consultation, lab
# and pharmacy; the pharmacist or cashier completes it).
ALLOWED_MOVES: dict[tuple[VisitStatus, VisitStatus], set[Role]] = {
    (S.REGISTERED, S.TRIAGED): {N},
    (S.REGISTERED, S.IN_CONSULTATION): {C},
    (S.REGISTERED, S.WAITING_CONSULTATION): {R, N},
    (S.REGISTERED, S.CANCELLED): {R},
    (S.TRIAGED, S.WAITING_CONSULTATION): {R, N},
    (S.TRIAGED, S.IN_CONSULTATION): {C},
    (S.TRIAGED, S.CANCELLED): {R},
    (S.WAITING_CONSULTATION, S.IN_CONSULTATION): {C},
    (S.WAITING_CONSULTATION, S.CANCELLED): {R},
    (S.IN_CONSULTATION, S.WAITING_LAB): {C},
    (S.IN_CONSULTATION, S.WAITING_PHARMACY): {C},
    (S.IN_CONSULTATION, S.COMPLETED): {C, CASH},
    (S.WAITING_LAB, S.IN_CONSULTATION): {C, LAB},
    (S.WAITING_LAB, S.WAITING_PHARMACY): {C},
    (S.WAITING_PHARMACY, S.COMPLETED): {PH, CASH},
}


def test_every_status_move_is_allowed_or_refused_by_status_and_role(
    store: LocalStore, actors: dict[Role, Actor], patient: Patient
) -> None:
    visit_id = open_(store, actors[R], patient.id).id
    system = Actor(device_id=store.device_id)
    wrong: list[str] = []
    with store.write() as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None
        for source in S:
            for target in S:
                for role in [*Role, None]:
                    allowed = (source, target) in ALLOWED_MOVES and (
                        role in (None, Role.ADMIN) or role in ALLOWED_MOVES[(source, target)]
                    )
                    savepoint = session.begin_nested()
                    visit.status = source
                    session.flush()
                    try:
                        move_visit(
                            visit_id,
                            target,
                            session=session,
                            actor=system if role is None else actors[role],
                            reason="Patient left",
                        )
                        moved = True
                    except NotAllowed:
                        moved = False
                    if moved != allowed or visit.status != (target if allowed else source):
                        wrong.append(f"{source} -> {target} by {role}: moved={moved}")
                    savepoint.rollback()
    assert wrong == []
    with store.session() as session:
        assert session.get(Visit, visit_id).status == S.REGISTERED  # type: ignore[union-attr]


def test_a_nurse_cannot_cancel_and_says_who_can(
    store: LocalStore, actors: dict[Role, Actor], patient: Patient
) -> None:
    visit = open_(store, actors[R], patient.id)
    before = journal_size(store)
    with pytest.raises(NotAllowed) as error:
        move(store, actors[N], visit, S.CANCELLED, reason="Patient left")
    assert str(error.value) == "Only receptionist may move a visit to CANCELLED"
    assert reload(store, visit).status == S.REGISTERED
    assert journal_size(store) == before


def test_a_move_that_does_not_exist_says_so(
    store: LocalStore, actors: dict[Role, Actor], patient: Patient
) -> None:
    visit = open_(store, actors[R], patient.id)
    with pytest.raises(NotAllowed) as error:
        move(store, actors[Role.ADMIN], visit, S.COMPLETED)
    assert str(error.value) == "A visit that is REGISTERED cannot move to COMPLETED"
    assert reload(store, visit).status == S.REGISTERED


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_cancelling_needs_a_reason(
    store: LocalStore, receptionist: Actor, patient: Patient, reason: str | None
) -> None:
    visit = open_(store, receptionist, patient.id)
    before = journal_size(store)
    with pytest.raises(ValidationFailed) as error:
        move(store, receptionist, visit, S.CANCELLED, reason=reason)
    assert [(e.field, e.reason) for e in error.value.errors] == [
        ("reason", "Say why the visit is cancelled")
    ]
    assert reload(store, visit).status == S.REGISTERED
    assert journal_size(store) == before


def test_reception_cancels_with_a_reason(
    store: LocalStore, receptionist: Actor, patient: Patient
) -> None:
    visit = open_(store, receptionist, patient.id)
    move(store, receptionist, visit, S.CANCELLED, reason="  Went to another clinic ")
    cancelled = reload(store, visit)
    assert cancelled.status == S.CANCELLED
    assert cancelled.cancel_reason == "Went to another clinic"
    with store.session() as session:
        entry = session.scalars(select(OutboxEntry).order_by(OutboxEntry.sequence.desc())).first()
        event = session.scalars(
            select(AuditEvent).order_by(AuditEvent.device_sequence.desc())
        ).first()
    assert entry is not None and event is not None
    assert entry.operation == ChangeOperation.UPDATE
    assert entry.changes == {"status": "CANCELLED", "cancel_reason": "Went to another clinic"}
    assert event.action == "visit_cancelled"
    assert event.before == {"status": "REGISTERED", "cancel_reason": None}


# --- record_triage -----------------------------------------------------------


def test_triage_stores_readings_flags_and_bmi_and_marks_the_visit_triaged(
    store: LocalStore, actors: dict[Role, Actor], patient: Patient
) -> None:
    visit = open_(store, actors[R], patient.id)
    recorded = triage(
        store,
        actors[N],
        visit,
        temperature_c=38.2,
        pulse_bpm=88,
        systolic_mmhg=150,
        diastolic_mmhg=95,
        weight_kg=70,
        height_cm=175,
    )
    assert recorded.visit_id == visit.id
    with store.session() as session:
        stored = session.get(Triage, recorded.id)
        assert stored is not None
        assert (stored.temperature_c, stored.pulse_bpm, stored.weight_kg) == (38.2, 88, 70)
        assert stored.spo2_percent is None
        assert stored.bmi == 22.9
        assert stored.flags == {
            "temperature_c": "HIGH",
            "pulse_bpm": "NORMAL",
            "systolic_mmhg": "HIGH",
            "diastolic_mmhg": "HIGH",
        }
        assert stored.critical_confirmed is False
    assert reload(store, visit).status == S.TRIAGED


@pytest.mark.parametrize(
    ("readings", "field", "reason"),
    [
        ({"temperature_c": 3}, "temperature_c", "Temperature 3 °C is impossible"),
        ({"pulse_bpm": 400}, "pulse_bpm", "Pulse 400 bpm is impossible"),
        ({"systolic_mmhg": 80, "diastolic_mmhg": 90}, "diastolic_mmhg", "must be below systolic"),
        ({"heart_rate": 80}, "heart_rate", "'heart_rate' is not a known vital sign"),
    ],
)
def test_impossible_readings_are_refused_naming_the_field(
    store: LocalStore,
    actors: dict[Role, Actor],
    patient: Patient,
    readings: dict[str, float],
    field: str,
    reason: str,
) -> None:
    visit = open_(store, actors[R], patient.id)
    before = journal_size(store)
    with pytest.raises(ValidationFailed) as error:
        triage(store, actors[N], visit, **readings)
    assert [e.field for e in error.value.errors] == [field]
    assert reason in error.value.errors[0].reason
    assert count(store, Triage) == 0
    assert reload(store, visit).status == S.REGISTERED
    assert journal_size(store) == before


def test_critical_readings_need_confirming(
    store: LocalStore, actors: dict[Role, Actor], patient: Patient
) -> None:
    visit = open_(store, actors[R], patient.id)
    before = journal_size(store)
    with pytest.raises(CriticalVitals) as error:
        triage(store, actors[N], visit, temperature_c=41, spo2_percent=85, pulse_bpm=80)
    assert error.value.names == ["temperature_c", "spo2_percent"]
    assert str(error.value) == "Critical readings need confirming: temperature_c, spo2_percent"
    assert isinstance(error.value, NotAllowed)
    assert count(store, Triage) == 0
    assert reload(store, visit).status == S.REGISTERED
    assert journal_size(store) == before

    confirmed = triage(
        store, actors[N], visit, confirm=True, temperature_c=41, spo2_percent=85, pulse_bpm=80
    )
    assert confirmed.critical_confirmed is True
    assert confirmed.flags == {
        "temperature_c": "CRITICAL_HIGH",
        "pulse_bpm": "NORMAL",
        "spo2_percent": "CRITICAL_LOW",
    }
    assert reload(store, visit).status == S.TRIAGED


def test_a_childs_readings_use_the_childs_bands(
    store: LocalStore, actors: dict[Role, Actor], patient: Patient
) -> None:
    infant = add_patient(store, actors[R], "Baby", "Otieno", TODAY - timedelta(days=180))
    toddler = add_patient(store, actors[R], "Tom", "Otieno", date(2023, 6, 1))
    infant_visit = open_(store, actors[R], infant.id)
    toddler_visit = open_(store, actors[R], toddler.id)
    adult_visit = open_(store, actors[R], patient.id)

    assert triage(store, actors[N], infant_visit, pulse_bpm=150, respiratory_rate=45).flags == {
        "pulse_bpm": "NORMAL",
        "respiratory_rate": "NORMAL",
    }
    assert triage(store, actors[N], toddler_visit, pulse_bpm=150, respiratory_rate=45).flags == {
        "pulse_bpm": "HIGH",
        "respiratory_rate": "HIGH",
    }
    with pytest.raises(CriticalVitals) as error:
        triage(store, actors[N], adult_visit, pulse_bpm=150, respiratory_rate=45)
    assert error.value.names == ["pulse_bpm", "respiratory_rate"]


def test_a_patient_of_unknown_age_is_flagged_as_an_adult(
    store: LocalStore, actors: dict[Role, Actor]
) -> None:
    unknown = add_patient(store, actors[R], "Jane", "Doe")
    visit = open_(store, actors[R], unknown.id)
    assert triage(store, actors[N], visit, pulse_bpm=110).flags == {"pulse_bpm": "HIGH"}


def test_triage_later_in_the_queue_keeps_the_status(
    store: LocalStore, actors: dict[Role, Actor], patient: Patient
) -> None:
    visit = open_(store, actors[R], patient.id)
    move(store, actors[R], visit, S.WAITING_CONSULTATION)
    triage(store, actors[N], visit, temperature_c=37)
    assert reload(store, visit).status == S.WAITING_CONSULTATION


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED])
def test_a_closed_visit_takes_no_vitals(
    store: LocalStore, actors: dict[Role, Actor], patient: Patient, status: VisitStatus
) -> None:
    visit = open_(store, actors[R], patient.id)
    set_status(store, visit, status)
    with pytest.raises(NotAllowed, match=f"The visit is {status.value}; vitals cannot be added"):
        triage(store, actors[N], visit, temperature_c=37)
    assert count(store, Triage) == 0


# --- record_consultation -----------------------------------------------------


@pytest.fixture
def in_queue(store: LocalStore, actors: dict[Role, Actor], patient: Patient) -> Visit:
    visit = open_(store, actors[R], patient.id)
    triage(store, actors[N], visit, temperature_c=38.5)
    return visit


def test_consultation_saves_notes_codes_prescriptions_and_labs(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit
) -> None:
    clinician = actors[C]
    consult(
        store,
        clinician,
        in_queue,
        complaint="  Fever for 3 days ",
        history="No travel",
        examination="   ",
        plan="Treat",
        diagnoses=["b54", "j189", "ICD-11:ca40.z"],
        prescriptions=[PARACETAMOL],
        lab_requests=[LabRequestInput(" Malaria RDT ")],
    )
    visit = reload(store, in_queue)
    assert visit.status == S.IN_CONSULTATION
    assert visit.clinician_id == clinician.user_id
    assert (visit.complaint, visit.history, visit.examination, visit.plan) == (
        "Fever for 3 days",
        "No travel",
        None,
        "Treat",
    )
    diagnoses = children(store, Diagnosis, visit)
    assert [(d.code_system, d.code, d.description, d.is_primary) for d in diagnoses] == [
        ("ICD-10", "B54", "Unspecified malaria", True),
        ("ICD-10", "J18.9", "Pneumonia, unspecified", False),
        ("ICD-11", "CA40.Z", "", False),
    ]
    [prescription] = children(store, Prescription, visit)
    assert (prescription.drug, prescription.dose, prescription.quantity) == (
        "Paracetamol 500mg",
        "1 tab",
        9,
    )
    [lab] = children(store, LabRequest, visit)
    assert (lab.test_name, lab.status) == ("Malaria RDT", LabStatus.REQUESTED)


def test_an_unknown_code_is_refused_naming_it_and_nothing_is_saved(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit
) -> None:
    before = journal_size(store)
    with pytest.raises(ValidationFailed) as error:
        consult(store, actors[C], in_queue, complaint="Fever", diagnoses=["B54", "J99.99"])
    assert [(e.field, e.reason) for e in error.value.errors] == [
        ("diagnoses", "J99.99 is not in the WHO ICD-10 list; check the code or search by name")
    ]
    visit = reload(store, in_queue)
    assert visit.complaint is None
    assert visit.status == S.TRIAGED
    assert children(store, Diagnosis, visit) == []
    assert journal_size(store) == before


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("ICD-11:XY", "'XY' is not an ICD-11 stem code"),
        ("ICD-11:", "No ICD-11 code given"),
        ("A00-A09", "'A00-A09' is not an ICD-10 code"),
        ("", "No diagnosis code given"),
    ],
)
def test_badly_shaped_codes_are_refused(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit, code: str, reason: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        consult(store, actors[C], in_queue, diagnoses=[code])
    [failure] = error.value.errors
    assert failure.field == "diagnoses"
    assert failure.reason.startswith(reason)


def test_prescriptions_and_labs_are_checked_with_indexed_field_names(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit
) -> None:
    before = journal_size(store)
    with pytest.raises(ValidationFailed) as error:
        consult(
            store,
            actors[C],
            in_queue,
            complaint="Fever",
            diagnoses=["B54", "Q"],
            prescriptions=[
                PARACETAMOL,
                PrescriptionInput("Amoxicillin", " ", "TDS", "", 0),
                PrescriptionInput("", "1 tab", "BD", "5 days", -2),
            ],
            lab_requests=[LabRequestInput("FBC"), LabRequestInput("  ")],
        )
    assert [e.field for e in error.value.errors] == [
        "diagnoses",
        "prescriptions[2].dose",
        "prescriptions[2].duration",
        "prescriptions[2].quantity",
        "prescriptions[3].drug",
        "prescriptions[3].quantity",
        "lab_requests[2].test_name",
    ]
    reasons = {e.field: e.reason for e in error.value.errors}
    assert reasons["prescriptions[2].dose"] == "Give the dose"
    assert reasons["prescriptions[2].quantity"] == "Quantity must be a whole number above 0"
    assert reasons["lab_requests[2].test_name"] == "Name the test"
    assert children(store, Prescription, in_queue) == []
    assert children(store, LabRequest, in_queue) == []
    assert journal_size(store) == before


def test_saving_the_draft_again_tombstones_the_old_rows_and_adds_new_ones(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit
) -> None:
    clinician = actors[C]
    consult(
        store,
        clinician,
        in_queue,
        complaint="Fever",
        diagnoses=["B54", "J18.9"],
        prescriptions=[PARACETAMOL],
        lab_requests=[LabRequestInput("Malaria RDT")],
    )
    old_ids = {
        row.id
        for model in (Diagnosis, Prescription, LabRequest)
        for row in children(store, model, in_queue)
    }
    assert len(old_ids) == 4
    consult(store, clinician, in_queue, complaint="Fever and cough", diagnoses=["A09"])

    diagnoses = children(store, Diagnosis, in_queue)
    assert {d.id for d in diagnoses if d.deleted_at is not None} == {
        d.id for d in diagnoses if d.id in old_ids
    }
    assert [(d.code, d.is_primary) for d in diagnoses if d.deleted_at is None] == [("A09", True)]
    assert all(p.deleted_at is not None for p in children(store, Prescription, in_queue))
    assert all(lab.deleted_at is not None for lab in children(store, LabRequest, in_queue))
    assert len(diagnoses) == 3
    with store.session() as session:
        deletes = session.scalars(
            select(OutboxEntry).where(OutboxEntry.operation == ChangeOperation.DELETE)
        ).all()
    assert {entry.row_id for entry in deletes} == old_ids
    assert {entry.entity for entry in deletes} == {"diagnoses", "prescriptions", "lab_requests"}
    assert all(set(entry.changes) == {"deleted_at"} for entry in deletes)
    assert reload(store, in_queue).complaint == "Fever and cough"


def test_saving_the_same_draft_twice_keeps_one_active_set(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit
) -> None:
    for _ in range(2):
        consult(store, actors[C], in_queue, complaint="Fever", diagnoses=["B54"])
    active = [d for d in children(store, Diagnosis, in_queue) if d.deleted_at is None]
    assert [d.code for d in active] == ["B54"]


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED])
def test_a_closed_visit_takes_no_consultation(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit, status: VisitStatus
) -> None:
    set_status(store, in_queue, status)
    with pytest.raises(NotAllowed, match=f"The visit is {status.value}"):
        consult(store, actors[C], in_queue, complaint="Fever", diagnoses=["B54"])
    assert reload(store, in_queue).complaint is None


# --- sign_visit ----------------------------------------------------------------


def test_signing_needs_a_complaint_and_a_diagnosis(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit
) -> None:
    consult(store, actors[C], in_queue, history="Unclear")
    before = journal_size(store)
    with pytest.raises(ValidationFailed) as error:
        sign(store, actors[C], in_queue)
    assert [(e.field, e.reason) for e in error.value.errors] == [
        ("complaint", "Write the complaint before signing"),
        ("diagnoses", "Add at least one diagnosis before signing"),
    ]
    visit = reload(store, in_queue)
    assert visit.signed_at is None
    assert visit.status == S.IN_CONSULTATION
    assert journal_size(store) == before


def test_a_tombstoned_diagnosis_does_not_count_for_signing(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit
) -> None:
    consult(store, actors[C], in_queue, complaint="Fever", diagnoses=["B54"])
    consult(store, actors[C], in_queue, complaint="Fever")
    with pytest.raises(ValidationFailed) as error:
        sign(store, actors[C], in_queue)
    assert [e.field for e in error.value.errors] == ["diagnoses"]


@pytest.mark.parametrize(
    ("prescriptions", "labs", "status"),
    [
        ([PARACETAMOL], [], S.WAITING_PHARMACY),
        ([], [LabRequestInput("Malaria RDT")], S.WAITING_LAB),
        ([PARACETAMOL], [LabRequestInput("Malaria RDT")], S.WAITING_LAB),
        ([], [], S.IN_CONSULTATION),
    ],
)
def test_signing_sends_the_visit_to_the_lab_or_the_pharmacy(
    store: LocalStore,
    actors: dict[Role, Actor],
    in_queue: Visit,
    prescriptions: list[PrescriptionInput],
    labs: list[LabRequestInput],
    status: VisitStatus,
) -> None:
    clinician = actors[C]
    consult(
        store,
        clinician,
        in_queue,
        complaint="Fever",
        diagnoses=["B54"],
        prescriptions=prescriptions,
        lab_requests=labs,
    )
    sign(store, clinician, in_queue)
    visit = reload(store, in_queue)
    assert visit.status == status
    assert visit.signed_at is not None
    assert visit.clinician_id == clinician.user_id


def test_a_signed_visit_is_changed_only_by_amendment(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit
) -> None:
    consult(store, actors[C], in_queue, complaint="Fever", diagnoses=["B54"])
    sign(store, actors[C], in_queue)
    before = journal_size(store)
    with pytest.raises(NotAllowed) as error:
        consult(store, actors[C], in_queue, complaint="Cough", diagnoses=["A09"])
    assert str(error.value) == "The visit is signed; change it with an amendment"
    with pytest.raises(NotAllowed, match="The visit is already signed"):
        sign(store, actors[C], in_queue)
    visit = reload(store, in_queue)
    assert visit.complaint == "Fever"
    assert [d.code for d in children(store, Diagnosis, visit)] == ["B54"]
    assert journal_size(store) == before


# --- amend_visit -------------------------------------------------------------


@pytest.fixture
def signed(store: LocalStore, actors: dict[Role, Actor], in_queue: Visit) -> Visit:
    consult(store, actors[C], in_queue, complaint="Fever", plan="Rest", diagnoses=["B54"])
    return sign(store, actors[C], in_queue)


def test_amendments_keep_the_signed_text_and_list_the_changes_in_order(
    store: LocalStore, actors: dict[Role, Actor], signed: Visit
) -> None:
    clinician = actors[C]
    first = amend(store, clinician, signed, "complaint", " Fever and cough ", " Misheard ")
    second = amend(store, clinician, signed, "complaint", "Fever, cough, headache", "Added")
    amend(store, clinician, signed, "plan", "Rest and fluids", "Forgot fluids")

    assert (first.old_value, first.new_value, first.reason) == (
        "Fever",
        "Fever and cough",
        "Misheard",
    )
    assert first.amended_by == clinician.user_id
    assert second.old_value == "Fever and cough"
    visit = reload(store, signed)
    assert visit.complaint == "Fever"
    assert visit.plan == "Rest"
    with store.session() as session:
        listed = amendments(signed.id, session=session)
        assert [(a.field, a.new_value) for a in listed] == [
            ("complaint", "Fever and cough"),
            ("complaint", "Fever, cough, headache"),
            ("plan", "Rest and fluids"),
        ]
        assert current_note(visit, "complaint", session=session) == "Fever, cough, headache"
        assert current_note(visit, "plan", session=session) == "Rest and fluids"
        assert current_note(visit, "history", session=session) is None
    assert count(store, Amendment) == 3


@pytest.mark.parametrize(
    ("field", "value", "reason", "errors"),
    [
        ("complaint", "Cough", "  ", [("reason", "Say why the signed visit is amended")]),
        ("complaint", " ", "Typo", [("new_value", "Write the amended text")]),
        (
            "diagnoses",
            "A09",
            "",
            [
                ("field", "Choose one of complaint, history, examination, plan"),
                ("reason", "Say why the signed visit is amended"),
            ],
        ),
    ],
)
def test_an_amendment_needs_a_field_a_value_and_a_reason(
    store: LocalStore,
    actors: dict[Role, Actor],
    signed: Visit,
    field: str,
    value: str,
    reason: str,
    errors: list[tuple[str, str]],
) -> None:
    before = journal_size(store)
    with pytest.raises(ValidationFailed) as error:
        amend(store, actors[C], signed, field, value, reason)
    assert [(e.field, e.reason) for e in error.value.errors] == errors
    assert count(store, Amendment) == 0
    assert journal_size(store) == before


def test_an_unsigned_visit_cannot_be_amended(
    store: LocalStore, actors: dict[Role, Actor], in_queue: Visit
) -> None:
    consult(store, actors[C], in_queue, complaint="Fever", diagnoses=["B54"])
    with pytest.raises(NotAllowed) as error:
        amend(store, actors[C], in_queue, "complaint", "Cough", "Typo")
    assert str(error.value) == "The visit is not signed yet; edit the draft instead"
    assert count(store, Amendment) == 0
