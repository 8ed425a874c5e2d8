"""Backups of a PC's store (issue 14, Backup and restore): a consistent copy
while the app writes, a restore into an empty data folder only, and a
restored store that syncs as a new device with nothing pushed or pulled
twice; the daily backups kept seven."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic import cipher
from clinic.actor import Actor
from clinic.backup import RESTORED_KEY, daily_backup, read_backup
from clinic.cipher import StoreState, store_state
from clinic.enums import Role
from clinic.journal.models import AppliedMutation, AuditEvent, ChangeLogEntry, OutboxEntry
from clinic.numbering.models import NumberLease
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import STORE_FILE, LocalStore, open_local_store
from clinic.store_key import KEY_ENV, load_key, save_new_key
from desktop.cli import main as seth_clinic
from server.database import Database
from sync.engine import FORMER_IDS_KEY, SyncEngine, sync_status
from sync.transport import Transport
from tests.central import MakeStaff
from tests.conftest import TODAY
from tests.sync.conftest import (
    LiveServer,
    MakePc,
    Pc,
    assert_converged,
    edit_patient,
    local_patient,
    register,
    server_patient,
)

PATIENT_CHANGES = ChangeLogEntry.entity == "patients"
pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (and below) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def name_for(number: int) -> str:
    """A distinct name for each number (names have no digits)."""
    return "Pat" + chr(ord("a") + number % 26) + chr(ord("a") + number // 26 % 26)


def test_a_backup_taken_while_the_app_writes_is_consistent_and_opens(
    store: LocalStore, receptionist: Actor, tmp_path: Path
) -> None:
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        while not stop.is_set():
            with store.write() as session:
                register_patient(
                    PatientDetails(first_name=name_for(len(written)), last_name="Wambui"),
                    session=session,
                    actor=receptionist,
                    today=TODAY,
                )
            written.append(1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        backup = tmp_path / "backup.sqlite3"
        assert seth_clinic(["--data-dir", str(store.path.parent), "backup", str(backup)]) == 0
        written_at_backup = len(written)
        while len(written) < written_at_backup + 5:
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join()

    assert not Path(f"{backup}-wal").exists()
    assert backup.stat().st_mode & 0o077 == 0
    key = load_key(store.path.parent)
    assert store_state(backup) == StoreState.ENCRYPTED
    with closing(cipher.connect(backup, key)) as opened:
        assert opened.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # Each registration is a patient, its outbox entry and its audit event in
    # one transaction: a copy of one moment holds all three or none.
    copy = open_local_store(_folder_with(backup, key, tmp_path / "opened"))
    try:
        with copy.session() as session:
            patients = session.scalar(select(func.count()).select_from(Patient)) or 0
            queued = session.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.entity == "patients")
            )
            audited = session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "register_patient")
            )
        assert copy.device_id == store.device_id
    finally:
        copy.close()
    assert 5 <= patients < len(written)
    assert queued == audited == patients


def _folder_with(backup: Path, key: bytes, folder: Path) -> Path:
    folder.mkdir()
    (folder / STORE_FILE).write_bytes(backup.read_bytes())
    save_new_key(folder, key)
    return folder


def use_key_of(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Restores take the key ``store-key`` prints for the store in ``folder``."""
    capsys.readouterr()
    assert seth_clinic(["--data-dir", str(folder), "store-key"]) == 0
    monkeypatch.setenv(KEY_ENV, capsys.readouterr().out.strip())


def test_a_restored_store_syncs_as_a_new_device_and_nothing_moves_twice(
    make_pc: MakePc,
    make_staff: MakeStaff,
    central: Database,
    live_server: LiveServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    desk, other = make_pc("desk"), make_pc("other")
    reception = make_staff(Role.RECEPTIONIST)
    desk.login(reception)
    other.login(reception)
    grace = register(desk, "Grace", "Wambui")
    desk.engine.sync()
    # Taken with one change still queued, which the PC pushes after the backup.
    mercy = register(desk, "Mercy", "Auma")
    backup = tmp_path / "desk.backup"
    assert seth_clinic(["--data-dir", str(desk.store.path.parent), "backup", str(backup)]) == 0
    assert read_backup(backup, load_key(desk.store.path.parent)).pending == 1
    with central.sessions() as session:
        backed_up_through = session.scalar(select(func.max(ChangeLogEntry.id)))
    old_device = desk.store.device_id
    desk.engine.sync()
    edit_patient(desk, grace, residence="Kibera")  # the PC goes on past the backup...
    faith = register(desk, "Faith", "Njeri")
    desk.engine.sync()
    other.engine.sync()
    edit_patient(other, mercy, phone="0722114455")  # ...and so does the clinic
    other.engine.sync()
    old_numbers = {local_patient(desk, p).op_number for p in (grace, mercy, faith)}
    with central.sessions() as session:
        changes_before = session.scalar(select(func.count()).where(PATIENT_CHANGES)) or 0

    # The disk dies; the backup goes onto a new data folder, opened with the
    # key the admin kept.
    use_key_of(desk.store.path.parent, monkeypatch, capsys)
    folder = tmp_path / "restored"
    assert seth_clinic(["--data-dir", str(folder), "restore", str(backup)]) == 0
    store = open_local_store(folder)
    transport = Transport(live_server.url, store.device_id)
    restored = Pc(store, transport, SyncEngine(store, transport), desk.user)
    try:
        assert store.device_id == old_device
        assert store.get_setting(RESTORED_KEY) is not None
        with store.session() as session:
            assert (
                session.scalar(select(func.count()).where(NumberLease.next <= NumberLease.last))
                == 0
            )
        peter = register(restored, "Peter", "Otieno")  # offline, before the first sync
        edit_patient(restored, grace, phone="0733000111")

        report = restored.engine.sync()

        new_device = store.device_id
        assert new_device != old_device
        assert store.get_setting(FORMER_IDS_KEY) == [str(old_device)]
        assert store.get_setting(RESTORED_KEY) is None
        assert report.rejected == []
        assert sync_status(store).pending == 0
        with central.sessions() as session:
            applied_old = session.scalars(
                select(AppliedMutation.sequence).where(AppliedMutation.device_id == old_device)
            ).all()
            applied_new = session.scalars(
                select(AppliedMutation.sequence).where(AppliedMutation.device_id == new_device)
            ).all()
            mercy_inserts = session.scalar(
                select(func.count()).where(
                    ChangeLogEntry.row_id == mercy, ChangeLogEntry.version == 1
                )
            )
            changes_after = session.scalar(select(func.count()).where(PATIENT_CHANGES))
            patients = session.scalar(select(func.count()).select_from(Patient))
        # Mercy's insert (held by the backup, pushed before) applied once,
        # under the old id; under the new one Peter, with the leased number
        # that replaced his provisional one (his insert never left the PC),
        # and Grace's phone.
        assert sorted(applied_old) == [1, 2, 3, 4]
        assert sorted(applied_new) == [3, 4]
        assert mercy_inserts == 1
        assert changes_after == changes_before + 2
        assert patients == 4
        # Pulled: each row changed since the backup once (Grace, Mercy,
        # Faith, Peter and the new device), however often it changed.
        with central.sessions() as session:
            changed_since = session.execute(
                select(ChangeLogEntry.entity, ChangeLogEntry.row_id)
                .where(ChangeLogEntry.id > backed_up_through)
                .distinct()
            ).all()
        assert report.pulled == len(changed_since) == 5
        assert server_patient(central, grace).residence == "Kibera"
        assert server_patient(central, grace).phone == "+254733000111"
        assert server_patient(central, mercy).phone == "+254722114455"
        # Peter got a number of a new block: none the old device handed out.
        assert local_patient(restored, peter).op_number not in old_numbers
        assert not local_patient(restored, peter).op_number.startswith("TMP")

        again = restored.engine.sync()
        assert (again.pushed, again.pulled, again.rejected) == (0, 0, [])
        # The audit events written since the restore moved to the new
        # device's chain, which the server accepted whole.
        assert report.audit_problem is None and again.audit_problem is None
        with store.session() as session:
            local_audit = {
                device: sorted(session.scalars(
                    select(AuditEvent.id).where(AuditEvent.device_id == device)
                ))
                for device in (old_device, new_device)
            }  # fmt: skip
        with central.sessions() as session:
            for device, events in local_audit.items():
                held = session.scalars(select(AuditEvent.id).where(AuditEvent.device_id == device))
                assert set(events) <= set(held), device
        assert len(local_audit[new_device]) >= 3  # Peter, his number, Grace's phone
        desk.engine.sync()
        other.engine.sync()
        assert_converged(central, [restored, desk, other])
    finally:
        restored.transport.close()
        store.close()


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert seth_clinic(list(argv)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    return err


def test_a_restore_is_refused_with_a_reason_and_changes_nothing(
    store: LocalStore,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backup = tmp_path / "good.backup"
    assert seth_clinic(["--data-dir", str(store.path.parent), "backup", str(backup)]) == 0
    data = store.path.parent
    before = folder_state(data)

    err = _refused(capsys, "--data-dir", str(data), "restore", str(backup))
    assert "already holds a clinic store; restore into an empty data folder" in err
    assert folder_state(data) == before

    empty = tmp_path / "empty"
    empty.mkdir()
    csv = tmp_path / "register.csv"
    csv.write_text("NAME,AGE\nGrace Wambui,33yrs\n")
    assert "register.csv is not a Seth Clinic backup, or one encrypted with the key" in (
        _refused(capsys, "--data-dir", str(empty), "restore", str(csv))
    )
    other_db = tmp_path / "other.sqlite3"
    sqlite3.connect(other_db).execute("CREATE TABLE t (x)").connection.commit()
    assert "other.sqlite3 is not a Seth Clinic backup (it holds no clinic store)" in _refused(
        capsys, "--data-dir", str(empty), "restore", str(other_db)
    )
    # Without the store's key, or with another store's, an encrypted backup is refused.
    assert "good.backup is not a Seth Clinic backup, or one encrypted with the key" in (
        _refused(capsys, "--data-dir", str(empty), "restore", str(backup))
    )
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    assert "good.backup is not a Seth Clinic backup, or one encrypted with another store's" in (
        _refused(capsys, "--data-dir", str(empty), "restore", str(backup))
    )
    monkeypatch.setenv(KEY_ENV, "not hex")
    assert f"{KEY_ENV} is not a store key (64 hex digits)" in (
        _refused(capsys, "--data-dir", str(empty), "restore", str(backup))
    )
    use_key_of(data, monkeypatch, capsys)
    newer = tmp_path / "newer.backup"
    newer.write_bytes(backup.read_bytes())
    with closing(cipher.connect(newer, load_key(data))) as db:
        db.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
        db.commit()
    assert "was made by a newer version of Seth Clinic (schema ffff_from_the_future)" in (
        _refused(capsys, "--data-dir", str(empty), "restore", str(newer))
    )
    assert "cannot read" in _refused(
        capsys, "--data-dir", str(empty), "restore", str(tmp_path / "missing.backup")
    )
    assert list(empty.iterdir()) == []
    assert "holds no clinic data to back up" in _refused(
        capsys, "--data-dir", str(empty), "backup", str(tmp_path / "x.backup")
    )
    assert not (tmp_path / "x.backup").exists()
    assert "cannot write" in _refused(
        capsys, "--data-dir", str(data), "backup", str(tmp_path / "no-such-folder" / "b")
    )


def test_the_daily_backup_is_taken_once_a_day_and_seven_are_kept(
    store: LocalStore, tmp_path: Path
) -> None:
    start = date(2026, 11, 1)
    made = [daily_backup(store.path, start + timedelta(days=n)) for n in range(10)]
    assert daily_backup(store.path, start + timedelta(days=9)) is None
    folder = store.path.parent / "backups"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"clinic-{(start + timedelta(days=n)).isoformat()}.sqlite3" for n in range(3, 10)
    ]
    assert made[-1] is not None
    key = load_key(store.path.parent)
    assert read_backup(made[-1], key).device_id == str(store.device_id)
    assert uuid.UUID(read_backup(made[-1], key).device_id) == store.device_id


def test_a_backup_of_a_restored_store_not_synced_since_keeps_the_first_restores_marker(
    store: LocalStore,
    receptionist: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def registered(target: LocalStore, name: str) -> None:
        with target.write() as session:
            register_patient(
                PatientDetails(first_name=name, last_name="Wambui"),
                session=session,
                actor=receptionist,
                today=TODAY,
            )

    registered(store, "Grace")
    first = tmp_path / "first.backup"
    assert seth_clinic(["--data-dir", str(store.path.parent), "backup", str(first)]) == 0
    use_key_of(store.path.parent, monkeypatch, capsys)
    assert seth_clinic(["--data-dir", str(tmp_path / "a"), "restore", str(first)]) == 0
    restored = open_local_store(tmp_path / "a")
    try:
        marker = restored.get_setting(RESTORED_KEY)
        assert marker["outbox_through"] == 1 and marker["audit_through"] >= 1
        registered(restored, "Mercy")  # sequence 2 of the old id: the old PC may have its own
        second = tmp_path / "second.backup"
        assert seth_clinic(["--data-dir", str(restored.path.parent), "backup", str(second)]) == 0
    finally:
        restored.close()
    assert read_backup(second, load_key(tmp_path / "a")).outbox_through == 2
    use_key_of(tmp_path / "a", monkeypatch, capsys)  # a restored store has a key of its own
    assert seth_clinic(["--data-dir", str(tmp_path / "b"), "restore", str(second)]) == 0
    again = open_local_store(tmp_path / "b")
    try:
        assert again.get_setting(RESTORED_KEY) == marker
    finally:
        again.close()
