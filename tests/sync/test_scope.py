"""What a PC pulls is what the roles it serves may read (DESIGN.md, Sync 10):
clinical data only to PCs that serve clinical roles, the fields others may
not read held empty, pulling clinical data audited, and a PC whose roles an
admin widened pulls again what it may now hold."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from clinic.enums import Role
from clinic.journal.models import AuditEvent
from clinic.journal.service import log_central_change
from clinic.org.models import Device
from clinic.visits.models import Triage, Visit
from clinic.visits.service import ConsultationNotes, open_visit, record_consultation, record_triage
from server.database import Database
from tests.conftest import TODAY
from tests.sync.conftest import MakePc, MakeStaff, Pc, register


def clinical_pulls(central: Database, device_id: uuid.UUID) -> int:
    with central.sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "pull_clinical_data", AuditEvent.entity_id == device_id)
        )


def local_visit(pc: Pc, visit_id: uuid.UUID) -> tuple[str | None, int]:
    """The visit's complaint on the PC, and how many triages it holds."""
    with pc.store.session() as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None
        triages = session.scalar(select(func.count()).select_from(Triage))
    return visit.complaint, triages


def test_a_reception_pc_pulls_no_clinical_data_until_an_admin_widens_its_roles(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    desk, ward, room = make_pc("desk"), make_pc("ward"), make_pc("room")
    desk.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    ward.login(make_staff(Role.NURSE, "akinyi"))
    room.login(make_staff(Role.CLINICAL_OFFICER, "otieno"))
    with desk.store.write() as session:
        patient = register(desk, "Grace", "Wambui")
        visit = open_visit(patient, session=session, actor=desk.actor(), today=TODAY).id
    desk.engine.sync()
    ward.engine.sync()
    with ward.store.write() as session:
        record_triage(visit, {"temperature_c": 38.2}, session=session, actor=ward.actor())
    ward.engine.sync()
    room.engine.sync()
    with room.store.write() as session:
        notes = ConsultationNotes(complaint="Fever for two days", diagnoses=["R50.9"])
        record_consultation(visit, notes, session=session, actor=room.actor())
    room.engine.sync()
    desk.engine.sync()

    assert local_visit(room, visit) == ("Fever for two days", 1)
    assert local_visit(desk, visit) == (None, 0)
    assert clinical_pulls(central, room.store.device_id) >= 1
    assert clinical_pulls(central, desk.store.device_id) == 0

    with central.sessions.begin() as session:
        device = session.get(Device, desk.store.device_id)
        assert device is not None
        device.roles = [Role.RECEPTIONIST.value, Role.NURSE.value]
        log_central_change(session, device, ["roles"], device_id=None, user_id=None)
    desk.engine.sync()

    assert local_visit(desk, visit) == ("Fever for two days", 1)
    assert clinical_pulls(central, desk.store.device_id) >= 1
