"""A PC's own change comes back to it in its next pull (the server sends
every change to every device in its scope, the author's included). The
push's answer gives the PC the row's server version and times, so it holds
the row as the server does: the row pulled back is left alone, not written
again nor indexed again. A value the server or another PC changed since the
push still lands, and the stores end equal."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from clinic.actor import Actor
from clinic.patients.service import update_patient
from server.database import SERVER_DEVICE_ID, Database
from sync.engine import SyncReport
from tests.conftest import TODAY
from tests.sync.conftest import (
    MakePc,
    MakeStaff,
    Pc,
    Role,
    assert_converged,
    edit_patient,
    local_patient,
    register,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def watch_rewrites(pc: Pc) -> Callable[[], list[uuid.UUID]]:
    """From now on, every write of a patient row on ``pc`` is noted (a
    trigger of the store's own); the function lists the ids written since
    it was last called."""
    with pc.store.write() as session:
        session.execute(text("CREATE TABLE rewritten_patients (id TEXT)"))
        session.execute(
            text(
                "CREATE TRIGGER note_rewritten_patient AFTER UPDATE ON patients"
                " BEGIN INSERT INTO rewritten_patients VALUES (new.id); END"
            )
        )

    def rewritten() -> list[uuid.UUID]:
        with pc.store.write() as session:
            ids = [
                uuid.UUID(value)
                for value in session.scalars(text("SELECT id FROM rewritten_patients"))
            ]
            session.execute(text("DELETE FROM rewritten_patients"))
        return ids

    return rewritten


def test_a_pcs_own_changes_pulled_back_are_not_written_again(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    a = make_pc("a")
    a.login(reception)
    grace = register(a, "Grace", "Wambui", phone="0722114455")
    report = SyncReport()
    a.engine.push(report)
    rewritten = watch_rewrites(a)

    a.engine.pull(report)
    assert report.pushed == report.pulled == 1  # the new patient came back
    assert rewritten() == []
    assert not report.store_changed  # nothing for its screens to show again
    assert_converged(central, [a])

    edit_patient(a, grace, residence="Kibera", phone="0733000111")
    again = SyncReport()
    a.engine.push(again)
    rewritten()  # the edit, then the server's version and time taken
    a.engine.pull(again)
    assert again.pushed == again.pulled == 1  # the edit came back
    assert rewritten() == []
    assert not again.store_changed
    assert_converged(central, [a])
    assert local_patient(a, grace).residence == "Kibera"


def test_a_page_pulled_while_the_push_is_answered_waits_for_the_answer(
    make_pc: MakePc, make_staff: MakeStaff, central: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server sends a PC its change back as soon as it commits it: the
    app's long-poll may have the page before its push has the answer (a
    slow link, a busy PC). The page waits for the answer, so the PC's own
    row is not written again, nor its screens refreshed for it."""
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    a = make_pc("a")
    a.login(reception)
    grace = register(a, "Grace", "Wambui", phone="0722114455")
    a.engine.sync()
    edit_patient(a, grace, residence="Kibera")
    rewritten = watch_rewrites(a)
    committed, answer_arrives = threading.Event(), threading.Event()
    send = a.transport.call

    def slow_answer(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        answer = send(method, path, *args, **kwargs)
        if path == "/api/sync/push":
            committed.set()
            answer_arrives.wait(10)
        return answer

    monkeypatch.setattr(a.transport, "call", slow_answer)
    pushed, pulled = SyncReport(), SyncReport()
    with ThreadPoolExecutor(max_workers=2) as threads:
        push = threads.submit(a.engine.push, pushed)
        assert committed.wait(10)
        pull = threads.submit(a.engine.pull, pulled)
        time.sleep(0.5)  # the page is in; it must wait for the answer
        answer_arrives.set()
        push.result(10)
        pull.result(10)

    assert pushed.pushed == pulled.pulled == 1
    assert rewritten() == [grace]  # once: the answer's version and time taken
    assert not pulled.store_changed
    assert_converged(central, [a])
    assert local_patient(a, grace).residence == "Kibera"


def test_what_the_server_or_another_pc_changed_after_the_push_still_lands(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    a, b = make_pc("a"), make_pc("b")
    a.login(reception)
    b.login(reception)
    grace = register(a, "Grace", "Wambui", phone="0722114455")
    a.engine.push(SyncReport())
    rewritten = watch_rewrites(a)

    # Changed at the server itself (as its REST API does), then by PC b,
    # between a's push and a's pull.
    user = a.actor()
    with central.sessions() as session:
        update_patient(
            grace,
            {"residence": "Kayole"},
            session=session,
            actor=Actor(SERVER_DEVICE_ID, user.user_id, user.role, user.branch_id),
            today=TODAY,
        )
        session.commit()
    b.engine.sync()
    edit_patient(b, grace, phone="0744000222")
    b.engine.sync()

    report = SyncReport()
    a.engine.pull(report)
    assert rewritten() == [grace]
    assert report.store_changed
    patient = local_patient(a, grace)
    assert (patient.residence, patient.phone) == ("Kayole", "+254744000222")
    assert_converged(central, [a, b])
