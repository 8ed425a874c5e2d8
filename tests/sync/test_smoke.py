from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, select

from clinic.enums import Role
from clinic.patients.models import Patient
from clinic.patients.search import search_patients
from clinic.patients.service import PatientDetails, register_patient
from server.database import Database
from sync.engine import SyncReport, sync_status
from tests.conftest import TODAY
from tests.sync.conftest import MakePc, MakeStaff


def test_a_patient_registered_on_one_pc_reaches_another(
    make_pc: MakePc, make_staff: MakeStaff
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    a, b = make_pc("a"), make_pc("b")
    a.login(reception)
    b.login(reception)
    with a.store.write() as session:
        register_patient(
            PatientDetails(first_name="Grace", last_name="Wambui", phone="0722114455"),
            session=session,
            actor=a.actor(),
            today=TODAY,
        )
    report = a.engine.sync()
    assert report.pushed >= 1, report
    b.engine.sync()
    with b.store.session() as session:
        hits = search_patients("wambui", session=session)
    assert [h.full_name for h in hits] == ["Grace Wambui"]
    assert hits[0].op_number.startswith("OP-2026-")


def test_a_long_offline_queue_drains_in_pushes_under_the_size_limit(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    """700 registrations and their audit events are well over 1 MiB of JSON:
    one push of them all would be refused (413) again and again."""
    pc = make_pc("busy-day")
    pc.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    names = ["Amani", "Baraka", "Chebet", "Dalmas", "Esther", "Faith", "Gitau"]
    with pc.store.write() as session:
        for number in range(700):
            register_patient(
                PatientDetails(
                    first_name=names[number % 7],
                    last_name=names[number // 7 % 7] + "-" + names[number // 49 % 7],
                    residence="Kayole, near the chief's camp, third gate on the left",
                ),
                session=session, actor=pc.actor(), today=TODAY,
            )  # fmt: skip

    report = pc.engine.sync()

    assert report.pushed == 700
    assert sync_status(pc.store).pending == 0
    with central.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 700


def test_a_change_left_unanswered_goes_first_in_the_next_push(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    """The next push is read while the server applies one, as if it were
    all answered; when an answer leaves a change out (it was lost on the
    way), the next push is read again and starts with that change, which
    the server then answers as applied before."""
    pc = make_pc("busy-day")
    pc.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    names = ["Amani", "Baraka", "Chebet", "Dalmas", "Esther", "Faith", "Gitau"]
    with pc.store.write() as session:
        for number in range(600):
            register_patient(
                PatientDetails(first_name=names[number % 7], last_name=names[number // 7 % 7],
                               residence="Kayole, near the chief's camp, third gate on the left"),
                session=session, actor=pc.actor(), today=TODAY,
            )  # fmt: skip
    pushed: list[list[int]] = []
    real_call = pc.transport.call

    def call(method: str, path: str, body: Any = None, **options: Any) -> Any:
        answer = real_call(method, path, body, **options)
        if path == "/api/sync/push":
            pushed.append([m["sequence"] for m in orjson.loads(body)["mutations"]])
            if len(pushed) == 1:
                answer["results"].pop()
        return answer

    pc.transport.call = call  # type: ignore[method-assign]

    report = SyncReport()
    pc.engine.push(report)

    assert len(pushed) >= 2
    assert pushed[1][0] == pushed[0][-1]
    assert report.pushed == 600 and not report.rejected
    assert sync_status(pc.store).pending == 0
    with central.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 600
