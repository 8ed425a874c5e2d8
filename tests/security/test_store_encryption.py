"""The local store encrypted at rest with SQLCipher (issue 15, item 5): a new
store is encrypted, a plain one an older version left is encrypted in place
at the first start keeping every row (also after a crash half-way), its key
is kept as DESIGN.md's Security says, and a missing or wrong key is refused
with a message that says what to do."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import keyring
import pytest

from clinic import cipher
from clinic.actor import Actor
from clinic.backup import backup_store, read_backup, restore_store
from clinic.cipher import SQLITE_HEADER, StoreState, store_state
from clinic.patients.search import search_patients
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import STORE_FILE, LocalStore, open_local_store
from clinic.store_key import KEY_FILE, KEYRING_SERVICE, StoreKeyRefused, load_key
from desktop.cli import main as seth_clinic
from tests.conftest import TODAY
from tests.keyring_backend import FileKeyring

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _plain_store(data_dir: Path) -> Path:
    """A store as the version before encryption left it: plain SQLite, with
    a row in every table of its own (SQLite's, the search index's included)
    and a patient to search for."""
    store = open_local_store(data_dir, encrypted=False)
    try:
        with store.write() as session:
            actor = Actor(device_id=store.device_id)  # the system: an import
            register_patient(
                PatientDetails(first_name="Wanjiru", last_name="Kamau", phone="0722123456"),
                session=session,
                actor=actor,
                today=TODAY,
            )
        _fill_every_table(store)
    finally:
        store.close()
    assert store_state(data_dir / STORE_FILE) == StoreState.PLAIN
    return data_dir / STORE_FILE


def _fill_every_table(store: LocalStore) -> None:
    """One more row in every table that has none, whatever its columns:
    a value of each column's type, with SQLite's checks set aside."""
    values = {"INT": 7, "CHAR": "x7", "TEXT": "x7", "CLOB": "x7", "BLOB": b"\x07" * 16}
    with closing(sqlite3.connect(store.path)) as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("PRAGMA ignore_check_constraints = ON")
        for (name,) in raw.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE 'patient_search%'"
        ).fetchall():
            if raw.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]:
                continue
            columns = raw.execute(f'PRAGMA table_info("{name}")').fetchall()
            row = [
                next((v for k, v in values.items() if k in column[2].upper()), 7.5)
                for column in columns
            ]
            names = ", ".join(f'"{column[1]}"' for column in columns)
            marks = ", ".join("?" * len(columns))
            raw.execute(f'INSERT INTO "{name}" ({names}) VALUES ({marks})', row)
        raw.commit()


def _contents(connection: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (SQLite's own and the search index's too)."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
        )
    ]
    return {
        name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
        for name in names
    }


def _plain_contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with closing(cipher.connect(path, None)) as connection:
        return _contents(connection)


def test_a_new_store_is_encrypted_and_its_key_file_is_its_owners_alone(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        data_dir = tmp_path / "data"
        first = open_local_store(data_dir)
        device = first.device_id
        first.close()
    finally:
        os.umask(old_umask)
    path = data_dir / STORE_FILE
    assert path.read_bytes()[:16] != SQLITE_HEADER
    assert store_state(path) == StoreState.ENCRYPTED
    with closing(sqlite3.connect(path)) as plain, pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    assert _mode(data_dir) == 0o700
    assert {p.name: _mode(p) for p in data_dir.iterdir()} == {STORE_FILE: 0o600, KEY_FILE: 0o600}
    # No keyring on this PC (the tests' default): the key is in the file.
    assert set(json.loads((data_dir / KEY_FILE).read_text())) == {"key"}
    reopened = open_local_store(data_dir)
    assert reopened.device_id == device
    reopened.close()


def test_with_a_keyring_the_key_is_in_it_and_not_in_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.FileKeyring")
    monkeypatch.setenv("SETH_TEST_KEYRING_FILE", str(keyring_file))
    keyring.set_keyring(FileKeyring())
    data_dir = tmp_path / "data"
    open_local_store(data_dir).close()

    where = json.loads((data_dir / KEY_FILE).read_text())
    assert set(where) == {"keyring"}
    kept = json.loads(keyring_file.read_text())
    assert kept == {f"{KEYRING_SERVICE}\0{where['keyring']}": load_key(data_dir).hex()}
    assert load_key(data_dir).hex() not in (data_dir / KEY_FILE).read_text()

    keyring_file.write_text("{}")  # the keyring lost it (another PC, a reset)
    with pytest.raises(StoreKeyRefused) as refused:
        open_local_store(data_dir)
    assert "the store's key is missing from this PC's keyring" in str(refused.value)


def test_a_plain_store_is_encrypted_in_place_keeping_every_row(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = _plain_store(data_dir)
    before = _plain_contents(path)
    assert all(before[name] for name in before if name != "sqlite_stat4"), [
        name for name, rows in before.items() if not rows
    ]
    os.chmod(path, 0o644)  # as an older version may have left it

    store = open_local_store(data_dir)
    try:
        with store.session() as session:
            found = search_patients("wanjiru kam", session=session)
    finally:
        store.close()

    assert store_state(path) == StoreState.ENCRYPTED
    assert [(p.first_name, p.last_name) for p in found] == [("Wanjiru", "Kamau")]
    with closing(cipher.connect(path, load_key(data_dir))) as encrypted:
        after = _contents(encrypted)
    after.pop("sqlite_stat4", None)  # SQLCipher's SQLite keeps these; the ANALYZE on opening
    before.pop("sqlite_stat4", None)
    after["sqlite_stat1"] = before["sqlite_stat1"] = []  # the opening rewrote one row
    assert after == before
    assert sorted(p.name for p in data_dir.iterdir()) == [KEY_FILE, STORE_FILE]
    assert _mode(path) == 0o600


def test_encryption_keeps_the_rowids_the_search_index_finds_patients_by(tmp_path: Path) -> None:
    """The search index's rows take their patient's rowid, and a search reads
    its hits by it: encrypting must not renumber the patients, also where
    a row was deleted before them."""
    data_dir = tmp_path / "data"
    store = open_local_store(data_dir, encrypted=False)
    try:
        with store.write() as session:
            actor = Actor(device_id=store.device_id)
            for first_name in ("Achieng", "Wanjiru", "Auma"):
                details = PatientDetails(first_name=first_name, last_name="Kamau")
                register_patient(details, session=session, actor=actor, today=TODAY)
        with closing(sqlite3.connect(store.path)) as raw:
            raw.execute("PRAGMA foreign_keys = OFF")
            raw.execute("DELETE FROM patients WHERE first_name = 'Achieng'")
            raw.commit()
    finally:
        store.close()

    store = open_local_store(data_dir)  # encrypts it in place first
    try:
        with store.session() as session:
            assert store_state(store.path) == StoreState.ENCRYPTED
            assert [p.first_name for p in search_patients("wanjiru", session=session)] == [
                "Wanjiru"
            ]
            assert [p.first_name for p in search_patients("kamau", session=session)] == [
                "Wanjiru",
                "Auma",
            ]
    finally:
        store.close()


KILLED_AT = {
    "after the copy, before checking it": (
        "real = cipher.table_rows\n"
        "calls = []\n"
        "def table_rows(connection):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(connection)\n"
        "cipher.table_rows = table_rows\n"
    ),
    "before the rename": (
        "real = os.replace\n"
        "def replace(source, target):\n"
        "    if str(target).endswith('clinic.sqlite3'): os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(source, target)\n"
        "os.replace = replace\n"
    ),
    "after the rename": (
        "real = os.replace\n"
        "def replace(source, target):\n"
        "    real(source, target)\n"
        "    if str(target).endswith('clinic.sqlite3'): os.kill(os.getpid(), signal.SIGKILL)\n"
        "os.replace = replace\n"
    ),
}


@pytest.mark.parametrize("moment", KILLED_AT)
def test_a_kill_during_the_encryption_loses_nothing(tmp_path: Path, moment: str) -> None:
    data_dir = tmp_path / "data"
    path = _plain_store(data_dir)
    before = _plain_contents(path)
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from clinic import cipher\n"
        "from clinic.store import open_local_store\n"
        + KILLED_AT[moment]
        + "open_local_store(Path(sys.argv[1]))\n"
    )
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    killed = subprocess.run(
        [sys.executable, "-c", script, str(data_dir)], cwd=ROOT, env=env, check=False
    )
    assert killed.returncode == -9
    key = load_key(data_dir)
    expected = StoreState.ENCRYPTED if moment == "after the rename" else StoreState.PLAIN
    assert store_state(path) == expected

    open_local_store(data_dir).close()  # the next start

    assert load_key(data_dir) == key  # the key made before the kill, kept
    assert store_state(path) == StoreState.ENCRYPTED
    assert not any(p.name.endswith(cipher.ENCRYPTING_SUFFIX) for p in data_dir.iterdir())
    with closing(cipher.connect(path, key)) as encrypted:
        after = cipher.table_rows(encrypted)
    assert {n: c for n, c in after.items() if not n.startswith("sqlite_stat")} == {
        n: len(rows) for n, rows in before.items() if not n.startswith("sqlite_stat")
    }


def test_a_missing_or_wrong_key_is_refused_saying_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    open_local_store(ours).close()
    open_local_store(theirs).close()
    store_bytes = (ours / STORE_FILE).read_bytes()

    (ours / KEY_FILE).unlink()
    with pytest.raises(StoreKeyRefused) as missing:
        open_local_store(ours)
    assert "the store's key is missing" in str(missing.value)
    assert f"Put back the {KEY_FILE} that was in this folder" in str(missing.value)

    shutil.copy(theirs / KEY_FILE, ours / KEY_FILE)
    with pytest.raises(StoreKeyRefused) as wrong:
        open_local_store(ours)
    assert "the store's key does not open clinic.sqlite3" in str(wrong.value)
    assert "file is not a database" not in str(wrong.value)

    capsys.readouterr()
    assert seth_clinic(["--data-dir", str(ours), "patients"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("seth-clinic: the store's key does not open clinic.sqlite3")
    assert err.count("\n") == 1
    assert (ours / STORE_FILE).read_bytes() == store_bytes  # nothing changed


def test_a_plain_backup_restores_into_an_encrypted_store(tmp_path: Path) -> None:
    path = _plain_store(tmp_path / "old")
    backup = tmp_path / "old.backup"
    info = backup_store(path, backup)
    assert store_state(backup) == StoreState.PLAIN  # a backup as the older version made

    assert restore_store(backup, tmp_path / "new") == info
    restored = tmp_path / "new" / STORE_FILE
    assert store_state(restored) == StoreState.ENCRYPTED
    assert read_backup(backup).device_id == info.device_id
    store = open_local_store(tmp_path / "new")
    try:
        with store.session() as session:
            assert [p.first_name for p in search_patients("wanjiru", session=session)] == [
                "Wanjiru"
            ]
    finally:
        store.close()
