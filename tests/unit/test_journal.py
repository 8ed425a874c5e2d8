"""The journal of every write: one outbox entry per changed row, and each
device's hash-chained audit events, checked by verify_chain."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Enum, select, text
from sqlalchemy.dialects import sqlite

from clinic.actor import Actor
from clinic.enums import ChangeOperation, Role, VisitStatus
from clinic.journal.entities import SYNCED, Refused
from clinic.journal.models import AuditEvent, OutboxEntry
from clinic.journal.service import (
    GENESIS_HASH,
    audit_payload,
    event_hash,
    record_audit,
    record_delete,
    record_insert,
    record_update,
    snapshot,
    verify_chain,
)
from clinic.journal.wire import BadValue, decode_values
from clinic.org.models import Branch, User
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient, update_patient
from clinic.store import LocalStore
from clinic.visits.models import Visit
from clinic.visits.service import ConsultationNotes, open_visit, record_consultation
from tests.conftest import TODAY, make_actor


def register(store: LocalStore, actor: Actor, first_name: str = "Mary", **details: Any) -> Patient:
    with store.write() as session:
        return register_patient(
            PatientDetails(first_name=first_name, **details),
            session=session,
            actor=actor,
            today=TODAY,
        ).patient


def outbox(store: LocalStore) -> list[OutboxEntry]:
    with store.session() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.sequence)))


def chain(store: LocalStore, device_id: uuid.UUID) -> list[AuditEvent]:
    """One device's events in sequence order, as a checker reads them."""
    with store.session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.device_id == device_id)
                .order_by(AuditEvent.device_sequence)
            )
        )


def sql(store: LocalStore, statement: str, **params: Any) -> None:
    with store.write() as session:
        session.execute(text(statement), params)


# --- outbox ------------------------------------------------------------------


def test_an_insert_makes_one_outbox_entry_with_the_whole_row(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = register(store, receptionist, last_name="Otieno", phone="0757143067")
    [entry] = outbox(store)
    assert entry.sequence == 1
    assert (entry.entity, entry.row_id, entry.operation) == (
        "patients",
        patient.id,
        ChangeOperation.INSERT,
    )
    assert entry.base_version == 0
    assert entry.user_id == receptionist.user_id
    assert entry.changes == snapshot(patient)
    assert entry.changes["first_name"] == "Mary"
    assert entry.changes["last_name"] == "Otieno"
    assert entry.changes["phone"] == "+254757143067"
    assert entry.changes["created_by"] == str(receptionist.user_id)
    assert entry.changes["device_id"] == str(receptionist.device_id)
    assert entry.changes["deleted_at"] is None
    assert entry.created_at is not None


def test_an_update_carries_only_the_changed_fields(store: LocalStore, receptionist: Actor) -> None:
    patient = register(store, receptionist, last_name="Otieno", phone="0757143067")
    with store.write() as session:
        update_patient(
            patient.id,
            {"last_name": "Kamau", "phone": "0757143067", "residence": "Kisumu"},
            session=session,
            actor=receptionist,
            today=TODAY,
        )
    entries = outbox(store)
    assert [e.sequence for e in entries] == [1, 2]
    update = entries[1]
    assert (update.entity, update.row_id, update.operation) == (
        "patients",
        patient.id,
        ChangeOperation.UPDATE,
    )
    assert update.changes == {"last_name": "Kamau", "residence": "Kisumu"}


def test_record_update_with_no_change_records_nothing(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = register(store, receptionist)
    with store.write() as session:
        row = session.get(Patient, patient.id)
        assert row is not None
        before = snapshot(row)
        row.first_name = "Mary"
        assert record_update(session, receptionist, row, before, action="noop") == {}
    assert len(outbox(store)) == 1
    assert len(chain(store, receptionist.device_id)) == 1


def test_a_delete_is_a_tombstone_carrying_deleted_at(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = register(store, receptionist)
    with store.write() as session:
        row = session.get(Patient, patient.id)
        assert row is not None
        record_delete(session, receptionist, row, action="delete_patient")
    with store.session() as session:
        stored = session.get(Patient, patient.id)
        assert stored is not None
        assert stored.deleted_at is not None
    delete = outbox(store)[-1]
    assert (delete.entity, delete.row_id, delete.operation) == (
        "patients",
        patient.id,
        ChangeOperation.DELETE,
    )
    assert delete.changes == {"deleted_at": stored.deleted_at.isoformat()}
    event = chain(store, receptionist.device_id)[-1]
    assert (event.action, event.before, event.after) == (
        "delete_patient",
        {"deleted_at": None},
        {"deleted_at": stored.deleted_at.isoformat()},
    )


def test_a_service_write_makes_one_entry_per_changed_row(
    store: LocalStore, branch: Branch, receptionist: Actor
) -> None:
    clinician = make_actor(store, branch, Role.CLINICAL_OFFICER)
    patient = register(store, receptionist)
    with store.write() as session:
        visit = open_visit(patient.id, session=session, actor=receptionist, today=TODAY)
    start = len(outbox(store))
    with store.write() as session:
        record_consultation(
            visit.id,
            ConsultationNotes(complaint="Fever", diagnoses=["B54", "J18.9"]),
            session=session,
            actor=clinician,
        )
    entries = outbox(store)[start:]
    assert [(e.entity, e.operation) for e in entries] == [
        ("visits", ChangeOperation.UPDATE),
        ("diagnoses", ChangeOperation.INSERT),
        ("diagnoses", ChangeOperation.INSERT),
    ]
    assert entries[0].row_id == visit.id
    assert entries[0].changes == {
        "complaint": "Fever",
        "status": "IN_CONSULTATION",
        "clinician_id": str(clinician.user_id),
    }
    assert [e.changes["code"] for e in entries[1:]] == ["B54", "J18.9"]
    assert len({e.row_id for e in entries[1:]}) == 2


def test_an_outbox_entry_keeps_the_rows_server_version(
    store: LocalStore, receptionist: Actor
) -> None:
    patient = register(store, receptionist)
    with store.write() as session:
        row = session.get(Patient, patient.id)
        assert row is not None
        row.version = 7
        before = snapshot(row)
        row.residence = "Kisumu"
        record_update(session, receptionist, row, before, action="update_patient")
    entry = outbox(store)[-1]
    assert entry.base_version == 7
    assert entry.changes == {"residence": "Kisumu"}


def test_record_insert_stamps_author_and_device(store: LocalStore, receptionist: Actor) -> None:
    with store.write() as session:
        branch = Branch(code="WEST", name="West")
        record_insert(session, receptionist, branch, action="add_branch")
    with store.session() as session:
        stored = session.get(Branch, branch.id)
        assert stored is not None
        assert (stored.created_by, stored.device_id) == (
            receptionist.user_id,
            receptionist.device_id,
        )
    [event] = chain(store, receptionist.device_id)
    assert (event.action, event.entity, event.entity_id) == ("add_branch", "branches", branch.id)


def test_the_audit_leaves_out_columns_that_never_leave_the_server(
    store: LocalStore, branch: Branch
) -> None:
    admin = make_actor(store, branch, Role.ADMIN)
    with store.write() as session:
        user = User(username="k.otieno", full_name="K Otieno", role=Role.NURSE)
        user.password_hash = "$argon2id$secret"
        record_insert(session, admin, user, action="create_user")
        before = snapshot(user)
        user.password_hash = "$argon2id$another"
        user.full_name = "Kevin Otieno"
        record_update(session, admin, user, before, action="update_user")
    inserted, updated = chain(store, admin.device_id)
    assert inserted.after is not None and inserted.after["username"] == "k.otieno"
    assert "password_hash" not in inserted.after
    assert (updated.before, updated.after) == (
        {"full_name": "K Otieno"},
        {"full_name": "Kevin Otieno"},
    )


# --- audit chain ---------------------------------------------------------------


@pytest.fixture
def five_events(store: LocalStore, receptionist: Actor) -> list[AuditEvent]:
    patient = register(store, receptionist)
    for residence in ("Kisumu", "Nakuru", "Eldoret", "Thika"):
        with store.write() as session:
            update_patient(
                patient.id,
                {"residence": residence},
                session=session,
                actor=receptionist,
                today=TODAY,
            )
    events = chain(store, receptionist.device_id)
    assert len(events) == 5
    return events


def test_events_are_numbered_and_linked_per_device(
    store: LocalStore, receptionist: Actor, five_events: list[AuditEvent]
) -> None:
    assert [e.device_sequence for e in five_events] == [1, 2, 3, 4, 5]
    assert five_events[0].prev_hash == GENESIS_HASH
    for previous, event in pairwise(five_events):
        assert event.prev_hash == previous.hash
    for event in five_events:
        assert event.hash == event_hash(event.prev_hash, audit_payload(event))
        assert len(event.hash) == 64
    assert len({e.hash for e in five_events}) == 5
    assert [e.after for e in five_events[1:]] == [
        {"residence": r} for r in ("Kisumu", "Nakuru", "Eldoret", "Thika")
    ]
    assert five_events[2].before == {"residence": "Kisumu"}
    assert verify_chain(five_events) is None


def test_an_edited_event_breaks_the_chain_at_that_event(
    store: LocalStore, receptionist: Actor, five_events: list[AuditEvent]
) -> None:
    sql(
        store,
        "UPDATE audit_events SET after = json_set(after, '$.residence', 'Mombasa')"
        " WHERE device_id = :device AND device_sequence = 3",
        device=receptionist.device_id.hex,
    )
    events = chain(store, receptionist.device_id)
    assert events[2].after == {"residence": "Mombasa"}
    assert verify_chain(events) == 3


def test_an_edited_and_rehashed_event_breaks_the_chain_at_the_next_one(
    store: LocalStore, receptionist: Actor, five_events: list[AuditEvent]
) -> None:
    events = chain(store, receptionist.device_id)
    events[1].after = {"residence": "Mombasa"}
    forged = event_hash(events[1].prev_hash, audit_payload(events[1]))
    sql(
        store,
        "UPDATE audit_events SET after = json_set(after, '$.residence', 'Mombasa'), hash = :hash"
        " WHERE device_id = :device AND device_sequence = 2",
        hash=forged,
        device=receptionist.device_id.hex,
    )
    assert verify_chain(chain(store, receptionist.device_id)) == 3


@pytest.mark.parametrize(("deleted", "broken"), [(1, 2), (3, 4), (5, None)])
def test_a_deleted_event_breaks_the_chain(
    store: LocalStore,
    receptionist: Actor,
    five_events: list[AuditEvent],
    deleted: int,
    broken: int | None,
) -> None:
    sql(
        store,
        "DELETE FROM audit_events WHERE device_id = :device AND device_sequence = :sequence",
        device=receptionist.device_id.hex,
        sequence=deleted,
    )
    events = chain(store, receptionist.device_id)
    assert len(events) == 4
    # deleting the last event leaves a whole (shorter) chain: the server,
    # which already holds the pushed events, is where that one is caught
    assert verify_chain(events) == broken


def test_two_swapped_events_break_the_chain(
    store: LocalStore, receptionist: Actor, five_events: list[AuditEvent]
) -> None:
    device = receptionist.device_id.hex
    sql(
        store,
        "UPDATE audit_events SET device_sequence = CASE device_sequence"
        " WHEN 2 THEN 3 WHEN 3 THEN 2 END"
        " WHERE device_id = :device AND device_sequence IN (2, 3)",
        device=device,
    )
    assert verify_chain(chain(store, receptionist.device_id)) == 2


def test_events_given_out_of_order_break_the_chain(
    five_events: list[AuditEvent],
) -> None:
    reordered = [five_events[0], five_events[3], five_events[1], five_events[2], five_events[4]]
    assert verify_chain(reordered) == 4
    assert verify_chain(five_events[1:]) == 2
    assert verify_chain([]) is None


def test_each_device_keeps_its_own_chain(
    store: LocalStore, branch: Branch, receptionist: Actor
) -> None:
    other_pc = Actor(
        device_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        role=Role.RECEPTIONIST,
        branch_id=branch.id,
    )
    register(store, receptionist, "Ann")
    register(store, other_pc, "Ben")
    register(store, receptionist, "Cy")
    with store.write() as session:
        record_audit(
            session, other_pc, action="read_clinical_record", entity="visits", entity_id=None
        )
    ours = chain(store, receptionist.device_id)
    theirs = chain(store, other_pc.device_id)
    assert [e.device_sequence for e in ours] == [1, 2]
    assert [e.device_sequence for e in theirs] == [1, 2]
    assert [e.after["first_name"] for e in ours if e.after] == ["Ann", "Cy"]
    assert theirs[1].action == "read_clinical_record"
    assert theirs[1].after is None
    assert ours[0].prev_hash == theirs[0].prev_hash == GENESIS_HASH
    assert verify_chain(ours) is None
    assert verify_chain(theirs) is None
    sql(
        store,
        "UPDATE audit_events SET action = 'forged' WHERE device_id = :device"
        " AND device_sequence = 1",
        device=other_pc.device_id.hex,
    )
    assert verify_chain(chain(store, other_pc.device_id)) == 1
    assert verify_chain(chain(store, receptionist.device_id)) is None


def test_an_audit_event_survives_the_database_round_trip(
    store: LocalStore, receptionist: Actor
) -> None:
    register(store, receptionist, age="9mths", phone="0757143067")
    [event] = chain(store, receptionist.device_id)
    assert event.after is not None
    assert event.after["date_of_birth"] == date(2026, 2, 26).isoformat()
    assert event.occurred_at.tzinfo is not None
    assert verify_chain([event]) is None


def test_a_pushed_status_decodes_to_its_member_and_a_forbidden_jump_is_refused() -> None:
    """A status move the role may not make is refused with its reason (a
    decoded status used to be bare text, and the refusal's message failed)."""
    values = decode_values(Visit.__table__, {"status": "COMPLETED"})
    assert values["status"] is VisitStatus.COMPLETED
    with pytest.raises(Refused, match="REGISTERED cannot move to COMPLETED"):
        SYNCED["visits"].check_writer(Role.NURSE, values, None)


def test_every_synced_enum_decodes_to_the_member_a_loaded_row_holds() -> None:
    """A pushed enum's text becomes the member the database's own loading
    gives (the push's decoder looks members up by value: an enum column
    stored by its names would fail here, not in a push)."""
    dialect = sqlite.dialect()
    checked = 0
    for entity in SYNCED.values():
        table = entity.model.__table__  # type: ignore[attr-defined]
        for column in table.columns:
            if not isinstance(column.type, Enum):
                continue
            load = column.type.result_processor(dialect, None)
            for stored in column.type.enums:
                decoded = decode_values(table, {column.key: stored})[column.key]
                assert decoded is load(stored), (table.name, column.key, stored)
                checked += 1
    assert checked > 20


def test_pushed_text_that_is_not_unicode_is_refused_by_its_field() -> None:
    """A lone surrogate (valid in JSON, not in UTF-8) is refused like a NUL
    byte, in a value or a field name, instead of failing the database write."""
    with pytest.raises(BadValue, match="first_name: contains characters that are not valid"):
        decode_values(Patient.__table__, {"first_name": "Gr\ud800ace"})
    with pytest.raises(BadValue, match="a field name in patients is not valid text"):
        decode_values(Patient.__table__, {"first\udfffname": "Grace"})


STATUSES = ", ".join(status.value for status in VisitStatus)
REFUSED_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("visits", {"status": "DONE"}, f"status: 'DONE' is not one of {STATUSES}"),
    ("visits", {"status": 7}, f"status: 7 is not one of {STATUSES}"),
    ("visits", {"status": ["COMPLETED"]}, f"status: ['COMPLETED'] is not one of {STATUSES}"),
    ("patients", {"first_name": 5}, "first_name: expected text"),
    ("patients", {"first_name": "x" * 81}, "first_name: longer than 80 characters"),
    ("patients", {"first_name": "a\x00b"}, "first_name: contains a NUL character; remove it"),
    ("patients", {"op_number": None}, "op_number: a value is required"),
    ("patients", {"nonsense": 1}, "nonsense: no such field in patients"),
    ("patients", {"id": "not-an-id"},
     "id: 'not-an-id' is not valid (badly formed hexadecimal UUID string)"),
    ("patients", {"created_at": "2026-12-07T10:00:00"}, "created_at: a time needs its time zone"),
    ("patients", {"created_at": "yesterday"},
     "created_at: 'yesterday' is not valid (Invalid isoformat string: 'yesterday')"),
    ("patients", {"date_of_birth": "1990-13-01"},
     "date_of_birth: '1990-13-01' is not valid (month must be in 1..12)"),
    ("patients", {"date_of_birth_estimated": "yes"},
     "date_of_birth_estimated: expected true or false"),
    ("patients", {"version": True}, "version: expected a whole number"),
    ("patients", {"version": 2**31}, "version: 2147483648 is out of range"),
    ("patients", {"flagged_fields": [1.5, float("nan")]},
     "flagged_fields: expected finite numbers"),
    ("patients", {"flagged_fields": {"a": ["b\x00"]}},
     "flagged_fields: contains a NUL character; remove it"),
    ("claim_items", {"amount_cents": -(2**63) - 1},
     f"amount_cents: {-(2**63) - 1} is out of range"),
    ("lab_results", {"value_number": "1"}, "value_number: expected a number"),
    ("lab_results", {"value_number": float("inf")}, "value_number: expected a finite number"),
    ("lab_results", {"value_number": 2**1100},
     f"value_number: {2**1100} is not valid (int too large to convert to float)"),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "values", "reason"), REFUSED_VALUES)
def test_a_pushed_value_that_does_not_fit_is_refused_with_its_reason(
    entity: str, values: dict[str, Any], reason: str
) -> None:
    """Each column's check words its refusal as it always has (the reasons
    go back to the PC that pushed the value, and its tests match them)."""
    with pytest.raises(BadValue) as refused:
        decode_values(SYNCED[entity].model.__table__, values)  # type: ignore[attr-defined]
    assert str(refused.value) == reason


def test_pushed_values_that_fit_are_decoded_by_their_columns() -> None:
    row_id = uuid.uuid4()
    pushed = {
        "id": row_id.hex, "first_name": "Grâce", "middle_name": None, "date_of_birth": "1990-01-02",
        "created_at": "2026-12-07T10:00:00.5+03:00", "date_of_birth_estimated": True,
        "version": 2**31 - 1, "flagged_fields": [{"phone": 1.5}],
    }  # fmt: skip
    assert decode_values(Patient.__table__, pushed) == {
        "id": row_id, "first_name": "Grâce", "middle_name": None, "date_of_birth": date(1990, 1, 2),
        "created_at": datetime(2026, 12, 7, 7, 0, 0, 500000, tzinfo=UTC),
        "date_of_birth_estimated": True, "version": 2**31 - 1, "flagged_fields": [{"phone": 1.5}],
    }  # fmt: skip
    lab_results = SYNCED["lab_results"].model.__table__  # type: ignore[attr-defined]
    assert decode_values(lab_results, {"value_number": 3}) == {"value_number": 3.0}


FOREIGN_KEY_BEFORE_AND_AFTER = """
import uuid
from clinic.journal.wire import BadValue, decode_values
from clinic.patients.models import Patient
branch = {"registered_branch_id": "01a25073-87bb-7331-99c7-6e3521947724"}
try:
    decode_values(Patient.__table__, branch)
except BadValue:
    pass  # branches not loaded yet: the column has no type to decode by
import clinic.org.models
decoded = decode_values(Patient.__table__, branch)
assert decoded == {"registered_branch_id": uuid.UUID(branch["registered_branch_id"])}
"""


def test_a_foreign_key_column_decodes_by_its_type_once_the_table_it_names_is_loaded() -> None:
    """The columns' conversions are kept, but not a foreign key's chosen
    before the table it names was loaded (in a fresh interpreter: the tests
    load every model first)."""
    subprocess.run([sys.executable, "-c", FOREIGN_KEY_BEFORE_AND_AFTER], check=True)
