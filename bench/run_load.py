"""Load test: thousands of devices long-polling two API instances behind nginx
(issue 16; DESIGN.md, Performance and Scale).

    python -m bench.run_load [--devices 6000] [--minutes 3] [--interval 60]

One command does it all, on loopback only: it starts its own embedded
PostgreSQL in a temporary folder with a small central data set
(``bench.run_sync``), enrols the devices in it as a first login does, starts
two ``seth-clinic-server serve`` processes and nginx (Debian's package,
installed here with apt-get when missing, run from ``bench/nginx.conf.template``
with its own prefix in the temporary folder, not as the system's service),
then simulates the devices in a few processes of asyncio: each
keeps a long-poll open and follows the feed by its cursor, and one device in
five is a reception PC that pushes a patient registration every
``--interval`` seconds (a random phase each), built by the real client code
on a real PC's store. Half-way one API instance is killed (SIGKILL) and
started again.

It reports the devices connected, changes pushed and delivered, errors,
p50/p95/p99 of push and of propagation (push sent to row received, over
every device that should get it), /api/health's latency through nginx
meanwhile, the CPU and memory of the server's parts, and whether every
pushed change reached every device exactly once. Every loop is bounded in
time and count; everything started is stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.generate import DEFAULT_END
from bench.run_sync import (
    PASSWORD,
    LiveServer,
    Pcs,
    _load,
    _machine,
    _use_test_keyring,
    cpu_seconds,
    new_patient_details,
    register,
    start_central,
)
from bench.sync_trace import TRACE_HEADER

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
LONG_POLL_SECONDS = 25.0
RECEPTION_EVERY = 5  # one device in five is a reception PC that pushes
HEALTH_EVERY = 0.25  # seconds between /api/health probes
HEALTH_TARGET = 0.100
PUSH_TRIES = 5
DRAIN_SECONDS = 60.0  # after the last push, the most to wait for deliveries
RESTART_SECONDS = 300.0  # the most to wait for the killed instance to answer again
DEVICES_PER_SIMULATOR = 1500
REQUEST_SECONDS = LONG_POLL_SECONDS + 35  # the most a device waits for an answer
PUSH_STAGES = {
    "waiting in the API (threads, authentication, the device's lock)": ("received", "applying"),
    "applying to commit": ("applying", "committed"),
}
OUTSIDE_THE_API = "outside the API (nginx, the sockets, the simulator)"


def _percentile(ordered: list[float], p: float) -> float:
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


def _ms(ordered: list[float]) -> str:
    return " / ".join(f"{1000 * _percentile(ordered, p):.0f}" for p in (50, 95, 99)) + " ms"


# --- set-up ----------------------------------------------------------------------------------


def raise_file_limit() -> int:
    """The soft limit of open files raised to the hard one (children inherit it)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def nginx_binary() -> str:
    """nginx, installed from Debian's packages when missing."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        print("installing nginx (apt-get install -y nginx)...")
        subprocess.run(
            ["apt-get", "install", "-y", "nginx"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
        )
        found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        raise RuntimeError("nginx is not installed and apt-get did not install it")
    return found


class Nginx:
    """nginx in the foreground with its own prefix, before ``upstreams``."""

    def __init__(self, folder: Path, upstreams: list[int], files: int) -> None:
        from server.threaded import free_port

        self.prefix = folder / "nginx"
        self.prefix.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = self.prefix / "nginx.conf"
        places = {
            "PREFIX": str(self.prefix),
            "PORT": str(self.port),
            "FILES": str(files),
            "CONNECTIONS": str(max(1024, files - 512)),
            # max_fails=0: a failed request does not take an instance out for
            # the next 10 s; a dead one is tried and passed over each time.
            "SERVERS": "\n".join(
                f"        server 127.0.0.1:{port} max_fails=0;" for port in upstreams
            ),
        }
        text = TEMPLATE.read_text()
        for name, value in places.items():
            text = text.replace(f"@{name}@", value)
        self.conf.write_text(text)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = nginx_binary()
        self.process = subprocess.Popen(
            [binary, "-p", str(self.prefix), "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.prefix / "stderr.log").open("wb"),
        )
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start; see {self.prefix}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: the workers end too
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None


@dataclass(frozen=True)
class Device:
    """A simulated device: enrolled as a first login does, with its token."""

    id: str
    token: str
    user_id: str
    scope: str  # branch and role: devices of one scope share a cursor
    reception: bool


def enrol_devices(database: Any, settings: Any, count: int) -> list[Device]:
    """``count`` devices, spread over the branches, one in RECEPTION_EVERY a
    receptionist's, the others a clinical officer's; each enrolled, its user
    recorded and its tokens issued as ``POST /api/auth/login`` does (without
    6,000 password hashes)."""
    from sqlalchemy import select

    from clinic.db import utcnow
    from clinic.enums import Role
    from clinic.org.models import Device as DeviceRow
    from clinic.org.models import User
    from server.database import add_central
    from server.routes.auth import issue_tokens, record_device_user

    devices = []
    with database.sessions() as session:
        staff: dict[tuple[uuid.UUID, Role], list[User]] = defaultdict(list)
        for user in session.scalars(
            select(User)
            .where(User.role.in_([Role.RECEPTIONIST, Role.CLINICAL_OFFICER]))
            .where(User.branch_id.is_not(None))
            .order_by(User.username)
        ):
            staff[(user.branch_id, user.role)].append(user)  # type: ignore[index]
        branches = sorted({branch for branch, _role in staff})
        for number in range(count):
            reception = number % RECEPTION_EVERY == 0
            role = Role.RECEPTIONIST if reception else Role.CLINICAL_OFFICER
            branch = branches[number % len(branches)]
            members = staff[(branch, role)]
            user = members[number % len(members)]
            row = DeviceRow(
                id=uuid.uuid4(),
                name=f"LOAD-{number:05}",
                branch_id=branch,
                enrolled_at=utcnow(),
                created_by=user.id,
                roles=[role.value],
            )
            add_central(session, row, user.id)
            record_device_user(session, row, user)
            tokens = issue_tokens(session, settings, user, row)
            devices.append(
                Device(
                    row.id.hex, tokens.access_token, user.id.hex, f"{branch.hex}:{role}", reception
                )
            )
    return devices


def build_registrations(pcs: Pcs, login: str, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` patient registrations made on a real reception PC's store
    by the desktop's own service, as its outbox holds them for a push."""
    from sqlalchemy import select

    from clinic.clock import clinic_today
    from clinic.journal.models import OutboxEntry
    from sync.engine import SyncReport, mutation_of

    today = clinic_today()
    pc = pcs.make("reception", login)
    pc.engine.pull(SyncReport())  # the branches and staff its rows refer to
    for number, details in enumerate(new_patient_details(count, seed, today)):
        if number % 500 == 0:  # numbers leased ahead, as the PC's sync does
            pc.engine.top_up_numbers(SyncReport())
        register(pc, details, today)
    with pc.store.session() as session:
        entries = session.scalars(select(OutboxEntry).order_by(OutboxEntry.sequence)).all()
        return [mutation_of(entry).model_dump(mode="json") for entry in entries]


def versions() -> dict[str, Any]:
    from clinic.migrate import head_revision
    from sync.protocol import PROTOCOL_VERSION

    return {"protocol": PROTOCOL_VERSION, "schema": head_revision("local")}


def head_cursors(url: str, devices: list[Device]) -> dict[str, str | None]:
    """Each scope's cursor at the end of the feed, found by one device of
    the scope pulling it all (every device starts caught up, as a clinic's
    PCs are: a first sync is measured by ``bench.run_sync``)."""
    heads: dict[str, str | None] = {}
    body = versions()
    with httpx.Client(base_url=url, timeout=60) as client:
        for device in devices:
            if device.scope in heads:
                continue
            cursor = None
            for _page in range(10_000):
                answer = client.post(
                    "/api/sync/pull",
                    json={**body, "cursor": cursor},
                    headers={"Authorization": f"Bearer {device.token}"},
                )
                answer.raise_for_status()
                found = answer.json()
                cursor = found["cursor"]
                if not found["more"]:
                    break
            heads[device.scope] = cursor
    return heads


# --- the simulated devices -------------------------------------------------------------------


@dataclass
class Plan:
    """What one simulator process does (pickled to it)."""

    url: str
    devices: list[Device]
    heads: dict[str, str | None]
    registrations: list[dict[str, Any]]  # this process's to push
    patients: list[str]  # every registration's patient id (hex), in index order
    interval: float
    seed: int
    number: int


@dataclass
class Shared:
    """Between the bench and its simulators."""

    go: Any  # Event: the steady phase starts (pushes begin)
    stop: Any  # Event: hang up
    push_until: Any  # Value('d'): monotonic time the pushes end
    applied: Any  # Value('q'): registrations applied, all simulators
    received: Any  # Value('q'): patient rows received, all devices
    waiting: Any  # Value('q'): pulls in flight now
    results: Any  # Queue


@dataclass
class Outcome:
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refusals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    push_seconds: list[float] = field(default_factory=list)
    push_stages: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    pushed: dict[int, float] = field(default_factory=dict)  # patient index: first sent
    counts: list[bytes] = field(default_factory=list)  # per device: receipts per index
    times: dict[int, array[float]] = field(default_factory=dict)  # index: receipt times
    pulls: int = 0
    simulator: int = 0


def simulate(plan: Plan, shared: Shared) -> None:
    """A simulator process: its devices until told to stop."""
    raise_file_limit()
    outcome = asyncio.run(_simulate(plan, shared))
    shared.results.put(outcome)


class Connection:
    """One device's keep-alive HTTP/1.1 connection to nginx, for its
    long-polls or its pushes: asyncio's streams and a few lines of HTTP. The
    simulator's side of a request is then a small part of the API's (through
    httpx's pool and anyio it cost more than the API's whole pull: a 1,000
    device run was the simulator's 0.8 of a core; bench/README.md, Load)."""

    def __init__(self, url: str, authorization: str) -> None:
        address = httpx.URL(url)
        self.host, self.port = address.host, address.port or 80
        self.head = (
            f"Host: {self.host}:{self.port}\r\nAuthorization: {authorization}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """The status, headers (names in lower case) and body of a POST. A
        connection nginx closed while it was idle is opened again once; any
        other failure closes it and raises (``OSError``,
        ``asyncio.IncompleteReadError``, ``ValueError`` for an answer that
        is not HTTP or has no ``Content-Length``)."""
        reused = self.streams is not None
        try:
            return await self._post(path, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
        return await self._post(path, body)  # nginx closed it while idle: a new one

    async def _post(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            return await self._exchange(path, body)
        except BaseException:
            self.close()
            raise

    async def _exchange(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.head, len(body), body)
        )
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:  # the API and nginx's errors always say it
            raise ValueError("an answer without its Content-Length")
        answer = await reader.readexactly(int(headers["content-length"]))
        if headers.get("connection") == "close":
            self.close()
        return status, headers, answer

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


REQUEST_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


async def _simulate(plan: Plan, shared: Shared) -> Outcome:
    outcome = Outcome(simulator=plan.number)
    index_of = {patient: n for n, patient in enumerate(plan.patients)}
    body = versions()
    queue = list(reversed(plan.registrations))
    draw = random.Random(plan.seed)

    async def follow(device: Device, counts: bytearray) -> None:
        with contextlib.closing(Connection(plan.url, f"Bearer {device.token}")) as connection:
            cursor = plan.heads[device.scope]
            deadline = time.monotonic() + 3600
            for _pull in range(1_000_000):  # bounded: a pull a millisecond for the hour
                if time.monotonic() > deadline:
                    break
                with shared.waiting.get_lock():
                    shared.waiting.value += 1
                request = orjson.dumps(
                    {**body, "cursor": cursor, "wait_seconds": LONG_POLL_SECONDS}
                )
                try:
                    async with asyncio.timeout(REQUEST_SECONDS):
                        status, _headers, answer = await connection.post("/api/sync/pull", request)
                except REQUEST_ERRORS as error:
                    outcome.errors[f"pull: {type(error).__name__}"] += 1
                    await asyncio.sleep(1 + draw.random())
                    continue
                finally:
                    with shared.waiting.get_lock():
                        shared.waiting.value -= 1
                outcome.pulls += 1
                if status != 200:
                    outcome.errors[f"pull: HTTP {status}"] += 1
                    await asyncio.sleep(1 + draw.random())
                    continue
                at = time.monotonic()
                found = orjson.loads(answer)
                got = 0
                for table in found["tables"]:
                    if table["entity"] != "patients":
                        continue
                    column = table["columns"].index("id")
                    for row in table["rows"]:
                        index = index_of.get(row[column])
                        if index is not None:
                            counts[index] = min(255, counts[index] + 1)
                            outcome.times.setdefault(index, array("d")).append(at)
                            got += 1
                if got:
                    with shared.received.get_lock():
                        shared.received.value += got
                cursor = found["cursor"]

    async def push(device: Device) -> None:
        with contextlib.closing(Connection(plan.url, f"Bearer {device.token}")) as connection:
            while not shared.go.is_set():
                await asyncio.sleep(0.1)
            next_at = time.monotonic() + draw.uniform(0, plan.interval)
            sequence = 0
            while queue and next_at < shared.push_until.value:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += plan.interval
                mutation = queue.pop()
                sequence += 1
                request = orjson.dumps(
                    {
                        **body,
                        "client_time": _now(),
                        "pending": 0,
                        "mutations": [
                            {**mutation, "sequence": sequence, "user_id": device.user_id}
                        ],
                    }
                )
                first_sent = time.monotonic()
                for _try in range(PUSH_TRIES):
                    sent = time.monotonic()
                    try:
                        async with asyncio.timeout(REQUEST_SECONDS):
                            status, headers, answer = await connection.post(
                                "/api/sync/push", request
                            )
                    except REQUEST_ERRORS as error:
                        outcome.errors[f"push: {type(error).__name__}"] += 1
                        await asyncio.sleep(0.5)
                        continue
                    if status != 200:
                        outcome.errors[f"push: HTTP {status}"] += 1
                        await asyncio.sleep(0.5)
                        continue
                    outcome.push_seconds.append(time.monotonic() - sent)
                    _note_push_stages(outcome, headers, time.monotonic() - sent)
                    result = orjson.loads(answer)["results"][0]
                    if result["outcome"] == "applied":
                        outcome.pushed[index_of[uuid.UUID(mutation["row_id"]).hex]] = first_sent
                        with shared.applied.get_lock():
                            shared.applied.value += 1
                    else:
                        outcome.refusals[str(result.get("reason"))] += 1
                    break

    counts = [bytearray(len(plan.patients)) for _ in plan.devices]
    # A connection for each device's long-poll and one for each reception
    # PC's pushes: none waits for another's.
    tasks = []
    for device, mine in zip(plan.devices, counts, strict=True):
        tasks.append(asyncio.ensure_future(follow(device, mine)))
        if device.reception:
            tasks.append(asyncio.ensure_future(push(device)))
    while not shared.stop.is_set():
        await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    outcome.counts = [bytes(mine) for mine in counts]
    return outcome


def _note_push_stages(outcome: Outcome, headers: dict[str, str], seconds: float) -> None:
    """Where a push's time went, from the server's stage marks
    (``bench.sync_trace``)."""
    marks = json.loads(headers.get(TRACE_HEADER, "{}"))
    if not {"received", "sent"} <= marks.keys():
        return
    for stage, (start, end) in PUSH_STAGES.items():
        if start in marks and end in marks:
            outcome.push_stages[stage].append(marks[end] - marks[start])
    outcome.push_stages[OUTSIDE_THE_API].append(seconds - (marks["sent"] - marks["received"]))


def _now() -> str:
    from clinic.db import utcnow

    return utcnow().isoformat()


# --- watching the server ---------------------------------------------------------------------


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
    found, below = [], [root]
    while below:
        pid = below.pop()
        found.append(pid)
        below.extend(child for child, parent in parents.items() if parent == pid)
    return found


def pss_bytes(root: int) -> int:
    """Proportional memory of ``root`` and below: shared pages split among
    their users, so PostgreSQL's shared buffers count once."""
    total = 0
    for pid in descendants(root):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total


class Watch:
    """/api/health through nginx every HEALTH_EVERY s, and once a second
    each part's CPU and memory, in threads until :meth:`stop`."""

    def __init__(self, url: str, parts: dict[str, Any]) -> None:
        self.url = url
        self.parts = parts  # name: () -> the pids of its roots now
        self.health: list[float] = []
        self.health_errors: dict[str, int] = defaultdict(int)
        self.cpu: dict[str, float] = defaultdict(float)
        self.memory: dict[str, int] = defaultdict(int)  # the most seen
        self.started = time.monotonic()
        self._last: dict[tuple[str, int], float] = {}
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._probe, name="health-probe", daemon=True),
            threading.Thread(target=self._sample, name="resource-sampler", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> float:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._measure()
        return time.monotonic() - self.started

    def _probe(self) -> None:
        with httpx.Client(timeout=10) as client:
            for _probe in range(10_000_000):
                if self._stopping.wait(HEALTH_EVERY):
                    break
                started = time.perf_counter()
                try:
                    answer = client.get(f"{self.url}/api/health")
                except httpx.HTTPError as error:
                    self.health_errors[type(error).__name__] += 1
                    continue
                self.health.append(time.perf_counter() - started)
                if answer.status_code != 200 or answer.json().get("status") != "ok":
                    self.health_errors[f"HTTP {answer.status_code}"] += 1

    def _sample(self) -> None:
        for _sample in range(10_000_000):
            if self._stopping.wait(1.0):
                break
            self._measure()

    def _measure(self) -> None:
        for name, roots in self.parts.items():
            memory = 0
            for pid in roots():
                used = cpu_seconds(pid)
                before = self._last.setdefault((name, pid), used)
                self.cpu[name] += used - before
                self._last[(name, pid)] = used
                memory += pss_bytes(pid)
            self.memory[name] = max(self.memory[name], memory)


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Report:
    devices: int
    connected: int
    pulls: int
    applied: int
    refused: int
    push_seconds: list[float]
    push_stages: dict[str, list[float]]
    propagation: list[float]
    health: list[float]
    errors: dict[str, int]
    missing: int
    duplicates: int
    cpu: dict[str, float]
    memory: dict[str, int]
    seconds: float
    load: str

    @property
    def passed(self) -> bool:
        return (
            self.connected == self.devices
            and not self.errors
            and not self.missing
            and not self.duplicates
            and not self.refused
            and bool(self.health)
            and _percentile(self.health, 95) < HEALTH_TARGET
        )


def combine(
    outcomes: list[Outcome], devices: list[Device], connected: int, watch: Watch, seconds: float
) -> Report:
    """The simulators' outcomes as one report, checking that each applied
    registration reached every device once."""
    from server.sync.feed import Scope

    pushed: dict[int, float] = {}
    errors: dict[str, int] = defaultdict(int)
    refusals = 0
    push_seconds: list[float] = []
    push_stages: dict[str, list[float]] = defaultdict(list)
    for outcome in outcomes:
        pushed.update(outcome.pushed)
        push_seconds += outcome.push_seconds
        for stage, spent in outcome.push_stages.items():
            push_stages[stage] += spent
        refusals += sum(outcome.refusals.values())
        for name, n in outcome.errors.items():
            errors[name] += n
    for name, n in watch.health_errors.items():
        errors[f"health: {name}"] += n
    readers = {
        device.id
        for device in devices
        if "patients" in Scope.of(uuid.UUID(device.scope[:32]), [device.scope[33:]]).entities
    }
    missing = duplicates = 0
    propagation: list[float] = []
    counted = 0
    for outcome in outcomes:
        for index, times in outcome.times.items():
            if index in pushed:
                propagation.extend(at - pushed[index] for at in times)
    by_device = [counts for outcome in outcomes for counts in outcome.counts]
    for device, counts in zip(devices, by_device, strict=True):
        if device.id not in readers:
            continue
        counted += 1
        for index in pushed:
            missing += counts[index] == 0
            duplicates += counts[index] > 1
    return Report(
        devices=len(devices),
        connected=connected,
        pulls=sum(outcome.pulls for outcome in outcomes),
        applied=len(pushed),
        refused=refusals,
        push_seconds=sorted(push_seconds),
        push_stages={stage: sorted(spent) for stage, spent in push_stages.items()},
        propagation=sorted(propagation),
        health=sorted(watch.health),
        errors=dict(errors),
        missing=missing,
        duplicates=duplicates,
        cpu=dict(watch.cpu),
        memory=dict(watch.memory),
        seconds=seconds,
        load=_load(),
    )


def print_report(report: Report) -> None:
    cores = os.cpu_count() or 1
    print(
        f"\n{report.devices:,} devices, {report.seconds:.0f} s; load average at end {report.load}"
    )
    print(f"  devices connected (long-poll open) before the pushes: {report.connected:,}")
    print(
        f"  registrations pushed and applied: {report.applied:,} (refused {report.refused});"
        f" patient rows delivered: {len(report.propagation):,} in {report.pulls:,} pulls"
    )
    print(f"  push p50/p95/p99: {_ms(report.push_seconds)}")
    for stage, seconds in report.push_stages.items():
        print(f"    {stage}: {_ms(seconds)}")
    print(f"  propagation (push sent to row at a device) p50/p95/p99: {_ms(report.propagation)}")
    print(
        f"  /api/health through nginx p50/p95/p99: {_ms(report.health)},"
        f" max {1000 * max(report.health, default=math.nan):.0f} ms ({len(report.health)} probes)"
    )
    once = not report.missing and not report.duplicates
    print(
        f"  every registration at every device exactly once: {once}"
        f" ({report.missing} missing, {report.duplicates} duplicated)"
    )
    print(f"  errors: {report.errors or 'none'}")
    print("  CPU (cores busy on average) and memory (largest PSS):")
    for name in report.cpu:
        print(
            f"    {name:<22}{report.cpu[name] / report.seconds:5.2f} of {cores}"
            f"   {report.memory.get(name, 0) / 2**20:7.0f} MB"
        )
    print(f"  meets the targets: {report.passed}")


def run(args: argparse.Namespace) -> Report:
    files = raise_file_limit()
    folder = Path(tempfile.mkdtemp(prefix="seth-bench-load-"))
    _use_test_keyring(folder)
    print(f"machine: {_machine()}; open files {files}; load average {_load()}")
    pg = database = nginx = pcs = None
    servers: list[LiveServer] = []
    simulators: list[multiprocessing.process.BaseProcess] = []
    stop: Any = None
    try:
        nginx_binary()
        pg, database, settings = start_central(folder)
        from server.demo import build_central

        data = build_central(
            database,
            patients=args.patients,
            visits=args.patients,
            end=DEFAULT_END,
            staff_password=PASSWORD,
            seed=args.seed,
            progress=lambda _message: None,
        )
        started = time.perf_counter()
        devices = enrol_devices(database, settings, args.devices)
        print(f"{len(devices):,} devices enrolled in {time.perf_counter() - started:.1f} s")
        servers = [LiveServer(settings, folder, f"api-{n}") for n in (1, 2)]
        for server in servers:
            server.start()
        nginx = Nginx(folder, [server.port for server in servers], files)
        nginx.start()
        pushers = sum(device.reception for device in devices)
        pushes = pushers * math.ceil(60 * args.minutes / args.interval + 1)
        started = time.perf_counter()
        pcs = Pcs(folder, servers[0].url)
        registrations = build_registrations(pcs, data.login, pushes, args.seed)
        print(
            f"{len(registrations):,} registrations made on a reception PC's store in"
            f" {time.perf_counter() - started:.1f} s"
        )
        heads = head_cursors(nginx.url, devices)
        patients = [uuid.UUID(r["row_id"]).hex for r in registrations]

        context = multiprocessing.get_context("spawn")
        stop = context.Event()
        shared = Shared(
            go=context.Event(),
            stop=stop,
            push_until=context.Value("d", 0.0),
            applied=context.Value("q", 0),
            received=context.Value("q", 0),
            waiting=context.Value("q", 0),
            results=context.Queue(),
        )
        count = max(1, math.ceil(len(devices) / DEVICES_PER_SIMULATOR))
        for number in range(count):
            mine = devices[number::count]
            plan = Plan(
                nginx.url,
                mine,
                heads,
                registrations[number::count],
                patients,
                args.interval,
                args.seed + number,
                number,
            )
            simulator = context.Process(
                target=simulate, args=(plan, shared), name=f"simulator-{number}"
            )
            simulator.start()
            simulators.append(simulator)
        ordered = [device for n in range(count) for device in devices[n::count]]
        watch = Watch(
            nginx.url,
            {
                "API instance 1": lambda: [servers[0].process.pid] if servers[0].process else [],
                "API instance 2": lambda: [servers[1].process.pid] if servers[1].process else [],
                "PostgreSQL": lambda: [pg.get_pid()],
                "nginx": lambda: [nginx.process.pid] if nginx.process else [],
                "simulators (client)": lambda: [s.pid for s in simulators if s.pid],
            },
        )
        watch.start()
        deadline = time.monotonic() + 60 + len(devices) / 50
        while shared.waiting.value < len(devices) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # the last long-polls reach the servers
        connected = shared.waiting.value
        print(f"{connected:,} devices long-polling; pushes for {args.minutes:g} min...")
        begin = time.monotonic()
        shared.push_until.value = begin + 60 * args.minutes
        shared.go.set()
        time.sleep(30 * args.minutes)
        print("killing API instance 1 (SIGKILL), then starting it again")
        servers[0].kill()
        time.sleep(2.0)
        restarted = time.monotonic()
        # nginx sends it requests as soon as it listens: at 6,000 devices
        # on a loaded machine its first health check may wait a while.
        servers[0].start(within=RESTART_SECONDS)
        took = time.monotonic() - restarted
        print(f"API instance 1 answered its health check {took:.1f} s after starting")
        time.sleep(max(0.0, shared.push_until.value - time.monotonic()) + 1)
        drain = time.monotonic() + DRAIN_SECONDS
        while (
            shared.received.value < shared.applied.value * len(devices) and time.monotonic() < drain
        ):
            time.sleep(0.2)
        seconds = time.monotonic() - begin
        stop.set()
        outcomes = [shared.results.get(timeout=120) for _ in simulators]
        watch.stop()
        outcomes.sort(key=lambda outcome: outcome.simulator)  # they come as they end
        return combine(outcomes, ordered, connected, watch, seconds)
    finally:
        if stop is not None:
            stop.set()
        for simulator in simulators:
            simulator.join(timeout=30)
            if simulator.is_alive():
                simulator.kill()
        if nginx is not None:
            nginx.stop()
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()
        if pcs is not None:
            pcs.close()
        if database is not None:
            database.engine.dispose()
        if pg is not None:
            with contextlib.suppress(Exception):
                pg.cleanup()
        if args.keep:
            print(f"kept: {folder} (the servers' and nginx's logs)")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_load", description="Load test (bench/README.md, Load)."
    )
    parser.add_argument("--devices", type=int, default=6000)
    parser.add_argument(
        "--curve",
        help="device counts to run one after the other (e.g. 500,1000,2000): a line each",
    )
    parser.add_argument("--minutes", type=float, default=3.0, help="of pushes (3)")
    parser.add_argument(
        "--interval", type=float, default=60.0, help="seconds between a reception PC's pushes"
    )
    parser.add_argument("--patients", type=int, default=1000, help="in the central data set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.curve.split(",")] if args.curve else [args.devices]
    reports = []
    for devices in counts:
        args.devices = devices
        report = run(args)
        print_report(report)
        reports.append(report)
    if len(reports) > 1:
        print(
            "\ndevices  push p95  propagation p95  health p95  errors  exactly once  load   targets"
        )
        for r in reports:
            print(
                f"{r.devices:>7,}  {1000 * _percentile(r.push_seconds, 95):6.0f} ms"
                f"  {1000 * _percentile(r.propagation, 95):12.0f} ms"
                f"  {1000 * _percentile(r.health, 95):7.0f} ms  {sum(r.errors.values()):6}"
                f"  {not r.missing and not r.duplicates!s:>12}  {r.load.split()[0]:>5}"
                f"  {'met' if r.passed else 'missed'}"
            )
    return 0 if all(r.passed for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
