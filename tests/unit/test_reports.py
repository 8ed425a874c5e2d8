"""The reports on a generated month (tests/reports_data.py), on SQLite:
every total adds up to what was written, and who may run which report."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.enums import Role
from clinic.errors import InvalidValue
from clinic.reports.base import ReportRequest, ReportResult, Table
from clinic.reports.catalogue import (
    REPORTS,
    ReportRefused,
    report_refusal,
    reports_for,
    run_report,
)
from clinic.reports.names import DAILY_CASH, REPORT_NAMES, SHIFTS
from clinic.store import LocalStore
from tests.reports_data import MONTH_END, MONTH_START, Expected, generate

SYSTEM = Actor(device_id=uuid.uuid4())


@dataclass
class Month:
    session: Session
    expected: Expected

    def run(self, name: str, start: date, end: date, branch: str | None = None) -> ReportResult:
        branch_id = self.expected.branches[branch] if branch else None
        return run_report(
            name, ReportRequest(start, end, branch_id), session=self.session, actor=SYSTEM
        )


@pytest.fixture
def month(store: LocalStore) -> Iterator[Month]:
    with store.write() as session:
        expected = generate(session)
    with store.session() as session:
        yield Month(session, expected)


def table(result: ReportResult, title: str) -> Table:
    (found,) = [t for t in result.tables if t.title == title]
    return found


def column(found: Table, key: str) -> list[object]:
    index = [c.key for c in found.columns].index(key)
    return [row[index] for row in found.rows]


def total(found: Table, key: str) -> object:
    assert found.totals is not None
    return found.totals[[c.key for c in found.columns].index(key)]


def test_the_totals_row_adds_up_its_columns_in_every_report(month: Month) -> None:
    for name in REPORTS:
        result = month.run(name, MONTH_START, MONTH_END)
        for found in result.tables:
            if found.totals is None:
                continue
            for index, col in enumerate(found.columns):
                if col.kind in ("money", "count"):
                    values = [c for row in found.rows if isinstance(c := row[index], int)]
                    assert found.totals[index] == sum(values), (name, found.title, col.key)


@pytest.mark.parametrize("offset", [0, 1, 12, 29])
def test_daily_cash_is_the_days_payments_less_reversals(month: Month, offset: int) -> None:
    day = MONTH_START + timedelta(days=offset)
    result = month.run(DAILY_CASH, day, day)
    methods = table(result, "Payments by method")
    amounts = month.expected.payments_in[day]
    assert amounts, "the generated day has payments"
    assert total(methods, "received") == sum(a for a in amounts if a > 0)
    assert total(methods, "reversed") == -sum(a for a in amounts if a < 0)
    assert total(methods, "net") == sum(amounts)


def test_daily_cash_for_a_branch_and_for_all_branches(month: Month) -> None:
    day = MONTH_START + timedelta(days=3)
    both = sum(
        total(table(month.run(DAILY_CASH, day, day, code), "Payments by method"), "net")  # type: ignore[misc]
        for code in ("MAIN", "WEST")
    )
    everything = total(table(month.run(DAILY_CASH, day, day), "Payments by method"), "net")
    assert both == everything == sum(month.expected.payments_in[day])


def test_each_shift_shows_expected_counted_and_variance(month: Month) -> None:
    day = MONTH_START + timedelta(days=5)
    shifts = table(month.run(DAILY_CASH, day, day), "Shifts and cash-up")
    assert column(shifts, "branch") == ["MAIN", "WEST"]
    assert column(shifts, "cashier") == ["Report Cashier Main", "Report Cashier West"]
    for expected, counted, variance in zip(
        column(shifts, "expected"),
        column(shifts, "counted"),
        column(shifts, "variance"),
        strict=True,
    ):
        assert variance == counted - expected  # type: ignore[operator]


def test_an_open_shift_has_no_count_and_says_open(month: Month) -> None:
    shifts = table(month.run(SHIFTS, MONTH_END, MONTH_END), "Shifts and cash-up")
    assert column(shifts, "closed") == ["open", "open"]
    assert column(shifts, "counted") == [None, None]
    assert total(shifts, "counted") == 0


def test_roles_see_only_their_reports() -> None:
    assert reports_for(Role.ADMIN) == list(REPORT_NAMES)
    assert reports_for(None) == list(REPORT_NAMES)
    assert reports_for(Role.CASHIER) == [DAILY_CASH, SHIFTS]
    assert reports_for(Role.CLAIMS_MANAGER) == ["claims-ageing"]
    assert reports_for(Role.RECEPTIONIST) == []
    assert report_refusal(Role.CASHIER, "visits") == (
        "A cashier may not run the visits report; a cashier may run daily-cash, shifts"
    )


def test_a_refused_role_or_branch_and_an_unknown_name(month: Month) -> None:
    main, west = month.expected.branches["MAIN"], month.expected.branches["WEST"]
    cashier = Actor(device_id=uuid.uuid4(), user_id=uuid.uuid4(), role=Role.CASHIER, branch_id=main)
    day = ReportRequest(MONTH_START, MONTH_START, main)
    assert run_report(DAILY_CASH, day, session=month.session, actor=cashier).tables
    with pytest.raises(ReportRefused, match="may not run the visits report"):
        run_report("visits", day, session=month.session, actor=cashier)
    for other in (
        ReportRequest(MONTH_START, MONTH_START, west),
        ReportRequest(MONTH_START, MONTH_START),
    ):
        with pytest.raises(ReportRefused, match="your own branch only"):
            run_report(DAILY_CASH, other, session=month.session, actor=cashier)
    with pytest.raises(InvalidValue, match="choose one of daily-cash, revenue, visits"):
        run_report("cash", day, session=month.session, actor=cashier)


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidValue, match="ends"):
        ReportRequest(MONTH_END, MONTH_START)
