"""Who a PC is and what it numbers (DESIGN.md, Sync 2, 7 and 8): each
mutation applied once even when a response is lost; a copied or restored
data folder enrolled as a new device with none of its changes dropped;
offline login; tokens in the keyring by device and never in a file; OP
numbers from leased blocks that never overlap, provisional ones replaced."""

from __future__ import annotations

import threading
import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

import keyring
import orjson
import pytest
from sqlalchemy import func, select, update

from clinic.billing.models import Invoice, Payment
from clinic.clock import clinic_today
from clinic.db import utcnow
from clinic.enums import InvoiceStatus, PaymentMethod, Role
from clinic.journal.models import AppliedMutation, AuditEvent, ChangeLogEntry
from clinic.journal.service import log_central_change, record_insert
from clinic.migrate import head_revision
from clinic.numbering.models import NumberLease
from clinic.numbering.service import BLOCK_SIZE, next_number
from clinic.org.models import Device
from clinic.patients.models import Patient
from clinic.rules.numbers import NumberKind, format_number
from clinic.visits.service import open_visit
from server.database import Database
from sync.auth import LoginFailed, is_new_pc, login_offline, login_online
from sync.credentials import NoKeyring, TokenStore, keyring_available, secure_backend
from sync.engine import FORMER_IDS_KEY, SyncEngine, SyncReport, sync_status
from sync.protocol import MAX_LEASE_BLOCKS, PROTOCOL_VERSION
from sync.transport import ServerRefused, Unreachable
from tests.central import PASSWORD
from tests.conftest import TODAY
from tests.sync.conftest import (
    CopyPc,
    LiveServer,
    MakePc,
    MakeStaff,
    Pc,
    assert_converged,
    backup_store,
    edit_patient,
    local_patient,
    register,
    restore_backup,
    server_patient,
)
from tests.unit.test_importer import import_register

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def count(central: Database, model: type[Any], *where: Any) -> int:
    with central.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def server_patients(central: Database) -> dict[uuid.UUID, tuple[str, str | None, str | None]]:
    with central.sessions() as session:
        return {
            p.id: (p.first_name, p.phone, p.residence)
            for p in session.scalars(select(Patient).where(Patient.deleted_at.is_(None)))
        }


def lose_the_next_push_response(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The next push is committed by the server, then its answer is lost
    before the PC records it; returns the sequences the server had answered."""
    real = SyncEngine._record_push
    lost: list[int] = []

    def lose_once(engine: SyncEngine, answer: dict[str, Any], report: SyncReport) -> None:
        if not lost:
            lost.extend(r["sequence"] for r in answer["results"])
            raise Unreachable("The connection dropped before the answer arrived")
        real(engine, answer, report)

    monkeypatch.setattr(SyncEngine, "_record_push", lose_once)
    return lost


def refusal_codes(pc: Pc) -> list[str]:
    """Record the codes of the server's refusals to this PC from now on."""
    codes: list[str] = []
    real_call = pc.transport.call

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return real_call(*args, **kwargs)
        except ServerRefused as refusal:
            codes.append(refusal.code)
            raise

    pc.transport.call = call  # type: ignore[method-assign]
    return codes


def test_a_push_whose_answer_was_lost_is_applied_once_when_sent_again(
    make_pc: MakePc, make_staff: MakeStaff, central: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, till = make_pc("desk"), make_pc("till")
    desk.login(make_staff(Role.RECEPTIONIST))
    till.login(make_staff(Role.CASHIER))
    patients = [register(desk, name, "Wambui") for name in ("Grace", "Mercy", "Faith")]
    edit_patient(desk, patients[0], residence="Kibera")

    lost = lose_the_next_push_response(monkeypatch)
    with pytest.raises(Unreachable):
        desk.engine.sync()
    assert lost == [1, 2, 3, 4]
    assert sync_status(desk.store).pending == 4
    report = desk.engine.sync()

    assert (report.pushed, report.rejected) == (4, [])
    assert sync_status(desk.store).pending == 0
    device = desk.store.device_id
    with central.sessions() as session:
        applied = session.scalars(
            select(AppliedMutation.sequence)
            .where(AppliedMutation.device_id == device)
            .order_by(AppliedMutation.sequence)
        ).all()
        changes = session.execute(
            select(ChangeLogEntry.row_id, ChangeLogEntry.version)
            .where(ChangeLogEntry.entity == "patients")
            .order_by(ChangeLogEntry.id)
        ).all()
    assert applied == [1, 2, 3, 4]
    assert changes == [(patients[0], 1), (patients[1], 1), (patients[2], 1), (patients[0], 2)]
    assert count(central, Patient) == 3
    assert local_patient(desk, patients[0]).version == 2

    # The same for money: a payment whose answer was lost exists once.
    with desk.store.write() as session:
        visit = open_visit(patients[0], session=session, actor=desk.actor(), today=TODAY).id
    desk.engine.sync()
    till.engine.sync()
    assert till.user is not None
    with till.store.write() as session:
        invoice = Invoice(
            visit_id=visit,
            patient_id=patients[0],
            branch_id=till.user.branch_id,
            status=InvoiceStatus.PAID,
            total_cents=50_000,
            paid_cents=50_000,
            issued_at=utcnow(),
        )
        record_insert(session, till.actor(), invoice, action="issue_invoice")
        payment = Payment(
            invoice_id=invoice.id,
            branch_id=till.user.branch_id,
            method=PaymentMethod.MPESA,
            amount_cents=50_000,
            reference="QGH7XYZ123",
            receipt_number=next_number(
                session, till.store.device_id, NumberKind.RECEIPT, today=TODAY
            ),
            cashier_id=till.user.user_id,
            received_at=utcnow(),
        )
        record_insert(session, till.actor(), payment, action="record_payment")
    lost = lose_the_next_push_response(monkeypatch)
    with pytest.raises(Unreachable):
        till.engine.sync()
    assert lost == [1, 2]
    assert till.engine.sync().pushed == 2

    with central.sessions() as session:
        payments = session.execute(
            select(Payment.id, Payment.amount_cents, Payment.reference, Payment.version)
        ).all()
        payment_changes = session.scalar(
            select(func.count()).where(ChangeLogEntry.entity == "payments")
        )
    assert payments == [(payment.id, 50_000, "QGH7XYZ123", 1)]
    assert payment_changes == 1
    assert count(central, AppliedMutation, AppliedMutation.device_id == till.store.device_id) == 2


def test_a_copied_data_folder_is_enrolled_as_a_new_device_and_loses_nothing(
    make_pc: MakePc, copy_pc: CopyPc, make_staff: MakeStaff, central: Database
) -> None:
    original = make_pc("original")
    original.login(make_staff(Role.RECEPTIONIST))
    grace = register(original, "Grace", "Wambui", phone="0722114455")
    original.engine.sync()
    copy = copy_pc(original, "copy")
    device = original.store.device_id
    assert copy.store.device_id == device
    assert copy.transport.tokens.load() == original.transport.tokens.load()

    mercy = register(original, "Mercy", "Auma")
    edit_patient(original, grace, phone="0733000111")
    faith = register(copy, "Faith", "Njeri", residence="Thika")
    edit_patient(copy, grace, residence="Kibera")
    peter = register(copy, "Peter", "Otieno")
    original.engine.sync()
    codes = refusal_codes(copy)
    report = copy.engine.sync()

    assert (report.pushed, report.rejected) == (3, [])
    assert codes == ["device_reused"]
    new_device = copy.store.device_id
    assert new_device != device
    assert copy.store.get_setting(FORMER_IDS_KEY) == [str(device)]
    assert copy.transport.tokens.load() != original.transport.tokens.load()
    assert server_patients(central) == {
        grace: ("Grace", "+254733000111", "Kibera"),
        mercy: ("Mercy", None, None),
        faith: ("Faith", None, "Thika"),
        peter: ("Peter", None, None),
    }
    assert count(central, AppliedMutation, AppliedMutation.device_id == device) == 3
    assert count(central, AppliedMutation, AppliedMutation.device_id == new_device) == 3

    # Both carry on as two devices.
    edit_patient(copy, faith, phone="0711222333")
    edit_patient(original, mercy, residence="Langata")
    for pc in (copy, original, copy, original):
        assert pc.engine.sync().rejected == []
    assert server_patient(central, faith).phone == "+254711222333"
    assert server_patient(central, mercy).residence == "Langata"
    assert_converged(central, [original, copy])


def test_a_restored_backup_is_enrolled_as_a_new_device_and_loses_nothing(
    make_pc: MakePc, make_staff: MakeStaff, central: Database, live_server: LiveServer
) -> None:
    pc, other = make_pc("desk"), make_pc("other")
    reception = make_staff(Role.RECEPTIONIST)
    pc.login(reception)
    other.login(reception)
    grace = register(pc, "Grace", "Wambui")
    pc.engine.sync()
    backup = pc.store.path.parent.parent / "backup.sqlite3"
    backup_store(pc.store, backup)
    device = pc.store.device_id

    mercy = register(pc, "Mercy", "Auma")
    edit_patient(pc, grace, residence="Kibera")
    pc.engine.sync()
    restore_backup(pc, backup, live_server.url)
    assert pc.store.device_id == device
    faith = register(pc, "Faith", "Njeri")
    edit_patient(pc, grace, phone="0722114455")
    codes = refusal_codes(pc)
    report = pc.engine.sync()

    assert (report.pushed, report.rejected) == (2, [])
    assert codes == ["device_reused"]
    assert pc.store.device_id != device
    assert server_patients(central) == {
        grace: ("Grace", "+254722114455", "Kibera"),
        mercy: ("Mercy", None, None),
        faith: ("Faith", None, None),
    }
    pc.engine.sync()
    other.engine.sync()
    assert_converged(central, [pc, other])


def test_offline_login_works_only_for_users_who_logged_in_online_on_that_pc(
    make_pc: MakePc, make_staff: MakeStaff
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    nurse = make_staff(Role.NURSE, "akinyi")
    desk, ward = make_pc("desk"), make_pc("ward")
    online = login_online(desk.store, desk.transport, "Wanjiru", PASSWORD)
    login_online(ward.store, ward.transport, nurse.username, PASSWORD)

    offline = login_offline(desk.store, " WANJIRU ", PASSWORD)
    assert (offline.user_id, offline.role, offline.branch_id, offline.online) == (
        reception.id,
        Role.RECEPTIONIST,
        online.branch_id,
        False,
    )
    with pytest.raises(LoginFailed) as wrong:
        login_offline(desk.store, "wanjiru", PASSWORD + "x")
    assert str(wrong.value) == "Wrong username or password"
    with pytest.raises(LoginFailed) as stranger:
        login_offline(desk.store, "akinyi", PASSWORD)
    assert str(stranger.value) == (
        "This user has not logged in on this PC while online yet; connect to the server once"
    )
    assert login_offline(ward.store, "akinyi", PASSWORD).user_id == nurse.id


def test_offline_login_is_refused_for_a_role_the_pc_no_longer_serves(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("desk")
    login_online(desk.store, desk.transport, "wanjiru", PASSWORD)
    desk.engine.sync()
    assert login_offline(desk.store, "wanjiru", PASSWORD).role == Role.RECEPTIONIST
    with central.sessions.begin() as session:
        device = session.get(Device, desk.store.device_id)
        assert device is not None
        device.roles = [Role.CASHIER.value]
        log_central_change(session, device, ["roles"], device_id=None, user_id=None)
    desk.engine.sync()

    with pytest.raises(LoginFailed) as refused:
        login_offline(desk.store, "wanjiru", PASSWORD)
    assert str(refused.value) == (
        "This PC is set up for: cashier. Ask an admin to let it serve receptionist too"
    )


def test_an_admin_chooses_the_roles_of_a_new_pc_at_its_first_login(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    make_staff(Role.ADMIN, "amina", branch_code=None)
    make_staff(Role.NURSE, "akinyi")
    desk = make_pc("desk")
    assert is_new_pc(desk.store)

    login_online(
        desk.store, desk.transport, "amina", PASSWORD,
        device_roles=[Role.CASHIER, Role.RECEPTIONIST],
    )  # fmt: skip

    assert not is_new_pc(desk.store)
    with central.sessions() as session:
        device = session.get(Device, desk.store.device_id)
        assert device is not None
        assert device.roles == [Role.RECEPTIONIST.value, Role.CASHIER.value]
    with pytest.raises(ServerRefused) as again:
        login_online(desk.store, desk.transport, "amina", PASSWORD, device_roles=[Role.NURSE])
    assert again.value.status == 422
    desk.engine.sync()
    with desk.store.session() as session:
        own = session.get(Device, desk.store.device_id)
        assert own is not None and own.roles == ["receptionist", "cashier"]


def test_two_data_folders_on_one_machine_keep_their_own_tokens(
    make_pc: MakePc, make_staff: MakeStaff
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    nurse = make_staff(Role.NURSE, "akinyi")
    desk, ward = make_pc("desk"), make_pc("ward")
    desk.login(reception)
    ward.login(nurse)

    assert desk.transport.tokens.load() != ward.transport.tokens.load()
    assert desk.transport.call("GET", "/api/auth/me")["user"]["id"] == str(reception.id)
    assert ward.transport.call("GET", "/api/auth/me")["user"]["id"] == str(nurse.id)
    keys = {
        name
        for name in (f"device:{desk.store.device_id}", f"device:{ward.store.device_id}")
        if keyring.get_password("seth-clinic", name)
    }
    assert len(keys) == 2
    TokenStore(ward.store.device_id).clear()
    assert ward.transport.tokens.load() is None
    assert desk.transport.call("GET", "/api/auth/me")["user"]["id"] == str(reception.id)


@pytest.mark.parametrize("named", [True, False], ids=["fail-backend-named", "none-found"])
def test_without_a_keyring_tokens_live_in_memory_and_are_never_written(
    named: bool,
    make_pc: MakePc,
    make_staff: MakeStaff,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    no_keyring: None,
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    pc = make_pc("desk")
    if not named:
        monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    assert not keyring_available()
    with pytest.raises(NoKeyring) as refused:
        secure_backend()
    tokens = TokenStore(pc.store.device_id)
    assert tokens.in_memory

    user = login_online(pc.store, pc.transport, reception.username, PASSWORD)

    assert user.online and user.username == "wanjiru"
    assert pc.transport.call("GET", "/api/auth/me")["user"]["id"] == str(reception.id)
    kept = tokens.load()
    assert kept is not None and kept.access_token
    # The offline verifier is kept as with a keyring: a later offline login works.
    assert login_offline(pc.store, "wanjiru", PASSWORD).user_id == reception.id
    message = str(refused.value)
    assert message.startswith("No secure keyring is available")
    assert "gnome-keyring" in message and "never kept in a plain file" in message
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written
    secrets = (kept.access_token.encode(), kept.refresh_token.encode(), b"refresh_token")
    assert not any(secret in p.read_bytes() for p in written for secret in secrets)
    assert not (tmp_path / "keyring.json").exists()
    tokens.clear()
    assert tokens.load() is None


def test_numbers_given_before_the_first_lease_are_replaced_by_leased_ones_everywhere(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    early, other = make_pc("early"), make_pc("other")
    early.user = login_online(early.store, early.transport, reception.username, PASSWORD)
    early.engine.pull(SyncReport())
    grace = register(early, "Grace", "Wambui")
    mercy = register(early, "Mercy", "Auma")
    provisional = [local_patient(early, p).op_number for p in (grace, mercy)]
    assert provisional == [
        format_number(NumberKind.OP, TODAY.year, serial, provisional=True) for serial in (1, 2)
    ]
    assert provisional[0].startswith("TMP-OP-")
    other.login(reception)

    report = early.engine.sync()
    assert (report.leased, report.renumbered) == (2, 2)
    other.engine.sync()

    with central.sessions() as session:
        block = session.execute(
            select(NumberLease.year, NumberLease.first).where(
                NumberLease.lease_device_id == early.store.device_id,
                NumberLease.kind == NumberKind.OP,
            )
        ).one()
    year, first = block
    assert year == clinic_today().year
    expected = [format_number(NumberKind.OP, year, serial) for serial in (first, first + 1)]
    assert expected[0].startswith(f"OP-{year}-")
    for pc in (early, other):
        assert [local_patient(pc, p).op_number for p in (grace, mercy)] == expected
    assert [server_patient(central, p).op_number for p in (grace, mercy)] == expected
    with central.sessions() as session:
        assert session.scalar(select(func.count()).where(Patient.op_number.startswith("TMP-"))) == 0


def test_leased_blocks_of_two_pcs_never_overlap(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    pcs = [make_pc("a"), make_pc("b")]
    for pc in pcs:
        pc.login(reception)

    def use_up_and_top_up(pc: Pc) -> None:
        with pc.store.write() as session:
            session.execute(update(NumberLease).values(next=NumberLease.last - 10))
        pc.engine.sync()

    for _ in range(2):
        workers = [threading.Thread(target=use_up_and_top_up, args=(pc,)) for pc in pcs]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    with central.sessions() as session:
        leases = session.execute(
            select(
                NumberLease.lease_device_id, NumberLease.kind, NumberLease.first, NumberLease.last
            )
        ).all()
    for kind in NumberKind:
        blocks = sorted((first, last) for _, k, first, last in leases if k == kind)
        assert len(blocks) == 6
        assert all(last - first + 1 == BLOCK_SIZE for first, last in blocks)
        assert all(a_last < b_first for (_, a_last), (b_first, _) in pairwise(blocks))
    for pc in pcs:
        with pc.store.session() as session:
            mine = session.execute(
                select(NumberLease.kind, NumberLease.first, NumberLease.last).where(
                    NumberLease.provisional.is_(False)
                )
            ).all()
        on_server = [(k, f, la) for d, k, f, la in leases if d == pc.store.device_id]
        assert sorted(mine) == sorted(on_server)
        assert len(mine) == 6
    numbers = [local_patient(pc, register(pc, "Grace", "Wambui")).op_number for pc in pcs]
    assert numbers[0] != numbers[1]


REGISTER_ROWS = 1_300
"""Rows of each PC's paper register, all provisional (imported before the
PC's first lease): with the reserve, two blocks' worth. Kept small: the
import and the push of 2,600 mutations a PC take most of the test's time."""


def import_register_offline(pc: Pc, prefix: str) -> None:
    """Import a paper register of :data:`REGISTER_ROWS` patients on the PC
    (offline: nothing is pushed)."""
    lines = ["NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER"]
    for i in range(REGISTER_ROWS):
        surname = "".join("abcdefghij"[int(digit)] for digit in f"{i:04d}").title()
        lines.append(f"{prefix}ngela {surname},{20 + i % 60}yrs,Kibera,{prefix}{i:05d}/25,")
    with pc.store.write() as session:
        report = import_register(lines, session=session, actor=pc.actor())
    assert report.imported == REGISTER_ROWS, report.summary()


def op_numbers(pc: Pc) -> dict[uuid.UUID, str]:
    with pc.store.session() as session:
        return dict(session.execute(select(Patient.id, Patient.op_number)).all())


def calls_to(pc: Pc, path: str) -> list[dict[str, Any]]:
    """Record what the PC asks of ``path`` from now on (besides the versions)."""
    bodies: list[dict[str, Any]] = []
    real_call = pc.transport.call

    def call(method: str, called: str, body: Any = None, **kwargs: Any) -> Any:
        if called == path:
            fields = orjson.loads(body) if isinstance(body, bytes) else body
            bodies.append(
                {k: v for k, v in fields.items() if k not in {"protocol", "schema", "app_version"}}
            )
        return real_call(method, called, body, **kwargs)

    pc.transport.call = call  # type: ignore[method-assign]
    return bodies


def test_a_large_register_imported_offline_on_two_pcs_is_all_renumbered_at_their_next_sync(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    pcs = [make_pc("a"), make_pc("b")]
    for pc, prefix in zip(pcs, ("A", "B"), strict=True):
        pc.user = login_online(pc.store, pc.transport, reception.username, PASSWORD)
        pc.engine.pull(SyncReport())
        import_register_offline(pc, prefix)
        assert all(n.startswith("TMP-OP-") for n in op_numbers(pc).values())

    leases: list[Any] = []
    for pc in pcs:
        lease_calls = calls_to(pc, "/api/sync/lease")
        report = pc.engine.sync()
        assert report.renumbered == REGISTER_ROWS
        assert report.leased == 3
        leases.append(lease_calls)
    pcs[0].engine.pull(SyncReport())

    assert leases == [[{"kind": "OP", "blocks": 2}, {"kind": "RCP"}]] * 2
    with central.sessions() as session:
        on_server = dict(session.execute(select(Patient.id, Patient.op_number)).all())
    assert len(on_server) == 2 * REGISTER_ROWS
    assert not [n for n in on_server.values() if not n.startswith("OP-")]
    assert len(set(on_server.values())) == len(on_server)
    for pc in pcs:
        assert op_numbers(pc) == on_server
    assert_converged(central, pcs, (Patient,))


def test_a_lease_is_one_block_unless_more_are_asked_for_within_the_bound(
    make_pc: MakePc, make_staff: MakeStaff
) -> None:
    pc = make_pc("desk")
    pc.login(make_staff(Role.RECEPTIONIST))
    versions = {"protocol": PROTOCOL_VERSION, "schema": head_revision("local")}

    def lease(**asked: Any) -> Any:
        return pc.transport.call("POST", "/api/sync/lease", {**versions, "kind": "OP", **asked})

    one, three = lease(), lease(blocks=3)
    assert one["last"] - one["first"] + 1 == BLOCK_SIZE
    assert (three["first"], three["last"]) == (one["last"] + 1, one["last"] + 3 * BLOCK_SIZE)
    for refused in (0, MAX_LEASE_BLOCKS + 1):
        with pytest.raises(ServerRefused) as error:
            lease(blocks=refused)
        assert error.value.status == 422
        assert [field["field"] for field in error.value.fields] == ["blocks"]


def pushed_mutations(
    bodies: list[dict[str, Any]],
) -> list[tuple[str, uuid.UUID, dict[str, Any]]]:
    """(operation, row id, changes) of every mutation in these push bodies."""
    return [
        (m["operation"], uuid.UUID(m["row_id"]), m["changes"])
        for body in bodies
        for m in body["mutations"]
    ]


def test_an_imported_register_reaches_the_server_with_one_mutation_per_patient(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    pc, other = make_pc("desk"), make_pc("other")
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    pc.user = login_online(pc.store, pc.transport, reception.username, PASSWORD)
    pc.engine.pull(SyncReport())
    with pc.store.write() as session:
        report = import_register(
            ["NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER"]
            + [f"grace wambui,{20 + i}yrs,limuru,{i:03d}/25,0722114{i:03d}" for i in range(5)],
            session=session,
            actor=pc.actor(),
        )
    assert report.imported == 5
    provisional = op_numbers(pc)
    assert all(n.startswith("TMP-OP-") for n in provisional.values())
    pushes = calls_to(pc, "/api/sync/push")

    report_sync = pc.engine.sync()

    assert (report_sync.renumbered, report_sync.pushed, report_sync.rejected) == (5, 5, [])
    numbers = op_numbers(pc)
    assert all(n.startswith("OP-") for n in numbers.values())
    mutations = pushed_mutations(pushes)
    assert [(op, row_id) for op, row_id, _ in mutations] == [
        ("insert", patient_id) for patient_id in provisional
    ]
    assert [changes["op_number"] for _, _, changes in mutations] == list(numbers.values())
    events = [e for body in pushes for e in body["audit_events"]]
    assert [(e["action"], uuid.UUID(e["entity_id"])) for e in events] == [
        *(("register_patient", p) for p in provisional),
        *(("replace_provisional_number", p) for p in provisional),
    ]
    assert [(e["before"], e["after"]) for e in events[5:]] == [
        ({"op_number": provisional[p]}, {"op_number": numbers[p]}) for p in provisional
    ]
    with central.sessions() as session:
        on_server = dict(session.execute(select(Patient.id, Patient.op_number)).all())
        logged = session.scalars(
            select(ChangeLogEntry.row_id).where(ChangeLogEntry.row_id.in_(list(numbers)))
        ).all()
        audited = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.device_id == pc.store.device_id, AuditEvent.entity_id.in_(list(numbers))
            )
        ).all()
    assert {p: on_server[p] for p in numbers} == numbers
    assert sorted(logged) == sorted(numbers)
    assert sorted(audited) == ["register_patient"] * 5 + ["replace_provisional_number"] * 5
    assert sync_status(pc.store).pending == 0
    other.login(reception)
    assert_converged(central, [pc, other], (Patient,))


@pytest.mark.parametrize("answer", ["received", "lost"])
def test_a_new_patient_pushed_with_its_provisional_number_is_renumbered_by_an_update(
    make_pc: MakePc,
    make_staff: MakeStaff,
    central: Database,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    pc = make_pc("desk")
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    pc.user = login_online(pc.store, pc.transport, reception.username, PASSWORD)
    pc.engine.pull(SyncReport())
    grace = register(pc, "Grace", "Wambui")
    provisional = local_patient(pc, grace).op_number
    assert provisional.startswith("TMP-OP-")
    if answer == "lost":
        lose_the_next_push_response(monkeypatch)  # that one only
        with pytest.raises(Unreachable):
            pc.engine.push(SyncReport())
    else:
        pc.engine.push(SyncReport())
    assert server_patient(central, grace).op_number == provisional
    codes = refusal_codes(pc)
    pushes = calls_to(pc, "/api/sync/push")

    report = pc.engine.sync()

    assert (report.renumbered, report.rejected, codes) == (1, [], [])
    number = local_patient(pc, grace).op_number
    assert number.startswith("OP-")
    mutations = pushed_mutations(pushes)
    expected = [("update", grace, {"op_number": number})]
    if answer == "lost":  # the INSERT again, as it went: answered, not applied twice
        assert [op for op, _, _ in mutations[:1]] == ["insert"]
        assert mutations[0][2]["op_number"] == provisional
        mutations = mutations[1:]
    assert mutations == expected
    assert server_patient(central, grace).op_number == number
    assert count(central, ChangeLogEntry, ChangeLogEntry.row_id == grace) == 2
    assert_converged(central, [pc], (Patient,))
