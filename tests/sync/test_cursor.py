"""The pull cursor never skips a change (DESIGN.md, Sync 3), even when
transactions commit out of the order they wrote in, and a long-polling
pull hears of another PC's push within seconds."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from clinic.enums import Role
from clinic.journal.models import ChangeLogEntry
from clinic.journal.service import log_central_change
from clinic.migrate import head_revision
from clinic.patients.models import Patient
from server.config import SHUTDOWN_GRACE_SECONDS
from server.database import SERVER_DEVICE_ID, Database
from server.sync.shared import AnswerSpacing, SharedPages
from sync.engine import SyncReport
from sync.protocol import PROTOCOL_VERSION
from sync.transport import Transport
from tests.sync.conftest import LiveServer, MakePc, MakeStaff, Pc, register

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PUSHERS = 4
PATIENTS_EACH = 25


def spelled(number: int) -> str:
    """A name for the n-th patient (names have no digits)."""
    return "".join("abcdefghij"[int(digit)] for digit in str(number)).capitalize()


def patient_ids(pc: Pc) -> set[uuid.UUID]:
    with pc.store.session() as session:
        return set(session.scalars(select(Patient.id)))


def server_patient_ids(central: Database) -> set[uuid.UUID]:
    with central.sessions() as session:
        return set(session.scalars(select(Patient.id)))


def test_a_pc_pulling_in_a_loop_misses_nothing_of_concurrent_pushes(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    pushers = [make_pc(f"pusher{i}") for i in range(PUSHERS)]
    puller = make_pc("puller")
    for pc in [*pushers, puller]:
        pc.login(reception)
    errors: list[BaseException] = []

    def push_one_by_one(pc: Pc) -> None:
        try:
            for i in range(PATIENTS_EACH):
                register(pc, "Patient", spelled(i))
                pc.engine.push(SyncReport())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=push_one_by_one, args=(pc,)) for pc in pushers]
    for thread in threads:
        thread.start()
    pulls = 0
    seen_while_pushing: set[uuid.UUID] = set()
    while any(thread.is_alive() for thread in threads):
        puller.engine.pull(SyncReport())
        pulls += 1
        seen_while_pushing = patient_ids(puller)
    for thread in threads:
        thread.join()
    puller.engine.pull(SyncReport())

    assert errors == []
    expected = server_patient_ids(central)
    assert len(expected) == PUSHERS * PATIENTS_EACH
    assert pulls > 1 and len(seen_while_pushing) > 0
    assert patient_ids(puller) == expected
    for pc in pushers:
        pc.engine.pull(SyncReport())
        assert patient_ids(pc) == expected


def new_patient(first_name: str) -> Patient:
    return Patient(
        id=uuid.uuid4(),
        op_number=f"OP-2026-{uuid.uuid4().int % 10**6:06d}-0",
        first_name=first_name,
        device_id=SERVER_DEVICE_ID,
    )


def change_of(central: Database, row_id: uuid.UUID) -> tuple[Any, ...]:
    with central.sessions() as session:
        entry = session.scalars(select(ChangeLogEntry).where(ChangeLogEntry.row_id == row_id)).one()
        return (entry.xid, entry.id)


def test_a_change_committed_after_a_later_one_is_not_skipped(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    pc = make_pc("desk")
    pc.login(make_staff(Role.RECEPTIONIST, "wanjiru"))

    slow = central.sessions()
    try:
        early = new_patient("Early")
        slow.add(early)
        slow.flush()
        log_central_change(slow, early, ["first_name"], device_id=SERVER_DEVICE_ID, user_id=None)
        slow.flush()
        late = new_patient("Late")
        with central.sessions.begin() as quick:
            quick.add(late)
            quick.flush()
            log_central_change(
                quick, late, ["first_name"], device_id=SERVER_DEVICE_ID, user_id=None
            )

        report = SyncReport()
        pc.engine.pull(report)
        assert report.pulled == 0
        assert patient_ids(pc) == set()
        slow.commit()
    finally:
        slow.close()
    (early_xid, early_id), (late_xid, late_id) = (
        change_of(central, early.id),
        change_of(central, late.id),
    )
    # A plain sequence would have handed out the later change first and
    # moved its cursor past the earlier one.
    assert early_id < late_id and early_xid < late_xid
    report = SyncReport()
    pc.engine.pull(report)
    assert report.pulled == 2
    assert patient_ids(pc) == {early.id, late.id}


def test_a_long_polling_pull_hears_of_another_pcs_push_within_seconds(
    make_pc: MakePc, make_staff: MakeStaff
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk, waiting_room = make_pc("desk"), make_pc("waiting")
    desk.login(reception)
    waiting_room.login(reception)
    answered: dict[str, Any] = {}

    def long_poll() -> None:
        report = SyncReport()
        waiting_room.engine.pull(report, wait_seconds=10)
        answered.update(at=time.monotonic(), pulled=report.pulled)

    listener = threading.Thread(target=long_poll)
    listener.start()
    time.sleep(1.0)
    assert listener.is_alive()
    grace = register(desk, "Grace", "Wambui")
    desk.engine.push(SyncReport())
    pushed_at = time.monotonic()
    listener.join(timeout=15)

    delay = answered["at"] - pushed_at
    print(f"long-poll answered {delay:.2f} s after the push")
    assert delay < 5.0
    assert answered["pulled"] == 1
    assert patient_ids(waiting_room) == {grace}


def test_a_stopping_server_answers_its_waiting_long_polls(
    make_pc: MakePc, make_staff: MakeStaff, live_server: LiveServer
) -> None:
    """A server stopping answers the pulls waiting for a change at once,
    with what there is (nothing), rather than holding them for their 25 s
    or cutting them off with an error; its PCs ask again."""
    desk = make_pc("desk")
    desk.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    desk.engine.pull(SyncReport())  # caught up: the next pull waits
    answered: list[tuple[float, SyncReport]] = []

    def long_poll() -> None:
        report = SyncReport()
        desk.engine.pull(report, wait_seconds=25)
        answered.append((time.monotonic(), report))

    listener = threading.Thread(target=long_poll)
    listener.start()
    time.sleep(1.0)
    assert listener.is_alive()
    stopping = time.monotonic()
    live_server.stop()
    listener.join(timeout=SHUTDOWN_GRACE_SECONDS)
    assert [report.pulled for _, report in answered] == [0]
    assert answered[0][0] - stopping < SHUTDOWN_GRACE_SECONDS
    live_server.start()  # for the fixture's own stop


VERSIONS = {"protocol": PROTOCOL_VERSION, "schema": head_revision("local")}


def caught_up(transport: Transport) -> str:
    """The cursor at the end of the feed, pulled to it page by page."""
    cursor: str | None = None
    while True:
        answer = transport.call("POST", "/api/sync/pull", {**VERSIONS, "cursor": cursor})
        cursor = str(answer["cursor"])
        if not answer["more"]:
            return cursor


def long_poll(transport: Transport, cursor: str) -> dict[str, Any]:
    answer: dict[str, Any] = transport.call(
        "POST",
        "/api/sync/pull",
        {**VERSIONS, "cursor": cursor, "wait_seconds": 20},
        timeout=transport.long_poll_timeout(20),
    )
    return answer


def row_ids(answer: dict[str, Any]) -> set[str]:
    return {row[t["columns"].index("id")] for t in answer["tables"] for row in t["rows"]}


WAITING_PULLS = 50
"""More than the server's 40 worker threads."""


def test_more_pcs_waiting_than_worker_threads_all_hear_of_a_push(
    make_pc: MakePc, make_staff: MakeStaff, live_server: LiveServer
) -> None:
    """Waiting pulls hold no worker thread: with more of them waiting than
    the server has threads, a push still goes through and wakes every one,
    long before their waits run out. Caught up at the same cursor, they
    share the reads of the feed: a few, not one or two each."""
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk, waiting_room = make_pc("desk"), make_pc("waiting")
    desk.login(reception)
    waiting_room.login(reception)
    transport = waiting_room.engine.transport
    cursor = caught_up(transport)
    heard: list[set[str]] = []

    def wait_for_news() -> None:
        heard.append(row_ids(long_poll(transport, cursor)))

    assert live_server.app is not None
    pages: SharedPages = live_server.app.state.shared_pages
    reads_before = pages.reads
    waiting = [threading.Thread(target=wait_for_news) for _ in range(WAITING_PULLS)]
    for thread in waiting:
        thread.start()
    time.sleep(2.0)
    assert heard == []
    grace = register(desk, "Grace", "Wambui")
    desk.engine.push(SyncReport())
    deadline = time.monotonic() + 10
    for thread in waiting:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert len(heard) == WAITING_PULLS
    assert all(grace.hex in ids for ids in heard), heard[:1]
    assert pages.reads - reads_before <= 6, pages.reads - reads_before


SPACING = 5.0


def test_a_busy_server_answers_a_device_woken_twice_in_a_moment_once_with_both(
    make_pc: MakePc, make_staff: MakeStaff, live_server: LiveServer
) -> None:
    """Answers spaced by :data:`SPACING` (and the server counted busy from
    its first answer): a device answered long ago hears of a change at
    once; two changes within the moment after that answer come to it in
    one answer, when the moment has passed, each once."""
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk, waiting_room = make_pc("desk"), make_pc("waiting")
    desk.login(reception)
    waiting_room.login(reception)
    transport = waiting_room.engine.transport
    cursor = caught_up(transport)
    assert live_server.app is not None
    spacing = AnswerSpacing(SPACING, busy_per_second=0)
    live_server.app.state.answer_spacing = spacing
    answers: list[tuple[float, set[str]]] = []
    first_heard = threading.Event()

    def listen() -> None:
        first = long_poll(transport, cursor)
        answers.append((time.monotonic(), row_ids(first)))
        first_heard.set()
        second = long_poll(transport, first["cursor"])
        answers.append((time.monotonic(), row_ids(second)))

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(1.0)
    grace = register(desk, "Grace", "Wambui")
    desk.engine.push(SyncReport())
    pushed_at = time.monotonic()
    assert first_heard.wait(15)
    later = []
    for first_name in ("Achieng", "Kamau"):
        later.append(register(desk, first_name, "Otieno"))
        desk.engine.push(SyncReport())
    listener.join(timeout=30)

    (first_at, first_ids), (second_at, second_ids) = answers
    assert first_ids == {grace.hex}
    assert first_at - pushed_at < SPACING  # not held: its last answer was long ago
    assert second_ids == {patient.hex for patient in later}  # one answer, both
    assert second_at - first_at >= SPACING - 0.1
    assert spacing.held == 1


def test_pull_pages_follow_the_cursor_to_the_end(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk, other = make_pc("desk"), make_pc("other")
    desk.login(reception)
    other.login(reception)
    for i in range(12):
        register(desk, "Patient", spelled(i))
    desk.engine.sync()

    transport: Transport = other.transport
    versions = other.engine._versions()
    cursor = other.store.get_setting("pull_cursor")
    seen: list[str] = []
    pages = 0
    while True:
        page = transport.call("POST", "/api/sync/pull", {**versions, "cursor": cursor, "limit": 5})
        pages += 1
        for table in page["tables"]:
            if table["entity"] == "patients":
                at = table["columns"].index("id")
                seen.extend(row[at] for row in table["rows"])
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert pages == 3
    assert sorted(seen) == sorted(p.hex for p in server_patient_ids(central))
    assert len(seen) == 12
