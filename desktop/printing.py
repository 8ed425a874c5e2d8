"""Printed forms on A4 (receipts, cash-ups, the SHA invoice, reports): the page,
the pieces of HTML every form starts from, and the way onto a printer or a PDF.

A form is a QTextDocument made from HTML; :func:`header_html`,
:func:`facts_html`, :func:`table_html` and :func:`signature_html` are its
common pieces (their text is escaped here). :func:`print_document` lays a
document out on a printer or a PDF writer at the device's own resolution,
page after page;
:func:`write_pdf` writes a PDF to a temporary file beside the target and
renames it over the target only once it is whole, so a failed write never
leaves half a PDF where a good one was; :func:`print_with_dialog` asks for the
printer. Everything here runs on the GUI thread (Qt's text layout and
printing need it); the data is read before, on the database thread.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QMarginsF, QRectF
from PySide6.QtGui import (
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from clinic.clock import NAIROBI
from clinic.files import replaced_whole
from clinic.store import LocalStore
from desktop.display import translate

A4_MARGIN_MM = 15.0
CLINIC_NAME_KEY = "clinic_name"
"""The store setting holding the clinic's name, printed at the top of every form."""
DEFAULT_CLINIC_NAME = "Seth Clinic"


def a4_layout(*, landscape: bool = False) -> QPageLayout:
    """A4 with 15 mm margins, portrait (every form) or ``landscape`` (a
    report table too wide for portrait)."""
    orientation = (
        QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    )
    return QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4),
        orientation,
        QMarginsF(A4_MARGIN_MM, A4_MARGIN_MM, A4_MARGIN_MM, A4_MARGIN_MM),
        QPageLayout.Unit.Millimeter,
    )


def clinic_name(store: LocalStore) -> str:
    """The clinic's name for the top of a form. Reads the store: call it on
    the database thread, with the rest of the form's data."""
    return str(store.get_setting(CLINIC_NAME_KEY) or DEFAULT_CLINIC_NAME)


def local_time(moment: datetime, fmt: str = "%d %b %Y %H:%M") -> str:
    """A stored time (UTC; a naive one is taken as UTC) as the clinic reads
    it, in Africa/Nairobi."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(NAIROBI).strftime(fmt)


# --- pieces of a form ------------------------------------------------------------


def header_html(
    clinic_name: str,
    title: str,
    *,
    lines: Sequence[str] = (),
    made_at: datetime | None = None,
    compact: bool = False,
) -> str:
    """The top of a form, centred: the clinic's name large, then ``lines``
    (the branch, a facility code), the form's title in bold and, given
    ``made_at``, when it was made. ``compact`` is for a narrow roll."""
    e = html.escape
    size = "11pt" if compact else "16pt"
    parts = [f'<p align="center"><span style="font-size: {size}; font-weight: bold;">']
    parts.append(e(clinic_name) + "</span>")
    parts.extend(f"<br>{e(line)}" for line in lines)
    parts.append(f'</p><p align="center" style="font-weight: bold;">{e(title)}</p>')
    if made_at is not None:
        made = translate("Printing", "Made on %s") % local_time(made_at)
        parts.append(f'<p align="center">{e(made)}</p>')
    return "".join(parts)


class Fact(NamedTuple):
    """One labelled value of a form: "Receipt no." and its number."""

    label: str
    value: str
    bold: bool = True


def facts_html(facts: Sequence[Fact]) -> str:
    """Labelled values one to a line, the label on the left and the value on
    the right (in bold unless the fact says not)."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(fact.label)}</td><td align='right'>"
        + (f"<b>{e(fact.value)}</b>" if fact.bold else e(fact.value))
        + "</td></tr>"
        for fact in facts
    )
    return f'<table width="100%" cellspacing="0" cellpadding="1">{rows}</table>'


@dataclass(frozen=True)
class TableColumn:
    """A column of a printed table; ``numeric`` ones (amounts, counts) are
    right-aligned and never wrap."""

    title: str
    numeric: bool = False


def table_html(
    columns: Sequence[TableColumn],
    rows: Sequence[Sequence[str]],
    *,
    totals: Sequence[str] | None = None,
    ruled: bool = False,
    empty: str | None = None,
) -> str:
    """A table across the page: a heading row from ``columns``, one row per
    entry of ``rows`` (cells in the columns' order), and ``totals`` as a bold
    last row. ``ruled`` draws cell borders and shades the heading (for
    tables of many rows); ``empty`` is said when there are no rows."""
    e = html.escape
    if ruled:
        table = (
            '<table width="100%" border="1" cellspacing="0" cellpadding="3"'
            ' style="border-collapse: collapse">'
        )
        heading = "<tr style='background:#eeeeee'>"
    else:
        table = '<table width="100%" cellspacing="0" cellpadding="1">'
        heading = "<tr>"

    def cell(tag: str, column: TableColumn, text: str, bold: bool = False) -> str:
        style = " align='right' style='white-space: nowrap'" if column.numeric else " align='left'"
        shown = f"<b>{e(text)}</b>" if bold else e(text)
        return f"<{tag}{style}>{shown}</{tag}>"

    parts = [table, heading, *(cell("th", c, c.title) for c in columns), "</tr>"]
    for row in rows:
        parts.append(
            "<tr>" + "".join(cell("td", c, t) for c, t in zip(columns, row, strict=True)) + "</tr>"
        )
    if not rows and empty:
        parts.append(f"<tr><td colspan='{len(columns)}'>{e(empty)}</td></tr>")
    if totals is not None:
        parts.append(
            "<tr>"
            + "".join(cell("td", c, t, bold=True) for c, t in zip(columns, totals, strict=True))
            + "</tr>"
        )
    parts.append("</table>")
    return "".join(parts)


def signature_html(labels: Sequence[str]) -> str:
    """Lines to sign on, side by side, each named below (for a patient, a
    clinician, a cashier)."""
    e = html.escape
    cells = "".join(
        "<td width='50%' style='padding-right: 24px'><br><br><br>"
        f"______________________________<br>{e(label)}</td>"
        for label in labels
    )
    return f'<table width="100%" cellspacing="0" cellpadding="2"><tr>{cells}</tr></table>'


def html_document(body: str) -> QTextDocument:
    """A document of ``body`` without a margin of its own (the page has one)."""
    document = QTextDocument()
    document.setDocumentMargin(0)
    document.setHtml(body)
    return document


# --- onto a device -------------------------------------------------------------


def fit_width(document: QTextDocument, device: QPagedPaintDevice, layout: QPageLayout) -> None:
    """Lay ``document`` out for ``device``'s resolution, as wide as the
    printable width of ``layout``; its height is then known."""
    document.documentLayout().setPaintDevice(device)
    document.setTextWidth(layout.paintRectPixels(device.logicalDpiX()).width())


def paint_pages(device: QPagedPaintDevice, document: QTextDocument, layout: QPageLayout) -> None:
    """Paint ``document`` (already :func:`fit_width`-ed) on ``device``'s pages
    of ``layout``, as many as it needs. Raises OSError when the device cannot
    be painted on (a PDF path that cannot be written, a printer gone)."""
    device.setPageLayout(layout)
    page_height = layout.paintRectPixels(device.logicalDpiY()).height()
    painter = QPainter()
    if not painter.begin(device):
        raise OSError(
            translate(
                "Printing", "Could not start printing: the printer or the file is not available"
            )
        )
    try:
        top = 0.0
        while True:
            painter.save()
            painter.translate(0, -top)
            document.drawContents(painter, QRectF(0, top, document.textWidth(), page_height))
            painter.restore()
            top += page_height
            if top >= document.size().height():
                break
            device.newPage()
    finally:
        painter.end()


def print_document(
    device: QPagedPaintDevice, document: QTextDocument, layout: QPageLayout | None = None
) -> None:
    """Print ``document`` on ``device`` (a QPrinter or a QPdfWriter) on
    ``layout``'s pages, A4 unless told."""
    layout = layout or a4_layout()
    fit_width(document, device, layout)
    paint_pages(device, document, layout)


def write_pdf(
    path: Path, paint: Callable[[QPdfWriter], object], *, title: str, creator: str
) -> Path:
    """Write a PDF to ``path`` by ``paint``-ing a PDF writer, whole or not at
    all (:func:`clinic.files.replaced_whole`): on any error ``path`` is left
    as it was and the error is raised (OSError for a folder or file that
    cannot be written)."""
    with replaced_whole(path) as temporary:
        writer = QPdfWriter(str(temporary))
        writer.setTitle(title)
        writer.setCreator(creator)
        paint(writer)
        del writer  # the file is complete once the writer is gone
    return Path(path)


def write_document_pdf(
    document: QTextDocument,
    path: Path,
    *,
    title: str,
    creator: str,
    layout: QPageLayout | None = None,
) -> Path:
    """Write ``document`` to ``path`` as a PDF on A4 (or ``layout``)."""
    return write_pdf(
        path, lambda writer: print_document(writer, document, layout), title=title, creator=creator
    )


def print_with_dialog(
    parent: QWidget | None, paint: Callable[[QPrinter], object], *, title: str
) -> bool:
    """Ask which printer in Qt's print dialog, then ``paint`` on it. Returns
    False, having printed nothing, when the person cancels."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    paint(printer)
    return True
