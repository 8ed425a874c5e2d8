"""Benchmark pushing a PC's offline work to the central server (issue 16).

    python -m bench.run_push [--only push|import] [--mutations 1000] [--register-rows 20000]

One command, nothing to set up: the server and the PCs of ``bench.run_sync``
(its own embedded PostgreSQL with the demo clinic's central data set,
``seth-clinic-server serve`` in a process of its own, real SQLite stores
logged in through the keyring), then:

1. *push*: a PC that has pulled the clinic registers ``--mutations``
   patients offline and pushes them (``bench.run_sync``'s line 3);
2. *import*: a paper register of ``--register-rows`` rows is written as a
   clinic types it into a spreadsheet (NAME, AGE, RESIDENCE, NUMBER, PHONE
   NUMBER; ages as ``33yrs``, ``9mths``; phones without their leading 0),
   ``seth-clinic import-patients`` imports it into a new PC that has only
   logged in (a process of its own, as an admin runs it; timed from start to
   exit), then that PC's first sync pushes them, timed by its parts:
   numbers leased and the provisional ones replaced, the push, the pull.

The temporary folder is deleted at the end. Exit status 0 only when every
line with a target passes and the server holds what was pushed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.generate import DEFAULT_END
from bench.run_sync import (
    OFFLINE_MUTATIONS,
    PASSWORD,
    SMALL,
    LiveServer,
    Pc,
    Pcs,
    _load,
    _machine,
    _python_speed,
    _use_test_keyring,
    cpu_seconds,
    offline_push,
    start_central,
    tear_down,
)
from clinic.demo import kenya
from server.demo import build_central

PUSH_TARGET = 0.5  # seconds for 1,000 mutations
IMPORT_TARGET = 5.0  # seconds for 20,000 register rows
IMPORT_SYNC_TARGET = 10.0  # seconds for the first sync after it
REGISTER_ROWS = 20_000
REGISTER_COLUMNS = ("NAME", "AGE", "RESIDENCE", "NUMBER", "PHONE NUMBER")


def write_paper_register(path: Path, rows: int, seed: int) -> None:
    """A paper register of ``rows`` patients as clinics type it: names in
    lower case, ages in years or (under two) months, some missing, phones
    without the leading 0 or with spaces, numbers ``NNNNN/25``."""
    from clinic.demo.draws import Draw
    from clinic.demo.people import People, draw_age

    draw = Draw(f"{seed}:paper-register")
    people = People(draw)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(REGISTER_COLUMNS)
        for number in range(1, rows + 1):
            person = people.person()
            name = " ".join(
                n for n in (person.first_name, person.middle_name, person.last_name) if n
            )
            age = draw_age(draw)
            written_age = (
                "" if draw.random() < 0.03
                else f"{int(age)}yrs" if age >= 2
                else f"{max(1, int(age * 12))}mths"
            )  # fmt: skip
            local = people.phone()[4:]  # 7XXXXXXXX
            phone = (
                "" if draw.random() < 0.1
                else f"{local[:3]} {local[3:6]} {local[6:]}" if draw.random() < 0.3
                else local
            )  # fmt: skip
            writer.writerow(
                [name.lower(), written_age, draw.pick(kenya.RESIDENCES).lower(),
                 f"{number:05d}/25", phone]
            )  # fmt: skip


def import_command(data_dir: Path, register: Path) -> tuple[float, float, str]:
    """``seth-clinic --data-dir DIR import-patients FILE`` in a process of
    its own, from this checkout; seconds from start to exit, the CPU seconds
    it used (Python's start included) and its last line."""
    root = Path(__file__).resolve().parent.parent
    command = [
        sys.executable,
        "-c",
        "import sys; from desktop.cli import main; sys.exit(main())",
        "--data-dir",
        str(data_dir),
        "import-patients",
        str(register),
    ]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    if done.returncode != 0:
        raise RuntimeError(f"import-patients failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, cpu, done.stdout.strip().splitlines()[-1]


@dataclass
class Cpu:
    """CPU seconds the PC's process, the server's and PostgreSQL's spent
    in what :meth:`measure` wraps: on a machine shared with other work the
    wall time says more about the others than about the push; the PC and
    the server take turns, so on a quiet machine the wall time is about
    their sum."""

    server_pid: int
    postgres_pid: int
    pc: float = 0.0
    server: float = 0.0
    postgres: float = 0.0

    @property
    def total(self) -> float:
        return self.pc + self.server + self.postgres

    def measure(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def measured(*args: Any, **kwargs: Any) -> Any:
            pc, server = time.process_time(), cpu_seconds(self.server_pid)
            postgres = cpu_seconds(self.postgres_pid)
            try:
                return function(*args, **kwargs)
            finally:
                self.pc += time.process_time() - pc
                self.server += cpu_seconds(self.server_pid) - server
                self.postgres += cpu_seconds(self.postgres_pid) - postgres

        return measured

    def __str__(self) -> str:
        return (
            f"CPU {self.total:.2f} s (PC {self.pc:.2f}, server {self.server:.2f},"
            f" PostgreSQL {self.postgres:.2f})"
        )


@dataclass
class ImportSync:
    rows: int
    import_seconds: float
    import_cpu: float
    import_summary: str
    top_up_seconds: float
    top_up_cpu: float
    push_seconds: float
    pull_seconds: float
    pull_cpu: float
    pushed: int
    rejected: int
    left: int
    renumbered: int
    on_server: int
    push_cpu: Cpu

    @property
    def sync_seconds(self) -> float:
        return self.top_up_seconds + self.push_seconds + self.pull_seconds


def import_then_sync(
    pc: Pc, rows: int, seed: int, folder: Path, database: Any, cpu: Cpu
) -> ImportSync:
    """Import a register of ``rows`` rows into ``pc`` (logged in, never
    synced), then its first sync, timed by its parts."""
    from sqlalchemy import text

    from sync.engine import SyncReport, sync_status

    register = folder / "paper-register.csv"
    write_paper_register(register, rows, seed)
    import_seconds, import_cpu, summary = import_command(pc.store.path.parent, register)
    report = SyncReport()
    top_up_cpu, pull_cpu = (
        Cpu(cpu.server_pid, cpu.postgres_pid),
        Cpu(cpu.server_pid, cpu.postgres_pid),
    )
    started = time.perf_counter()
    top_up_cpu.measure(pc.engine.top_up_numbers)(report)
    topped_up = time.perf_counter()
    cpu.measure(pc.engine.push)(report)
    pushed = time.perf_counter()
    pull_cpu.measure(pc.engine.pull)(report)
    pulled = time.perf_counter()
    with database.engine.connect() as connection:
        on_server = int(
            connection.scalar(text("SELECT count(*) FROM patients WHERE legacy_number LIKE '%/25'"))
            or 0
        )
    return ImportSync(
        rows,
        import_seconds,
        import_cpu,
        summary,
        topped_up - started,
        top_up_cpu.pc,
        pushed - topped_up,
        pulled - pushed,
        pull_cpu.pc,
        report.pushed,
        len(report.rejected),
        sync_status(pc.store).pending,
        report.renumbered,
        on_server,
        cpu,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_push", description="Benchmark pushes (bench/README.md)."
    )
    parser.add_argument("--only", choices=("push", "import"), help="one of the two lines")
    parser.add_argument("--patients", type=int, default=SMALL[0], help="in the central data set")
    parser.add_argument("--visits", type=int, default=SMALL[1], help="in the central data set")
    parser.add_argument("--mutations", type=int, default=OFFLINE_MUTATIONS)
    parser.add_argument("--register-rows", type=int, default=REGISTER_ROWS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="seth-bench-push-"))
    _use_test_keyring(folder)
    load_before = _load()
    print(f"machine: {_machine()}; 20 M additions in Python: {_python_speed():.2f} s")
    pg = database = server = pcs = None
    rows: list[tuple[str, str, str, bool | None]] = []
    figures: dict[str, Any] = {"machine": _machine(), "load_average_start": load_before}
    try:
        pg, database, settings = start_central(folder)
        data = build_central(
            database,
            patients=args.patients,
            visits=args.visits,
            end=DEFAULT_END,
            staff_password=PASSWORD,
            seed=args.seed,
        )
        print(f"central data set: {data.patients:,} patients, {data.visits:,} visits")
        server = LiveServer(settings, folder)
        server.start()
        pcs = Pcs(folder, server.url)

        if args.only in (None, "push"):
            from sync.engine import SyncReport

            pc = pcs.make("pc-push", data.login)
            pc.engine.pull(SyncReport())
            print(f"\n1. Push of {args.mutations:,} mutations queued offline (load {_load()})")
            cpu = Cpu(server.process.pid, pg.get_pid())  # type: ignore[union-attr]
            pc.engine.push = cpu.measure(pc.engine.push)  # type: ignore[method-assign]
            push = offline_push(pc, args.mutations, args.seed)[0]
            print(
                f"  {push.mutations:,} registered offline in {push.register_seconds:.1f} s;"
                f" pushed in {push.push_seconds:.2f} s ({push.batch}/request,"
                f" {push.mutations / push.push_seconds:,.0f} mutations/s): {push.pushed:,}"
                f" applied, {push.rejected} refused, {push.pending_after} left;"
                f" largest request {push.largest_body / 1e6:.2f} MB; the push's {cpu}"
            )
            if push.error:
                print(f"  ERROR {push.error}")
            rows.append(
                (f"push {push.mutations:,} offline",
                 f"{push.push_seconds:.2f} s, CPU {cpu.total:.2f} s",
                 f"< {PUSH_TARGET:g} s", push.push_seconds < PUSH_TARGET
                 and push.pending_after == 0 and push.error is None)
            )  # fmt: skip
            figures["offline_push"] = {**vars(push), "cpu": vars(cpu)}

        if args.only in (None, "import"):
            pc = pcs.make("pc-import", data.login)
            print(
                f"\n2. Paper register of {args.register_rows:,} rows: import-patients, then the"
                f" first sync (load {_load()})"
            )
            cpu = Cpu(server.process.pid, pg.get_pid())  # type: ignore[union-attr]
            done = import_then_sync(pc, args.register_rows, args.seed, folder, database, cpu)
            print(
                f"  import-patients: {done.import_seconds:.1f} s (CPU {done.import_cpu:.2f} s);"
                f" {done.import_summary}"
            )
            print(
                f"  first sync: {done.sync_seconds:.1f} s = numbers leased and"
                f" {done.renumbered:,} provisional ones replaced {done.top_up_seconds:.1f} s"
                f" (PC's CPU {done.top_up_cpu:.2f} s) + push {done.push_seconds:.1f} s"
                f" ({done.pushed:,} applied, {done.rejected} refused, {done.left} left;"
                f" {done.push_cpu}) + pull {done.pull_seconds:.1f} s (PC's CPU"
                f" {done.pull_cpu:.2f} s); the server holds {done.on_server:,} of the"
                " register's patients"
            )
            held = done.on_server == args.register_rows and done.left == 0 and not done.rejected
            rows += [
                (f"import {done.rows:,} rows",
                 f"{done.import_seconds:.1f} s, CPU {done.import_cpu:.1f} s",
                 f"< {IMPORT_TARGET:g} s", done.import_seconds < IMPORT_TARGET),
                ("  then first sync", f"{done.sync_seconds:.1f} s", f"< {IMPORT_SYNC_TARGET:g} s",
                 done.sync_seconds < IMPORT_SYNC_TARGET and held),
            ]  # fmt: skip
            figures["import"] = {
                **vars(done),
                "push_cpu": vars(done.push_cpu),
                "sync_seconds": done.sync_seconds,
            }

        print(f"\n{os.cpu_count()} cores; load average {load_before} at start, {_load()} at end")
        print(f"{'what':<28}{'figure':<26}{'target':<22}result")
        print("-" * 82)
        for what, figure, target, passed in rows:
            result = "" if passed is None else "PASS" if passed else "FAIL"
            print(f"{what:<28}{figure:<26}{target:<22}{result}")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        return 0 if all(passed is not False for *_, passed in rows) else 1
    finally:
        tear_down(pcs, server, database, pg, folder)


if __name__ == "__main__":
    sys.exit(main())
