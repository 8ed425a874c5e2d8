"""Revenue: what the invoices issued in the range bill, what has been paid
on them and what is still owed, by service kind, by service, and by day
(or by month over a long range), with the top services.

Paid is every payment on those invoices, reversals taken off, whenever it
was taken; a payment pays an invoice, not a line, so each invoice's paid
amount is shared among its lines in proportion to what they bill (whole
cents, the remainder to its largest line): the columns add up exactly.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice, InvoiceLine, Payment, Service
from clinic.clock import day_bounds, nairobi_day
from clinic.enums import InvoiceStatus
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
from clinic.reports.names import REVENUE
from clinic.reports.shared import branch_ids, column_total

DAILY_UP_TO_DAYS = 62
"""Ranges up to about two months are shown day by day, longer ones by month."""
TOP_SERVICES = 10
MONEY = ColumnKind.MONEY
PERIOD_TABLE = "Revenue by period"
KIND_TABLE = "Revenue by service kind"
SERVICE_TABLE = "Revenue by service"
TOP_TABLE = "Top services"
FIGURES = (
    Column("billed", "Billed", MONEY),
    Column("paid", "Paid", MONEY),
    Column("outstanding", "Outstanding", MONEY),
)

Figures = list[int]  # billed, paid


def _share(paid: int, amounts: list[int]) -> list[int]:
    """``paid`` shared among lines in proportion to ``amounts``, in whole
    cents adding up to ``paid`` (the remainder to the largest line)."""
    billed = sum(amounts)
    if not billed:
        return [0] * len(amounts)
    shares = [paid * amount // billed for amount in amounts]
    largest = max(range(len(amounts)), key=amounts.__getitem__)
    shares[largest] += paid - sum(shares)
    return shares


def _rows(groups: dict[tuple[Cell, ...], Figures]) -> list[list[Cell]]:
    return [[*key, billed, paid, billed - paid] for key, (billed, paid) in groups.items()]


def _totals(label_columns: int, rows: list[list[Cell]]) -> list[Cell]:
    first = label_columns
    return (
        ["Total"]
        + [""] * (label_columns - 1)
        + [column_total(rows, i) for i in range(first, first + len(FIGURES))]
    )


def revenue(request: ReportRequest, session: Session) -> ReportResult:
    start, end = day_bounds(request.start, request.end)
    invoices = (
        select(Invoice.id, Invoice.issued_at)
        .where(
            Invoice.branch_id.in_(branch_ids(request, session=session)),
            Invoice.issued_at >= start,
            Invoice.issued_at < end,
            Invoice.status != InvoiceStatus.CANCELLED,
            Invoice.deleted_at.is_(None),
        )
        .subquery()
    )
    issued: dict[uuid.UUID, date] = {
        i: nairobi_day(at) for i, at in session.execute(select(invoices.c.id, invoices.c.issued_at))
    }
    paid_on: dict[uuid.UUID, int] = {
        i: int(s)
        for i, s in session.execute(
            select(Payment.invoice_id, func.sum(Payment.amount_cents))
            .join(invoices, invoices.c.id == Payment.invoice_id)
            .where(Payment.deleted_at.is_(None))
            .group_by(Payment.invoice_id)
        )
    }
    lines: dict[uuid.UUID, list[tuple[uuid.UUID | None, int]]] = defaultdict(list)
    for invoice_id, service_id, amount in session.execute(
        select(InvoiceLine.invoice_id, InvoiceLine.service_id, InvoiceLine.amount_cents)
        .join(invoices, invoices.c.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.deleted_at.is_(None))
        .order_by(InvoiceLine.invoice_id, InvoiceLine.id)
    ):
        lines[invoice_id].append((service_id, int(amount)))
    services = {s.id: s for s in session.scalars(select(Service))}

    monthly = (request.end - request.start).days + 1 > DAILY_UP_TO_DAYS
    by_period: dict[tuple[Cell, ...], Figures] = {}
    by_kind: dict[tuple[Cell, ...], Figures] = {}
    by_service: dict[tuple[Cell, ...], Figures] = {}
    for invoice_id, day in sorted(issued.items(), key=lambda item: (item[1], item[0])):
        own = lines.get(invoice_id, [])
        shares = _share(paid_on.get(invoice_id, 0), [amount for _, amount in own])
        period: Cell = day.strftime("%Y-%m") if monthly else day
        for (service_id, amount), paid in zip(own, shares, strict=True):
            service = services.get(service_id) if service_id is not None else None
            kind = labels.SERVICE_KINDS[service.kind] if service is not None else "Other"
            name = service.name if service is not None else "Not on the price list"
            code = service.code if service is not None else ""
            for groups, key in (
                (by_period, (period,)),
                (by_kind, (kind,)),
                (by_service, (code, name, kind)),
            ):
                figures = groups.setdefault(key, [0, 0])
                figures[0] += amount
                figures[1] += paid
    period_rows = _rows(by_period)
    kind_rows = sorted(_rows(by_kind), key=lambda r: str(r[0]))
    service_rows = sorted(_rows(by_service), key=lambda r: (str(r[2]), str(r[1])))
    top = sorted(by_service.items(), key=lambda item: (-item[1][0], str(item[0][1])))
    top_rows = _rows(dict(top[:TOP_SERVICES]))
    period_column = Column("month", "Month") if monthly else Column("day", "Day", ColumnKind.DATE)
    service_columns = (Column("code", "Code"), Column("service", "Service"), Column("kind", "Kind"))
    tables = (
        Table(PERIOD_TABLE, (period_column, *FIGURES), period_rows, _totals(1, period_rows)),
        Table(KIND_TABLE, (Column("kind", "Kind"), *FIGURES), kind_rows, _totals(1, kind_rows)),
        Table(SERVICE_TABLE, (*service_columns, *FIGURES), service_rows, _totals(3, service_rows)),
        Table(TOP_TABLE, (*service_columns, *FIGURES), top_rows),
    )
    per = "month" if monthly else "day"
    return ReportResult(
        name=REVENUE,
        title="Revenue",
        request=request,
        tables=tables,
        charts=(
            Chart(
                f"Billed and paid per {per}",
                ChartKind.BAR,
                PERIOD_TABLE,
                period_column.key,
                ("billed", "paid"),
            ),
            Chart("Billed by service kind", ChartKind.PIE, KIND_TABLE, "kind", ("billed",)),
            Chart("Top services", ChartKind.BAR, TOP_TABLE, "service", ("billed",)),
        ),
    )
