"""The lab across PCs: a clinician's PC requests tests, the lab's PC pulls
them and enters results offline (flagged by the clinic's catalogue as an
admin's PC set it), then syncs; the server accepts them, recomputing every
flag, the visit is back with the clinician, and the clinician's PC shows the
critical result in its queue and beside the request."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinic.enums import LabStatus, Role, Sex, VisitStatus
from clinic.lab.catalogue import definition_of, lab_catalogue
from clinic.lab.models import LabResult
from clinic.lab.queries import lab_worklist, visit_lab_results
from clinic.lab.service import record_lab_results, set_lab_test
from clinic.rules.vitals import Flag
from clinic.visits.models import LabRequest, Visit
from clinic.visits.queries import todays_queue
from clinic.visits.service import (
    ConsultationNotes,
    LabRequestInput,
    open_visit,
    record_consultation,
    sign_visit,
)
from server.database import Database
from tests.conftest import TODAY
from tests.sync.conftest import MakePc, MakeStaff, register

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def test_results_entered_offline_reach_the_clinician_with_their_critical_mark(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    office = make_pc("office")
    office.login(make_staff(Role.ADMIN, "manager", branch_code=None))
    hb = definition_of(lab_catalogue().find("Hb"))
    hb["fields"][0]["bands"] = [{"sex": None, "normal_low": 13.0, "normal_high": 18.0,
                                 "critical_low": 8.0, "critical_high": 21.0}]  # fmt: skip
    with office.store.write() as session:
        set_lab_test(hb, session=session, actor=office.actor())
    office.engine.sync()

    reception = make_pc("reception")
    reception.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    patient_id = register(reception, "Amina", "Hassan", sex=Sex.FEMALE)
    with reception.store.write() as session:
        visit_id = open_visit(patient_id, session=session, actor=reception.actor(), today=TODAY).id
    reception.engine.sync()

    desk = make_pc("consultation")
    desk.login(make_staff(Role.CLINICAL_OFFICER, "kiprono"))
    notes = ConsultationNotes(
        complaint="Dizzy and weak",
        diagnoses=["D64.9"],
        lab_requests=[LabRequestInput("Hb"), LabRequestInput("Malaria RDT")],
    )
    with desk.store.write() as session:
        record_consultation(visit_id, notes, session=session, actor=desk.actor())
        sign_visit(visit_id, session=session, actor=desk.actor())
    desk.engine.sync()

    bench = make_pc("lab")
    bench.login(make_staff(Role.LAB_TECHNICIAN, "chebet"))
    with bench.store.session() as session:
        work = lab_worklist(session, bench.actor().branch_id, TODAY)
    assert [(w.test_name, w.clinician) for w in work] == [
        ("Hb", "Kiprono"),
        ("Malaria RDT", "Kiprono"),
    ]
    with bench.store.write() as session:  # offline: nothing is sent yet
        record_lab_results(work[0].request_id, {"hb": "7.4"}, session=session, actor=bench.actor())
        record_lab_results(
            work[1].request_id, {"result": "negative"}, session=session, actor=bench.actor()
        )
    with central.sessions() as session:
        assert session.scalars(select(LabResult)).all() == []
    outcome = bench.engine.sync()
    assert not outcome.rejected, outcome

    with central.sessions() as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None and visit.status == VisitStatus.IN_CONSULTATION
        stored = {r.analyte: r for r in session.scalars(select(LabResult))}
        statuses = set(session.scalars(select(LabRequest.status)))
    assert (stored["hb"].flag, stored["hb"].reference_range) == (
        Flag.CRITICAL_LOW,
        "13\N{EN DASH}18",
    )
    assert stored["result"].value_code == "NEGATIVE" and statuses == {LabStatus.RESULTED}

    desk.engine.sync()
    with desk.store.session() as session:
        [entry] = todays_queue(session, desk.actor().branch_id, TODAY)
        beside = {r.test_name: r for r in visit_lab_results(session, visit_id)}
    assert entry.critical_results and entry.status == VisitStatus.IN_CONSULTATION
    assert beside["Hb"].critical and beside["Hb"].results[0].shown == "7.4 g/dL"
    assert beside["Malaria RDT"].results[0].shown == "Negative"

    # The admin changes the ranges again; the lab corrects the result under
    # them: the old result is deleted as it was entered, the new one checked.
    hb["fields"][0]["bands"][0]["normal_low"] = 12.0
    with office.store.write() as session:
        set_lab_test(hb, session=session, actor=office.actor())
    office.engine.sync()
    bench.engine.sync()
    with bench.store.write() as session:
        record_lab_results(work[0].request_id, {"hb": "7.6"}, session=session, actor=bench.actor())
    outcome = bench.engine.sync()
    assert not outcome.rejected, outcome
    with central.sessions() as session:
        live = session.scalars(
            select(LabResult).where(LabResult.analyte == "hb", LabResult.deleted_at.is_(None))
        ).all()
        deleted = session.scalars(
            select(LabResult).where(LabResult.analyte == "hb", LabResult.deleted_at.is_not(None))
        ).all()
    assert [(r.value_number, r.reference_range) for r in live] == [(7.6, "12\N{EN DASH}18")]
    assert [(r.value_number, r.reference_range) for r in deleted] == [(7.4, "13\N{EN DASH}18")]
