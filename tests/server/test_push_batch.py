"""A push applied set-based answers and writes exactly what applying its
mutations one at a time, each in its savepoint, does: the same outcomes
and reasons, rows, change log, conflicts (both sides) and records of what
was dealt with, for a batch mixing good, refused, conflicting and replayed
changes; a batch the database refuses part of falls back to one mutation
at a time and refuses only that part. The set-based batch costs a fixed
number of statements however many mutations it holds, one NOTIFY among
them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from clinic.enums import Role, VisitStatus
from clinic.journal.models import AppliedMutation
from clinic.org.models import Branch, Device, User
from clinic.patients.models import Patient
from clinic.visits.models import Visit
from server.database import SERVER_DEVICE_ID, Database, add_central
from server.models import DeviceUser
from server.sync.apply import push_batch, push_one_at_a_time
from server.sync.feed import Scope
from sync.protocol import Mutation
from tests.central import copied_central

DEVICE = uuid.UUID(int=0xD1)
RECEPTIONIST = uuid.UUID(int=0xA1)
NURSE = uuid.UUID(int=0xA2)
STRANGER = uuid.UUID(int=0xA3)
GRACE = uuid.UUID(int=0xB1)
VISIT = uuid.UUID(int=0xC1)
AMINA = uuid.UUID(int=0xB2)

PushWay = Callable[[Session, User, Device, Scope, list[Mutation], dict[int, AppliedMutation]],
                   list[Any]]  # fmt: skip


def seed(database: Database) -> None:
    """The same clinic, ids and all, in each database: a receptionist and a
    nurse who logged in on the desk's device, a user who never did, and
    Grace with a visit (both written by the server, so any field a device
    changes from version 0 was changed elsewhere)."""
    with database.sessions.begin() as session:
        main = session.scalar(select(Branch.id).where(Branch.code == "MAIN"))
        assert main is not None
        for user_id, role in ((RECEPTIONIST, Role.RECEPTIONIST), (NURSE, Role.NURSE),
                              (STRANGER, Role.RECEPTIONIST)):  # fmt: skip
            user = User(id=user_id, username=role.value + user_id.hex[-2:], full_name="Staff",
                        role=role, branch_id=main, password_hash="-",
                        device_id=SERVER_DEVICE_ID)  # fmt: skip
            add_central(session, user)
        add_central(
            session,
            Device(
                id=DEVICE,
                name="Desk",
                branch_id=main,
                roles=["receptionist", "nurse"],
                device_id=SERVER_DEVICE_ID,
            ),
        )
        session.flush()
        session.add_all([DeviceUser(device_id=DEVICE, user_id=u) for u in (RECEPTIONIST, NURSE)])
        grace = Patient(id=GRACE, op_number="OP-2026-000001-8", first_name="Grace",
                        last_name="Wanjiru", residence="Limuru")  # fmt: skip
        add_central(session, grace)
        visit = Visit(id=VISIT, patient_id=GRACE, branch_id=main, visit_date=date(2026, 11, 26),
                      is_new=True, status=VisitStatus.REGISTERED, queue_position=1)  # fmt: skip
        add_central(session, visit)


def change(
    sequence: int,
    entity: str,
    row_id: uuid.UUID,
    operation: str = "update",
    user: uuid.UUID | None = RECEPTIONIST,
    base_version: int = 1,
    **changes: Any,
) -> Mutation:
    return Mutation(
        sequence=sequence,
        entity=entity,
        row_id=row_id,
        operation=operation,  # type: ignore[arg-type]
        changes=changes,
        base_version=0 if operation == "insert" else base_version,
        user_id=user,
    )


FIRST = [
    change(1, "patients", AMINA, "insert", op_number="OP-2026-000002-6", first_name="Amina",
           last_name="Hassan", sex="F", phone="+254712345678", residence="Kayole"),
    change(2, "patients", AMINA, residence="Dandora"),  # the row the batch inserted
    change(3, "patients", uuid.UUID(int=0xB3), "insert", op_number="OP-2026-000003-4",
           first_name="Baraka", phone="0712"),  # not in checked form
    change(4, "patients", GRACE, base_version=0, residence="Kisumu"),  # a conflict
    change(5, "triages", uuid.UUID(int=0xE1), "insert", user=NURSE, visit_id=str(VISIT),
           temperature_c=37.2, pulse_bpm=80.0),
    change(6, "patients", uuid.UUID(int=0xB4), "insert", user=STRANGER,
           op_number="OP-2026-000004-2", first_name="Chebet"),  # never logged in here
    change(7, "patients", uuid.UUID(int=0xB5), residence="Ruai"),  # no such row
    change(8, "nonsense", uuid.UUID(int=0xB6), "insert", name="x"),
    change(9, "triages", uuid.UUID(int=0xE2), "insert", visit_id=str(VISIT), pulse_bpm=70.0),
    change(10, "patients", GRACE, base_version=2, first_name="Grace", middle_name="Njeri"),
]  # fmt: skip
"""Good, refused (bad value, foreign author, missing row, unknown table,
another role's data), conflicting, and a row inserted then edited."""

SECOND = [
    *FIRST[:3],  # replayed: answered as before, with the rows as they are now
    # No such visit: the database says no.
    change(11, "triages", uuid.UUID(int=0xE3), "insert", user=NURSE,
           visit_id=str(uuid.UUID(int=0xC9)), pulse_bpm=75.0),
    change(12, "patients", AMINA, base_version=2, residence="Ruai"),
]  # fmt: skip
"""Replays, and a row the database refuses (its visit does not exist)."""


@pytest.fixture
def twins(postgres_server: str, central_template: str) -> Iterator[tuple[Database, Database]]:
    with (
        copied_central(postgres_server, central_template) as together,
        copied_central(postgres_server, central_template) as alone,
    ):
        seed(together)
        seed(alone)
        yield together, alone


def push(
    database: Database, mutations: list[Mutation], way: PushWay
) -> tuple[list[Any], list[str]]:
    """Push as the route does (what was dealt with before, then the batch,
    then commit); the answers, and the statements it took."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with database.sessions() as session:
        device = session.get(Device, DEVICE)
        pusher = session.get(User, RECEPTIONIST)
        assert device is not None and pusher is not None
        scope = Scope.of(device.branch_id, device.roles)
        seen = {
            a.sequence: a
            for a in session.scalars(
                select(AppliedMutation).where(
                    AppliedMutation.device_id == DEVICE,
                    AppliedMutation.sequence.in_([m.sequence for m in mutations]),
                )
            )
        }
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            results = way(session, pusher, device, scope, mutations, seen)
            session.commit()
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
    return [timeless(r.model_dump(mode="json")) for r in results], statements


TIMES = {"created_at", "updated_at", "received_at", "losing_at", "applied_at", "written_at"}


def timeless(value: Any) -> Any:
    """``value`` without the times a write takes when it happens."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def held(database: Database) -> dict[str, Any]:
    """What the server holds after the pushes: the rows written, the change
    feed in order, the conflicts and what was dealt with (a conflict's id is
    made at the server: named by its place)."""
    with database.engine.connect() as connection:

        def rows(sql: str) -> list[dict[str, Any]]:
            return [timeless(dict(r._mapping)) for r in connection.execute(text(sql))]

        conflicts = rows("SELECT * FROM conflicts ORDER BY row_id, field")
        named = {c.pop("id"): f"conflict {n}" for n, c in enumerate(conflicts)}
        feed = rows(
            "SELECT entity, row_id, version, fields, branch_id, device_id, user_id"
            " FROM change_log ORDER BY id"
        )
        for entry in feed:
            entry["row_id"] = named.get(entry["row_id"], entry["row_id"])
        return {
            "patients": rows("SELECT * FROM patients ORDER BY id"),
            "triages": rows("SELECT * FROM triages ORDER BY id"),
            "visits": rows("SELECT * FROM visits ORDER BY id"),
            "conflicts": conflicts,
            "change_log": feed,
            "applied": rows(
                "SELECT sequence, digest, outcome FROM applied_mutations ORDER BY sequence"
            ),
        }


def test_a_mixed_batch_set_based_answers_and_writes_as_one_at_a_time(
    twins: tuple[Database, Database],
) -> None:
    together, alone = twins
    first, statements = push(together, FIRST, push_batch)
    first_alone, statements_alone = push(alone, FIRST, push_one_at_a_time)

    assert first == first_alone
    assert [r["outcome"] for r in first] == [
        "applied", "applied", "refused", "applied", "applied", "refused", "refused", "refused",
        "refused", "applied",
    ]  # fmt: skip
    assert first[3]["conflicts"] == [
        {"field": "residence", "winning_value": "Kisumu", "losing_value": "Limuru"}
    ]
    assert first[9]["version"] == 3 and first[1]["version"] == 2
    assert held(together) == held(alone)
    # One savepoint for the batch, not one per mutation; one NOTIFY.
    assert sum(s.startswith("SAVEPOINT") for s in statements) == 1
    assert sum(s.startswith("SAVEPOINT") for s in statements_alone) > len(FIRST) // 2
    assert sum("pg_notify" in s for s in statements) == 1

    second, _ = push(together, SECOND, push_batch)
    second_alone, _ = push(alone, SECOND, push_one_at_a_time)

    assert second == second_alone
    assert [r["outcome"] for r in second] == ["applied", "applied", "refused", "refused", "applied"]
    assert second[0]["row"]["residence"] == "Dandora"  # a replay shows the row as it is now
    assert "does not fit" in second[3]["reason"]
    assert first[2]["row"] is None and first[8]["row"] is None  # refused new rows: none held
    assert first[6]["row"] is None
    assert held(together) == held(alone)


def test_a_thousand_mutations_take_the_statements_of_ten(
    twins: tuple[Database, Database],
) -> None:
    together, _alone = twins
    patients = [
        change(n, "patients", uuid.UUID(int=0xF0000 + n), "insert", op_number=f"OP-2026-{n:06d}-0",
               first_name="Wanjiku", residence="Kayole")
        for n in range(1, 1001)
    ]  # fmt: skip
    answers, statements = push(together, patients, push_batch)

    assert {a["outcome"] for a in answers} == {"applied"}
    print("\n".join(s[:150].replace("\n", " ") for s in statements))
    assert len(statements) <= 12, statements
    with together.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM patients")) == 1001
        assert (
            connection.scalar(
                text("SELECT count(*) FROM change_log WHERE entity = 'patients' AND version = 1")
            )
            == 1001
        )


def test_new_rows_held_back_are_written_before_a_change_that_reads_them(
    twins: tuple[Database, Database],
) -> None:
    """New rows go in one INSERT per run of one table, written before any
    mutation whose checks read them: a new visit's triage (its branch is
    the visit's), the same new row again, and an edit of a new row."""
    together, alone = twins
    with together.sessions() as session:
        main = session.scalar(select(Branch.id).where(Branch.code == "MAIN"))
    visit = uuid.UUID(int=0xC2)
    mutations = [
        change(1, "patients", uuid.UUID(int=0xB7), "insert", op_number="OP-2026-000007-3",
               first_name="Zawadi"),
        change(2, "visits", visit, "insert", patient_id=str(GRACE), branch_id=str(main),
               visit_date="2026-11-27", is_new=False, status="REGISTERED", queue_position=2),
        change(3, "triages", uuid.UUID(int=0xE4), "insert", user=NURSE, visit_id=visit.hex,
               temperature_c=36.8, pulse_bpm=72.0),
        change(4, "patients", uuid.UUID(int=0xB8), "insert", op_number="OP-2026-000008-1",
               first_name="Otieno"),
        change(5, "patients", uuid.UUID(int=0xB8), "insert", op_number="OP-2026-000009-X",
               first_name="Otieno"),  # the same new row again
        change(6, "patients", uuid.UUID(int=0xB9), "insert", op_number="OP-2026-000010-8",
               first_name="Njeri"),
        change(7, "patients", uuid.UUID(int=0xB9), base_version=1, residence="Thika"),
    ]  # fmt: skip
    answers, statements = push(together, mutations, push_batch)
    answers_alone, _ = push(alone, mutations, push_one_at_a_time)

    assert answers == answers_alone
    assert [a["outcome"] for a in answers] == [
        "applied", "applied", "applied", "applied", "refused", "applied", "applied",
    ]  # fmt: skip
    assert "already exists" in answers[4]["reason"]
    assert held(together) == held(alone)
    assert sum(s.startswith("SAVEPOINT") for s in statements) == 1
