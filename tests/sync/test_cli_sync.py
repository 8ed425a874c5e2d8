"""``seth-clinic login`` and ``seth-clinic sync`` as an admin's scheduled
task runs them: real processes, a real server on 127.0.0.1, and a sync
killed with SIGKILL at random moments that must lose nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic.actor import Actor
from clinic.enums import Role
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import connect_raw, open_local_store
from server.database import Database
from sync.auth import SignedIn, login_offline
from tests.central import PASSWORD, MakeStaff
from tests.conftest import TODAY
from tests.sync.conftest import LiveServer, MakePc, register

SETH_CLINIC = str(Path(sys.executable).parent / "seth-clinic")


def run(data_dir: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SETH_CLINIC, "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def cli_env(test_keyring: Path) -> dict[str, str]:
    """The test keyring (a module of tests/, so the repository goes on the
    path) and the password the commands read."""
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "SETH_CLINIC_PASSWORD": PASSWORD, "PYTHONPATH": root}


def letters(number: int) -> str:
    """A distinct name for each number (names have no digits)."""
    word = ""
    for _ in range(4):
        number, digit = divmod(number, 26)
        word = chr(ord("a") + digit) + word
    return "Pat" + word


def register_offline(data_dir: Path, user: SignedIn, count: int) -> None:
    store = open_local_store(data_dir)
    actor = Actor(store.device_id, user.user_id, user.role, user.branch_id)
    with store.write() as session:
        for number in range(count):
            register_patient(
                PatientDetails(first_name=letters(number), last_name="Kamau"),
                session=session, actor=actor, today=TODAY,
            )  # fmt: skip
    store.close()


def test_login_then_sync_prints_what_moved(
    tmp_path: Path, live_server: LiveServer, make_staff: MakeStaff, cli_env: dict[str, str]
) -> None:
    make_staff(Role.RECEPTIONIST, "wanjiru")
    data_dir = tmp_path / "pc"
    logged_in = run(
        data_dir, "login", "--server", live_server.url, "--user", "wanjiru", env=cli_env
    )
    assert logged_in.returncode == 0, logged_in.stderr
    assert logged_in.stdout.splitlines()[0] == (
        f"Logged in as Wanjiru (receptionist) at {live_server.url}."
    )
    store = open_local_store(data_dir)
    user = login_offline(store, "wanjiru", PASSWORD)
    store.close()
    register_offline(data_dir, user, 3)

    synced = run(data_dir, "sync", env=cli_env)

    assert synced.returncode == 0, synced.stderr
    lines = synced.stdout.splitlines()
    assert lines[0].startswith("pushed 3 changes, pulled ")
    assert "conflicts: 0" in lines
    assert "refused by the server: 0" in lines


def test_sync_says_when_the_server_cannot_be_reached(
    tmp_path: Path, live_server: LiveServer, make_staff: MakeStaff, cli_env: dict[str, str]
) -> None:
    make_staff(Role.RECEPTIONIST, "wanjiru")
    data_dir = tmp_path / "pc"
    assert (
        run(
            data_dir, "login", "--server", live_server.url, "--user", "wanjiru", env=cli_env
        ).returncode
        == 0
    )
    live_server.stop()

    synced = run(data_dir, "sync", env=cli_env)

    assert synced.returncode == 2
    assert synced.stdout == ""
    [line] = synced.stderr.splitlines()
    assert line.startswith("seth-clinic: The server at http://127.0.0.1:")
    assert line.endswith("work continues offline")


def test_a_sync_killed_at_any_moment_loses_nothing(
    tmp_path: Path,
    live_server: LiveServer,
    central: Database,
    make_staff: MakeStaff,
    cli_env: dict[str, str],
) -> None:
    make_staff(Role.RECEPTIONIST, "wanjiru")
    data_dir = tmp_path / "pc"
    assert (
        run(
            data_dir, "login", "--server", live_server.url, "--user", "wanjiru", env=cli_env
        ).returncode
        == 0
    )
    store = open_local_store(data_dir)
    user = login_offline(store, "wanjiru", PASSWORD)
    store.close()
    register_offline(data_dir, user, 1200)
    rng = random.Random(4)

    kills = 0
    for _attempt in range(8):
        process = subprocess.Popen(
            [SETH_CLINIC, "--data-dir", str(data_dir), "sync"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env,
        )  # fmt: skip
        time.sleep(rng.uniform(0.3, 2.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    finished = run(data_dir, "sync", env=cli_env)

    assert kills >= 3, "the syncs ended before they could be killed; give them more work"
    assert finished.returncode == 0, finished.stderr
    with connect_raw(data_dir / "clinic.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
        local = connection.execute("SELECT count(*) FROM patients").fetchone()[0]
    with central.sessions() as session:
        on_server = session.scalar(select(func.count()).select_from(Patient))
        distinct = session.scalar(select(func.count(func.distinct(Patient.first_name))))
    assert on_server == 1200
    assert distinct == 1200
    assert local == 1200


def test_without_a_keyring_sync_logs_in_at_each_run_from_the_environment(
    tmp_path: Path,
    live_server: LiveServer,
    make_staff: MakeStaff,
    cli_env: dict[str, str],
    make_pc: MakePc,
    no_keyring: None,
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    data_dir = tmp_path / "pc"
    env = {**cli_env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    env.pop("SETH_CLINIC_USER", None)
    logged_in = run(data_dir, "login", "--server", live_server.url, "--user", "wanjiru", env=env)
    assert logged_in.returncode == 0, logged_in.stderr
    assert logged_in.stdout.splitlines()[0] == (
        f"Logged in as Wanjiru (receptionist) at {live_server.url}."
    )
    assert logged_in.stderr.splitlines() == [
        "seth-clinic: note: no secure keyring on this PC, so this login lasted this run only;"
        " seth-clinic sync logs in at each run: set SETH_CLINIC_USER and SETH_CLINIC_PASSWORD"
        " for it"
    ]
    store = open_local_store(data_dir)
    user = login_offline(store, "wanjiru", PASSWORD)
    store.close()
    register_offline(data_dir, user, 2)

    without_user = run(data_dir, "sync", env=env)
    assert without_user.returncode == 1
    assert without_user.stdout == ""
    assert without_user.stderr.splitlines() == [
        "seth-clinic: no secure keyring on this PC keeps the login, so sync logs in at each"
        " run: set SETH_CLINIC_USER"
    ]
    bare = {k: v for k, v in env.items() if k != "SETH_CLINIC_PASSWORD"}
    assert run(data_dir, "sync", env=bare).stderr.splitlines() == [
        "seth-clinic: no secure keyring on this PC keeps the login, so sync logs in at each"
        " run: set SETH_CLINIC_USER and SETH_CLINIC_PASSWORD"
    ]

    ward = make_pc("ward")
    ward.login(reception)
    register(ward, "Akinyi", "Otieno")
    ward.engine.sync()

    synced = run(data_dir, "sync", env={**env, "SETH_CLINIC_USER": "wanjiru"})

    assert synced.returncode == 0, synced.stderr
    lines = synced.stdout.splitlines()
    assert lines[0].startswith("pushed 2 changes, pulled ")
    assert lines[0] != "pushed 2 changes, pulled 0 records"
    store = open_local_store(data_dir)
    with store.session() as session:
        names = set(session.scalars(select(Patient.first_name)))
    store.close()
    assert {"Akinyi", letters(0), letters(1)} <= names
    assert "refused by the server: 0" in lines
    assert not any(b"refresh_token" in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
