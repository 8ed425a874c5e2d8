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
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, QSizeF
from PySide6.QtGui import (
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from clinic.clock import NAIROBI
from clinic.rules.money import format_kes


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


def local_time(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(NAIROBI).strftime("%d %b %Y %H:%M")


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
            f"*** {e(QCoreApplication.translate('Receipt', 'COPY'))} ***</p>"
        )
    parts.append(
        f'<p align="center"><span style="font-size: {"11pt" if small else "16pt"};'
        f' font-weight: bold;">{e(data.clinic_name)}</span><br>{e(data.branch_name)}</p>'
        f'<p align="center" style="font-weight: bold;">{e(title)}</p>'
    )
    facts = [
        (QCoreApplication.translate("Receipt", "Receipt no."), data.receipt_number),
        (QCoreApplication.translate("Receipt", "Date"), local_time(data.received_at)),
        (QCoreApplication.translate("Receipt", "Patient"), data.patient_name),
        (QCoreApplication.translate("Receipt", "OP number"), data.op_number),
    ]
    parts.append('<table width="100%" cellspacing="0" cellpadding="1">')
    for label, value in facts:
        parts.append(f"<tr><td>{e(label)}</td><td align='right'><b>{e(value)}</b></td></tr>")
    parts.append("</table><hr>")
    if data.lines:
        parts.append('<table width="100%" cellspacing="0" cellpadding="1">')
        if not small:
            parts.append(
                "<tr><th align='left'>"
                + "</th><th align='right'>".join(
                    e(text)
                    for text in (
                        QCoreApplication.translate("Receipt", "Service"),
                        QCoreApplication.translate("Receipt", "Qty"),
                        QCoreApplication.translate("Receipt", "Unit price"),
                        QCoreApplication.translate("Receipt", "Amount"),
                    )
                )
                + "</th></tr>"
            )
        for line in data.lines:
            if small:
                parts.append(
                    f"<tr><td colspan='2'>{e(line.description)}</td></tr><tr><td>"
                    f"&nbsp;&nbsp;{line.quantity} &times; "
                    f"{e(format_kes(line.unit_price_cents))}</td>"
                    f"<td align='right'>{e(format_kes(line.amount_cents))}</td></tr>"
                )
            else:
                parts.append(
                    f"<tr><td>{e(line.description)}</td><td align='right'>{line.quantity}</td>"
                    f"<td align='right'>{e(format_kes(line.unit_price_cents))}</td>"
                    f"<td align='right'>{e(format_kes(line.amount_cents))}</td></tr>"
                )
        parts.append("</table><hr>")
    money: list[tuple[str, str, bool]] = [
        (QCoreApplication.translate("Receipt", "Total"), format_kes(data.total_cents), False)
    ]
    method = data.method + (f" {data.reference}" if data.reference else "")
    if data.is_reversal:
        money.append(
            (QCoreApplication.translate("Receipt", "Reversed"), format_kes(data.amount_cents), True)
        )
        money.append((QCoreApplication.translate("Receipt", "Method"), method, False))
        if data.reverses_receipt:
            money.append(
                (
                    QCoreApplication.translate("Receipt", "Reverses receipt"),
                    data.reverses_receipt,
                    False,
                )
            )
    else:
        money.append(
            (
                QCoreApplication.translate("Receipt", "This payment"),
                format_kes(data.amount_cents),
                True,
            )
        )
        money.append((QCoreApplication.translate("Receipt", "Method"), method, False))
        if data.tendered_cents is not None:
            money.append(
                (
                    QCoreApplication.translate("Receipt", "Tendered"),
                    format_kes(data.tendered_cents),
                    False,
                )
            )
        if data.change_cents:
            money.append(
                (
                    QCoreApplication.translate("Receipt", "Change"),
                    format_kes(data.change_cents),
                    False,
                )
            )
    money.append(
        (QCoreApplication.translate("Receipt", "Paid to date"), format_kes(data.paid_cents), False)
    )
    money.append(
        (QCoreApplication.translate("Receipt", "Balance"), format_kes(data.balance_cents), True)
    )
    parts.append('<table width="100%" cellspacing="0" cellpadding="1">')
    for label, value, bold in money:
        value_html = f"<b>{e(value)}</b>" if bold else e(value)
        parts.append(f"<tr><td>{e(label)}</td><td align='right'>{value_html}</td></tr>")
    parts.append("</table>")
    if data.reversal_reason:
        parts.append(
            f"<p>{e(QCoreApplication.translate('Receipt', 'Reason'))}: "
            f"{e(data.reversal_reason)}</p>"
        )
    for note in data.notes:
        parts.append(f"<p>{e(note)}</p>")
    parts.append(
        f"<hr><p>{e(QCoreApplication.translate('Receipt', 'Served by'))}: {e(data.cashier)}</p>"
        f'<p align="center">{e(QCoreApplication.translate("Receipt", "Thank you. Get well soon."))}'
        "</p></div>"
    )
    return "".join(parts)


def receipt_document(
    data: ReceiptData, *, copy: bool = False, page: PageChoice = PageChoice.A4
) -> QTextDocument:
    """The receipt as a document; ``copy`` marks a reprint."""
    document = QTextDocument()
    document.setDocumentMargin(0)
    document.setHtml(receipt_html(data, copy=copy, page=page))
    return document


def page_layout(page: PageChoice, height_mm: float = 200.0) -> QPageLayout:
    """A4 portrait, or an 80 mm roll ``height_mm`` long."""
    if page == PageChoice.A4:
        return QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
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
    document.documentLayout().setPaintDevice(device)
    dpi = device.logicalDpiY()
    layout = page_layout(page)
    document.setTextWidth(layout.paintRectPixels(device.logicalDpiX()).width())
    if page == PageChoice.ROLL_80MM:
        height_mm = document.size().height() / dpi * 25.4 + 2 * ROLL_MARGIN_MM + 8
        layout = page_layout(page, height_mm)
    device.setPageLayout(layout)
    page_height = layout.paintRectPixels(dpi).height()
    painter = QPainter(device)
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
    return document


def save_receipt_pdf(
    data: ReceiptData, path: Path, *, copy: bool = False, page: PageChoice = PageChoice.A4
) -> Path:
    writer = QPdfWriter(str(path))
    writer.setTitle(f"{QCoreApplication.translate('Receipt', 'Receipt')} {data.receipt_number}")
    writer.setCreator(data.clinic_name)
    print_to(writer, data, copy=copy, page=page)
    del writer
    return path
