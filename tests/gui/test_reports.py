"""The Reports screen, driven as an admin, a cashier and a claims manager use
it, on a real local store holding a generated month of a two-branch clinic:
which reports each role sees, the tables and their totals, the chart, the
exports read back, the busy bar, and what a wrong range or folder says."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QPieSeries,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from clinic.enums import Role
from clinic.reports.base import (
    Cell,
    Chart,
    ChartKind,
    Column,
    ColumnKind,
    ReportRequest,
    ReportResult,
    Table,
)
from clinic.reports.catalogue import reports_for
from clinic.rules.money import format_kes
from clinic.store import LocalStore
from desktop.screens.reports import ReportsScreen
from desktop.screens.reports.chart import MAX_PIE_SLICES, build_chart
from desktop.screens.reports.model import RIGHT
from desktop.screens.reports.pdf import write_report_pdf
from tests.gui.conftest import MakeContext, shown
from tests.gui.pdf import pdf_page_size_mm, pdf_text
from tests.reports_data import Expected, generate

DAY = date(2026, 11, 10)
TEXT_MARGINS = 8
"""What a table cell keeps free either side of its text (Qt's focus frame margins)."""


@pytest.fixture
def month(store: LocalStore, make_context: MakeContext) -> Expected:
    """November 2026 at MAIN (this PC's branch) and WEST."""
    with store.write() as session:
        return generate(session)


def open_screen(qtbot: QtBot, make_context: MakeContext, role: Role) -> ReportsScreen:
    screen = shown(qtbot, ReportsScreen(make_context(role, name=f"Test {role.value}")))
    qtbot.waitUntil(lambda: screen.branch_choice.count() > 0)
    return screen


def run(qtbot: QtBot, screen: ReportsScreen, name: str, start: date, end: date) -> ReportResult:
    screen.choose(name)
    screen.set_range(start, end)
    before = screen.result
    qtbot.mouseClick(screen.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.result is not before and screen.run_button.isEnabled())
    assert screen.result is not None
    return screen.result


def views(screen: ReportsScreen) -> dict[str, QTableView]:
    found = {}
    for tab in range(screen.tables.count()):
        view = screen.tables.widget(tab)
        assert isinstance(view, QTableView)
        found[screen.tables.tabText(tab)] = view
    return found


def shown_row(view: QTableView, row: int) -> list[str]:
    model = view.model()
    return [str(model.index(row, c).data()) for c in range(model.columnCount())]


def column_of(view: QTableView, label: str) -> int:
    model = view.model()
    labels = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return labels.index(label)


def assert_every_cell_reads_whole(view: QTableView) -> None:
    """No cell's text is elided: each column is wider than its widest text
    (the bold totals too) and the cell's margins."""
    model = view.model()
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            font = index.data(Qt.ItemDataRole.FontRole) or view.font()
            text_width = QFontMetrics(font).horizontalAdvance(str(index.data()))
            assert text_width + TEXT_MARGINS <= view.columnWidth(column), (row, column)


def net_of(expected: Expected, start: date, end: date) -> int:
    return sum(sum(a) for day, a in expected.payments_in.items() if start <= day <= end)


# --- who sees what --------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "names"),
    [
        (
            Role.ADMIN,
            ["daily-cash", "revenue", "visits", "moh705a", "moh705b", "claims-ageing", "shifts"],
        ),
        (Role.CASHIER, ["daily-cash", "shifts"]),
        (Role.CLAIMS_MANAGER, ["claims-ageing"]),
    ],
)
def test_each_role_sees_only_its_reports(
    qtbot: QtBot, make_context: MakeContext, role: Role, names: list[str]
) -> None:
    screen = open_screen(qtbot, make_context, role)

    assert screen.report_names() == names == reports_for(role)


def test_an_admin_picks_any_branch_or_all_and_a_cashier_only_their_own(
    qtbot: QtBot, make_context: MakeContext, month: Expected
) -> None:
    admin = open_screen(qtbot, make_context, Role.ADMIN)
    cashier = open_screen(qtbot, make_context, Role.CASHIER)

    admin_choices = [admin.branch_choice.itemText(i) for i in range(admin.branch_choice.count())]
    assert admin_choices == ["All branches", "Main branch", "West branch"]
    assert admin.branch_choice.isEnabled()
    assert admin.branch_choice.currentText() == "Main branch"
    admin.choose_branch(month.branches["WEST"])
    admin.refresh()  # coming back to the screen keeps the choice
    after: list[None] = []
    admin.ctx.db.submit(lambda: None, after.append)  # the worker runs in order
    qtbot.waitUntil(lambda: bool(after))
    assert admin.branch_choice.currentText() == "West branch"
    assert admin.branch_choice.count() == 3
    assert [cashier.branch_choice.itemText(0)] == ["Main branch"]
    assert cashier.branch_choice.count() == 1
    assert not cashier.branch_choice.isEnabled()


def test_the_days_default_to_today_for_daily_cash_and_this_month_for_the_moh_705(
    qtbot: QtBot, make_context: MakeContext
) -> None:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    today = screen.ctx.today()

    screen.choose("daily-cash")
    assert (screen.start.date().toPython(), screen.end.date().toPython()) == (today, today)
    screen.choose("moh705b")
    assert screen.start.date().toPython() == today.replace(day=1)
    assert screen.end.date().toPython() == today


# --- running ------------------------------------------------------------------


def test_daily_cash_shows_each_method_and_the_day_s_net_in_bold(
    qtbot: QtBot, make_context: MakeContext, month: Expected
) -> None:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    screen.choose_branch(None)

    result = run(qtbot, screen, "daily-cash", DAY, DAY)

    assert result.request == ReportRequest(DAY, DAY, None)
    methods = views(screen)["Payments by method"]
    model = methods.model()
    last = model.rowCount() - 1
    totals = shown_row(methods, last)
    assert totals[0] == "Total"
    assert totals[column_of(methods, "Net")] == format_kes(net_of(month, DAY, DAY))
    font = model.index(last, 1).data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    assert model.index(0, 1).data(Qt.ItemDataRole.FontRole) is None
    assert (
        model.index(0, column_of(methods, "Net")).data(Qt.ItemDataRole.TextAlignmentRole) == RIGHT
    )
    assert_every_cell_reads_whole(methods)
    assert "Daily cash" in screen.summary.text()
    assert "10 Nov 2026" in screen.summary.text()
    assert "All branches" in screen.summary.text()


def test_a_cashier_s_daily_cash_counts_their_branch_only(
    qtbot: QtBot, make_context: MakeContext, month: Expected, store: LocalStore
) -> None:
    admin = open_screen(qtbot, make_context, Role.ADMIN)
    cashier = open_screen(qtbot, make_context, Role.CASHIER)
    admin.choose_branch(None)

    everyone = run(qtbot, admin, "daily-cash", date(2026, 11, 1), date(2026, 11, 30))
    own = run(qtbot, cashier, "daily-cash", date(2026, 11, 1), date(2026, 11, 30))

    assert own.request.branch_id == month.branches["MAIN"]
    [everyone_net] = [t.totals[3] for t in everyone.tables if t.title == "Payments by method"]  # type: ignore[index]
    [own_net] = [t.totals[3] for t in own.tables if t.title == "Payments by method"]  # type: ignore[index]
    assert everyone_net == net_of(month, date(2026, 11, 1), date(2026, 11, 30))
    assert 0 < own_net < everyone_net  # type: ignore[operator]


def test_the_chart_appears_with_the_report(
    qtbot: QtBot, make_context: MakeContext, month: Expected
) -> None:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    assert screen.charts.isHidden()

    result = run(qtbot, screen, "daily-cash", date(2026, 11, 1), date(2026, 11, 30))

    [view] = screen.charts.findChildren(QChartView)
    assert view.isVisible()
    assert screen.charts.tabText(0) == result.charts[0].title
    chart = view.chart()
    [pie] = chart.series()
    assert isinstance(pie, QPieSeries)
    [methods] = [t for t in result.tables if t.title == "Payments by method"]
    net = {str(row[0]): row[3] for row in methods.rows}
    assert pie.sum() == pytest.approx(sum(v for v in net.values() if isinstance(v, int)) / 100)
    assert {s.label().rsplit(" ", 1)[0] for s in pie.slices()} == {
        m for m, v in net.items() if isinstance(v, int) and v > 0
    }


def test_revenue_charts_days_standing_and_named_services_lying_down(
    qtbot: QtBot, make_context: MakeContext, month: Expected
) -> None:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    screen.choose_branch(None)

    result = run(qtbot, screen, "revenue", date(2026, 11, 1), date(2026, 11, 30))

    tabs = [screen.charts.tabText(i) for i in range(screen.charts.count())]
    assert tabs == [chart.title for chart in result.charts]
    per_day = screen.charts.widget(0)
    assert isinstance(per_day, QChartView)
    [bars] = per_day.chart().series()
    assert isinstance(bars, QBarSeries) and not isinstance(bars, QHorizontalBarSeries)
    billed = bars.barSets()[0]
    assert billed.label() == "Billed"
    assert billed.count() == 30
    assert sum(billed.at(i) for i in range(billed.count())) == pytest.approx(month.billed / 100)
    top = screen.charts.widget(tabs.index("Top services"))
    assert isinstance(top, QChartView)
    [lying] = top.chart().series()
    assert isinstance(lying, QHorizontalBarSeries)
    [axis] = [a for a in top.chart().axes() if isinstance(a, QBarCategoryAxis)]
    [services] = [t for t in result.tables if t.title == "Top services"]
    assert list(reversed(axis.categories())) == [str(row[1]) for row in services.rows]


def test_a_report_without_a_chart_hides_the_chart_area(
    qtbot: QtBot, make_context: MakeContext, month: Expected
) -> None:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    run(qtbot, screen, "daily-cash", DAY, DAY)
    assert screen.charts.isVisible()

    run(qtbot, screen, "shifts", DAY, DAY)

    assert screen.charts.isHidden()
    assert list(views(screen)) == ["Shifts and cash-up"]


def test_a_slow_report_shows_the_busy_bar_until_it_is_done(
    qtbot: QtBot, make_context: MakeContext, month: Expected
) -> None:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    screen.ctx.db.submit(lambda: time.sleep(1.5), lambda _none: None)  # the worker is busy
    screen.choose("daily-cash")
    screen.set_range(DAY, DAY)

    qtbot.mouseClick(screen.run_button, Qt.MouseButton.LeftButton)

    assert not screen.run_button.isEnabled()
    assert screen.busy.isHidden()
    qtbot.waitUntil(screen.busy.isVisible, timeout=3000)
    qtbot.waitUntil(lambda: screen.result is not None, timeout=5000)
    assert screen.busy.isHidden()
    assert screen.run_button.isEnabled()


def test_a_range_that_ends_before_it_starts_says_so_and_runs_nothing(
    qtbot: QtBot, make_context: MakeContext, month: Expected
) -> None:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    run(qtbot, screen, "daily-cash", DAY, DAY)
    before = screen.result

    screen.set_range(date(2026, 11, 20), date(2026, 11, 5))
    qtbot.mouseClick(screen.run_button, Qt.MouseButton.LeftButton)

    assert screen.banner.isVisible()
    assert screen.banner.text() == "The range ends (2026-11-05) before it starts (2026-11-20)"
    assert screen.result is before
    assert screen.run_button.isEnabled()
    assert screen.busy.isHidden()


def test_a_moh_705_over_two_months_says_it_is_a_monthly_form(
    qtbot: QtBot, make_context: MakeContext, month: Expected
) -> None:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    screen.choose("moh705b")
    screen.set_range(date(2026, 10, 15), date(2026, 11, 14))

    qtbot.mouseClick(screen.run_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(screen.banner.isVisible)
    assert screen.banner.text().startswith("The MOH 705 is a monthly form")
    assert screen.result is None
    assert screen.tables.count() == 0
    assert screen.run_button.isEnabled()


# --- the MOH 705's 31 day columns on a 1366x768 screen ---------------------------

DISEASES = (
    "Diarrhoea",
    "Tuberculosis",
    "Dysentery (bloody diarrhoea)",
    "Malaria (confirmed)",
    "Upper respiratory tract infections",
    "Pneumonia",
    "All other diseases",
)


def moh705_like(request: ReportRequest) -> ReportResult:
    """A month of the 705's shape: a row per disease, days 1-31 and a total."""
    days = [Column(f"d{d}", str(d), ColumnKind.COUNT) for d in range(1, 32)]
    counts = [[(n * 7 + d * 3) % 13 for d in range(31)] for n in range(len(DISEASES))]
    rows: list[list[Cell]] = [
        [str(n + 1), name, *counts[n], sum(counts[n])] for n, name in enumerate(DISEASES)
    ]
    totals: list[Cell] = [None, "Total", *(sum(c[d] for c in counts) for d in range(31))]
    totals.append(sum(sum(c) for c in counts))
    columns = [Column("row", "No."), Column("disease", "Disease"), *days]
    columns.append(Column("total", "Total", ColumnKind.COUNT))
    table = Table("MOH 705B", columns, rows, totals)
    return ReportResult("moh705b", "MOH 705B: outpatient morbidity", request, (table,))


def test_the_moh_705_fits_its_31_day_columns_beside_the_navigation_or_scrolls(
    qtbot: QtBot, make_context: MakeContext
) -> None:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    assert screen.minimumSizeHint().width() <= 1366 - 190
    screen.resize(1366 - 190, 640)  # beside the navigation

    screen.show_result(moh705_like(ReportRequest(date(2026, 11, 1), date(2026, 11, 30))))

    view = views(screen)["MOH 705B"]
    day_widths = [view.columnWidth(column_of(view, str(d))) for d in range(1, 32)]
    assert max(day_widths) <= 40
    disease = view.columnWidth(column_of(view, "Disease"))
    longest = view.fontMetrics().horizontalAdvance("Upper respiratory tract infections")
    assert disease >= longest
    assert sum(view.columnWidth(c) for c in range(view.model().columnCount())) <= view.width()
    assert_every_cell_reads_whole(view)

    screen.resize(900, 640)  # narrower still: the columns keep their width, the table scrolls

    qtbot.waitUntil(lambda: view.horizontalScrollBar().maximum() > 0)
    assert [view.columnWidth(column_of(view, str(d))) for d in range(1, 32)] == day_widths


# --- exports --------------------------------------------------------------------


@pytest.fixture
def daily_cash_screen(
    qtbot: QtBot, make_context: MakeContext, month: Expected
) -> Iterator[ReportsScreen]:
    screen = open_screen(qtbot, make_context, Role.ADMIN)
    run(qtbot, screen, "daily-cash", DAY, DAY)
    yield screen


def exported(qtbot: QtBot, screen: ReportsScreen, kind: str, path: Path) -> None:
    screen.export_to(kind, path)
    qtbot.waitUntil(lambda: screen.banner.isVisible())
    assert screen.banner.text() == f"Saved {path}"


def test_csv_export_reads_back_with_the_totals(
    qtbot: QtBot, daily_cash_screen: ReportsScreen, month: Expected, tmp_path: Path
) -> None:
    path = tmp_path / "cash.csv"

    exported(qtbot, daily_cash_screen, "csv", path)

    with path.open(newline="", encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    assert ["Method", "Received", "Reversed", "Net"] in rows
    [total] = [row for row in rows if row[:1] == ["Total"] and len(row) == 4]
    assert float(total[3].replace(",", "")) == pytest.approx(net_of(month, DAY, DAY) / 100)


def test_excel_export_reads_back_with_the_totals(
    qtbot: QtBot, daily_cash_screen: ReportsScreen, month: Expected, tmp_path: Path
) -> None:
    path = tmp_path / "cash.xlsx"

    exported(qtbot, daily_cash_screen, "xlsx", path)

    book = openpyxl.load_workbook(path)
    values = [[cell for cell in row] for sheet in book for row in sheet.iter_rows(values_only=True)]
    [total] = [row for row in values if row[0] == "Total" and row[3] is not None]
    assert total[3] == pytest.approx(net_of(month, DAY, DAY) / 100)


def test_pdf_export_reads_back_with_the_clinic_the_range_and_the_totals(
    qtbot: QtBot,
    daily_cash_screen: ReportsScreen,
    month: Expected,
    tmp_path: Path,
    store: LocalStore,
) -> None:
    path = tmp_path / "cash.pdf"

    exported(qtbot, daily_cash_screen, "pdf", path)

    text = pdf_text(path)
    assert "Seth Clinic" in text
    assert "Daily cash" in text
    assert "10 Nov 2026" in text
    assert "Main branch" in text
    assert "Made on" in text
    assert format_kes(net_of(month, DAY, DAY)) in text
    size = pdf_page_size_mm(path)
    assert (round(size.width()), round(size.height())) == (210, 297)


def test_an_export_to_a_folder_that_does_not_exist_says_so_and_writes_nothing(
    qtbot: QtBot, daily_cash_screen: ReportsScreen, tmp_path: Path
) -> None:
    for kind in ("csv", "xlsx", "pdf"):
        daily_cash_screen.banner.hide()
        path = tmp_path / "gone" / f"cash.{kind}"

        daily_cash_screen.export_to(kind, path)

        qtbot.waitUntil(lambda: daily_cash_screen.banner.isVisible())
        assert daily_cash_screen.banner.text().startswith("Could not save the report: ")
        assert not (tmp_path / "gone").exists()


# --- the PDF, wide and narrow -----------------------------------------------------


def test_the_wide_moh_705_prints_landscape_with_every_column_whole(tmp_path: Path) -> None:
    result = moh705_like(ReportRequest(date(2026, 11, 1), date(2026, 11, 30)))
    path = tmp_path / "moh705b.pdf"

    write_report_pdf(result, path, "Seth Clinic Kayole", branch_name="Main branch")

    size = pdf_page_size_mm(path)
    assert (round(size.width()), round(size.height())) == (297, 210)
    lines = pdf_text(path).splitlines()
    assert "Seth Clinic Kayole" in lines
    assert "MOH 705B: outpatient morbidity" in lines
    assert "01 Nov 2026 to 30 Nov 2026" in lines
    assert "Main branch" in lines
    for n, name in enumerate(DISEASES, 1):  # a squeezed name would break over lines
        assert any(line.startswith(f"{n} {name} ") for line in lines)
    words = " ".join(lines).split()
    heading = words.index("Disease")
    assert words[heading + 1 : heading + 33] == [*(str(d) for d in range(1, 32)), "Total"]
    [table] = result.tables
    assert f"{table.totals[-1]:,}" in words  # type: ignore[index]


def test_a_narrow_report_prints_portrait_with_money_whole(tmp_path: Path) -> None:
    columns = (
        Column("method", "Method"),
        Column("received", "Received", ColumnKind.MONEY),
        Column("net", "Net", ColumnKind.MONEY),
    )
    rows: list[list[Cell]] = [
        ["CASH", 1_234_567_89, 1_234_000_00],
        ["MPESA", 98_765_00, 98_765_00],
    ]
    table = Table("Payments by method", columns, rows, ["Total", 1_333_332_89, 1_332_765_00])
    request = ReportRequest(DAY, DAY)
    result = ReportResult("daily-cash", "Daily cash", request, (table,))
    path = tmp_path / "cash.pdf"

    write_report_pdf(result, path, "Seth Clinic")

    size = pdf_page_size_mm(path)
    assert (round(size.width()), round(size.height())) == (210, 297)
    words = pdf_text(path).split()
    for amount in ("1,234,567.89", "98,765.00", "1,333,332.89", "1,332,765.00"):
        assert amount in words
    assert "All branches" in pdf_text(path)


def test_a_pdf_that_cannot_be_written_raises_and_leaves_nothing(tmp_path: Path) -> None:
    result = moh705_like(ReportRequest(date(2026, 11, 1), date(2026, 11, 30)))
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder")

    with pytest.raises(OSError):
        write_report_pdf(result, not_a_folder / "report.pdf", "Seth Clinic")

    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


# --- the chart kinds ----------------------------------------------------------------


def test_a_line_chart_plots_each_value_column_and_a_big_pie_gathers_the_rest(
    qapp: QApplication,
) -> None:
    days = [date(2026, 11, d) for d in range(1, 11)]
    columns = (
        Column("day", "Day", ColumnKind.DATE),
        Column("billed", "Billed", ColumnKind.MONEY),
        Column("visits", "Visits", ColumnKind.COUNT),
    )
    rows: list[list[Cell]] = [[day, 1_000_00 * n, n] for n, day in enumerate(days, 1)]
    names = [f"Service {n}" for n in range(12)]
    services = Table(
        "Services",
        (Column("service", "Service"), Column("billed", "Billed", ColumnKind.MONEY)),
        [[name, 100_00 * (12 - n)] for n, name in enumerate(names)],
    )
    result = ReportResult(
        "revenue",
        "Revenue",
        ReportRequest(days[0], days[-1]),
        (Table("Per day", columns, rows), services),
        (
            Chart("Per day", ChartKind.LINE, "Per day", "day", ("billed", "visits")),
            Chart("By service", ChartKind.PIE, "Services", "service", ("billed",)),
        ),
    )

    line_chart = build_chart(result, result.charts[0])
    pie_chart = build_chart(result, result.charts[1])

    lines = line_chart.series()
    pie = pie_chart.series()

    assert [line.name() for line in lines] == ["Billed", "Visits"]
    billed = lines[0]
    assert isinstance(billed, QLineSeries)
    assert [billed.at(i).y() for i in range(billed.count())] == [1_000.0 * n for n in range(1, 11)]
    [slices] = pie
    assert isinstance(slices, QPieSeries)
    assert slices.count() == MAX_PIE_SLICES
    assert slices.slices()[-1].label().startswith("Other")
    assert slices.sum() == pytest.approx(sum(100 * (12 - n) for n in range(12)))
