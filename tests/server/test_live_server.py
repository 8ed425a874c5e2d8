"""End to end against a real ``seth-clinic-server serve`` on 127.0.0.1:
with ``DATABASE_URL`` (a fresh database copied from the migrated template)
and with no ``DATABASE_URL`` at all, where the server starts its own
embedded PostgreSQL in its data folder and prints the first admin's
one-time password once."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import stamp
from tests.server.helpers import database_from_template

pytestmark = pytest.mark.postgres

SERVER = str(Path(sys.executable).with_name("seth-clinic-server"))
START_TIMEOUT = 120.0
NEW_PASSWORD = "a-much-longer-passphrase"
ONE_TIME_RE = re.compile(r"one-time password (\S+)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any server setting of its own,
    plus the data folder and ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "JWT_SECRET"} and not k.startswith("SETH_CLINIC")
    }
    return env | {"SETH_CLINIC_SERVER_DATA_DIR": str(data_dir)} | extra


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text()

    def logs(self) -> str:
        return self.stderr.read_text()


def _stop(process: subprocess.Popen[bytes], pgdata: Path | None) -> None:
    """SIGINT (what Ctrl-C sends), then kill if it does not stop; a
    PostgreSQL the server started in ``pgdata`` is stopped if it was left."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if pgdata is not None:
        for leftover in psutil.process_iter(attrs=["name", "cmdline"]):
            cmdline = leftover.info["cmdline"] or []
            if leftover.info["name"] == "postgres" and str(pgdata) in cmdline:
                leftover.terminate()


@contextmanager
def serve(data_dir: Path, env: dict[str, str]) -> Iterator[LiveServer]:
    """``seth-clinic-server serve`` on a free port, until it answers its
    health check; stopped with SIGINT at the end."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    logs = data_dir.parent / f"server-{port}"
    stdout, stderr = logs.with_suffix(".out"), logs.with_suffix(".err")
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [SERVER, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=err,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, stdout, stderr)
    embedded = None if "DATABASE_URL" in env else data_dir / "pgdata"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, f"the server stopped:\n{server.logs()[-3000:]}"
            assert time.monotonic() < deadline, f"no answer in time:\n{server.logs()[-3000:]}"
            try:
                if httpx.get(f"{server.url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield server
    finally:
        _stop(process, embedded)


def _login(url: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/auth/login",
        json={"username": username, "password": password, "device_id": str(uuid.uuid4())},
        timeout=10,
    )


def _create_user(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SERVER, "create-user", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_database_a_newer_server_migrated_is_refused_in_one_line(
    postgres_server: str, central_template: str, tmp_path: Path
) -> None:
    with database_from_template(postgres_server, central_template, "newer") as database:
        stamp(database.engine, "0999")
        url = database.engine.url.render_as_string(hide_password=False)
        env = _environment(tmp_path / "data", DATABASE_URL=url, JWT_SECRET="n" * 48)
        migrated = subprocess.run(
            [SERVER, "migrate"], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    assert migrated.returncode == 1
    assert migrated.stderr.strip() == (
        "seth-clinic-server: The clinic database was last opened by a newer version of Seth"
        " Clinic (revision 0999), which this version cannot read: install that version or a"
        " newer one. Nothing was changed."
    )


def test_serve_with_database_url_and_create_user(
    postgres_server: str, central_template: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    with database_from_template(postgres_server, central_template, "live") as database:
        url = database.engine.url.render_as_string(hide_password=False)
        env = _environment(data_dir, DATABASE_URL=url, JWT_SECRET="l" * 48)
        with serve(data_dir, env) as server:
            health = httpx.get(f"{server.url}/api/health", timeout=5).json()
            assert health["status"] == "ok" and health["database"] is True

            created = _create_user(
                env | {"SETH_CLINIC_PASSWORD": "mercy-password-1"}, "Mercy", "--role", "nurse"
            )
            assert created.returncode == 0, created.stderr
            assert created.stdout.strip() == "Created nurse mercy."
            taken = _create_user(
                env | {"SETH_CLINIC_PASSWORD": "mercy-password-1"}, "mercy", "--role", "nurse"
            )
            assert taken.returncode == 1
            assert taken.stderr.strip() == "seth-clinic-server: The username mercy is taken"
            weak = _create_user(env | {"SETH_CLINIC_PASSWORD": "short"}, "jo", "--role", "nurse")
            assert weak.returncode == 1 and "at least 10 characters" in weak.stderr

            response = _login(server.url, "mercy", "mercy-password-1")
            assert response.status_code == 200, response.text
            tokens = response.json()
            me = httpx.get(
                f"{server.url}/api/auth/me",
                headers={"Authorization": f"Bearer {tokens['access_token']}"},
                timeout=5,
            )
            assert me.status_code == 200
            assert me.json()["user"]["role"] == "nurse"

            wrong = _login(server.url, "mercy", "not-her-password")
            assert wrong.status_code == 401
            assert wrong.json()["error"]["code"] == "unauthorized"
            assert wrong.json()["request_id"] == wrong.headers["x-request-id"]

        assert server.process.returncode == 0, server.logs()[-3000:]
        # The empty database got its first admin too.
        assert len(ONE_TIME_RE.findall(server.output())) == 1
        # The log is JSON lines, each with a request id.
        assert '"request_id"' in server.logs() and '"route": "/api/auth/login"' in server.logs()
    # With JWT_SECRET and DATABASE_URL given, nothing is kept in the data folder.
    assert not (data_dir / "jwt-secret").exists()
    assert not (data_dir / "pgdata").exists()


def _postmaster(pgdata: Path) -> list[str]:
    """postmaster.pid: pid, data folder, start, port, socket folder, listen addresses, ..."""
    return (pgdata / "postmaster.pid").read_text().splitlines()


def test_embedded_postgres_and_the_first_admin(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    pgdata = data_dir / "pgdata"
    env = _environment(data_dir)
    with serve(data_dir, env) as server:
        printed = ONE_TIME_RE.findall(server.output())
        assert len(printed) == 1, server.output()
        one_time = printed[0]
        assert "admin" in server.output()

        first = _login(server.url, "admin", one_time)
        assert first.status_code == 200, first.text
        assert first.json()["must_change_password"] is True
        headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
        blocked = httpx.get(f"{server.url}/api/users", headers=headers, timeout=5)
        assert blocked.status_code == 403
        changed = httpx.post(
            f"{server.url}/api/auth/password",
            json={"current_password": one_time, "new_password": NEW_PASSWORD},
            headers=headers,
            timeout=10,
        )
        assert changed.status_code == 204, changed.text

        assert pgdata.stat().st_mode & 0o777 == 0o700
        assert (data_dir / "jwt-secret").stat().st_mode & 0o777 == 0o600
        secret = (data_dir / "jwt-secret").read_text()
        assert len(secret.strip()) >= 32
        # PostgreSQL listens on a socket in its own folder and on no TCP address.
        postmaster = _postmaster(pgdata)
        assert postmaster[4] == str(pgdata)
        assert postmaster[5].strip() == ""
    assert server.process.returncode == 0, server.logs()[-3000:]
    assert not (pgdata / "postmaster.pid").exists(), "PostgreSQL was left running"

    # A second start prints no password, keeps the signing key and the data.
    with serve(data_dir, env) as again:
        assert ONE_TIME_RE.findall(again.output()) == []
        assert (data_dir / "jwt-secret").read_text() == secret
        assert _login(again.url, "admin", one_time).status_code == 401
        relogin = _login(again.url, "admin", NEW_PASSWORD)
        assert relogin.status_code == 200, relogin.text
        assert relogin.json()["must_change_password"] is False
    assert again.process.returncode == 0, again.logs()[-3000:]
