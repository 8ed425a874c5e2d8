"""Money at the desk: the daily cash report (what each method brought in,
what was given back, and each shift's counted-vs-expected cash-up) and the
shifts report. Shift figures follow :class:`clinic.billing.service.ShiftCashUp`, the
rule of the cash-up a cashier sees when closing the shift."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.billing.models import Payment, Shift
from clinic.billing.service import GIVEN_BACK_SUM, RECEIVED_SUM, ShiftCashUp, shift_cash_ups
from clinic.clock import NAIROBI, day_bounds
from clinic.enums import PaymentMethod
from clinic.reports import labels
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
from clinic.reports.names import DAILY_CASH, SHIFTS
from clinic.reports.shared import branch_codes, branch_ids, column_total, staff_names

MONEY = ColumnKind.MONEY
METHODS_TABLE = "Payments by method"
SHIFTS_TABLE = "Shifts and cash-up"


def _method_table(request: ReportRequest, session: Session) -> Table:
    """Received, reversed (as a positive amount) and net by method, for the
    payments received in the range (Nairobi days)."""
    start, end = day_bounds(request.start, request.end)
    sums = {
        PaymentMethod(method): (int(r), int(v))
        for method, r, v in session.execute(
            select(Payment.method, RECEIVED_SUM, GIVEN_BACK_SUM)
            .where(
                Payment.branch_id.in_(branch_ids(request, session=session)),
                Payment.received_at >= start,
                Payment.received_at < end,
                Payment.deleted_at.is_(None),
            )
            .group_by(Payment.method)
        )
    }
    rows: list[list[Cell]] = []
    for method in PaymentMethod:
        r, v = sums.get(method, (0, 0))
        rows.append([labels.METHODS[method], r, v, r - v])
    return Table(
        title=METHODS_TABLE,
        columns=(
            Column("method", "Method"),
            Column("received", "Received", MONEY),
            Column("reversed", "Reversed", MONEY),
            Column("net", "Net", MONEY),
        ),
        rows=rows,
        totals=["Total", column_total(rows, 1), column_total(rows, 2), column_total(rows, 3)],
    )


def _cash_ups(request: ReportRequest, session: Session) -> list[ShiftCashUp]:
    """The cash-up of every shift opened in the range, as far as this store holds them."""
    start, end = day_bounds(request.start, request.end)
    shifts = session.scalars(
        select(Shift)
        .where(
            Shift.branch_id.in_(branch_ids(request, session=session)),
            Shift.opened_at >= start,
            Shift.opened_at < end,
            Shift.deleted_at.is_(None),
        )
        .order_by(Shift.opened_at, Shift.id)
    ).all()
    return shift_cash_ups(shifts, session=session)


def _shift_table(reports: list[ShiftCashUp], session: Session, *, detailed: bool) -> Table:
    names = staff_names(session=session)
    codes = branch_codes(session=session)
    columns = [
        Column("branch", "Branch"),
        Column("cashier", "Cashier"),
        Column("opened", "Opened"),
        Column("closed", "Closed"),
    ]
    if detailed:
        columns += [
            Column("float", "Opening float", MONEY),
            Column("cash_received", "Cash received", MONEY),
            Column("cash_reversed", "Cash given back", MONEY),
            Column("other_methods", "Other methods (net)", MONEY),
        ]
    columns += [
        Column("expected", "Expected cash", MONEY),
        Column("counted", "Counted cash", MONEY),
        Column("variance", "Variance", MONEY),
    ]
    rows: list[list[Cell]] = []
    for report in reports:
        shift = report.shift
        cash = report.by_method[PaymentMethod.CASH]
        row: list[Cell] = [
            codes.get(shift.branch_id, ""),
            names.get(shift.cashier_id, str(shift.cashier_id)),
            f"{shift.opened_at.astimezone(NAIROBI):%Y-%m-%d %H:%M}",
            f"{shift.closed_at.astimezone(NAIROBI):%Y-%m-%d %H:%M}"
            if shift.closed_at is not None
            else "open",
        ]
        if detailed:
            others = sum(
                t.net_cents for m, t in report.by_method.items() if m != PaymentMethod.CASH
            )
            row += [shift.opening_float_cents, cash.received_cents, cash.reversed_cents, others]
        row += [report.expected_cash_cents, report.counted_cash_cents, report.variance_cents]
        rows.append(row)
    first_money = 4
    totals: list[Cell] = ["Total", f"{len(rows)} shifts", "", ""]
    totals += [column_total(rows, i) for i in range(first_money, len(columns))]
    return Table(title=SHIFTS_TABLE, columns=columns, rows=rows, totals=totals)


def daily_cash(request: ReportRequest, session: Session) -> ReportResult:
    """Per method: received, reversed and net; per cashier and shift:
    expected cash, counted cash and the variance (counted less expected:
    negative is short; an open shift has no count yet)."""
    methods = _method_table(request, session)
    shifts = _shift_table(_cash_ups(request, session), session, detailed=False)
    return ReportResult(
        name=DAILY_CASH,
        title="Daily cash",
        request=request,
        tables=(methods, shifts),
        charts=(Chart("Net by method", ChartKind.PIE, METHODS_TABLE, "method", ("net",)),),
    )


def shifts(request: ReportRequest, session: Session) -> ReportResult:
    """Every shift opened in the range with its cash-up: float, cash taken
    and given back, other methods, expected, counted and variance."""
    table = _shift_table(_cash_ups(request, session), session, detailed=True)
    return ReportResult(name=SHIFTS, title="Shifts", request=request, tables=(table,))
