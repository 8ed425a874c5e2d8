"""Changes and requests the server refuses (DESIGN.md, Sync 5, 6 and 9;
issue 4, item 4): each comes back with its reason, the PC keeps it as a
RejectedChange and goes back to the server's row, the rest of the queue is
applied, and nothing local is lost when the whole request is refused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import keyring
import pytest
from sqlalchemy import func, insert, select, update

from clinic.actor import Actor
from clinic.enums import ChangeOperation, Role, VisitStatus
from clinic.journal.models import OutboxEntry, RejectedChange
from clinic.journal.service import record_delete
from clinic.migrate import head_revision
from clinic.org.models import Branch
from clinic.patients.merge import merge_patients
from clinic.patients.models import Patient
from clinic.visits.models import Diagnosis, Triage, Visit
from clinic.visits.service import (
    ConsultationNotes,
    open_visit,
    record_consultation,
    record_triage,
    sign_visit,
)
from server.config import Settings
from server.database import Database
from server.security import decode_access_token
from sync import credentials
from sync.credentials import SERVICE, Tokens
from sync.engine import SyncReport, sync_status
from sync.protocol import PROTOCOL_VERSION
from sync.transport import ServerRefused
from tests.central import PASSWORD
from tests.conftest import TODAY
from tests.sync.conftest import (
    LiveServer,
    MakePc,
    MakeStaff,
    Pc,
    edit_patient,
    local_patient,
    register,
    server_patient,
)
from tests.sync.faults import expired_access_token

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

GRACE_PHONE = "+254722114455"


def rejected(pc: Pc) -> list[tuple[Any, ...]]:
    with pc.store.session() as session:
        return [
            (r.entity, r.row_id, r.operation, r.changes, r.reason)
            for r in session.scalars(select(RejectedChange).order_by(RejectedChange.sequence))
        ]


def outbox(pc: Pc) -> list[tuple[Any, ...]]:
    with pc.store.session() as session:
        return [
            (e.sequence, e.entity, e.row_id, e.changes)
            for e in session.scalars(select(OutboxEntry).order_by(OutboxEntry.sequence))
        ]


def queue_by_hand(pc: Pc, entity: str, row_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """An outbox entry no service would write (a bug, or a tampered PC)."""
    assert pc.user is not None
    with pc.store.write() as session:
        session.execute(
            insert(OutboxEntry).values(
                entity=entity,
                row_id=row_id,
                operation=ChangeOperation.UPDATE,
                changes=changes,
                base_version=1,
                user_id=pc.user.user_id,
            )
        )


def open_visit_on(pc: Pc, patient_id: uuid.UUID, actor: Actor | None = None) -> uuid.UUID:
    with pc.store.write() as session:
        return open_visit(patient_id, session=session, actor=actor or pc.actor(), today=TODAY).id


def count(central: Database, model: type[Any], *where: Any) -> int:
    with central.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_refused_changes_come_back_with_their_reason_and_the_rest_of_the_queue_is_applied(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    make_staff(Role.RECEPTIONIST, "west-desk", branch_code="WEST")
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    nurse = make_staff(Role.NURSE, "akinyi")
    desk, ward = make_pc("desk"), make_pc("ward")
    desk.login(reception)
    grace = register(desk, "Grace", "Wambui", phone="0722114455", residence="Kibera")
    visit = open_visit_on(desk, grace)
    desk.engine.sync()
    ward.login(nurse)

    # role: a nurse may take vitals but not change demographics.
    edit_patient(ward, grace, phone="0799000111")
    with ward.store.write() as session:
        triage = record_triage(
            visit, {"temperature_c": 37.2, "pulse_bpm": 80}, session=session, actor=ward.actor()
        ).id
    report = ward.engine.sync()

    assert report.rejected == [f"patients {grace}: A nurse may not change patients"]
    assert rejected(ward) == [
        (
            "patients",
            grace,
            ChangeOperation.UPDATE,
            {"phone": "+254799000111"},
            "A nurse may not change patients",
        )
    ]
    assert local_patient(ward, grace).phone == GRACE_PHONE
    assert server_patient(central, grace).phone == GRACE_PHONE
    assert count(central, Triage, Triage.id == triage) == 1
    with central.sessions() as session:
        assert session.get(Visit, visit).status == VisitStatus.TRIAGED  # type: ignore[union-attr]
    status = sync_status(ward.store)
    assert (status.pending, status.rejected) == (0, 1)

    # branch, validation, and good changes before, between and after them.
    with desk.store.session() as session:
        west = session.scalar(select(Branch.id).where(Branch.code == "WEST"))
    assert west is not None
    edit_patient(desk, grace, residence="Langata")
    mercy = register(desk, "Mercy", "Auma")
    assert desk.user is not None
    at_west = Actor(desk.store.device_id, desk.user.user_id, Role.RECEPTIONIST, west)
    west_visit = open_visit_on(desk, mercy, at_west)
    with desk.store.write() as session:
        session.execute(update(Patient).where(Patient.id == grace).values(phone="12345"))
    queue_by_hand(desk, "patients", grace, {"phone": "12345"})
    edit_patient(desk, grace, next_of_kin_name="Otieno")
    report = desk.engine.sync()

    phone_reason = (
        "phone: 12345 has 5 digits; a Kenyan number has 9 after the leading 0"
        " (07xx xxx xxx or 01xx xxx xxx)"
    )
    assert report.rejected == [
        f"visits {west_visit}: Changes go to this device's own branch only",
        f"patients {grace}: {phone_reason}",
    ]
    assert [(r[0], r[1], r[4]) for r in rejected(desk)] == [
        ("visits", west_visit, "Changes go to this device's own branch only"),
        ("patients", grace, phone_reason),
    ]
    on_server = server_patient(central, grace)
    assert (on_server.phone, on_server.residence, on_server.next_of_kin_name) == (
        GRACE_PHONE,
        "Langata",
        "Otieno",
    )
    assert count(central, Patient, Patient.id == mercy) == 1
    assert count(central, Visit, Visit.id == west_visit) == 0
    here = local_patient(desk, grace)
    assert (here.phone, here.residence, here.next_of_kin_name) == (
        GRACE_PHONE,
        "Langata",
        "Otieno",
    )
    with desk.store.session() as session:
        refused_visit = session.get(Visit, west_visit)
    assert refused_visit is not None and refused_visit.deleted_at is not None
    status = sync_status(desk.store)
    assert (status.pending, status.rejected) == (0, 2)

    # Nothing refused is retried: the next syncs push nothing and reject nothing.
    for pc in (desk, ward):
        again = pc.engine.sync()
        assert (again.pushed, again.rejected) == (0, [])
    assert len(rejected(desk)) == 2


def test_an_update_to_a_patient_deleted_elsewhere_is_refused_and_the_tombstone_stays(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    a, b = make_pc("a"), make_pc("b")
    a.login(reception)
    b.login(reception)
    grace = register(a, "Grace", "Wambui", phone="0722114455")
    a.engine.sync()
    b.engine.sync()

    with a.store.write() as session:
        patient = session.get(Patient, grace)
        assert patient is not None
        record_delete(session, a.actor(), patient, action="delete_patient")
    edit_patient(b, grace, phone="0799000111")
    a.engine.sync()
    report = b.engine.sync()

    deleted_at = server_patient(central, grace).deleted_at
    assert deleted_at is not None
    reason = "This patient was deleted; a deleted row never comes back"
    assert report.rejected == [f"patients {grace}: {reason}"]
    assert local_patient(b, grace).deleted_at == deleted_at
    assert local_patient(b, grace).phone == GRACE_PHONE

    # Neither an undelete nor a re-insert under the same id brings it back.
    queue_by_hand(b, "patients", grace, {"deleted_at": None})
    with b.store.write() as session:
        session.execute(
            insert(OutboxEntry).values(
                entity="patients",
                row_id=grace,
                operation=ChangeOperation.INSERT,
                changes={"first_name": "Grace", "op_number": "OP-2026-000001-5"},
                base_version=0,
                user_id=reception.id,
            )
        )
    report = b.engine.sync()
    assert report.rejected == [
        f"patients {grace}: {reason}",
        f"patients {grace}: A patient with this id already exists",
    ]
    on_server = server_patient(central, grace)
    assert (on_server.deleted_at, on_server.phone, on_server.version) == (
        deleted_at,
        GRACE_PHONE,
        2,
    )
    for pc in (a, b):
        pc.engine.sync()
        assert local_patient(pc, grace).deleted_at == deleted_at


def test_a_merge_syncs_and_an_offline_edit_of_the_merged_record_is_refused_naming_the_kept_one(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    office, desk = make_pc("office"), make_pc("desk")
    office.login(make_staff(Role.ADMIN, "manager"))
    desk.login(reception)
    kept = register(desk, "Grace", "Wambui", phone="0722114455")
    twin = register(desk, "Grace", "Wambuy", national_id="23456789")
    desk.engine.sync()
    office.engine.sync()

    with office.store.write() as session:
        merge_patients(
            kept, twin, ("national_id",), session=session, actor=office.actor(), today=TODAY
        )
    edit_patient(desk, twin, residence="Kawangware")  # offline: the desk has not heard
    office.engine.sync()
    report = desk.engine.sync()

    kept_op = server_patient(central, kept).op_number
    assert report.rejected == [
        f"patients {twin}: This patient was merged into {kept_op}; make the change there"
        " (residence)"
    ]
    assert server_patient(central, twin).merged_into == kept
    assert server_patient(central, kept).national_id == "23456789"
    assert local_patient(desk, twin).merged_into == kept
    assert local_patient(desk, twin).residence is None
    assert local_patient(desk, kept).national_id == "23456789"


def test_a_signed_visits_notes_are_not_changed_by_a_pushed_update(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    officer = make_staff(Role.CLINICAL_OFFICER, "kiprop")
    desk, room1, room2 = make_pc("desk"), make_pc("room1"), make_pc("room2")
    desk.login(reception)
    grace = register(desk, "Grace", "Wambui")
    visit = open_visit_on(desk, grace)
    desk.engine.sync()
    room1.login(officer)
    room2.login(officer)

    with room1.store.write() as session:
        notes = ConsultationNotes(complaint="Headache for 3 days", diagnoses=["R51"])
        record_consultation(visit, notes, session=session, actor=room1.actor())
        sign_visit(visit, session=session, actor=room1.actor())
    room1.engine.sync()
    with room2.store.write() as session:
        draft = ConsultationNotes(complaint="Fever", plan="Paracetamol", diagnoses=["R50.9"])
        record_consultation(visit, draft, session=session, actor=room2.actor())
    report = room2.engine.sync()

    with room2.store.session() as session:
        new_diagnosis = session.scalar(select(Diagnosis.id).where(Diagnosis.code == "R50.9"))
    assert report.rejected == [
        f"visits {visit}: The visit is signed; change it with an amendment",
        f"diagnoses {new_diagnosis}: The visit is signed; its diagnoses no longer change",
    ]
    with central.sessions() as session:
        signed = session.get(Visit, visit)
        assert signed is not None
        assert (signed.complaint, signed.plan, signed.status) == (
            "Headache for 3 days",
            None,
            VisitStatus.IN_CONSULTATION,
        )
        assert signed.signed_at is not None
        codes = session.scalars(select(Diagnosis.code).where(Diagnosis.visit_id == visit)).all()
    assert codes == ["R51"]
    room2.engine.sync()
    with room2.store.session() as session:
        here = session.get(Visit, visit)
        assert here is not None
        assert (here.complaint, here.plan, here.signed_at) == (
            "Headache for 3 days",
            None,
            signed.signed_at,
        )
        live_codes = session.scalars(
            select(Diagnosis.code).where(
                Diagnosis.visit_id == visit, Diagnosis.deleted_at.is_(None)
            )
        ).all()
    assert live_codes == ["R51"]


def test_the_previous_protocol_pulls_an_object_per_row_and_an_older_one_is_told_to_update(
    make_pc: MakePc, make_staff: MakeStaff
) -> None:
    pc = make_pc("old")
    pc.login(make_staff(Role.RECEPTIONIST))
    grace = register(pc, "Grace", "Wambui", phone="0722114455")
    pc.engine.push(SyncReport())
    body = {"schema": head_revision("local"), "cursor": None, "limit": 5000}
    current = pc.transport.call("POST", "/api/sync/pull", {**body, "protocol": PROTOCOL_VERSION})
    previous = pc.transport.call(
        "POST", "/api/sync/pull", {**body, "protocol": PROTOCOL_VERSION - 1}
    )
    (patients,) = [t for t in current["tables"] if t["entity"] == "patients"]
    (values,) = patients["rows"]
    row = dict(zip(patients["columns"], values, strict=True))
    assert (row["id"], row["phone"]) == (grace.hex, "+254722114455")
    assert row["flagged_fields"] == "[]"  # as the store keeps JSON: its text
    # Protocol 1: an object per row, times with their zone, JSON as JSON.
    as_before = {**row, "flagged_fields": [], "deleted_at": None}
    for name in ("created_at", "updated_at"):
        assert len(row[name]) == len("2026-11-26 07:30:00.000000")
        as_before[name] = f"{row[name]}+00:00"
    assert {"entity": "patients", "row": as_before} in previous["rows"]
    assert len(previous["rows"]) == sum(len(t["rows"]) for t in current["tables"])
    assert (previous["cursor"], previous["more"]) == (current["cursor"], current["more"])
    with pytest.raises(ServerRefused) as refused:
        pc.transport.call("POST", "/api/sync/pull", {**body, "protocol": PROTOCOL_VERSION - 2})
    assert (refused.value.status, refused.value.code) == (426, "update_required")
    assert refused.value.message == (
        "This Seth Clinic app is too old for the clinic server; update the app"
    )


def expired_token_of(pc: Pc, settings: Settings) -> str:
    """An access token of the receptionist logged in on ``pc`` that has expired."""
    assert pc.user is not None
    return expired_access_token(
        settings, pc.user.user_id, pc.store.device_id, Role.RECEPTIONIST, pc.user.branch_id
    )


def test_an_expired_access_token_is_refreshed_once_without_the_user_noticing(
    make_pc: MakePc, make_staff: MakeStaff, central: Database, settings: Settings
) -> None:
    reception = make_staff(Role.RECEPTIONIST)
    pc = make_pc("desk")
    pc.login(reception)
    grace = register(pc, "Grace", "Wambui")
    tokens = pc.transport.tokens.load()
    assert tokens is not None and pc.user is not None
    expired = expired_token_of(pc, settings)
    pc.transport.tokens.save(Tokens(expired, tokens.refresh_token))
    refreshes: list[Tokens] = []
    real_refresh = pc.transport.refresh

    def counted_refresh(old: Tokens) -> Tokens:
        refreshes.append(old)
        return real_refresh(old)

    pc.transport.refresh = counted_refresh  # type: ignore[method-assign, assignment]
    report = pc.engine.sync()

    assert refreshes == [Tokens(expired, tokens.refresh_token)]
    assert report.pushed == 1
    assert server_patient(central, grace).first_name == "Grace"
    fresh = pc.transport.tokens.load()
    assert fresh is not None
    assert fresh.refresh_token != tokens.refresh_token
    assert decode_access_token(settings.jwt_secret, fresh.access_token).user_id == reception.id

    # With the refresh token spent too, the sync stops after one refresh
    # with the server's reason, and the local change waits.
    register(pc, "Mercy", "Auma")
    pc.transport.tokens.save(Tokens(expired, tokens.refresh_token))
    refreshes.clear()
    with pytest.raises(ServerRefused) as refused:
        pc.engine.sync()
    assert (refused.value.status, refused.value.message) == (
        401,
        "This refresh token was already used; log in again",
    )
    assert len(refreshes) == 1
    assert sync_status(pc.store).pending == 1


def test_the_keyring_is_read_once_and_again_when_a_refresh_may_find_newer_tokens(
    make_pc: MakePc,
    make_staff: MakeStaff,
    settings: Settings,
    live_server: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every request carries the access token: read from the keyring once
    (a real keyring costs milliseconds a read), then from this process's
    memory, where a save replaces it. A refresh reads the keyring again:
    another process on the PC (the command line) may have refreshed the
    tokens, spending the refresh token this one holds."""
    reception = make_staff(Role.RECEPTIONIST)
    pc = make_pc("desk")
    pc.login(reception)
    assert pc.user is not None
    backend = keyring.get_keyring()
    reads: list[str] = []
    real_read = type(backend).get_password

    def counted_read(self: Any, service: str, username: str) -> str | None:
        reads.append(username)
        return real_read(self, service, username)

    monkeypatch.setattr(type(backend), "get_password", counted_read)
    monkeypatch.setattr(credentials, "_read", {})  # as at the app's start
    key = f"device:{pc.store.device_id}"
    for _ in range(3):
        assert pc.transport.call("GET", "/api/auth/me")["user"]["id"] == str(reception.id)
    assert reads == [key]

    # Saved (a login, a refresh): kept at once, no read.
    tokens = pc.transport.tokens.load()
    assert tokens is not None
    expired = expired_token_of(pc, settings)
    pc.transport.tokens.save(Tokens(expired, tokens.refresh_token))
    assert pc.transport.tokens.load() == Tokens(expired, tokens.refresh_token)
    assert reads == [key]

    # Another process refreshes them and leaves the new ones in the keyring:
    # this one's refresh token is spent, and its access token has expired.
    answer = httpx.post(
        f"{live_server.url}/api/auth/refresh", json={"refresh_token": tokens.refresh_token}
    ).json()
    newer = Tokens(answer["access_token"], answer["refresh_token"])
    backend.set_password(
        SERVICE,
        key,
        f'{{"access_token": "{newer.access_token}", "refresh_token": "{newer.refresh_token}"}}',
    )
    assert pc.transport.call("GET", "/api/auth/me")["user"]["id"] == str(reception.id)
    assert reads == [key, key]
    assert pc.transport.tokens.load() == newer


def test_a_revoked_device_is_refused_and_keeps_its_data_and_queue(
    make_pc: MakePc, make_staff: MakeStaff, central: Database, live_server: LiveServer
) -> None:
    reception = make_staff(Role.RECEPTIONIST)
    admin = make_staff(Role.ADMIN, "boss", branch_code=None)
    pc = make_pc("desk")
    pc.login(reception)
    grace = register(pc, "Grace", "Wambui", phone="0722114455")
    edit_patient(pc, grace, residence="Kibera")
    queued = outbox(pc)
    assert len(queued) == 2

    with httpx.Client(base_url=live_server.url) as http:
        tokens = http.post(
            "/api/auth/login",
            json={"username": admin.username, "password": PASSWORD, "device_id": str(uuid.uuid4())},
        ).json()
        revoked = http.post(
            f"/api/devices/{pc.store.device_id}/revoke",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
    assert revoked.status_code == 200, revoked.text

    with pytest.raises(ServerRefused) as refused:
        pc.engine.sync()
    assert (refused.value.status, refused.value.message) == (
        401,
        "This device was revoked; ask an admin",
    )
    assert outbox(pc) == queued
    here = local_patient(pc, grace)
    assert (here.first_name, here.phone, here.residence) == ("Grace", GRACE_PHONE, "Kibera")
    assert count(central, Patient, Patient.id == grace) == 0
    status = sync_status(pc.store)
    assert (status.pending, status.last_error) == (2, "This device was revoked; ask an admin")
    report = SyncReport()
    with pytest.raises(ServerRefused):
        pc.engine.pull(report)
    assert report.pulled == 0


def test_a_status_move_the_authors_role_may_not_make_is_refused_and_the_visit_stays(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    desk, room = make_pc("desk"), make_pc("room")
    desk.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    room.login(make_staff(Role.CLINICAL_OFFICER, "otieno"))
    visit = open_visit_on(desk, register(desk, "Grace", "Wambui"))
    desk.engine.sync()
    room.engine.sync()
    # The PC's own service lets a clinician take vitals; the move to
    # TRIAGED that comes with them is the nurse's.
    with room.store.write() as session:
        record_triage(visit, {"temperature_c": 37.2}, session=session, actor=room.actor())
    report = room.engine.sync()

    assert f"visits {visit}: Only nurse may move a visit to TRIAGED" in report.rejected
    with central.sessions() as session:
        on_server = session.get(Visit, visit)
        assert on_server is not None and on_server.status == VisitStatus.REGISTERED
