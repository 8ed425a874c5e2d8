"""Nothing the app started outlives it: real processes, killed for real.

The desktop app starts the clinic server the way "this PC is the clinic
server" and the demo do (``desktop.local_server``, from a worker thread);
the server starts its embedded PostgreSQL. Killing the app stops both;
stopping or killing the server stops its PostgreSQL; one left running all
the same (its watcher killed too) is stopped by the next start on the same
data folder, which then works.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from desktop.local_server import LocalServer, server_command, start_local_server
from server.embedded import PGDATA
from tests.server.test_live_server import _environment, _free_port

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
GONE_WITHIN = 30.0
"""Seconds a process may take to go once it should: generous, for a loaded
machine; the tests poll and pass as soon as it is gone."""

APP = """
import sys, threading, time
from pathlib import Path
from desktop.local_server import start_local_server

started = {}
worker = threading.Thread(
    target=lambda: started.update(server=start_local_server(Path(sys.argv[1]), int(sys.argv[2])))
)
worker.start()
worker.join()
print(started["server"].process.pid, flush=True)
time.sleep(600)
"""
"""The desktop app's part, alone: start the local server from a worker
thread that then ends (as the app's progress dialog does), print its pid
and wait to be killed."""


def _postmasters(pgdata: Path) -> list[psutil.Process]:
    """The PostgreSQL postmasters running on ``pgdata`` (not the dead ones
    a container's first process may leave unreaped)."""
    found = []
    for process in psutil.process_iter(attrs=["name", "cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        running = process.info["status"] != psutil.STATUS_ZOMBIE
        if running and process.info["name"] == "postgres" and str(pgdata) in cmdline:
            found.append(process)
    return found


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GONE_WITHIN
    while not condition():
        assert time.monotonic() < deadline, f"{what} after {GONE_WITHIN:.0f} s"
        time.sleep(0.2)


def _gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """One server data folder for the module, its PostgreSQL made and
    migrated once (``initdb`` is the slow part); whatever a failing test
    left running on it is stopped at the end. Not under pytest's own
    temporary folder: run as root, PostgreSQL runs as another user that the
    server lets through the folders above ``pgdata``, and each pytest
    session that starts meanwhile takes that access back from
    ``/tmp/pytest-of-root``."""
    with tempfile.TemporaryDirectory(prefix="seth-clinic-lifecycle-") as temporary:
        folder = Path(temporary).resolve() / "server"
        folder.mkdir()
        done = subprocess.run(
            server_command(folder, "migrate"),
            cwd=ROOT,
            env=_environment(folder),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        yield folder
        for leftover in _postmasters(folder / PGDATA):
            leftover.kill()


@pytest.fixture
def clean(data_dir: Path) -> Iterator[Path]:
    """The data folder with no PostgreSQL running on it, before and after."""
    pgdata = data_dir / PGDATA
    assert _postmasters(pgdata) == [], "PostgreSQL is running before the test"
    yield data_dir
    leftovers = _postmasters(pgdata)
    for leftover in leftovers:
        leftover.kill()
    assert leftovers == [], "the test left PostgreSQL running"


def _start(data_dir: Path) -> LocalServer:
    server = start_local_server(data_dir, _free_port())
    assert server.process is not None, "a server was already answering on the port"
    return server


def test_killing_the_app_stops_its_server_and_postgresql(clean: Path) -> None:
    pgdata = clean / PGDATA
    app = subprocess.Popen(
        [sys.executable, "-c", APP, str(clean), str(_free_port())],
        cwd=ROOT,
        env=_environment(clean),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert app.stdout is not None
        line = app.stdout.readline()
        assert line.strip().isdigit(), f"the app did not start its server: {line!r}"
        server_pid = int(line)
        postmaster = _postmasters(pgdata)
        assert len(postmaster) == 1, "the server runs no PostgreSQL of its own"
        app.kill()
        app.wait(timeout=10)
        _wait_until(lambda: _gone(server_pid), "the server still runs")
        _wait_until(lambda: _gone(postmaster[0].pid), "PostgreSQL still runs")
        assert not (pgdata / "postmaster.pid").exists(), "PostgreSQL did not shut down cleanly"
    finally:
        if app.poll() is None:
            app.kill()


def test_stopping_the_server_stops_postgresql(clean: Path) -> None:
    pgdata = clean / PGDATA
    server = _start(clean)
    assert server.process is not None
    postmaster = _postmasters(pgdata)
    assert len(postmaster) == 1
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=GONE_WITHIN) == 0, "".join(server.output)[-3000:]
    _wait_until(lambda: _gone(postmaster[0].pid), "PostgreSQL still runs after SIGTERM")
    assert not (pgdata / "postmaster.pid").exists()

    # The app's own stop on closing: the same, through the server's standard input.
    again = _start(clean)
    assert again.process is not None
    postmaster = _postmasters(pgdata)
    again.stop()
    assert again.process.returncode == 0, "".join(again.output)[-3000:]
    _wait_until(lambda: _gone(postmaster[0].pid), "PostgreSQL still runs after the app's stop")
    assert not (pgdata / "postmaster.pid").exists()


def _watcher(server: LocalServer) -> psutil.Process:
    """The watcher the server forked to stop PostgreSQL if it is killed:
    its one child that is not PostgreSQL."""
    assert server.process is not None
    children = psutil.Process(server.process.pid).children()
    watchers = [child for child in children if child.name() != "postgres"]
    assert len(watchers) == 1, f"not one watcher among {children}"
    return watchers[0]


def test_killing_the_server_stops_postgresql(clean: Path) -> None:
    pgdata = clean / PGDATA
    killed = _start(clean)
    assert killed.process is not None
    postmaster = _postmasters(pgdata)
    assert len(postmaster) == 1
    killed.process.kill()
    killed.process.wait(timeout=10)
    _wait_until(lambda: _gone(postmaster[0].pid), "PostgreSQL still runs after its server's kill")
    assert not (pgdata / "postmaster.pid").exists(), "PostgreSQL did not shut down cleanly"

    server = _start(clean)
    server.stop()
    assert server.process is not None and server.process.returncode == 0


def test_the_next_start_cleans_up_a_postgresql_left_running(clean: Path) -> None:
    """With its watcher killed too (or none: Windows), a killed server's
    PostgreSQL runs on until the next start on its data folder stops it."""
    pgdata = clean / PGDATA
    killed = _start(clean)
    assert killed.process is not None
    orphan = _postmasters(pgdata)
    assert len(orphan) == 1
    watcher = _watcher(killed)
    watcher.kill()
    _wait_until(lambda: _gone(watcher.pid), "the watcher still runs")
    killed.process.kill()
    killed.process.wait(timeout=10)
    time.sleep(1)
    assert orphan[0].is_running(), "nothing was left running to clean up"

    server = _start(clean)
    try:
        assert _gone(orphan[0].pid), "the killed server's PostgreSQL was kept"
        running = _postmasters(pgdata)
        assert len(running) == 1, "not one PostgreSQL on the data folder"
        assert (pgdata / "postmaster.pid").read_text().split()[0] == str(running[0].pid)
    finally:
        server.stop()
    assert server.process is not None and server.process.returncode == 0
    _wait_until(lambda: _postmasters(pgdata) == [], "PostgreSQL still runs after the stop")


def test_a_stale_postmaster_pid_is_removed_at_start(clean: Path) -> None:
    """A ``postmaster.pid`` left by a crash whose pid now belongs to another
    process (here this test's own) does not stop the next start."""
    pgdata = clean / PGDATA
    killed = _start(clean)
    assert killed.process is not None
    postmaster = _postmasters(pgdata)[0]
    backends = postmaster.children()
    _watcher(killed).kill()
    killed.process.kill()
    killed.process.wait(timeout=10)
    postmaster.kill()
    postmaster.wait(timeout=10)
    _wait_until(lambda: all(_gone(b.pid) for b in backends), "PostgreSQL's backends still run")
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    (pgdata / "postmaster.pid").write_text("\n".join([str(os.getpid()), *lines[1:]]) + "\n")

    server = _start(clean)
    server.stop()
    assert server.process is not None and server.process.returncode == 0
