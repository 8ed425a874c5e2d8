"""Registering and updating patients: numbers, normalisation, validation,
duplicate warnings, and the outbox entry and audit event of every write."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.enums import ChangeOperation, Sex
from clinic.errors import InvalidValue, NotAllowed, ValidationFailed
from clinic.journal.models import AuditEvent, OutboxEntry
from clinic.numbering.service import add_lease
from clinic.patients.models import Patient
from clinic.patients.service import (
    EDITABLE_FIELDS,
    PatientDetails,
    Registration,
    _clean_field,
    clean_patient_fields,
    count_patients,
    get_patient,
    register_patient,
    update_patient,
)
from clinic.rules.numbers import NumberKind
from clinic.store import LocalStore
from tests.conftest import TODAY


def rows(store: LocalStore) -> dict[str, int]:
    """How many patients, outbox entries and audit events the store holds."""
    with store.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Patient, OutboxEntry, AuditEvent)
        }


NOTHING = {"patients": 0, "outbox": 0, "audit_events": 0}
TODAY_UTC = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def register(store: LocalStore, actor: Actor, **details: Any) -> Registration:
    details.setdefault("first_name", "Mary")
    with store.write() as session:
        return register_patient(
            PatientDetails(**details), session=session, actor=actor, today=TODAY
        )


def update(store: LocalStore, actor: Actor, patient_id: uuid.UUID, **changes: Any) -> Registration:
    with store.write() as session:
        return update_patient(patient_id, changes, session=session, actor=actor, today=TODAY)


def load(store: LocalStore, patient_id: uuid.UUID) -> Patient:
    with store.session() as session:
        return get_patient(patient_id, session=session)


def outbox(store: LocalStore) -> list[OutboxEntry]:
    with store.session() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.sequence)))


def audit(store: LocalStore) -> list[AuditEvent]:
    with store.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.device_sequence)))


def failure_reasons(error: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.reason for e in error.value.errors}


# --- OP numbers ---------------------------------------------------------------


def test_without_a_lease_patients_get_provisional_numbers_in_order(
    store: LocalStore, receptionist: Actor
) -> None:
    first = register(store, receptionist).patient
    second = register(store, receptionist, first_name="John").patient
    assert first.op_number == "TMP-OP-2026-000001-1"
    assert second.op_number == "TMP-OP-2026-000002-9"
    assert load(store, first.id).op_number == "TMP-OP-2026-000001-1"


def test_once_a_block_is_leased_patients_get_leased_numbers(
    store: LocalStore, receptionist: Actor
) -> None:
    assert register(store, receptionist).patient.op_number == "TMP-OP-2026-000001-1"
    with store.write() as session:
        add_lease(session, store.device_id, NumberKind.OP, 2026, 1001, 2000)
    assert register(store, receptionist).patient.op_number == "OP-2026-001001-0"
    assert register(store, receptionist).patient.op_number == "OP-2026-001002-8"


def test_a_receipt_lease_does_not_number_patients(store: LocalStore, receptionist: Actor) -> None:
    with store.write() as session:
        add_lease(session, store.device_id, NumberKind.RECEIPT, 2026, 1, 1000)
    assert register(store, receptionist).patient.op_number == "TMP-OP-2026-000001-1"


def test_another_devices_lease_does_not_number_this_devices_patients(
    store: LocalStore, receptionist: Actor
) -> None:
    with store.write() as session:
        add_lease(session, uuid.uuid4(), NumberKind.OP, 2026, 1, 1000)
    assert register(store, receptionist).patient.op_number == "TMP-OP-2026-000001-1"


# --- normalisation -----------------------------------------------------------


def test_register_normalises_names_phone_and_ids(store: LocalStore, receptionist: Actor) -> None:
    registration = register(
        store,
        receptionist,
        first_name="  mary  ",
        middle_name="wanjiru",
        last_name="  Otieno   Achieng ",
        sex=Sex.FEMALE,
        date_of_birth=date(1990, 5, 17),
        phone="0757 143 067",
        national_id=" 12345678 ",
        sha_number="sha-123 45",
        sha_principal_number=" cr-999 9 ",
        residence="  Kibera   Olympic ",
        next_of_kin_name=" John  Otieno ",
        next_of_kin_phone="757143068",
        next_of_kin_relationship="husband",
        legacy_number=" 001/25 ",
    )
    assert registration.duplicates == []
    patient = load(store, registration.patient.id)
    assert patient.first_name == "Mary"
    assert patient.middle_name == "Wanjiru"
    assert patient.last_name == "Otieno Achieng"
    assert patient.full_name == "Mary Wanjiru Otieno Achieng"
    assert patient.sex == Sex.FEMALE
    assert patient.date_of_birth == date(1990, 5, 17)
    assert patient.date_of_birth_estimated is False
    assert patient.phone == "+254757143067"
    assert patient.next_of_kin_phone == "+254757143068"
    assert patient.national_id == "12345678"
    assert patient.sha_number == "SHA-12345"
    assert patient.sha_principal_number == "CR-9999"
    assert patient.residence == "Kibera Olympic"
    assert patient.next_of_kin_name == "John Otieno"
    assert patient.legacy_number == "001/25"
    assert patient.registered_branch_id == receptionist.branch_id
    assert patient.created_by == receptionist.user_id
    assert patient.device_id == receptionist.device_id
    assert patient.merged_into is None
    assert patient.flagged_fields == []


def test_blank_optional_fields_are_stored_as_none(store: LocalStore, receptionist: Actor) -> None:
    patient = register(
        store, receptionist, middle_name="   ", last_name="", phone=" ", national_id="  "
    ).patient
    stored = load(store, patient.id)
    assert (stored.middle_name, stored.last_name, stored.phone, stored.national_id) == (
        None,
        None,
        None,
        None,
    )
    assert stored.sex == Sex.UNKNOWN
    assert stored.date_of_birth is None


def test_names_in_capitals_or_mixed_case_are_kept_as_typed(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = register(store, receptionist, first_name="MARY", last_name="McDonald").patient
    assert (patient.first_name, patient.last_name) == ("MARY", "McDonald")


def test_an_age_becomes_an_estimated_date_of_birth(store: LocalStore, receptionist: Actor) -> None:
    patient = register(store, receptionist, age="33yrs").patient
    stored = load(store, patient.id)
    assert stored.date_of_birth == date(1993, 11, 26)
    assert stored.date_of_birth_estimated is True


def test_an_age_in_months_counts_back_from_today(store: LocalStore, receptionist: Actor) -> None:
    patient = register(store, receptionist, age="9mths").patient
    assert patient.date_of_birth == date(2026, 2, 26)
    assert patient.date_of_birth_estimated is True


def test_a_date_of_birth_wins_over_an_age_and_is_exact(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = register(store, receptionist, age="33yrs", date_of_birth=date(2000, 1, 2)).patient
    assert patient.date_of_birth == date(2000, 1, 2)
    assert patient.date_of_birth_estimated is False


def test_flagged_fields_given_at_registration_are_kept(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = register(store, receptionist, flagged_fields=["phone", "date_of_birth"]).patient
    assert load(store, patient.id).flagged_fields == ["phone", "date_of_birth"]


# --- validation --------------------------------------------------------------


def test_every_bad_field_is_reported_at_once_and_nothing_is_written(
    store: LocalStore, receptionist: Actor
) -> None:
    with pytest.raises(ValidationFailed) as error:
        register(
            store,
            receptionist,
            first_name=" ",
            last_name="Ot1eno",
            date_of_birth=date(2030, 1, 1),
            phone="123",
            national_id="ab",
            sha_number="!",
            next_of_kin_phone="+44 20 7946 0958",
            sex="X",
        )
    reasons = failure_reasons(error)
    # in the order of the form, whatever the process's hash seed
    assert [e.field for e in error.value.errors] == [
        "first_name",
        "last_name",
        "sex",
        "date_of_birth",
        "national_id",
        "sha_number",
        "phone",
        "next_of_kin_phone",
    ]
    assert reasons["first_name"] == "A first name is needed"
    assert reasons["last_name"] == "'Ot1eno' is not a name: use letters, spaces, ' and - only"
    assert reasons["date_of_birth"] == "01/01/2030 is in the future"
    assert reasons["phone"].startswith("123 has 3 digits")
    assert reasons["national_id"] == "'AB' is not a national ID number (6 to 9 digits)"
    assert reasons["sha_number"] == "'!' is not an SHA number (letters and digits)"
    assert "not a Kenyan number" in reasons["next_of_kin_phone"]
    assert reasons["sex"] == "Choose female, male, intersex or unknown"
    assert "phone: 123 has 3 digits" in str(error.value)
    assert rows(store) == NOTHING


def test_a_bad_age_is_reported_with_the_other_bad_fields(
    store: LocalStore, receptionist: Actor
) -> None:
    with pytest.raises(ValidationFailed) as error:
        register(store, receptionist, first_name="", age="old")
    reasons = failure_reasons(error)
    assert [e.field for e in error.value.errors] == ["age", "first_name"]
    assert reasons["age"] == "'old' is not an age; write it like 33yrs, 9mths, 2wks or 3days"
    assert rows(store) == NOTHING


def test_a_bad_age_alone_is_refused(store: LocalStore, receptionist: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        register(store, receptionist, age="150yrs")
    assert [e.field for e in error.value.errors] == ["age"]
    assert "over 120 years" in error.value.errors[0].reason
    assert rows(store) == NOTHING


def test_a_date_of_birth_over_120_years_ago_is_refused(
    store: LocalStore, receptionist: Actor
) -> None:
    with pytest.raises(ValidationFailed) as error:
        register(store, receptionist, date_of_birth=date(1900, 1, 1))
    assert failure_reasons(error) == {
        "date_of_birth": "01/01/1900 is over 120 years ago; check the year"
    }
    assert rows(store) == NOTHING


def test_a_refused_registration_uses_up_no_number(store: LocalStore, receptionist: Actor) -> None:
    with pytest.raises(ValidationFailed):
        register(store, receptionist, phone="123")
    assert register(store, receptionist).patient.op_number == "TMP-OP-2026-000001-1"


# --- duplicates --------------------------------------------------------------


@pytest.fixture
def existing(store: LocalStore, receptionist: Actor) -> Patient:
    return register(
        store,
        receptionist,
        first_name="Mary",
        last_name="Otieno",
        date_of_birth=date(1990, 5, 17),
        phone="0757143067",
        national_id="12345678",
        sha_number="SHA-12345",
    ).patient


@pytest.mark.parametrize(
    ("details", "reasons"),
    [
        ({"first_name": "John", "phone": "+254 757 143 067"}, ("same phone",)),
        ({"first_name": "John", "national_id": "12345678"}, ("same national ID",)),
        ({"first_name": "John", "sha_number": " sha-123 45"}, ("same SHA number",)),
        (
            {"first_name": "mary", "last_name": "OTIENO", "date_of_birth": date(1990, 5, 17)},
            ("same name and date of birth",),
        ),
        (
            {
                "first_name": "Mary",
                "last_name": "Otieno",
                "date_of_birth": date(1990, 5, 17),
                "phone": "757143067",
                "national_id": "12345678",
                "sha_number": "SHA-12345",
            },
            ("same national ID", "same SHA number", "same phone", "same name and date of birth"),
        ),
    ],
)
def test_a_likely_duplicate_is_a_warning_and_the_patient_is_still_registered(
    store: LocalStore,
    receptionist: Actor,
    existing: Patient,
    details: dict[str, Any],
    reasons: tuple[str, ...],
) -> None:
    registration = register(store, receptionist, **details)
    assert len(registration.duplicates) == 1
    duplicate = registration.duplicates[0]
    assert duplicate.patient_id == existing.id
    assert duplicate.op_number == existing.op_number
    assert duplicate.full_name == "Mary Otieno"
    assert duplicate.date_of_birth == date(1990, 5, 17)
    assert duplicate.phone == "+254757143067"
    assert duplicate.reasons == reasons
    assert registration.patient.id != existing.id
    assert registration.patient.op_number == "TMP-OP-2026-000002-9"
    with store.session() as session:
        assert count_patients(session=session) == 2
    assert load(store, existing.id).merged_into is None
    assert load(store, registration.patient.id).merged_into is None


@pytest.mark.parametrize(
    "details",
    [
        {"first_name": "Mary", "last_name": "Otieno", "date_of_birth": date(1990, 5, 18)},
        {"first_name": "Mary", "last_name": "Achieng", "date_of_birth": date(1990, 5, 17)},
        {"first_name": "Mary", "last_name": "Otieno"},
        {"first_name": "John", "phone": "0757143068", "national_id": "12345679"},
    ],
)
def test_different_patients_are_no_duplicates(
    store: LocalStore, receptionist: Actor, existing: Patient, details: dict[str, Any]
) -> None:
    assert register(store, receptionist, **details).duplicates == []


def test_merged_and_deleted_patients_are_no_duplicates(
    store: LocalStore, receptionist: Actor, existing: Patient
) -> None:
    other = register(store, receptionist, first_name="Jane", national_id="87654321").patient
    with store.write() as session:
        session.get(Patient, existing.id).merged_into = other.id  # type: ignore[union-attr]
        session.get(Patient, other.id).deleted_at = TODAY_UTC  # type: ignore[union-attr]
    again = register(store, receptionist, phone="0757143067", national_id="87654321")
    assert again.duplicates == []


# --- update ------------------------------------------------------------------


def test_update_changes_only_the_given_fields(
    store: LocalStore, receptionist: Actor, existing: Patient
) -> None:
    before_outbox = len(outbox(store))
    result = update(store, receptionist, existing.id, phone="0722 000 111", residence=" Kisumu ")
    assert result.duplicates == []
    patient = load(store, existing.id)
    assert patient.phone == "+254722000111"
    assert patient.residence == "Kisumu"
    assert (patient.first_name, patient.last_name, patient.national_id) == (
        "Mary",
        "Otieno",
        "12345678",
    )
    assert patient.op_number == existing.op_number
    entries = outbox(store)
    assert len(entries) == before_outbox + 1
    assert entries[-1].operation == ChangeOperation.UPDATE
    assert entries[-1].row_id == existing.id
    assert entries[-1].changes == {"phone": "+254722000111", "residence": "Kisumu"}
    event = audit(store)[-1]
    assert event.action == "update_patient"
    assert event.before == {"phone": "+254757143067", "residence": None}
    assert event.after == {"phone": "+254722000111", "residence": "Kisumu"}


def test_an_update_that_changes_nothing_records_nothing(
    store: LocalStore, receptionist: Actor, existing: Patient
) -> None:
    counts = rows(store)
    update(store, receptionist, existing.id, phone="+254757143067", first_name="Mary")
    assert rows(store) == counts


def test_update_reports_every_bad_field_and_changes_nothing(
    store: LocalStore, receptionist: Actor, existing: Patient
) -> None:
    counts = rows(store)
    with pytest.raises(ValidationFailed) as error:
        update(
            store,
            receptionist,
            existing.id,
            phone="123",
            first_name="",
            op_number="OP-2026-000009-5",
            residence="Kisumu",
        )
    reasons = failure_reasons(error)
    assert set(reasons) == {"phone", "first_name", "op_number"}
    assert reasons["first_name"] == "A first name is needed"
    assert reasons["op_number"] == "This field does not exist or cannot be changed"
    patient = load(store, existing.id)
    assert (patient.phone, patient.first_name, patient.residence, patient.op_number) == (
        "+254757143067",
        "Mary",
        None,
        existing.op_number,
    )
    assert rows(store) == counts


def test_update_warns_of_duplicates_excluding_the_patient_itself(
    store: LocalStore, receptionist: Actor, existing: Patient
) -> None:
    other = register(store, receptionist, first_name="John", phone="0722000111").patient
    unchanged_ids = update(store, receptionist, existing.id, residence="Kisumu")
    assert unchanged_ids.duplicates == []
    result = update(store, receptionist, existing.id, phone="0722000111")
    assert [(d.patient_id, d.reasons) for d in result.duplicates] == [(other.id, ("same phone",))]
    assert load(store, existing.id).phone == "+254722000111"


def test_editing_a_flagged_field_clears_its_flag_only(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = register(
        store, receptionist, flagged_fields=["phone", "date_of_birth", "last_name"]
    ).patient
    update(store, receptionist, patient.id, phone="0722000111", last_name="Otieno")
    assert load(store, patient.id).flagged_fields == ["date_of_birth"]
    assert outbox(store)[-1].changes == {
        "phone": "+254722000111",
        "last_name": "Otieno",
        "flagged_fields": ["date_of_birth"],
    }


def test_editing_the_date_of_birth_makes_it_exact(store: LocalStore, receptionist: Actor) -> None:
    patient = register(store, receptionist, age="33yrs").patient
    assert patient.date_of_birth_estimated is True
    update(store, receptionist, patient.id, date_of_birth=date(1993, 3, 4))
    stored = load(store, patient.id)
    assert stored.date_of_birth == date(1993, 3, 4)
    assert stored.date_of_birth_estimated is False
    assert outbox(store)[-1].changes == {
        "date_of_birth": "1993-03-04",
        "date_of_birth_estimated": False,
    }


def test_editing_another_field_keeps_the_estimate(store: LocalStore, receptionist: Actor) -> None:
    patient = register(store, receptionist, age="33yrs").patient
    update(store, receptionist, patient.id, residence="Kisumu")
    assert load(store, patient.id).date_of_birth_estimated is True


def test_a_merged_patient_cannot_be_edited(
    store: LocalStore, receptionist: Actor, existing: Patient
) -> None:
    survivor = register(store, receptionist, first_name="Maria").patient
    with store.write() as session:
        session.get(Patient, existing.id).merged_into = survivor.id  # type: ignore[union-attr]
    counts = rows(store)
    with pytest.raises(NotAllowed) as error:
        update(store, receptionist, existing.id, residence="Kisumu")
    assert str(error.value) == (
        f"{existing.op_number} was merged into another patient; edit that one"
    )
    assert load(store, existing.id).residence is None
    assert rows(store) == counts


def test_updating_a_patient_that_does_not_exist_says_so(
    store: LocalStore, receptionist: Actor
) -> None:
    missing = uuid.uuid4()
    with pytest.raises(LookupError, match=f"No patient with id {missing}"):
        update(store, receptionist, missing, residence="Kisumu")
    assert rows(store) == NOTHING


# --- outbox and audit, one transaction -----------------------------------------


def test_register_writes_one_outbox_entry_and_one_audit_event(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = register(store, receptionist, phone="0757143067", age="33yrs").patient
    assert rows(store) == {"patients": 1, "outbox": 1, "audit_events": 1}
    [entry] = outbox(store)
    assert entry.entity == "patients"
    assert entry.row_id == patient.id
    assert entry.operation == ChangeOperation.INSERT
    assert entry.base_version == 0
    assert entry.changes["id"] == str(patient.id)
    assert entry.changes["op_number"] == "TMP-OP-2026-000001-1"
    assert entry.changes["phone"] == "+254757143067"
    assert entry.changes["date_of_birth"] == "1993-11-26"
    assert entry.changes["date_of_birth_estimated"] is True
    assert entry.changes["sex"] == "U"
    [event] = audit(store)
    assert event.action == "register_patient"
    assert event.entity == "patients"
    assert event.entity_id == patient.id
    assert event.user_id == receptionist.user_id
    assert event.device_id == receptionist.device_id
    assert event.before is None
    assert event.after == entry.changes


def test_a_failure_after_register_in_the_same_transaction_leaves_nothing(
    store: LocalStore, receptionist: Actor
) -> None:
    class Crash(Exception):
        pass

    def register_then_crash(session: Session) -> None:
        register_patient(
            PatientDetails(first_name="Mary"), session=session, actor=receptionist, today=TODAY
        )
        assert session.scalar(select(func.count()).select_from(Patient)) == 1
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
        raise Crash

    with pytest.raises(Crash), store.write() as session:
        register_then_crash(session)
    assert rows(store) == NOTHING
    assert register(store, receptionist).patient.op_number == "TMP-OP-2026-000001-1"


def test_a_failure_after_update_leaves_the_patient_as_it_was(
    store: LocalStore, receptionist: Actor, existing: Patient
) -> None:
    counts = rows(store)
    with pytest.raises(RuntimeError), store.write() as session:
        update_patient(
            existing.id, {"phone": "0722000111"}, session=session, actor=receptionist, today=TODAY
        )
        raise RuntimeError("power cut")
    assert load(store, existing.id).phone == "+254757143067"
    assert rows(store) == counts


@pytest.mark.parametrize("name", sorted(EDITABLE_FIELDS))
def test_a_blank_field_is_cleaned_as_its_own_check_cleans_it(name: str) -> None:
    """Blank fields skip their check (most of a registration's are blank),
    with the answer the check gives: None, or the check's own refusal."""
    try:
        expected: Any = _clean_field(name, None, TODAY)
    except InvalidValue as refusal:
        with pytest.raises(ValidationFailed) as caught:
            clean_patient_fields({name: None}, today=TODAY)
        assert [(e.field, e.reason) for e in caught.value.errors] == [(name, refusal.reason)]
    else:
        assert clean_patient_fields({name: None}, today=TODAY) == {name: expected}
