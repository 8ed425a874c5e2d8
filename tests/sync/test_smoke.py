from __future__ import annotations

from clinic.enums import Role
from clinic.patients.search import search_patients
from clinic.patients.service import PatientDetails, register_patient
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
