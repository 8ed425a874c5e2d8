"""Every report on SQLite and on PostgreSQL, from the same generated month
(tests/reports_data.py): the same code gives the same answers."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from clinic.actor import Actor
from clinic.reports.base import ReportRequest
from clinic.reports.catalogue import REPORTS, run_report
from clinic.reports.export import to_json
from clinic.store import LocalStore
from server.database import Database
from tests.reports_data import MONTH_END, MONTH_START, generate

pytestmark = pytest.mark.postgres

SYSTEM = Actor(device_id=uuid.uuid4())
RANGES = (
    (MONTH_START, MONTH_END),
    (MONTH_START.replace(day=7), MONTH_START.replace(day=7)),
    (date(2026, 10, 31), MONTH_START),  # across the month's edge (not for the MOH 705)
)


def _answers(session: Any, branches: dict[str, uuid.UUID]) -> dict[tuple[str, str, str], Any]:
    answers = {}
    for name in REPORTS:
        for start, end in RANGES:
            if name.startswith("moh705") and start.month != end.month:
                continue
            for code in (None, "WEST"):
                request = ReportRequest(start, end, branches[code] if code else None)
                result = to_json(run_report(name, request, session=session, actor=SYSTEM))
                del result["branch_id"]  # the store's own id for the branch
                answers[(name, f"{start} to {end}", code or "all")] = result
    return answers


def test_every_report_answers_the_same_on_sqlite_and_postgresql(
    store: LocalStore, central: Database
) -> None:
    with store.write() as session:
        local_month = generate(session)
    with central.sessions.begin() as session:
        central_month = generate(session)
    with store.session() as session:
        on_sqlite = _answers(session, local_month.branches)
    with central.sessions() as session:
        on_postgres = _answers(session, central_month.branches)
    assert on_sqlite.keys() == on_postgres.keys()
    for key, answer in on_sqlite.items():
        assert answer == on_postgres[key], key
    register = on_sqlite[("visits", f"{MONTH_START} to {MONTH_END}", "all")]["tables"][0]
    assert len(register["rows"]) > 100  # the comparison compared something
