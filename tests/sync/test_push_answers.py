"""A push in several requests (``SyncEngine.push``): each answer is written
to the PC's store before the next request goes, all of them before the
push returns; an answer that could not be written stops the push and
leaves its changes to go again, and the server applies each once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

import sync.engine
from clinic.enums import Role
from clinic.journal.models import AppliedMutation, OutboxEntry
from clinic.patients.models import Patient
from server.database import Database
from sync.engine import SyncReport
from tests.central import MakeStaff
from tests.sync.conftest import MakePc, Pc, register

pytestmark = pytest.mark.postgres

NAMES = ("Achieng", "Baraka", "Chebet", "Dedan", "Esther", "Faith", "Gathoni")


def _desk_with_waiting_patients(make_pc: MakePc, make_staff: MakeStaff) -> Pc:
    desk = make_pc("front-desk")
    desk.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    # Leased OP numbers, so no request waits to be noted as sent first.
    desk.engine.top_up_numbers(SyncReport())
    for name in NAMES:
        register(desk, name, "Otieno")
    return desk


def _outbox(desk: Pc) -> int:
    with desk.store.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry)) or 0


def _on_server(central: Database, desk: Pc) -> tuple[int, int]:
    """The desk's patients and the changes recorded as applied, on the server."""
    with central.sessions() as session:
        patients = session.scalar(
            select(func.count()).select_from(Patient).where(Patient.last_name == "Otieno")
        )
        applied = session.scalar(
            select(func.count())
            .select_from(AppliedMutation)
            .where(AppliedMutation.device_id == desk.store.device_id)
        )
    return patients or 0, applied or 0


def test_a_push_in_several_requests_writes_every_answer_before_it_returns(
    make_pc: MakePc, make_staff: MakeStaff, central: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = _desk_with_waiting_patients(make_pc, make_staff)
    monkeypatch.setattr(sync.engine, "MAX_PUSH_MUTATIONS", 2)
    requests: list[int] = []
    real_call = desk.transport.call

    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        if path == "/api/sync/push":
            requests.append(_outbox(desk))  # what was still waiting as it went
        return real_call(method, path, body, **kwargs)

    monkeypatch.setattr(desk.transport, "call", call)
    report = SyncReport()

    desk.engine.push(report)

    assert len(requests) == 4
    assert requests[0] == len(NAMES)
    assert report.pushed == len(NAMES)
    assert _outbox(desk) == 0
    with desk.store.session() as session:
        versions = set(session.scalars(select(Patient.version)))
    assert versions == {1}  # each row took the version the server gave it
    assert _on_server(central, desk) == (len(NAMES), len(NAMES))


def test_an_answer_not_written_stops_the_push_and_its_changes_go_again_applied_once(
    make_pc: MakePc, make_staff: MakeStaff, central: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = _desk_with_waiting_patients(make_pc, make_staff)
    monkeypatch.setattr(sync.engine, "MAX_PUSH_MUTATIONS", 2)
    real_record = desk.engine._record_push
    answers: list[int] = []

    def record(answer: dict[str, Any], report: SyncReport) -> None:
        answers.append(len(answer["results"]))
        if len(answers) == 2:
            raise OSError("disk full")
        real_record(answer, report)

    monkeypatch.setattr(desk.engine, "_record_push", record)

    with pytest.raises(OSError, match="disk full"):
        desk.engine.push(SyncReport())

    assert _outbox(desk) == len(NAMES) - 2  # only the first answer was written
    assert _on_server(central, desk) == (4, 4)  # no request after the second
    monkeypatch.setattr(desk.engine, "_record_push", real_record)
    report = SyncReport()
    desk.engine.push(report)
    assert _outbox(desk) == 0
    assert report.rejected == []
    assert _on_server(central, desk) == (len(NAMES), len(NAMES))
