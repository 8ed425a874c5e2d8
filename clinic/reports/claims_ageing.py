"""The claims-ageing report: the claims manager's follow-up of SHA claims.

For the claims of visits in the request's range (one branch or all): the
claims sent to SHA and not paid by age since submission, with what is
outstanding; every status with its amounts; rejection reasons ranked; and,
month by month, what SHA paid against what was claimed. Ages are counted in
Nairobi days to the range's last day, or to today when the range runs on
past it (a report cannot age claims in the future); statuses are as they
stand now.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from clinic.claims.queries import AGE_BUCKETS, FollowUp, follow_up
from clinic.clock import clinic_today
from clinic.enums import ClaimStatus
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
from clinic.reports.names import CLAIMS_AGEING
from clinic.reports.shared import column_total

TITLE = "SHA claims ageing"

AGEING_TITLE = "Outstanding by age since submission"
STATUS_TITLE = "Claims by status"
REASONS_TITLE = "Rejection reasons"
PAID_TITLE = "Paid against claimed"

STATUS_LABELS = {
    ClaimStatus.DRAFT: "Draft",
    ClaimStatus.READY: "Ready",
    ClaimStatus.INVOICE_GENERATED: "SHA invoice printed",
    ClaimStatus.SUBMITTED: "Submitted",
    ClaimStatus.APPROVED: "Approved",
    ClaimStatus.PARTIALLY_APPROVED: "Partially approved",
    ClaimStatus.REJECTED: "Rejected",
    ClaimStatus.PAID: "Paid",
}
"""How reports and exports name claim statuses (the desktop translates its own)."""


def bucket_label(low: int, high: int | None) -> str:
    return f"Over {low - 1} days" if high is None else f"{low}-{high} days"


def ageing_day(request: ReportRequest) -> date:
    """The day ages are counted to: the range's last, or today if sooner."""
    return min(request.end, clinic_today())


def claims_ageing(request: ReportRequest, session: Session) -> ReportResult:
    """The report for ``request`` from the caller's session (writes nothing)."""
    as_of = ageing_day(request)
    figures = follow_up(
        request.start, request.end, as_of, session=session, branch_id=request.branch_id
    )
    return ReportResult(
        name=CLAIMS_AGEING,
        title=TITLE,
        request=request,
        tables=(
            ageing_table(figures),
            status_table(figures),
            reasons_table(figures),
            paid_table(figures),
        ),
        charts=(
            Chart(
                title="Outstanding by age",
                kind=ChartKind.BAR,
                table=AGEING_TITLE,
                category="status",
                values=tuple(f"age_{i}" for i in range(len(AGE_BUCKETS))),
            ),
            Chart(
                title="Paid against claimed",
                kind=ChartKind.BAR,
                table=PAID_TITLE,
                category="month",
                values=("claimed", "paid"),
            ),
        ),
    )


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def ageing_table(figures: FollowUp) -> Table:
    columns = [
        Column("status", "Status"),
        Column("claims", "Claims", ColumnKind.COUNT),
        *(
            Column(f"age_{i}", bucket_label(low, high), ColumnKind.MONEY)
            for i, (low, high) in enumerate(AGE_BUCKETS)
        ),
        Column("outstanding", "Outstanding", ColumnKind.MONEY),
    ]
    rows: list[list[Cell]] = [
        [STATUS_LABELS[row.status], row.count, *row.cents, row.outstanding_cents]
        for row in figures.ageing
    ]
    return Table(AGEING_TITLE, columns, rows, _totals(rows, len(columns)))


def status_table(figures: FollowUp) -> Table:
    columns = [
        Column("status", "Status"),
        Column("claims", "Claims", ColumnKind.COUNT),
        Column("claimed", "Claimed", ColumnKind.MONEY),
        Column("approved", "Approved", ColumnKind.MONEY),
        Column("paid", "Paid", ColumnKind.MONEY),
    ]
    rows: list[list[Cell]] = [
        [STATUS_LABELS[s.status], s.count, s.claimed_cents, s.approved_cents, s.paid_cents]
        for s in figures.by_status
    ]
    return Table(STATUS_TITLE, columns, rows, _totals(rows, len(columns)))


def reasons_table(figures: FollowUp) -> Table:
    columns = [
        Column("reason", "Reason"),
        Column("rejections", "Rejections", ColumnKind.COUNT),
        Column("claimed", "Claimed", ColumnKind.MONEY),
    ]
    rows: list[list[Cell]] = [
        [r.reason, r.count, r.claimed_cents] for r in figures.rejection_reasons
    ]
    return Table(REASONS_TITLE, columns, rows, _totals(rows, len(columns)))


def paid_table(figures: FollowUp) -> Table:
    columns = [
        Column("month", "Month"),
        Column("claims", "Sent", ColumnKind.COUNT),
        Column("claimed", "Claimed", ColumnKind.MONEY),
        Column("approved", "Approved", ColumnKind.MONEY),
        Column("paid", "Paid", ColumnKind.MONEY),
        Column("paid_share", "Paid %", ColumnKind.PERCENT),
    ]
    rows: list[list[Cell]] = [
        [
            _month(m.month),
            m.count,
            m.claimed_cents,
            m.approved_cents,
            m.paid_cents,
            _percent(m.paid_cents, m.claimed_cents),
        ]
        for m in figures.paid_by_month
    ]
    totals = _totals(rows, len(columns) - 1)
    totals.append(_percent(column_total(rows, 4), column_total(rows, 2)))
    return Table(PAID_TITLE, columns, rows, totals)


def _totals(rows: list[list[Cell]], width: int) -> list[Cell]:
    """The totals row: "Total", then the sum of each of the next columns up to ``width``."""
    return ["Total", *(column_total(rows, i) for i in range(1, width))]


def _month(first: date) -> str:
    return f"{first:%b %Y}"
