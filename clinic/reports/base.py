"""What every report is: a request (dates, branch) and a result (one or more
tables of columns, rows and totals, and charts) that the desktop, the
exports and the API all show the same way.

Reports read the caller's session and write nothing; they run on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy.orm import Session

from clinic.errors import InvalidValue


class ColumnKind(StrEnum):
    """How a column's values are written: money is integer cents shown as KES."""

    TEXT = "text"
    COUNT = "count"
    MONEY = "money"
    DATE = "date"
    PERCENT = "percent"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = ColumnKind.TEXT


Cell = str | int | float | date | None


class ChartKind(StrEnum):
    BAR = "bar"
    LINE = "line"
    PIE = "pie"


@dataclass(frozen=True)
class Chart:
    """A chart a person would rather look at than read, drawn from the table
    titled ``table``: ``category`` is the column along the axis (or the
    slices), ``values`` the columns plotted."""

    title: str
    kind: ChartKind
    table: str
    category: str
    values: Sequence[str]


FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
"""The days a report may cover: beyond them a date is a typing mistake."""


@dataclass(frozen=True)
class ReportRequest:
    """A date range, both days included, and one branch or all (None)."""

    start: date
    end: date
    branch_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        for field_name, day in (("from", self.start), ("to", self.end)):
            if not FIRST_DAY <= day <= LAST_DAY:
                raise InvalidValue(
                    field_name,
                    f"{day.isoformat()} is not a day a report covers; choose one from"
                    f" {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}",
                )
        if self.end < self.start:
            raise InvalidValue("to", f"The range ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class Table:
    """``rows`` hold cells in ``columns``' order; ``totals`` is the totals
    row, where the columns add up."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]
    totals: Sequence[Cell] | None = None


@dataclass(frozen=True)
class ReportResult:
    """One report's answer, its main table first."""

    name: str
    title: str
    request: ReportRequest
    tables: Sequence[Table]
    charts: Sequence[Chart] = field(default_factory=tuple)


ReportQuery = Callable[[ReportRequest, Session], ReportResult]
