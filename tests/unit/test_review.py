"""The review services on a PC's store: how a chain break is named, how a
refused change's fixes are read from the fix form's text, and the server
copy check (issue 14)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text

from clinic.actor import Actor
from clinic.db import uuid7
from clinic.enums import ChangeOperation
from clinic.errors import InvalidValue
from clinic.journal.audit import ChainReport, check_server_copy, verify_chains
from clinic.journal.models import AuditEvent, RejectedChange
from clinic.journal.review import open_rejections, resend_rejected
from clinic.journal.service import ChainProblem, audit_payload, event_hash, find_break
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import LocalStore
from tests.conftest import TODAY


def _register(store: LocalStore, actor: Actor, first_name: str) -> uuid.UUID:
    with store.write() as session:
        return register_patient(
            PatientDetails(first_name=first_name, last_name="Wambui"),
            session=session,
            actor=actor,
            today=TODAY,
        ).patient.id


def _chain(store: LocalStore) -> list[AuditEvent]:
    with store.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.device_sequence)))


@pytest.fixture
def three(store: LocalStore, receptionist: Actor) -> list[uuid.UUID]:
    return [_register(store, receptionist, name) for name in ("Grace", "Baraka", "Achieng")]


def test_a_whole_chain_is_reported_with_its_length(
    store: LocalStore, receptionist: Actor, three: list[uuid.UUID]
) -> None:
    with store.session() as session:
        (report,) = verify_chains(session=session)
    assert (report.device_id, report.events, report.last_sequence) == (store.device_id, 3, 3)
    assert report.broken is None


def test_a_number_given_twice_is_repeated(
    store: LocalStore, receptionist: Actor, three: list[uuid.UUID]
) -> None:
    with store.write() as session:
        session.execute(
            text("UPDATE audit_events SET device_sequence = 2 WHERE device_sequence = 3")
        )
    broken = find_break(_chain(store))
    assert broken is not None
    assert (broken.sequence, broken.problem) == (2, ChainProblem.REPEATED)


def test_an_event_rewritten_with_a_new_hash_unlinks_the_next(
    store: LocalStore, receptionist: Actor, three: list[uuid.UUID]
) -> None:
    events = _chain(store)
    events[0].after = {"first_name": "Mallory"}
    forged = event_hash(events[0].prev_hash, audit_payload(events[0]))
    events[0].hash = forged
    broken = find_break(events)
    assert broken is not None
    assert (broken.sequence, broken.event_id, broken.problem) == (
        2,
        events[1].id,
        ChainProblem.UNLINKED,
    )
    assert broken.detail == "Event 2 does not follow event 1: event 1 was rewritten or replaced"


def test_the_server_copy_short_of_what_was_pushed_is_named(
    store: LocalStore, receptionist: Actor, three: list[uuid.UUID]
) -> None:
    events = _chain(store)
    copy = ChainReport(store.device_id, "desk", 1, 1, None)
    with store.session() as session:
        short = check_server_copy(copy, store.device_id, 3, session=session)
        assert check_server_copy(copy, store.device_id, 1, session=session) is None
        none_held = check_server_copy(None, store.device_id, 1, session=session)
    assert short is not None
    assert (short.sequence, short.event_id, short.problem) == (
        2,
        events[1].id,
        ChainProblem.MISSING,
    )
    assert short.detail == "The server no longer holds events 2 to 3 that this PC sent it (deleted)"
    assert none_held is not None and none_held.detail.startswith(
        "The server no longer holds event 1 "
    )


def _refused(store: LocalStore, patient_id: uuid.UUID, changes: dict[str, Any]) -> uuid.UUID:
    with store.write() as session:
        rejected = RejectedChange(
            id=uuid7(),
            sequence=9,
            entity="patients",
            row_id=patient_id,
            operation=ChangeOperation.UPDATE,
            changes=changes,
            reason="refused",
        )
        session.add(rejected)
    return rejected.id


@pytest.mark.parametrize(
    ("field", "typed", "stored"),
    [
        ("date_of_birth_estimated", "yes", True),
        ("date_of_birth_estimated", "No", False),
        ("flagged_fields", '["phone"]', ["phone"]),
        ("residence", "  Kibera ", "Kibera"),
        ("residence", "", None),
    ],
)
def test_a_fix_is_read_as_its_column_holds_it(
    store: LocalStore,
    receptionist: Actor,
    three: list[uuid.UUID],
    field: str,
    typed: str,
    stored: Any,
) -> None:
    grace = three[0]
    rejected = _refused(store, grace, {field: "refused value", "version": 2})
    with store.write() as session:
        resend_rejected(rejected, fixes={field: typed}, session=session, actor=receptionist)
    with store.session() as session:
        patient = session.get(Patient, grace)
        assert getattr(patient, field) == stored
        assert open_rejections(session) == []


@pytest.mark.parametrize(
    ("field", "typed", "reason"),
    [
        ("date_of_birth_estimated", "maybe", "answer yes or no"),
        ("flagged_fields", "[phone", "'[phone' is not a valid value here"),
        ("date_of_birth", "31/02/1990", "is not valid"),
        ("residence", "Kib\x00era", "contains a NUL character; remove it"),
        ("version", "7", "this field is not part of the refused change"),
    ],
)
def test_a_fix_the_column_cannot_hold_is_refused_naming_its_field(
    store: LocalStore,
    receptionist: Actor,
    three: list[uuid.UUID],
    field: str,
    typed: str,
    reason: str,
) -> None:
    grace = three[0]
    changes = {"date_of_birth_estimated": True, "flagged_fields": [], "residence": "x"}
    rejected = _refused(store, grace, changes | {"date_of_birth": "1990-01-01", "version": 2})
    events_before = len(_chain(store))
    with store.write() as session, pytest.raises(InvalidValue) as refused:
        resend_rejected(rejected, fixes={field: typed}, session=session, actor=receptionist)
    assert refused.value.field == field
    assert reason in refused.value.reason
    with store.session() as session:
        assert [r.id for r in open_rejections(session)] == [rejected]
    assert len(_chain(store)) == events_before
