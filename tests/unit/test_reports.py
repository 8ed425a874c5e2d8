"""The reports on a generated month (tests/reports_data.py), on SQLite:
every total adds up to what was written, and who may run which report."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
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
from clinic.reports.export import write_atomically, write_csv, write_xlsx
from clinic.reports.moh705 import form, read_form
from clinic.reports.names import DAILY_CASH, REPORT_NAMES, SHIFTS
from clinic.store import PATIENT_AGES_INDEX, LocalStore, open_local_store
from sync.apply import begin_bulk_load, end_bulk_load
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
    assert column(methods, "method") == ["Cash", "M-Pesa", "Card", "Bank", "SHA", "Insurance"]


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


def test_every_named_report_is_built() -> None:
    assert set(REPORTS) == set(REPORT_NAMES)


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


def test_moh705_totals_are_the_months_diagnoses_by_age_group(month: Month) -> None:
    expected = month.expected.diagnoses
    for name, group in (("moh705a", "a"), ("moh705b", "b")):
        result = month.run(name, MONTH_START, MONTH_END)
        form = result.tables[0]
        assert total(form, "total") == sum(n for (g, _), n in expected.items() if g == group)
        for day in (MONTH_START + timedelta(days=i) for i in range(30)):
            assert total(form, f"d{day.day}") == expected[(group, day)]
        assert column(form, "disease")[-1] == "All other diseases"
    unknown = month.run("moh705a", MONTH_START, MONTH_END).tables[2]
    assert unknown.rows[0][-1] == sum(n for (g, _), n in expected.items() if g == "?")


def test_moh705_puts_codes_in_their_rows(month: Month) -> None:
    b = month.run("moh705b", MONTH_START, MONTH_END).tables[0]
    by_label = dict(zip(column(b, "disease"), column(b, "total"), strict=True))
    assert by_label["Suspected malaria"] and by_label["Hypertension"] and by_label["Diabetes"]
    assert by_label["Upper respiratory tract infections"]
    assert by_label["All other diseases"]  # K29.7 and Z00.0 have no row
    assert by_label["Tested for malaria"] == 0


def test_moh705b_counts_unspecified_diarrhoea_as_diarrhoea() -> None:
    adults = form("moh705b")
    assert adults.row_of("ICD-10", "A09").label == "Diarrhoea"
    assert adults.row_of("ICD-10", "A09.9").label == "Diarrhoea"
    assert form("moh705a").row_of("ICD-10", "A09").label == "Gastroenteritis"


def test_moh705_covers_one_month() -> None:
    with pytest.raises(InvalidValue, match=r"monthly form.*2026-11-01 to 2026-11-30"):
        run_report(
            "moh705a",
            ReportRequest(MONTH_START, MONTH_END + timedelta(days=1)),
            session=None,  # type: ignore[arg-type]
            actor=SYSTEM,
        )


def test_the_row_files_map_each_code_to_one_row(tmp_path: Path) -> None:
    for name in ("moh705a", "moh705b"):
        sheet = form(name)
        assert sheet.row_of("ICD-10", "A09.9").label.startswith("Diarrhoea")
        assert sheet.row_of("ICD-10", "B54").label == "Suspected malaria"
        assert sheet.row_of("ICD-10", "B50.9").label == "Confirmed malaria (positive)"
        assert sheet.row_of("ICD-10", "K29.7") == sheet.other
        assert sheet.row_of("ICD-11", "1F4Z") == sheet.other
        assert [r.number for r in sheet.rows] == list(range(1, len(sheet.rows) + 1))
    assert form("moh705a").row_of("ICD-10", "A09.0").label == "Gastroenteritis"
    bad = tmp_path / "rows.csv"
    bad.write_text("row,label,icd10\n1,Malaria,B50-B54\n2,Suspected,B54\n3,Other,OTHER\n")
    with pytest.raises(ValueError, match="line 3: B54 is already in row 1"):
        read_form(bad, "x", "x")


def test_revenue_is_billed_paid_and_outstanding(month: Month) -> None:
    result = month.run("revenue", MONTH_START, MONTH_END)
    for title in ("Revenue by period", "Revenue by service kind", "Revenue by service"):
        found = table(result, title)
        assert total(found, "billed") == month.expected.billed, title
        assert total(found, "paid") == month.expected.paid, title
        assert total(found, "outstanding") == month.expected.billed - month.expected.paid
    assert len(table(result, "Revenue by period").rows) == 30
    yearly = month.run("revenue", date(2026, 1, 1), date(2026, 12, 31))
    assert column(table(yearly, "Revenue by period"), "month") == ["2026-10", "2026-11", "2026-12"]


def test_the_visit_register_lists_every_visit_with_its_counts(month: Month) -> None:
    result = month.run("visits", MONTH_START, MONTH_END)
    register = table(result, "Visit register")
    assert len(register.rows) == sum(month.expected.visits.values())
    by_day = table(result, "Visits by day")
    assert dict(zip(column(by_day, "day"), column(by_day, "visits"), strict=True)) == dict(
        month.expected.visits
    )
    assert total(table(result, "Visits by status"), "visits") == len(register.rows)
    assert "Completed" in column(register, "status")
    assert "COMPLETED" not in column(register, "status")
    assert column(register, "branch")[0] in ("MAIN", "WEST")
    one = month.run("visits", MONTH_START, MONTH_END, "MAIN")
    assert "branch" not in [c.key for c in table(one, "Visit register").columns]


def test_every_report_exports_to_csv_and_excel(month: Month, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    for name in REPORTS:
        result = month.run(name, MONTH_START, MONTH_END)
        write_csv(result, tmp_path / f"{name}.csv")
        write_xlsx(result, tmp_path / f"{name}.xlsx")
        book = load_workbook(tmp_path / f"{name}.xlsx")
        assert len(book.sheetnames) == len(result.tables)
        assert all(len(n) <= 31 and ":" not in n for n in book.sheetnames)
        for sheet, found in zip(book.worksheets, result.tables, strict=True):
            assert sheet.max_row == 1 + len(found.rows) + (found.totals is not None)
            assert all(cell.font.bold for cell in sheet[1])
            for index, col in enumerate(found.columns, start=1):
                if col.kind == "money" and found.rows:
                    assert sheet.cell(2, index).number_format == "#,##0.00"
                    assert sheet.cell(2, index).value == found.rows[0][index - 1] / 100  # type: ignore[operator]
                if col.kind == "count" and found.rows:
                    assert sheet.cell(2, index).number_format == "#,##0"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_failed_write_leaves_the_old_file_and_no_scraps(month: Month, tmp_path: Path) -> None:
    result = month.run(DAILY_CASH, MONTH_START, MONTH_START)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "cash.csv"
    target.write_text("yesterday's report")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "yesterday's report"
    assert [p.name for p in folder.iterdir()] == ["cash.csv"]
    write_csv(result, target)
    assert target.read_text(encoding="utf-8-sig").startswith("Daily cash,")


def _moh705_plan(store: LocalStore) -> str:
    """SQLite's plan for the MOH 705's statement, on a new connection."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    store.engine.dispose()  # connections read the statistics when they open
    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        with store.session() as session:
            request = ReportRequest(MONTH_START, MONTH_END, None)
            run_report("moh705a", request, session=session, actor=SYSTEM)
            ((statement, parameters),) = [s for s in statements if "month_visits" in s[0]]
            plan = session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters
            )
            return "\n".join(row[-1] for row in plan)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)


def test_moh705_reads_dates_of_birth_from_their_index_also_after_a_bulk_load(
    month: Month, store: LocalStore
) -> None:
    assert "COVERING INDEX ix_patients_id_date_of_birth" in _moh705_plan(store)
    with store.write() as session:
        begin_bulk_load(session)
    assert "ix_patients_id_date_of_birth" not in _moh705_plan(store)
    with store.write() as session:
        end_bulk_load(session)
    assert "COVERING INDEX ix_patients_id_date_of_birth" in _moh705_plan(store)


def test_opening_the_store_gives_the_index_its_statistics_again(
    month: Month, store: LocalStore
) -> None:
    with store.engine.begin() as connection:  # as a data set built with its indexes set aside
        (sql,) = connection.exec_driver_sql(
            f"SELECT sql FROM sqlite_master WHERE name = '{PATIENT_AGES_INDEX}'"
        ).scalars()
        connection.exec_driver_sql(f"DROP INDEX {PATIENT_AGES_INDEX}")
        connection.exec_driver_sql(sql)
    assert "COVERING INDEX ix_patients_id_date_of_birth" not in _moh705_plan(store)
    reopened = open_local_store(store.path.parent)
    try:
        assert "COVERING INDEX ix_patients_id_date_of_birth" in _moh705_plan(reopened)
    finally:
        reopened.close()
