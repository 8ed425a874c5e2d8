"""The receipt: a payment (or a reversal) laid out for an A4 page or an
80 mm thermal roll, from plain data, as a QTextDocument.

:func:`receipt_document` makes the document; :func:`save_receipt_pdf`
writes it to a PDF and :func:`print_receipt` sends it to a printer. The
screenshot script uses the same functions for ``docs/samples/receipt.pdf``.
Times are shown in Africa/Nairobi. A reprint says COPY across the top.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QSizeF
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize, QTextDocument
from PySide6.QtWidgets import QWidget

from clinic.rules.money import format_kes
from desktop.printing import (
    Fact,
    TableColumn,
    a4_layout,
    facts_html,
    fit_width,
    header_html,
    html_document,
    local_time,
    paint_pages,
    print_with_dialog,
    table_html,
    write_pdf,
)


class PageChoice(StrEnum):
    A4 = "a4"
    ROLL_80MM = "roll80"


ROLL_WIDTH_MM = 80.0
ROLL_MARGIN_MM = 3.0


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    quantity: int
    unit_price_cents: int
    amount_cents: int


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on a receipt; no ORM objects, no widgets."""

    clinic_name: str
    branch_name: str
    receipt_number: str
    received_at: datetime
    patient_name: str
    op_number: str
    lines: list[ReceiptLine]
    total_cents: int
    method: str
    """As people read it: "M-Pesa", "Cash"."""
    reference: str | None
    amount_cents: int
    paid_cents: int
    """Paid on the invoice so far, this payment included."""
    balance_cents: int
    cashier: str
    change_cents: int = 0
    tendered_cents: int | None = None
    reverses_receipt: str | None = None
    reversal_reason: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_reversal(self) -> bool:
        return self.amount_cents < 0


def receipt_title(data: ReceiptData) -> str:
    """The printed document's title: ``Receipt RC-000123``."""
    return QCoreApplication.translate("Receipt", "Receipt %1").replace("%1", data.receipt_number)


def receipt_html(data: ReceiptData, *, copy: bool, page: PageChoice) -> str:
    e = html.escape
    small = page == PageChoice.ROLL_80MM
    size = "8pt" if small else "10pt"
    title = (
        QCoreApplication.translate("Receipt", "REVERSAL RECEIPT")
        if data.is_reversal
        else QCoreApplication.translate("Receipt", "RECEIPT")
    )
    parts = [f'<div style="font-family: sans-serif; font-size: {size};">']
    if copy:
        parts.append(
            '<p align="center" style="font-size: 14pt; font-weight: bold;">'
            "*** " + e(QCoreApplication.translate("Receipt", "COPY")) + " ***</p>"
        )
    parts.append(header_html(data.clinic_name, title, lines=[data.branch_name], compact=small))
    parts.append(
        facts_html(
            [
                Fact(QCoreApplication.translate("Receipt", "Receipt no."), data.receipt_number),
                Fact(QCoreApplication.translate("Receipt", "Date"), local_time(data.received_at)),
                Fact(QCoreApplication.translate("Receipt", "Patient"), data.patient_name),
                Fact(QCoreApplication.translate("Receipt", "OP number"), data.op_number),
            ]
        )
    )
    parts.append("<hr>")
    if data.lines and small:
        parts.append('<table width="100%" cellspacing="0" cellpadding="1">')
        for line in data.lines:
            parts.append(
                f"<tr><td colspan='2'>{e(line.description)}</td></tr><tr><td>"
                f"&nbsp;&nbsp;{line.quantity} &times; "
                f"{e(format_kes(line.unit_price_cents))}</td>"
                f"<td align='right'>{e(format_kes(line.amount_cents))}</td></tr>"
            )
        parts.append("</table><hr>")
    elif data.lines:
        columns = [
            TableColumn(QCoreApplication.translate("Receipt", "Service")),
            TableColumn(QCoreApplication.translate("Receipt", "Qty"), numeric=True),
            TableColumn(QCoreApplication.translate("Receipt", "Unit price"), numeric=True),
            TableColumn(QCoreApplication.translate("Receipt", "Amount"), numeric=True),
        ]
        rows = [
            [
                line.description,
                str(line.quantity),
                format_kes(line.unit_price_cents),
                format_kes(line.amount_cents),
            ]
            for line in data.lines
        ]
        parts.append(table_html(columns, rows) + "<hr>")
    money = [
        Fact(QCoreApplication.translate("Receipt", "Total"), format_kes(data.total_cents), False)
    ]
    method = data.method + (f" {data.reference}" if data.reference else "")
    if data.is_reversal:
        money.append(
            Fact(QCoreApplication.translate("Receipt", "Reversed"), format_kes(data.amount_cents))
        )
        money.append(Fact(QCoreApplication.translate("Receipt", "Method"), method, False))
        if data.reverses_receipt:
            money.append(
                Fact(
                    QCoreApplication.translate("Receipt", "Reverses receipt"),
                    data.reverses_receipt,
                    False,
                )
            )
    else:
        money.append(
            Fact(
                QCoreApplication.translate("Receipt", "This payment"),
                format_kes(data.amount_cents),
            )
        )
        money.append(Fact(QCoreApplication.translate("Receipt", "Method"), method, False))
        if data.tendered_cents is not None:
            money.append(
                Fact(
                    QCoreApplication.translate("Receipt", "Tendered"),
                    format_kes(data.tendered_cents),
                    False,
                )
            )
        if data.change_cents:
            money.append(
                Fact(
                    QCoreApplication.translate("Receipt", "Change"),
                    format_kes(data.change_cents),
                    False,
                )
            )
    money.append(
        Fact(
            QCoreApplication.translate("Receipt", "Paid to date"),
            format_kes(data.paid_cents),
            False,
        )
    )
    money.append(
        Fact(QCoreApplication.translate("Receipt", "Balance"), format_kes(data.balance_cents))
    )
    parts.append(facts_html(money))
    if data.reversal_reason:
        parts.append(
            "<p>"
            + e(QCoreApplication.translate("Receipt", "Reason"))
            + f": {e(data.reversal_reason)}</p>"
        )
    for note in data.notes:
        parts.append(f"<p>{e(note)}</p>")
    served_by = QCoreApplication.translate("Receipt", "Served by")
    thanks = QCoreApplication.translate("Receipt", "Thank you. Get well soon.")
    parts.append(
        f'<hr><p>{e(served_by)}: {e(data.cashier)}</p><p align="center">{e(thanks)}</p></div>'
    )
    return "".join(parts)


def receipt_document(
    data: ReceiptData, *, copy: bool = False, page: PageChoice = PageChoice.A4
) -> QTextDocument:
    """The receipt as a document; ``copy`` marks a reprint."""
    return html_document(receipt_html(data, copy=copy, page=page))


def page_layout(page: PageChoice, height_mm: float = 200.0) -> QPageLayout:
    """A4 portrait, or an 80 mm roll ``height_mm`` long."""
    if page == PageChoice.A4:
        return a4_layout()
    return QPageLayout(
        QPageSize(QSizeF(ROLL_WIDTH_MM, height_mm), QPageSize.Unit.Millimeter, "80 mm roll"),
        QPageLayout.Orientation.Portrait,
        QMarginsF(ROLL_MARGIN_MM, ROLL_MARGIN_MM, ROLL_MARGIN_MM, ROLL_MARGIN_MM),
        QPageLayout.Unit.Millimeter,
    )


def print_to(
    device: QPagedPaintDevice,
    data: ReceiptData,
    *,
    copy: bool = False,
    page: PageChoice = PageChoice.A4,
) -> QTextDocument:
    """Lay the receipt out on ``device`` (a QPrinter or a QPdfWriter) at the
    device's own resolution: on A4 pages, or on one piece of roll as long as
    the receipt. Returns the document it printed."""
    document = receipt_document(data, copy=copy, page=page)
    layout = page_layout(page)
    fit_width(document, device, layout)
    if page == PageChoice.ROLL_80MM:
        height_mm = document.size().height() / device.logicalDpiY() * 25.4
        layout = page_layout(page, height_mm + 2 * ROLL_MARGIN_MM + 8)
    paint_pages(device, document, layout)
    return document


def save_receipt_pdf(
    data: ReceiptData, path: Path, *, copy: bool = False, page: PageChoice = PageChoice.A4
) -> Path:
    """Write the receipt to ``path`` as a PDF (whole, or not at all)."""
    return write_pdf(
        path,
        lambda writer: print_to(writer, data, copy=copy, page=page),
        title=receipt_title(data),
        creator=data.clinic_name,
    )


def print_receipt(
    parent: QWidget | None,
    data: ReceiptData,
    *,
    copy: bool = False,
    page: PageChoice = PageChoice.A4,
) -> bool:
    """Print the receipt on a printer chosen in the print dialog; False if
    the person cancelled."""
    return print_with_dialog(
        parent,
        lambda printer: print_to(printer, data, copy=copy, page=page),
        title=receipt_title(data),
    )
