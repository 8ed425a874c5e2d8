"""Benchmark the local store: patient search, registering, opening a visit,
saving a consultation, billing it and saving a payment with its receipt.

    python -m bench.run_local [--data DIR] [--small] [--iterations N] [--stages]
                              [--no-search | --no-writes] [--with-load [N]] [--encrypted]

Without ``--data`` it uses the default data set in ``bench/data/`` (500,000
patients and 2,000,000 visits; 20,000 and 80,000 with ``--small``) and
generates it first when it is missing. Searches run on the data set itself;
writes run on a copy of its file, deleted afterwards, so the data set stays
as generated. Data sets are plain SQLite and are opened as they are (never
encrypted in place under the benchmarks that share them); ``--encrypted``
runs on a copy encrypted first, as the app keeps its store. Every figure is
the wall time of one call made the way the desktop makes it, from
``time.perf_counter_ns``: a search in a fresh session, a write in one
``store.write()`` transaction (committed with ``fsync``, as the store always
does), each after a warm-up. ``--with-load`` times the writes with N busy
processes beside them (one by default: "another job running").
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

import clinic.schema  # noqa: F401 - every model mapped before the first write
from bench.generate import MANIFEST_FILE, default_data_dir, generate
from clinic.actor import Actor
from clinic.billing.service import (
    LineInput,
    create_invoice,
    open_shift,
    propose_lines,
    record_payment,
)
from clinic.cipher import StoreState, store_state
from clinic.demo import kenya
from clinic.demo.draws import Draw
from clinic.demo.people import People
from clinic.enums import PaymentMethod, Role, Sex
from clinic.numbering.service import BLOCK_SIZE, add_lease
from clinic.patients import search as patient_search
from clinic.patients.search import search_patients
from clinic.patients.service import PatientDetails, register_patient
from clinic.rules.numbers import NumberKind, parse_number
from clinic.store import STORE_FILE, LocalStore, connect_raw, open_local_store, store_key_for
from clinic.store_key import KEY_FILE
from clinic.visits.service import (
    ConsultationNotes,
    LabRequestInput,
    PrescriptionInput,
    open_visit,
    record_consultation,
)

FULL = (500_000, 2_000_000)
SMALL = (20_000, 80_000)
SEED = 1
SEARCH_TARGET_MS = 2.0
FORGIVING_SEARCH_TARGET_MS = 5.0
"""DESIGN.md's "Performance": every search p95 under 2 ms, except those that
forgive a typo in a name word (under 5 ms)."""
WRITE_TARGET_MS = 10.0
SEARCH_LIMIT = 20

SEARCH_CLASSES = (
    "name, 2 letters",
    "name, 3 letters",
    "name, 4+ letters",
    "two names",
    "full name, one misspelt",
    "OP number, full",
    "OP number, no check digit",
    "OP number, part",
    "phone, part",
    "phone, full",
    "national id",
    "legacy number",
    "no match",
)
FORGIVING_CLASSES = ("full name, one misspelt",)


@dataclass
class Timings:
    """Wall times in nanoseconds, by what was timed."""

    samples: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    hits: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    found: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    executed: list[int] = field(default_factory=lambda: [0])
    """Statements sent to SQLite so far (counted while writes are timed)."""


@contextmanager
def measured(timings: Timings, name: str, *, keep: bool = True) -> Iterator[None]:
    """Time the block: wall time (the figure) and this thread's CPU time (what
    the block costs when it need not wait for a core or the disk)."""
    executed = timings.executed[0]
    wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
    yield
    if keep:
        timings.samples[name].append(time.perf_counter_ns() - wall)
        timings.cpu[name].append(time.thread_time_ns() - cpu)
        timings.statements[name].append(timings.executed[0] - executed)


@contextmanager
def other_jobs(count: int) -> Iterator[None]:
    """``count`` other jobs on the machine while the block runs: each a
    Python process spinning on one core (a build or a report running beside
    the desk), stopped when the block ends."""
    jobs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for job in jobs:
            job.kill()
            job.wait()


def percentile(sorted_ns: list[int], p: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    rank = max(1, math.ceil(p / 100 * len(sorted_ns)))
    return sorted_ns[rank - 1] / 1e6


# --- the data set ----------------------------------------------------------------------------


def ensure_data(args: argparse.Namespace) -> Path:
    if args.data is not None:
        if not (args.data / STORE_FILE).exists():
            raise SystemExit(f"bench.run_local: no {STORE_FILE} in {args.data}")
        return Path(args.data)
    patients, visits = SMALL if args.small else FULL
    folder = default_data_dir(patients, visits, SEED)
    if not (folder / STORE_FILE).exists():
        print(
            f"No data set in {folder}: generating {patients:,} patients and"
            f" {visits:,} visits first."
        )
        generate(folder, patients=patients, visits=visits, seed=SEED)
        print()
    return folder


def open_data_set(folder: Path) -> LocalStore:
    """The data set's store opened as it is: a plain one (as ``generate``
    makes them) stays plain, never encrypted in place under the benchmarks
    that share it; an encrypted one (``--encrypted``'s copy) with its key."""
    return open_local_store(folder, encrypted=store_state(folder / STORE_FILE) != StoreState.PLAIN)


@contextmanager
def encrypted_copy(folder: Path) -> Iterator[Path]:
    """A copy of the data set in a scratch folder beside it, encrypted in
    place as the app's first start after the upgrade does; removed after."""
    scratch = Path(tempfile.mkdtemp(prefix=".bench-encrypted-", dir=folder.parent))
    try:
        started = time.perf_counter()
        for source in folder.glob(f"{STORE_FILE}*"):
            shutil.copyfile(source, scratch / source.name)
        store_key_for(scratch / STORE_FILE)
        print(f"Encrypted a copy of the data set in {time.perf_counter() - started:.1f} s.")
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def describe_data(folder: Path) -> dict[str, Any]:
    path = folder / STORE_FILE
    manifest_path = folder / MANIFEST_FILE
    manifest: dict[str, Any] = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
    with connect_raw(path, read_only=True) as connection:
        counts = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("patients", "visits", "invoices", "payments")
        }
        last_day = connection.execute("SELECT max(visit_date) FROM visits").fetchone()[0]
    connection.close()
    return {
        "path": path,
        "bytes": path.stat().st_size,
        "counts": counts,
        "last_day": date.fromisoformat(last_day or manifest.get("last_day")),
        "manifest": manifest,
    }


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    load = f", {load_average()}" if hasattr(os, "getloadavg") else ""
    return (
        f"{os.cpu_count()} cores ({model}){memory}; {platform.system()} {platform.release()};"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}{load}"
    )


# --- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    patient_id: str | None  # the patient it was made from (the one that should be found)


def _sample_patients(store: LocalStore, draw: Draw) -> Iterator[dict[str, Any]]:
    """Patients picked at random, without end."""
    raw = store.engine.raw_connection()
    try:
        connection = raw.driver_connection
        (top,) = connection.execute("SELECT max(rowid) FROM patients").fetchone()
        columns = (
            "id",
            "op_number",
            "legacy_number",
            "first_name",
            "middle_name",
            "last_name",
            "phone",
            "national_id",
        )
        while True:
            row = connection.execute(
                f"SELECT {', '.join(columns)} FROM patients WHERE rowid = ?"
                " AND merged_into IS NULL AND deleted_at IS NULL",
                (1 + draw.below(top),),
            ).fetchone()
            if row is not None:
                yield dict(zip(columns, row, strict=True))
    finally:
        raw.close()


def _typed(draw: Draw, text: str) -> str:
    """How reception types a name: mostly in lower case."""
    return text.lower() if draw.random() < 0.8 else text


def _misspelt(draw: Draw, name: str) -> str:
    """``name`` as a hurried hand writes it: one letter missing, extra or
    wrong, or two neighbours swapped (never the name itself)."""
    while True:
        at = draw.below(len(name) - 1)
        letter = draw.pick("abcdefghijklmnopqrstuvwxyz")
        head, tail = name[:at], name[at:]
        typed = draw.pick(
            (
                head + tail[1:],
                head + letter + tail,
                head + letter + tail[1:],
                head + tail[1] + tail[0] + tail[2:],
            )
        )
        if typed.lower() != name.lower():
            return typed


def make_queries(store: LocalStore, per_class: int, seed: int) -> list[Query]:
    """``per_class`` queries of each class, made from randomly chosen patients
    and shuffled together (so a slow spell of the machine hits every class)."""
    draw = Draw(f"{seed}:queries")
    pick = draw.pick
    queries: list[Query] = []
    cursor = _sample_patients(store, draw)

    def take(need: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        return next(patient for patient in cursor if need(patient))

    def names(patient: dict[str, Any]) -> list[str]:
        return [
            n for n in (patient["first_name"], patient["middle_name"], patient["last_name"]) if n
        ]

    for _ in range(per_class):
        for length, kind in ((2, "name, 2 letters"), (3, "name, 3 letters")):
            patient = take(lambda p, n=length: any(len(x) >= n for x in names(p)))
            name = pick([x for x in names(patient) if len(x) >= length])
            queries.append(Query(kind, _typed(draw, name[:length]), patient["id"]))
        patient = take(lambda p: any(len(x) >= 4 for x in names(p)))
        name = pick([x for x in names(patient) if len(x) >= 4])
        queries.append(
            Query(
                "name, 4+ letters",
                _typed(draw, name[: draw.between(4, max(5, len(name)) + 1)]),
                patient["id"],
            )
        )
        patient = take(lambda p: True)
        first, *others = names(patient)
        queries.append(
            Query("two names", _typed(draw, f"{first} {pick(others or [first])}"), patient["id"])
        )
        patient = take(lambda p: any(len(x) >= 4 for x in names(p)))
        written = names(patient)
        wrong = pick([i for i, x in enumerate(written) if len(x) >= 4])
        written[wrong] = _misspelt(draw, written[wrong])
        queries.append(
            Query("full name, one misspelt", _typed(draw, " ".join(written)), patient["id"])
        )
        patient = take(lambda p: True)
        op = parse_number(patient["op_number"])
        full = pick(
            (
                op.text,
                op.text.lower().replace("-", " "),
                f"OP{op.year}{op.serial:06d}{op.check_digit}",
            )
        )
        queries.append(Query("OP number, full", full, patient["id"]))
        patient = take(lambda p: True)
        op = parse_number(patient["op_number"])
        queries.append(
            Query(
                "OP number, no check digit",
                pick((f"OP-{op.year}-{op.serial:06d}", f"op {op.year} {op.serial}")),
                patient["id"],
            )
        )
        patient = take(lambda p: True)
        op = parse_number(patient["op_number"])
        part = pick((f"{op.serial}", f"{op.serial:06d}", f"{op.year}-{op.serial:06d}"))
        if len(part) < 3:
            part = f"{op.serial:06d}"
        queries.append(Query("OP number, part", part, patient["id"]))
        patient = take(lambda p: bool(p["phone"]))
        national = "0" + patient["phone"][4:]
        fragment = pick((national[-draw.between(4, 7) :], national[: draw.between(4, 8)]))
        queries.append(Query("phone, part", fragment, patient["id"]))
        patient = take(lambda p: bool(p["phone"]))
        national = "0" + patient["phone"][4:]
        queries.append(
            Query(
                "phone, full",
                pick(
                    (
                        national,
                        national[1:],
                        patient["phone"],
                        f"{national[:4]} {national[4:7]} {national[7:]}",
                    )
                ),
                patient["id"],
            )
        )
        patient = take(lambda p: bool(p["national_id"]))
        queries.append(Query("national id", patient["national_id"], patient["id"]))
        patient = take(lambda p: bool(p["legacy_number"]))
        queries.append(Query("legacy number", patient["legacy_number"], patient["id"]))
        nonsense = "".join(pick("qxzvj") for _ in range(draw.between(4, 7)))
        queries.append(Query("no match", nonsense, None))
    cursor.close()
    draw.rng.shuffle(queries)
    return queries


def bench_search(
    store: LocalStore, per_class: int, warmup: int, seed: int, timings: Timings
) -> None:
    queries = make_queries(store, per_class, seed)
    warmups = make_queries(store, max(1, warmup // len(SEARCH_CLASSES)), seed + 1000)
    for query in warmups:
        with store.session() as session:
            search_patients(query.text, session=session, limit=SEARCH_LIMIT)
    for query in queries:
        with measured(timings, f"search: {query.kind}"), store.session() as session:
            found = search_patients(query.text, session=session, limit=SEARCH_LIMIT)
        timings.hits[f"search: {query.kind}"].append(len(found))
        if query.patient_id is not None:
            timings.found[f"search: {query.kind}"].append(
                any(hit.id.hex == query.patient_id for hit in found)
            )


@contextmanager
def timed_stages(stages: dict[str, list[int]]) -> Iterator[None]:
    """Time each look-up ``search_patient_ids`` makes, by wrapping the search
    module's own look-up functions while the block runs."""
    exact, fts = patient_search._exact_ids, patient_search._fts
    clock = time.thread_time_ns

    def timed_exact(session: Any, db: Any, query: str, limit: int) -> list[Any]:
        started = clock()
        try:
            return exact(session, db, query, limit)
        finally:
            stages["exact ids"].append(clock() - started)

    def timed_fts(db: Any, table: str, match: str, limit: int, **options: Any) -> list[int]:
        started = clock()
        try:
            return fts(db, table, match, limit, **options)
        finally:
            kind = (
                "numbers"
                if table.endswith("numbers")
                else "names, prefix"
                if match.endswith("*")
                else "names, whole words"
            )
            stages[kind].append(clock() - started)

    patient_search._exact_ids, patient_search._fts = timed_exact, timed_fts  # type: ignore[assignment]
    try:
        yield
    finally:
        patient_search._exact_ids, patient_search._fts = exact, fts


def bench_search_stages(store: LocalStore, per_class: int, seed: int) -> None:
    """Where the time of each class goes (run after the timed pass)."""
    queries = make_queries(store, per_class, seed)
    by_class: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    whole: dict[str, list[int]] = defaultdict(list)
    clock = time.thread_time_ns
    for query in queries:
        stages = by_class[query.kind]
        with timed_stages(stages), store.session() as session:
            started = clock()
            patient_search.search_patient_ids(session, query.text, limit=SEARCH_LIMIT)
            stages["ids, all stages"].append(clock() - started)
        started = clock()
        with store.session() as session:
            search_patients(query.text, session=session, limit=SEARCH_LIMIT)
        whole[query.kind].append(clock() - started)
    print("\nWhere search time goes: CPU time p50 / p95 ms per stage (calls), by class")
    for kind in SEARCH_CLASSES:
        stages = by_class[kind]
        parts = []
        for name in (
            "exact ids",
            "names, whole words",
            "names, prefix",
            "numbers",
            "ids, all stages",
        ):
            values = sorted(stages.get(name, []))
            if values:
                parts.append(
                    f"{name} {percentile(values, 50):.2f}/{percentile(values, 95):.2f}"
                    f" ({len(values)})"
                )
        values = sorted(whole[kind])
        parts.append(f"search_patients {percentile(values, 50):.2f}/{percentile(values, 95):.2f}")
        print(f"  {kind:<26} " + "; ".join(parts))


# --- writes ----------------------------------------------------------------------------------


def _user(store: LocalStore, role: Role, branch_code: str) -> tuple[uuid.UUID, uuid.UUID]:
    raw = store.engine.raw_connection()
    try:
        row = raw.driver_connection.execute(
            "SELECT u.id, b.id FROM users u JOIN branches b ON b.id = u.branch_id"
            " WHERE b.code = ? AND u.role = ? ORDER BY u.username LIMIT 1",
            (branch_code, role.value),
        ).fetchone()
    finally:
        raw.close()
    if row is None:
        raise SystemExit(f"bench.run_local: the data set has no {role.value} at {branch_code}")
    return uuid.UUID(hex=row[0]), uuid.UUID(hex=row[1])


def _lease_enough(
    store: LocalStore, year: int, count: int, kind: NumberKind = NumberKind.OP
) -> None:
    """Lease this device enough OP (or receipt) numbers for the run (as a sync would)."""
    raw = store.engine.raw_connection()
    try:
        (last,) = raw.driver_connection.execute(
            "SELECT coalesce(max(last), 0) FROM number_leases WHERE kind = ? AND year = ?",
            (kind.value, year),
        ).fetchone()
    finally:
        raw.close()
    with store.write() as session:
        for block in range(math.ceil(count / BLOCK_SIZE) + 1):
            first = last + 1 + block * BLOCK_SIZE
            add_lease(session, store.device_id, kind, year, first, first + BLOCK_SIZE - 1)


def _new_patients(count: int, seed: int, today: date) -> list[PatientDetails]:
    draw = Draw(f"{seed}:registrations")
    people = People(draw)
    details = []
    for _ in range(count):
        person = people.person()
        adult = draw.random() < 0.65
        years = draw.between(18, 80) if adult else draw.between(0, 18)
        dob = today - timedelta(days=years * 365 + draw.below(365))
        by_age = draw.random() < 0.15
        phone = people.phone()[4:] if draw.random() < 0.9 else None
        details.append(
            PatientDetails(
                first_name=person.first_name,
                middle_name=person.middle_name,
                last_name=person.last_name,
                sex=Sex(person.sex),
                date_of_birth=None if by_age else dob,
                age=f"{max(years, 1)}yrs" if by_age else None,
                national_id=people.national_id(today.year - years)
                if adult and draw.random() < 0.65
                else None,
                sha_number=people.sha_number() if draw.random() < 0.35 else None,
                phone=f"0{phone[:3]} {phone[3:6]} {phone[6:]}" if phone else None,
                residence=draw.pick(kenya.RESIDENCES),
                next_of_kin_name=None
                if adult
                else f"{people.person().first_name} {person.last_name}",
                next_of_kin_relationship=None if adult else "Mother",
            )
        )
    return details


def _consultations(count: int, seed: int) -> list[ConsultationNotes]:
    draw = Draw(f"{seed}:consultations")
    with_drugs = [c for c in kenya.CONDITIONS if c.regimens]
    notes = []
    for _ in range(count):
        first = draw.pick(with_drugs)
        second = draw.pick([c for c in kenya.CONDITIONS if c.code != first.code])
        drugs = list(dict.fromkeys(draw.pick(first.regimens)))[:2]
        if len(drugs) < 2 and draw.random() < 0.5:
            drugs.append("PCM")
        lab = (first.labs or second.labs or ("FBC",))[0]
        notes.append(
            ConsultationNotes(
                complaint=draw.pick(first.complaints),
                history="No known drug allergies. Not on any medication.",
                examination=draw.pick(kenya.EXAMINATIONS),
                plan="Treat, review in 3 days if no better.",
                diagnoses=[first.code, second.code],
                prescriptions=[
                    PrescriptionInput(d.name, d.dose, d.frequency, d.duration, d.quantity)
                    for d in (kenya.DRUGS[code] for code in dict.fromkeys(drugs))
                ],
                lab_requests=[LabRequestInput(kenya.LAB_TESTS[lab][0])],
            )
        )
    return notes


def _patients_for_visits(store: LocalStore, count: int, seed: int, today: date) -> list[uuid.UUID]:
    """Patients picked at random who have no visit yet ``today``."""
    draw = Draw(f"{seed}:visitors")
    raw = store.engine.raw_connection()
    try:
        connection = raw.driver_connection
        (top,) = connection.execute("SELECT max(rowid) FROM patients").fetchone()
        seen_today = {
            row[0]
            for row in connection.execute(
                "SELECT patient_id FROM visits WHERE visit_date = ?", (today.isoformat(),)
            )
        }
        chosen: dict[str, None] = {}
        while len(chosen) < count:
            row = connection.execute(
                "SELECT id FROM patients WHERE rowid = ? AND merged_into IS NULL"
                " AND deleted_at IS NULL",
                (1 + draw.below(top),),
            ).fetchone()
            if row is not None and row[0] not in seen_today:
                chosen[row[0]] = None
        return [uuid.UUID(hex=hex_id) for hex_id in chosen]
    finally:
        raw.close()


def bench_writes(
    data: dict[str, Any],
    iterations: int,
    warmup: int,
    seed: int,
    timings: Timings,
    other_job_count: int = 0,
) -> None:
    # The data set's last day, with its queue half done, is "today".
    today = data["last_day"]
    copy_dir = Path(tempfile.mkdtemp(prefix=".bench-writes-", dir=data["path"].parent.parent))
    try:
        started = time.perf_counter()
        shutil.copyfile(data["path"], copy_dir / STORE_FILE)
        if (data["path"].parent / KEY_FILE).exists():
            shutil.copyfile(data["path"].parent / KEY_FILE, copy_dir / KEY_FILE)
        print(
            f"Copied the data set for the writes in {time.perf_counter() - started:.1f} s"
            f" ({copy_dir}); 'today' is {today}."
        )
        store = open_data_set(copy_dir)

        @event.listens_for(store.engine, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            timings.executed[0] += 1

        try:
            with other_jobs(other_job_count):
                if other_job_count:
                    print(f"Writing with {other_job_count} other job(s) running.")
                _writes(store, today, iterations, warmup, seed, timings)
                print(f"After the writes: {load_average()}.")
        finally:
            store.close()
    finally:
        shutil.rmtree(copy_dir, ignore_errors=True)


def _writes(
    store: LocalStore, today: date, iterations: int, warmup: int, seed: int, timings: Timings
) -> None:
    total = iterations + warmup
    receptionist, main_branch = _user(store, Role.RECEPTIONIST, "MAIN")
    clinician, _ = _user(store, Role.CLINICAL_OFFICER, "MAIN")
    at_desk = Actor(store.device_id, receptionist, Role.RECEPTIONIST, main_branch)
    consulting = Actor(store.device_id, clinician, Role.CLINICAL_OFFICER, main_branch)
    _lease_enough(store, today.year, total)
    for n, details in enumerate(_new_patients(total, seed, today)):
        with measured(timings, "register patient", keep=n >= warmup), store.write() as session:
            register_patient(details, session=session, actor=at_desk, today=today)

    visit_ids = []
    for n, patient_id in enumerate(_patients_for_visits(store, total, seed, today)):
        with measured(timings, "open visit", keep=n >= warmup), store.write() as session:
            visit_ids.append(open_visit(patient_id, session=session, actor=at_desk, today=today).id)

    notes = _consultations(total, seed)
    for n, (visit_id, note) in enumerate(zip(visit_ids, notes, strict=True)):
        with measured(timings, "save consultation", keep=n >= warmup), store.write() as session:
            record_consultation(visit_id, note, session=session, actor=consulting)

    cashier, _ = _user(store, Role.CASHIER, "MAIN")
    at_till = Actor(store.device_id, cashier, Role.CASHIER, main_branch)
    _lease_enough(store, today.year, 2 * total, NumberKind.RECEIPT)
    with store.write() as session:
        open_shift(5_000_00, session=session, actor=at_till)
    invoice_ids = []
    for n, visit_id in enumerate(visit_ids):
        with measured(timings, "bill visit", keep=n >= warmup), store.write() as session:
            lines = [
                LineInput(p.service_id, p.quantity)
                for p in propose_lines(visit_id, session=session)
                if p.service_id is not None and p.unit_price_cents is not None
            ]
            invoice_ids.append(create_invoice(visit_id, lines, session=session, actor=at_till))
    draw = Draw(f"{seed}:payments")
    for n, invoice in enumerate(invoice_ids):
        # Half the bills are paid in part by M-Pesa, the rest in cash with change.
        mpesa = n % 2 == 0
        with measured(timings, "save payment + receipt", keep=n >= warmup), store.write() as s:
            record_payment(
                invoice.id,
                PaymentMethod.MPESA if mpesa else PaymentMethod.CASH,
                max(1, invoice.total_cents // 2) if mpesa else invoice.total_cents + 100_00,
                _mpesa_code(draw) if mpesa else None,
                session=s,
                actor=at_till,
                today=today,
            )


def _mpesa_code(draw: Draw) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "T" + "".join(draw.pick(alphabet) for _ in range(9))


# --- report ----------------------------------------------------------------------------------


def report(timings: Timings) -> list[dict[str, Any]]:
    """Print the table; returns its lines as data."""
    header = (
        f"{'what':<34}{'n':>6}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  {'target':<11}"
        f"{'result':<7}{'cpu p50':>8}{'cpu p95':>8}{'hits':>6}{'found':>7}{'stmts':>6}"
    )
    rule = "-" * len(header)
    print(header)
    print(rule)
    for source in (timings.samples, timings.cpu):
        source["search: all classes"] = [
            ns for kind in SEARCH_CLASSES for ns in source.get(f"search: {kind}", [])
        ]
    rows = [
        (
            f"search: {kind}",
            FORGIVING_SEARCH_TARGET_MS if kind in FORGIVING_CLASSES else SEARCH_TARGET_MS,
        )
        for kind in SEARCH_CLASSES
    ]
    rows += [
        # The classes together, the forgiving one among them: held to its bound.
        ("search: all classes", FORGIVING_SEARCH_TARGET_MS),
        ("register patient", WRITE_TARGET_MS),
        ("open visit", WRITE_TARGET_MS),
        ("save consultation", WRITE_TARGET_MS),
        ("bill visit", WRITE_TARGET_MS),
        ("save payment + receipt", WRITE_TARGET_MS),
    ]
    lines = []
    for name, target in rows:
        values = sorted(timings.samples.get(name, []))
        if not values:
            continue
        cpu = sorted(timings.cpu[name])
        p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
        worst = values[-1] / 1e6
        passed = p95 < target
        hits = timings.hits.get(name)
        found = timings.found.get(name)
        statements = sorted(timings.statements.get(name, []))
        if name == "search: all classes":
            print(rule)
        print(
            f"{name:<34}{len(values):>6}{p50:>8.2f}{p95:>8.2f}{p99:>8.2f}{worst:>8.1f}  "
            f"{'p95<' + format(target, 'g') + 'ms':<11}{'PASS' if passed else 'FAIL':<7}"
            f"{percentile(cpu, 50):>8.2f}{percentile(cpu, 95):>8.2f}"
            f"{sum(hits) / len(hits) if hits else '':>6.3}"
            f"{format(sum(found) / len(found), '.0%') if found else '':>7}"
            f"{format(statements[len(statements) // 2], 'd') if statements else '':>6}"
        )
        if name == "search: all classes":
            print(rule)
        lines.append(
            {
                "what": name,
                "n": len(values),
                "p50_ms": round(p50, 3),
                "p95_ms": round(p95, 3),
                "p99_ms": round(p99, 3),
                "max_ms": round(worst, 3),
                "cpu_p50_ms": round(percentile(cpu, 50), 3),
                "cpu_p95_ms": round(percentile(cpu, 95), 3),
                "target_p95_ms": target,
                "statements": statements[len(statements) // 2] if statements else None,
                "pass": passed,
            }
        )
    print(
        "Times in ms, wall clock (PASS/FAIL is on p95); cpu: this thread's CPU time, what a"
        " call costs\nwhen it never waits for a core or the disk; hits: mean results (limit"
        " 20); found: share of\nsearches made from a patient's data that returned that patient;"
        " stmts: statements a write\nsent to SQLite, median (BEGIN included, the COMMIT not)."
    )
    return lines


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_local", description="Benchmark the local store (bench/README.md)."
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="folder holding clinic.sqlite3 (default: the"
        " generated data set in bench/data/, made first if missing)",
    )
    parser.add_argument(
        "--small", action="store_true", help="the small data set: 20,000 patients, 80,000 visits"
    )
    parser.add_argument(
        "--iterations",
        type=int,
        default=500,
        help="searches per query class, and writes of each kind (default 500)",
    )
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7, help="seed of the queries and writes")
    parser.add_argument(
        "--stages", action="store_true", help="also show where search time goes, stage by stage"
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--no-writes", action="store_true", help="searches only")
    only.add_argument("--no-search", action="store_true", help="writes only")
    parser.add_argument(
        "--with-load",
        type=int,
        nargs="?",
        const=1,
        default=0,
        metavar="N",
        help="time the writes with N other jobs running (busy processes, one a core; N=1"
        " when not given)",
    )
    parser.add_argument(
        "--encrypted",
        action="store_true",
        help="on an encrypted copy of the data set (as the app keeps its store), made first",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(list(argv) if argv is not None else None)

    with (
        encrypted_copy(ensure_data(args))
        if args.encrypted
        else nullcontext(ensure_data(args)) as folder
    ):
        return _run(folder, args)


def _run(folder: Path, args: argparse.Namespace) -> int:
    data = describe_data(folder)
    counts = data["counts"]
    print(f"machine:  {machine()}")
    print(
        f"data set: {data['path']} ({data['bytes'] / 1e9:.2f} GB): {counts['patients']:,}"
        f" patients, {counts['visits']:,} visits, {counts['invoices']:,} invoices,"
        f" {counts['payments']:,} payments; last day {data['last_day']}"
    )
    timings = Timings()
    if not args.no_search:
        store = open_data_set(folder)
        try:
            started = time.perf_counter()
            bench_search(store, args.iterations, args.warmup, args.seed, timings)
            print(
                f"Searched {args.iterations * len(SEARCH_CLASSES):,} times in"
                f" {time.perf_counter() - started:.1f} s."
            )
            if args.stages:
                bench_search_stages(store, max(50, args.iterations // 5), args.seed + 1)
        finally:
            store.close()
    if not args.no_writes:
        bench_writes(data, args.iterations, args.warmup, args.seed, timings, args.with_load)
    print()
    lines = report(timings)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "other_jobs": args.with_load,
                    "data": {"path": str(data["path"]), "bytes": data["bytes"], "counts": counts},
                    "figures": lines,
                },
                indent=2,
            )
            + "\n"
        )
    return 0 if all(line["pass"] for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
