"""The central server on this PC, for single-PC clinics and the demo.

It is the same server every clinic runs (embedded PostgreSQL in its data
folder), started as a child process and reached on 127.0.0.1 like any other
server: there is no separate standalone code path.

It dies with the app: its standard input is a pipe only this process holds,
and ``serve --stop-with-stdin`` shuts the server down (PostgreSQL with it)
when that pipe closes, which the operating system does when this process
ends, however it ends (closed, crashed or killed), on every platform.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

THIS_PC_PORT = 8750
DEMO_PORT = 8760
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
_ONE_TIME = re.compile(r"one-time password (\S+)")


class ServerDidNotStart(RuntimeError):
    """The local server did not come up; the message says where its log is."""


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def server_command(data_dir: Path, *args: str) -> list[str]:
    """The command line that runs ``seth-clinic-server`` ``args`` on the
    server's data folder ``data_dir``: ``python -m server`` from a checkout
    or an install, and in the PyInstaller bundle (which has no Python to
    run ``-m``) the bundle's own executable with its ``server`` command."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "server", "--data-dir", str(data_dir), *args]
    return [sys.executable, "-m", "server", "--data-dir", str(data_dir), *args]


@dataclass
class LocalServer:
    url: str
    data_dir: Path
    process: subprocess.Popen[str] | None = None
    one_time_password: str | None = None
    output: list[str] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the server this app started (one it joined keeps running):
        closing its standard input asks it to shut down and stop its
        PostgreSQL; it is terminated, then killed, if it does not."""
        if self.process is None:
            return
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_local_server(data_dir: Path, port: int) -> LocalServer:
    """Start the server in ``data_dir`` on 127.0.0.1:``port`` (or join the
    one already running there) and wait until it answers. Blocks: call it
    from a worker thread. Raises ServerDidNotStart."""
    url = f"http://127.0.0.1:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    server = LocalServer(url=url, data_dir=data_dir)
    if _answers(url):
        return server
    log = data_dir / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    process = subprocess.Popen(
        server_command(
            data_dir, "serve", "--host", "127.0.0.1", "--port", str(port), "--stop-with-stdin"
        ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    server.process = process

    def read_output() -> None:
        assert process.stdout is not None
        with log.open("a", encoding="utf-8") as handle:
            for line in process.stdout:
                handle.write(line)
                handle.flush()
                found = _ONE_TIME.search(line)
                if found:
                    server.one_time_password = found.group(1)
                server.output.append(line)

    threading.Thread(target=read_output, name="local-server-output", daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(f"The clinic server stopped at start; see {log}")
        if _answers(url):
            return server
        time.sleep(0.3)
    server.stop()
    raise ServerDidNotStart(
        f"The clinic server did not answer within {START_TIMEOUT:.0f} s; see {log}"
    )


def seed_demo(data_dir: Path, device_id: uuid.UUID) -> str:
    """Fill the demo server with made-up patients and demo users, and enrol
    this PC (``device_id``) for every role; returns the logins to show."""
    done = subprocess.run(
        server_command(data_dir, "seed-demo", "--pc", str(device_id)),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ServerDidNotStart(done.stderr.strip() or "The demo data could not be made")
    return done.stdout.strip()
