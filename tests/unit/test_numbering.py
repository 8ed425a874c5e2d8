"""Handing out OP and receipt numbers from leased blocks, oldest first, and
provisional TMP- numbers when no leased number is left."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.backup import backup_store
from clinic.billing.models import Payment
from clinic.db import utcnow
from clinic.enums import ChangeOperation, PaymentMethod
from clinic.journal.models import AuditEvent, OutboxEntry, StoreSetting
from clinic.journal.service import verify_chain
from clinic.numbering.models import NumberLease
from clinic.numbering.service import (
    BLOCK_SIZE,
    LOW_WATER_MARK,
    SENT_THROUGH_KEY,
    add_lease,
    blocks_wanted,
    next_number,
    numbering_due,
    numbers_left,
    replace_provisional,
    take_numbers,
)
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient
from clinic.rules.numbers import NumberKind, format_number, parse_number
from clinic.store import LocalStore
from tests.conftest import TODAY

OP = NumberKind.OP
RCP = NumberKind.RECEIPT


@pytest.fixture
def device(store: LocalStore) -> uuid.UUID:
    return store.device_id


def take(session: Session, device: uuid.UUID, kind: NumberKind = OP, count: int = 1) -> list[str]:
    return [next_number(session, device, kind, today=TODAY) for _ in range(count)]


def test_without_a_lease_numbers_are_provisional(store: LocalStore, device: uuid.UUID) -> None:
    with store.write() as session:
        assert take(session, device, count=3) == [
            "TMP-OP-2026-000001-1",
            "TMP-OP-2026-000002-9",
            "TMP-OP-2026-000003-7",
        ]
        assert take(session, device, RCP) == ["TMP-RCP-2026-000001-1"]
        assert numbers_left(session, device, OP) == 0
    with store.write() as session:
        assert take(session, device) == ["TMP-OP-2026-000004-5"]
        [provisional] = session.scalars(
            select(NumberLease).where(NumberLease.kind == OP, NumberLease.provisional.is_(True))
        ).all()
        assert (provisional.year, provisional.next) == (2026, 5)
    assert parse_number("TMP-OP-2026-000004-5").provisional is True


def test_provisional_numbers_follow_the_year_of_the_day(
    store: LocalStore, device: uuid.UUID
) -> None:
    with store.write() as session:
        assert take(session, device) == ["TMP-OP-2026-000001-1"]
        next_year = TODAY.replace(year=2027, month=1, day=2)
        assert next_number(session, device, OP, today=next_year) == "TMP-OP-2027-000001-9"
        assert take(session, device) == ["TMP-OP-2026-000002-9"]


def test_a_number_taken_in_a_rolled_back_transaction_is_given_again(
    store: LocalStore, device: uuid.UUID
) -> None:
    with pytest.raises(RuntimeError), store.write() as session:
        assert take(session, device) == ["TMP-OP-2026-000001-1"]
        raise RuntimeError("the write that used it failed")
    with store.write() as session:
        assert take(session, device) == ["TMP-OP-2026-000001-1"]


def test_leased_numbers_come_from_the_lease(store: LocalStore, device: uuid.UUID) -> None:
    with store.write() as session:
        add_lease(session, device, OP, 2026, 1001, 2000)
        assert numbers_left(session, device, OP) == 1000
        assert take(session, device, count=2) == ["OP-2026-001001-0", "OP-2026-001002-8"]
        assert numbers_left(session, device, OP) == 998
        assert numbers_left(session, device, RCP) == 0
        assert take(session, device, RCP) == ["TMP-RCP-2026-000001-1"]
    with store.session() as session:
        assert numbers_left(session, device, OP) == 998


def test_blocks_are_used_oldest_first(store: LocalStore, device: uuid.UUID) -> None:
    with store.write() as session:
        add_lease(session, device, OP, 2026, 3001, 3002)
        add_lease(session, device, OP, 2026, 1001, 1002)
        add_lease(session, device, OP, 2025, 5001, 5001)
        assert numbers_left(session, device, OP) == 5
        numbers = take(session, device, count=6)
    assert [n.rsplit("-", 1)[0] for n in numbers] == [
        "OP-2025-005001",
        "OP-2026-001001",
        "OP-2026-001002",
        "OP-2026-003001",
        "OP-2026-003002",
        "TMP-OP-2026-000001",
    ]
    assert all(parse_number(n).text == n for n in numbers)


def test_a_used_up_block_falls_through_to_the_next_then_to_provisional(
    store: LocalStore, device: uuid.UUID
) -> None:
    with store.write() as session:
        first = add_lease(session, device, OP, 2026, 1, 2)
        second = add_lease(session, device, OP, 2026, 1001, 1001)
        assert take(session, device, count=2) == ["OP-2026-000001-1", "OP-2026-000002-9"]
        assert (first.next, first.last) == (3, 2)
        assert numbers_left(session, device, OP) == 1
        assert take(session, device) == ["OP-2026-001001-0"]
        assert second.next == 1002
        assert numbers_left(session, device, OP) == 0
        assert take(session, device, count=2) == ["TMP-OP-2026-000001-1", "TMP-OP-2026-000002-9"]
        add_lease(session, device, OP, 2026, 2001, 3000)
        assert numbers_left(session, device, OP) == 1000
        assert take(session, device) == ["OP-2026-002001-9"]


def test_numbers_taken_at_once_are_those_taken_one_by_one(
    store: LocalStore, device: uuid.UUID
) -> None:
    def leases(session: Session) -> None:
        add_lease(session, device, OP, 2026, 1, 2)
        add_lease(session, device, OP, 2026, 1001, 1001)

    with pytest.raises(RuntimeError), store.write() as session:
        leases(session)
        one_by_one = take(session, device, count=5) + take(session, device)
        raise RuntimeError("taken again below, at once")

    with store.write() as session:
        leases(session)
        at_once = take_numbers(session, device, OP, 5, today=TODAY)
        assert at_once + take(session, device) == one_by_one
    assert one_by_one == [
        "OP-2026-000001-1",
        "OP-2026-000002-9",
        "OP-2026-001001-0",
        "TMP-OP-2026-000001-1",
        "TMP-OP-2026-000002-9",
        "TMP-OP-2026-000003-7",
    ]
    with store.write() as session:
        assert take_numbers(session, device, OP, 2, today=TODAY) == [
            "TMP-OP-2026-000004-5",
            "TMP-OP-2026-000005-2",
        ]
        assert take_numbers(session, device, OP, 0, today=TODAY) == []


def test_another_devices_leases_are_not_used_or_counted(
    store: LocalStore, device: uuid.UUID
) -> None:
    other = uuid.uuid4()
    with store.write() as session:
        add_lease(session, other, OP, 2026, 1, 1000)
        assert numbers_left(session, device, OP) == 0
        assert take(session, device) == ["TMP-OP-2026-000001-1"]
        assert take(session, other) == ["OP-2026-000001-1"]
        assert numbers_left(session, other, OP) == 999


def test_a_deleted_lease_is_not_used(store: LocalStore, device: uuid.UUID) -> None:
    from clinic.db import utcnow

    with store.write() as session:
        lease = add_lease(session, device, OP, 2026, 1, 1000)
        lease.deleted_at = utcnow()
        assert numbers_left(session, device, OP) == 0
        assert take(session, device) == ["TMP-OP-2026-000001-1"]


def test_serials_past_999999_grow_without_wrapping(store: LocalStore, device: uuid.UUID) -> None:
    with store.write() as session:
        add_lease(session, device, OP, 2026, 999_999, 1_000_001)
        assert take(session, device, count=3) == [
            "OP-2026-999999-9",
            "OP-2026-1000000-4",
            "OP-2026-1000001-2",
        ]
    assert parse_number("OP-2026-1000000-4").serial == 1_000_000


@pytest.mark.parametrize(("first", "last"), [(0, 10), (10, 9), (-5, 5)])
def test_a_block_that_is_not_a_range_is_refused(
    store: LocalStore, device: uuid.UUID, first: int, last: int
) -> None:
    with store.write() as session:
        with pytest.raises(ValueError, match=f"got {first}..{last}"):
            add_lease(session, device, OP, 2026, first, last)
        assert session.scalars(select(NumberLease)).all() == []


def test_a_lease_is_stored_for_the_device(store: LocalStore, device: uuid.UUID) -> None:
    with store.write() as session:
        add_lease(session, device, RCP, 2026, 1, 1000)
    with store.session() as session:
        [lease] = session.scalars(select(NumberLease)).all()
    assert (lease.lease_device_id, lease.device_id, lease.kind) == (device, device, RCP)
    assert (lease.year, lease.first, lease.last, lease.next) == (2026, 1, 1000, 1)
    assert lease.provisional is False
    assert lease.leased_at is not None


def add_patients(session: Session, device: uuid.UUID, count: int) -> None:
    """``count`` patients numbered as registration numbers them."""
    session.add_all(
        Patient(first_name="Grace", op_number=take(session, device)[0], device_id=device)
        for _ in range(count)
    )


def test_blocks_wanted_cover_every_provisional_number_and_the_reserve(
    store: LocalStore, device: uuid.UUID
) -> None:
    with store.write() as session:
        assert blocks_wanted(session, device, OP, made_by=[device]) == 1
        add_lease(session, device, OP, 2026, 1, LOW_WATER_MARK)
        assert blocks_wanted(session, device, OP, made_by=[device]) == 0
        add_patients(session, device, 1)
        assert blocks_wanted(session, device, OP, made_by=[device]) == 1
        add_patients(session, device, LOW_WATER_MARK - 1)
        assert numbers_left(session, device, OP) == 0
        add_patients(session, device, 2 * BLOCK_SIZE - LOW_WATER_MARK)
        assert blocks_wanted(session, device, OP, made_by=[device]) == 2
        add_patients(session, device, 1)
        assert blocks_wanted(session, device, OP, made_by=[device]) == 3
        assert blocks_wanted(session, device, OP, made_by=[uuid.uuid4()]) == 1
        assert blocks_wanted(session, device, RCP, made_by=[device]) == 1


def test_numbering_is_due_with_a_block_to_lease_or_a_number_to_replace(
    store: LocalStore, device: uuid.UUID
) -> None:
    with store.write() as session:
        assert numbering_due(session, device, made_by=[device])
        add_lease(session, device, OP, 2026, 1, BLOCK_SIZE)
        assert numbering_due(session, device, made_by=[device])  # no receipts yet
        add_lease(session, device, RCP, 2026, 1, LOW_WATER_MARK)
        assert not numbering_due(session, device, made_by=[device])
        add_patients(session, device, BLOCK_SIZE - LOW_WATER_MARK)
        assert not numbering_due(session, device, made_by=[device])
        add_patients(session, device, 1)  # below the reserve
        assert numbering_due(session, device, made_by=[device])
        add_lease(session, device, OP, 2026, 1001, 2000)
        assert not numbering_due(session, device, made_by=[device])
        session.add(Patient(first_name="Grace", op_number="TMP-OP-2026-000001-1", device_id=device))
        assert numbering_due(session, device, made_by=[device])
        assert not numbering_due(session, device, made_by=[uuid.uuid4()])  # another PC's


def test_provisional_receipts_are_replaced_in_one_pass_across_blocks(
    store: LocalStore, device: uuid.UUID
) -> None:
    with store.write(check_foreign_keys=False) as session:
        payments = [
            Payment(
                invoice_id=uuid.uuid4(),
                branch_id=uuid.uuid4(),
                method=PaymentMethod.CASH,
                amount_cents=100 * i,
                receipt_number=take(session, device, RCP)[0],
                cashier_id=uuid.uuid4(),
                received_at=utcnow(),
                device_id=device,
            )
            for i in range(1, 6)
        ]
        session.add_all(payments)
    with store.write() as session:
        add_lease(session, device, RCP, 2027, 1, 1000)
        add_lease(session, device, RCP, 2026, 101, 103)
        actor = Actor(device_id=device)
        assert replace_provisional(session, actor, made_by=[device]) == 5
        assert numbers_left(session, device, RCP) == 998
    with store.session() as session:
        receipts = session.scalars(
            select(Payment.receipt_number).order_by(Payment.created_at)
        ).all()
        outbox = session.execute(select(OutboxEntry.operation, OutboxEntry.changes)).all()
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.device_sequence)).all()
    expected = [format_number(RCP, 2026, serial) for serial in (101, 102, 103)] + [
        format_number(RCP, 2027, serial) for serial in (1, 2)
    ]
    assert list(receipts) == expected
    assert outbox == [(ChangeOperation.UPDATE, {"receipt_number": n}) for n in expected]
    assert [event.after for event in events] == [{"receipt_number": n} for n in expected]
    assert verify_chain(list(events)) is None


def test_a_replacement_is_folded_into_an_insert_that_never_left_the_pc(
    store: LocalStore, device: uuid.UUID
) -> None:
    actor = Actor(device_id=device)
    with store.write() as session:
        ids = [
            register_patient(
                PatientDetails(first_name=name, phone="0722114455"),
                session=session,
                actor=actor,
                today=TODAY,
            ).patient.id
            for name in ("Grace", "Mercy", "Faith")
        ]
    with store.session() as session:
        inserts = session.execute(
            select(OutboxEntry.sequence, OutboxEntry.changes).order_by(OutboxEntry.sequence)
        ).all()
    # Grace's INSERT went in a push (whose answer may have been lost).
    with store.write() as session:
        session.add(StoreSetting(key=SENT_THROUGH_KEY, value=inserts[0].sequence))
        add_lease(session, device, OP, 2026, 1, 1000)
        assert replace_provisional(session, actor, made_by=[device]) == 3

    leased = [format_number(OP, 2026, serial) for serial in (1, 2, 3)]
    with store.session() as session:
        outbox = session.execute(
            select(OutboxEntry.row_id, OutboxEntry.operation, OutboxEntry.changes).order_by(
                OutboxEntry.sequence
            )
        ).all()
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.device_sequence)).all()
        numbers = [session.get(Patient, i).op_number for i in ids]  # type: ignore[union-attr]
    assert numbers == leased
    assert [(row_id, operation) for row_id, operation, _ in outbox] == [
        (ids[0], ChangeOperation.INSERT),
        (ids[1], ChangeOperation.INSERT),
        (ids[2], ChangeOperation.INSERT),
        (ids[0], ChangeOperation.UPDATE),
    ]
    assert outbox[0].changes == inserts[0].changes  # as it went
    assert outbox[3].changes == {"op_number": leased[0]}
    for (_, _, changes), (_, registered), number in zip(
        outbox[1:3], inserts[1:3], leased[1:3], strict=True
    ):
        assert registered["op_number"].startswith("TMP-OP-")
        assert changes == {**registered, "op_number": number}
    assert [(e.action, e.entity_id, e.before, e.after) for e in events[3:]] == [
        ("replace_provisional_number", i, {"op_number": old["op_number"]}, {"op_number": new})
        for i, (_, old), new in zip(ids, inserts, leased, strict=True)
    ]
    assert verify_chain(list(events)) is None


def test_an_insert_a_backup_holds_is_never_changed_after(
    store: LocalStore, device: uuid.UUID, tmp_path: Path
) -> None:
    actor = Actor(device_id=device)

    def register(name: str) -> uuid.UUID:
        with store.write() as session:
            return register_patient(
                PatientDetails(first_name=name), session=session, actor=actor, today=TODAY
            ).patient.id

    def outbox() -> list[tuple[uuid.UUID, ChangeOperation, dict[str, object]]]:
        with store.session() as session:
            return [
                tuple(entry)  # type: ignore[misc]
                for entry in session.execute(
                    select(OutboxEntry.row_id, OutboxEntry.operation, OutboxEntry.changes).order_by(
                        OutboxEntry.sequence
                    )
                )
            ]

    grace = register("Grace")
    held = outbox()
    info = backup_store(store.path, tmp_path / "backup.sqlite3")
    assert store.get_setting(SENT_THROUGH_KEY) == info.outbox_through == 1
    mercy = register("Mercy")
    with store.write() as session:
        add_lease(session, device, OP, 2026, 1, 1000)
        assert replace_provisional(session, actor, made_by=[device]) == 2

    leased = [format_number(OP, 2026, serial) for serial in (1, 2)]
    entries = outbox()
    assert entries[0] == held[0]  # as the backup holds it
    assert [(row_id, operation) for row_id, operation, _ in entries] == [
        (grace, ChangeOperation.INSERT),
        (mercy, ChangeOperation.INSERT),
        (grace, ChangeOperation.UPDATE),
    ]
    assert entries[1][2]["op_number"] == leased[1]
    assert entries[2][2] == {"op_number": leased[0]}


@pytest.mark.parametrize(
    "others",
    [0, 3],
    ids=["alone: the numbers' index made again", "one of four: its numbers indexed again"],
)
def test_a_replaced_number_is_searched_as_the_new_one_names_unchanged(
    store: LocalStore, device: uuid.UUID, others: int
) -> None:
    from clinic.patients.search import search_patients

    actor = Actor(device_id=device)
    with store.write() as session:
        for i in range(others):
            register_patient(
                PatientDetails(first_name="Mercy", last_name="Achieng", phone=f"072211440{i}"),
                session=session,
                actor=actor,
                today=TODAY,
            )
        if others:  # their numbers leased, and no more
            add_lease(session, device, OP, 2026, 1, others)
    with store.write() as session:
        assert replace_provisional(session, actor, made_by=[device]) == others
    with store.write() as session:
        grace = register_patient(
            PatientDetails(first_name="Grace", last_name="Wanjiru", phone="0722114455"),
            session=session,
            actor=actor,
            today=TODAY,
        ).patient
        provisional = grace.op_number
        grace_id = grace.id
    with store.write() as session:
        add_lease(session, device, OP, 2026, others + 1, 1000)
        assert replace_provisional(session, actor, made_by=[device]) == 1
    leased = format_number(OP, 2026, others + 1)

    def found(query: str) -> list[str]:
        with store.session() as session:
            return [p.op_number for p in search_patients(query, session=session)]

    assert found(leased) == found(f"{others + 1:06d}") == [leased]
    assert found(provisional) == []
    assert found("Wanjiru") == found("0722114455") == [leased]
    # The others' numbers are found as before, by a part of them too.
    for serial in range(1, others + 1):
        assert found(f"{serial:06d}") == [format_number(OP, 2026, serial)]
    assert len(found("2211440")) == others
    # The update trigger is back as it was: a name changed later is indexed.
    with store.write() as session:
        session.get(Patient, grace_id).last_name = "Kamau"  # type: ignore[union-attr]
    assert found("Kamau") == [leased]
    assert found("Wanjiru") == []
