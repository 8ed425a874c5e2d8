"""A report on A4 paper (a PDF): the clinic's name, the report's title, its
days and branch, when it was made, then each table with its totals row.

Columns are never squeezed: each is as wide as its widest cell (long text
may wrap, numbers never do). A table too wide for a portrait page turns
the page to landscape (the MOH 705's 31 day columns); one too wide even
then is set in a smaller type until it fits. Table headings repeat on
every page and each page is numbered.

Runs on the GUI thread (Qt's text layout); the report is plain data read
before, on the database thread. The page header and the writing of the file
(whole or not at all) are :mod:`desktop.printing`'s; the tables and their
pages are laid out here, because a report's pages must break between rows
and repeat the column headings, which a form of one page never needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from clinic.clock import NAIROBI
from clinic.reports.base import ReportResult, Table
from desktop.display import translate
from desktop.printing import header_html, write_pdf
from desktop.screens.reports.cells import cell_text, is_numeric, range_text

MARGIN_MM = 12.0
BODY_PT = 8.0
SMALLEST_PT = 5.5
"""Below this a printed table is no longer readable: a wider table wraps its text columns."""
CELL_PADDING = 3.0
TEXT_COLUMN_MAX_EM = 24
"""A text column wider than this many type sizes wraps its longest texts."""
FOOTER_PT = 7.0
RESOLUTION = 300
FONT = "DejaVu Sans"
NUMERIC_CELL = "align='right' style='white-space: nowrap'"
TEXT_CELL = "align='left'"


@dataclass(frozen=True)
class Layout:
    orientation: QPageLayout.Orientation
    font_pt: float
    widths: list[list[float]]
    """Each table's column widths, in percent of the page's printable width
    (Qt scales lengths in pixels by the device's resolution; percentages
    hold on any device)."""

    def table_percent(self, table: int) -> float:
        return min(100.0, sum(self.widths[table]))

    def column_percents(self, table: int) -> list[float]:
        """A table's columns in percent of the table's own width."""
        total = sum(self.widths[table]) or 1.0
        return [100 * width / total for width in self.widths[table]]


def page_layout(orientation: QPageLayout.Orientation) -> QPageLayout:
    return QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4),
        orientation,
        QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
        QPageLayout.Unit.Millimeter,
    )


def _usable_width(orientation: QPageLayout.Orientation, device: QPdfWriter) -> float:
    return page_layout(orientation).paintRectPixels(device.resolution()).width()


def _column_widths(table: Table, font_pt: float, device: QPdfWriter) -> list[float]:
    """The natural width of each column at ``font_pt``, in the device's
    pixels: its widest cell or heading (bold), never less; text columns
    capped."""
    font = QFont(FONT)
    font.setPointSizeF(font_pt)
    bold = QFont(font)
    bold.setBold(True)
    plain_metrics, bold_metrics = QFontMetricsF(font, device), QFontMetricsF(bold, device)
    per_pt = device.resolution() / 72.0
    widths = []
    for position, column in enumerate(table.columns):
        texts = [cell_text(column, row[position]) for row in table.rows]
        widest = max((plain_metrics.horizontalAdvance(t) for t in texts), default=0.0)
        headed = [column.label]
        if table.totals is not None:
            headed.append(cell_text(column, table.totals[position]))
        widest = max(widest, *(bold_metrics.horizontalAdvance(t) for t in headed))
        if not is_numeric(column):
            widest = min(widest, TEXT_COLUMN_MAX_EM * font_pt * per_pt)
        else:  # counts side by side (the 705's days) as even as a paper form's
            widest = max(widest, bold_metrics.horizontalAdvance("88"))
        widths.append(widest + 2 * CELL_PADDING * per_pt + 2 * per_pt)
    return widths


def choose_layout(result: ReportResult, device: QPdfWriter) -> Layout:
    """Portrait when every table fits on ``device``; else landscape; else
    landscape in a smaller type, as small as :data:`SMALLEST_PT`."""

    def widest(font_pt: float) -> tuple[float, list[list[float]]]:
        widths = [_column_widths(table, font_pt, device) for table in result.tables]
        return max((sum(w) for w in widths), default=0.0), widths

    def percent(widths: list[list[float]], room: float) -> list[list[float]]:
        return [[100 * width / room for width in table] for table in widths]

    need, widths = widest(BODY_PT)
    portrait = QPageLayout.Orientation.Portrait
    room = _usable_width(portrait, device)
    if need <= room:
        return Layout(portrait, BODY_PT, percent(widths, room))
    landscape = QPageLayout.Orientation.Landscape
    room = _usable_width(landscape, device)
    font_pt = BODY_PT
    while need > room and font_pt > SMALLEST_PT:
        font_pt = max(SMALLEST_PT, round(font_pt * room / need - 0.05, 1))
        need, widths = widest(font_pt)
    return Layout(landscape, font_pt, percent(widths, room))


def report_html(
    result: ReportResult, layout: Layout, *, clinic_name: str, branch_name: str, made_at: datetime
) -> str:
    """The report as HTML for a QTextDocument (plain data in, no widgets)."""
    e = escape
    days = range_text(result.request)
    parts = [
        f"<html><body style='font-family: \"{FONT}\", sans-serif; font-size: {layout.font_pt}pt;'>",
        header_html(clinic_name, result.title, lines=[days, branch_name], made_at=made_at),
    ]
    for number, table in enumerate(result.tables):
        if len(result.tables) > 1 or table.title != result.title:
            parts.append(f"<p style='font-weight: bold; margin: 8px 0 3px 0'>{e(table.title)}</p>")
        parts.append(
            f"<table width='{layout.table_percent(number):.2f}%' border='1' cellspacing='0'"
            f" cellpadding='{CELL_PADDING:g}' style='border-collapse: collapse;"
            " border-color: #999999'>"
        )
        head = []
        for column, width in zip(table.columns, layout.column_percents(number), strict=True):
            align = "right" if is_numeric(column) else "left"
            head.append(
                f"<th width='{width:.2f}%' align='{align}' style='background: #eeeeee'>"
                f"{e(column.label)}</th>"
            )
        parts.append(f"<thead><tr>{''.join(head)}</tr></thead>")
        body_rows = [(row, False) for row in table.rows]
        if table.totals is not None:
            body_rows.append((table.totals, True))
        for cells, is_totals in body_rows:
            row_html = []
            for column, value in zip(table.columns, cells, strict=False):
                text = e(cell_text(column, value))
                numeric = is_numeric(column)
                if is_totals:
                    text = f"<b>{text}</b>"
                cell = NUMERIC_CELL if numeric else TEXT_CELL
                row_html.append(f"<td {cell}>{text}</td>")
            shade = " style='background: #f4f4f4'" if is_totals else ""
            parts.append(f"<tr{shade}>{''.join(row_html)}</tr>")
        if not table.rows:
            nothing = e(translate("ReportPdf", "Nothing in this range."))
            parts.append(f"<tr><td colspan='{len(table.columns)}'>{nothing}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def write_report_pdf(
    result: ReportResult,
    path: Path,
    clinic_name: str,
    *,
    branch_name: str | None = None,
    made_at: datetime | None = None,
) -> Path:
    """Write ``result`` to ``path`` as an A4 PDF. ``branch_name`` names the
    request's branch (``All branches`` when the request has none);
    ``made_at`` defaults to now. Raises :class:`OSError` when ``path``
    cannot be written, leaving whatever was there as it was."""
    branch = branch_name or (
        translate("ReportPdf", "All branches") if result.request.branch_id is None else ""
    )
    made = made_at or datetime.now(NAIROBI)

    def paint(writer: QPdfWriter) -> None:
        writer.setResolution(RESOLUTION)
        layout = choose_layout(result, writer)
        writer.setPageLayout(page_layout(layout.orientation))
        html = report_html(
            result, layout, clinic_name=clinic_name, branch_name=branch, made_at=made
        )
        _paint(writer, html, footer=f"{clinic_name} · {result.title}")

    request = result.request
    return write_pdf(
        path, paint, title=f"{result.title} {range_text(request)}", creator=clinic_name
    )


def _paint(writer: QPdfWriter, html: str, *, footer: str) -> None:
    """Lay ``html`` out in pages of the writer's size, at its resolution
    (the document breaks between table rows and repeats each table's
    heading), then draw each page and its footer."""
    per_pt = writer.resolution() / 72.0
    rect = writer.pageLayout().paintRectPixels(writer.resolution())
    footer_height = FOOTER_PT * 2.2 * per_pt
    document = QTextDocument()
    document.documentLayout().setPaintDevice(writer)
    document.setDocumentMargin(0)
    document.setHtml(html)
    document.setPageSize(QSizeF(rect.width(), rect.height() - footer_height))
    pages = document.pageCount()
    page_height = document.pageSize().height()
    footer_font = QFont(FONT)
    footer_font.setPointSizeF(FOOTER_PT)
    line = FOOTER_PT * 1.6 * per_pt
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(translate("ReportPdf", "Could not start the PDF: the file is not available"))
    try:
        for page in range(pages):
            if page:
                writer.newPage()
            top = page * page_height
            painter.save()
            painter.translate(0, -top)
            document.drawContents(painter, QRectF(0, top, rect.width(), page_height))
            painter.restore()
            painter.setFont(footer_font)
            painter.drawText(
                QRectF(0, rect.height() - line, rect.width(), line),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                f"{footer} · " + translate("ReportPdf", "page %d of %d") % (page + 1, pages),
            )
    finally:
        painter.end()
