"""Benchmark the reports on the local store: daily cash for one day, MOH
705A and 705B for a month, and the visit register for a month written to
a CSV file.

    python -m bench.run_reports [--data DIR] [--small] [--iterations N] [--json FILE]

Without ``--data`` it uses the default data set in ``bench/data/`` (500,000
patients and 2,000,000 visits; 20,000 and 80,000 with ``--small``), generated
first when missing (``bench.run_local`` makes the same one). Opening the
store migrates it, so the first run on an older data set builds the report
indexes (migration 0007) first. Every figure is the wall time of one
``run_report`` call in a fresh session, as the desktop, the command line and
the API make it (the register also writes its CSV file), after a warm-up;
days and months are the data set's last ones, taken in turn. Each report is
measured for the main branch (a clinic files its MOH 705 and counts its
cash per branch) and for all three branches together. The exit status is 0
only when every line passes. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from bench.run_local import describe_data, ensure_data, machine, open_data_set, percentile
from clinic.actor import Actor
from clinic.org.models import Branch
from clinic.reports.base import ReportRequest
from clinic.reports.catalogue import run_report
from clinic.reports.export import write_csv
from clinic.reports.names import DAILY_CASH, MOH705A, MOH705B, VISITS
from clinic.store import LocalStore

MAIN = "MAIN"


@dataclass(frozen=True)
class Case:
    label: str
    name: str
    requests: list[ReportRequest]
    target_ms: float
    iterations: int
    to_csv: bool = False


@dataclass(frozen=True)
class Line:
    label: str
    samples_ns: list[int]
    cpu_ns: list[int]
    """This thread's CPU time per call: the cost without waiting for a core."""
    target_ms: float
    rows: int

    @property
    def p50(self) -> float:
        return percentile(sorted(self.samples_ns), 50)

    @property
    def p95(self) -> float:
        return percentile(sorted(self.samples_ns), 95)

    @property
    def cpu_p50(self) -> float:
        return percentile(sorted(self.cpu_ns), 50)

    @property
    def cpu_p95(self) -> float:
        return percentile(sorted(self.cpu_ns), 95)

    @property
    def passed(self) -> bool:
        return self.p95 < self.target_ms


def _months(last_day: date, count: int) -> list[tuple[date, date]]:
    """The ``count`` whole months up to ``last_day``'s, newest first."""
    months, end = [], last_day
    for _ in range(count):
        start = end.replace(day=1)
        months.append((start, end))
        end = start - timedelta(days=1)
    return months


def cases(last_day: date, main: uuid.UUID, iterations: int) -> list[Case]:
    days = [
        last_day - timedelta(days=i)
        for i in range(28)
        if (last_day - timedelta(days=i)).weekday() < 6
    ]
    months = _months(last_day, 3)
    out = []
    for where, branch in ((MAIN, main), ("all branches", None)):
        out += [
            Case(
                f"daily cash, 1 day, {where}",
                DAILY_CASH,
                [ReportRequest(d, d, branch) for d in days],
                20,
                iterations,
            ),
            Case(
                f"MOH 705A, 1 month, {where}",
                MOH705A,
                [ReportRequest(s, e, branch) for s, e in months],
                200,
                max(iterations // 5, 5),
            ),
            Case(
                f"MOH 705B, 1 month, {where}",
                MOH705B,
                [ReportRequest(s, e, branch) for s, e in months],
                200,
                max(iterations // 5, 5),
            ),
            Case(
                f"visit register, 1 month to CSV, {where}",
                VISITS,
                [ReportRequest(s, e, branch) for s, e in months],
                1000,
                max(iterations // 10, 5),
                to_csv=True,
            ),
        ]
    return out


def measure(store: LocalStore, case: Case, out_dir: Path, warmup: int) -> Line:
    actor = Actor(device_id=store.device_id)
    samples: list[int] = []
    cpu: list[int] = []
    rows = 0
    out = out_dir / f"{case.name}.csv"
    for i in range(warmup + case.iterations):
        request = case.requests[i % len(case.requests)]
        started, cpu_started = time.perf_counter_ns(), time.thread_time_ns()
        with store.session() as session:
            result = run_report(case.name, request, session=session, actor=actor)
        if case.to_csv:
            write_csv(result, out)
        elapsed = time.perf_counter_ns() - started
        elapsed_cpu = time.thread_time_ns() - cpu_started
        if i >= warmup:
            samples.append(elapsed)
            cpu.append(elapsed_cpu)
            rows = max(rows, len(result.tables[0].rows))
    return Line(case.label, samples, cpu, case.target_ms, rows)


HEADER = (
    f"{'what':44} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8}  {'target':10} result"
    f" {'cpu p50':>8} {'cpu p95':>8}  rows"
)


def format_line(line: Line) -> str:
    worst = max(line.samples_ns) / 1e6
    target = f"p95<{line.target_ms:g}ms"
    return (
        f"{line.label:44} {len(line.samples_ns):>4} {line.p50:>8.2f} {line.p95:>8.2f} {worst:>8.1f}"
        f"  {target:10} {'PASS' if line.passed else 'FAIL':6} {line.cpu_p50:>8.2f}"
        f" {line.cpu_p95:>8.2f} {line.rows:>5}"
    )


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_reports", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, help="a folder holding clinic.sqlite3")
    parser.add_argument("--small", action="store_true", help="20,000 patients, 80,000 visits")
    parser.add_argument(
        "--iterations", type=int, default=100, help="daily cash calls (fewer for the others)"
    )
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(list(argv) if argv is not None else None)
    folder = ensure_data(args)
    data = describe_data(folder)
    print(f"data: {data['path']} ({data['bytes'] / 1e9:.2f} GB; {data['counts']})")
    print(f"machine: {machine()}")
    opened = time.perf_counter()
    store = open_data_set(folder)
    print(f"store opened (migrated) in {time.perf_counter() - opened:.1f} s")
    lines: list[Line] = []
    try:
        with store.session() as session:
            main_id = session.scalar(select(Branch.id).where(Branch.code == MAIN))
        if main_id is None:
            raise SystemExit(f"bench.run_reports: the data set has no branch {MAIN}")
        print()
        print(HEADER)
        with tempfile.TemporaryDirectory(prefix="seth-reports-") as out_dir:
            for case in cases(data["last_day"], main_id, args.iterations):
                line = measure(store, case, Path(out_dir), args.warmup)
                lines.append(line)
                print(format_line(line), flush=True)
    finally:
        store.close()
    if args.json is not None:
        figures = [
            {
                "what": line.label,
                "n": len(line.samples_ns),
                "p50_ms": line.p50,
                "p95_ms": line.p95,
                "cpu_p50_ms": line.cpu_p50,
                "cpu_p95_ms": line.cpu_p95,
                "target_ms": line.target_ms,
                "passed": line.passed,
                "rows": line.rows,
            }
            for line in lines
        ]
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if all(line.passed for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
