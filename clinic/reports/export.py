"""A report written out: CSV, Excel (one sheet per table) and JSON for the API.

Money is integer cents in a report and KES with two decimals in a file (a
number formatted ``#,##0.00`` in Excel). A file is written beside its
destination under a temporary name and renamed over it when complete, so a
failure leaves no half-written file; OSError says why it could not be
written.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from clinic.reports.base import Cell, Column, ColumnKind, ReportResult, Table
from clinic.rules.spreadsheet import text_row

MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
SHEET_NAME_MAX = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def _file_value(column: Column, cell: Cell) -> Cell:
    """A cell as a file holds it: money in KES, not cents."""
    if column.kind == ColumnKind.MONEY and isinstance(cell, int):
        return cell / 100
    return cell


def _kes(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _csv_rows(table: Table) -> list[Sequence[Cell]]:
    """The table's lines for CSV: money as KES, text that a spreadsheet
    would run as a formula neutralised (a residence typed ``=HYPERLINK(...)``);
    the csv module writes the rest itself (None as nothing, a date as YYYY-MM-DD)."""
    lines = [*table.rows, table.totals] if table.totals is not None else list(table.rows)
    money = [i for i, c in enumerate(table.columns) if c.kind == ColumnKind.MONEY]
    out: list[Sequence[Cell]] = []
    for row in lines:
        copy = text_row(row)
        for i in money:
            if isinstance(cell := copy[i], int):
                copy[i] = _kes(cell)
        out.append(copy)
    return out


def _range(result: ReportResult) -> str:
    return f"{result.request.start.isoformat()} to {result.request.end.isoformat()}"


def render_csv(result: ReportResult) -> bytes:
    """The report as CSV (UTF-8 with a byte-order mark, which Excel needs to
    read accents): the title and range, then each table with its title, its
    header, its rows and its totals, a blank line between tables."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([result.title, _range(result)])
    for table in result.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow([c.label for c in table.columns])
        writer.writerows(_csv_rows(table))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _NOT_IN_SHEET_NAMES.sub(" ", title).strip()[:SHEET_NAME_MAX] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


_FORMATS = {
    ColumnKind.MONEY: MONEY_FORMAT,
    ColumnKind.COUNT: COUNT_FORMAT,
    ColumnKind.PERCENT: PERCENT_FORMAT,
    ColumnKind.DATE: DATE_FORMAT,
}


def _write_sheet(book: Workbook, table: Table, name: str, first: bool) -> None:
    sheet = book.active if first else book.create_sheet()
    assert sheet is not None
    sheet.title = name
    bold = Font(bold=True)
    sheet.append(
        [f"{c.label} (KES)" if c.kind == ColumnKind.MONEY else c.label for c in table.columns]
    )
    for cell in sheet[1]:
        cell.font = bold
    lines = [*table.rows, table.totals] if table.totals is not None else table.rows
    for row in lines:
        sheet.append([_file_value(c, v) for c, v in zip(table.columns, row, strict=True)])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # openpyxl takes text starting with = for a formula
                cell.data_type = "s"
    if table.totals is not None:
        for cell in sheet[sheet.max_row]:
            cell.font = bold
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        number_format = _FORMATS.get(column.kind)
        if number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        width = max(
            [len(str(sheet.cell(1, index).value))]
            + [len(str(r[index - 1] or "")) for r in lines[:200]]
        )
        sheet.column_dimensions[letter].width = min(max(width + 2, 6), 60)
    sheet.freeze_panes = "A2"


def render_xlsx(result: ReportResult) -> bytes:
    """The report as an Excel workbook: one sheet per table, its header row
    bold, its totals row bold, money as KES with two decimals, counts as
    whole numbers, dates as dates."""
    book = Workbook()
    taken: set[str] = set()
    for index, table in enumerate(result.tables):
        _write_sheet(book, table, _sheet_name(table.title, taken), index == 0)
    book.properties.title = f"{result.title}, {_range(result)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` whole or not at all: a temporary file in
    the same folder, renamed over ``path`` once complete. Raises OSError."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_csv(result: ReportResult, path: Path) -> None:
    write_atomically(path, render_csv(result))


def write_xlsx(result: ReportResult, path: Path) -> None:
    write_atomically(path, render_xlsx(result))


WRITERS: dict[str, Callable[[ReportResult, Path], None]] = {"csv": write_csv, "xlsx": write_xlsx}
"""The file formats by extension (without the dot)."""


def to_json(result: ReportResult) -> dict[str, Any]:
    """The report as JSON-ready data (money in cents, dates ISO)."""

    def value(cell: Cell) -> Any:
        return cell.isoformat() if isinstance(cell, date) else cell

    return {
        "name": result.name,
        "title": result.title,
        "from": result.request.start.isoformat(),
        "to": result.request.end.isoformat(),
        "branch_id": str(result.request.branch_id) if result.request.branch_id else None,
        "tables": [
            {
                "title": t.title,
                "columns": [
                    {"key": c.key, "label": c.label, "kind": c.kind.value} for c in t.columns
                ],
                "rows": [[value(v) for v in row] for row in t.rows],
                "totals": [value(v) for v in t.totals] if t.totals is not None else None,
            }
            for t in result.tables
        ],
        "charts": [
            {
                "title": c.title,
                "kind": c.kind.value,
                "table": c.table,
                "category": c.category,
                "values": list(c.values),
            }
            for c in result.charts
        ],
    }
