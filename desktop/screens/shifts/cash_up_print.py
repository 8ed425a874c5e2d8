"""The printed cash-up of a shift (A4, or a PDF file), made from plain data.

:func:`cash_up_html` builds the document from a :class:`ShiftView` alone (no
store, no widgets), so the same text serves the printer, a PDF and a test;
:func:`write_cash_up_pdf` and :func:`print_cash_up` put it on paper.
Runs on the GUI thread (Qt's text layout and printing need it); the data is
read before, on the database thread.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QWidget

from clinic.rules.money import format_kes
from desktop.display import method_text, translate
from desktop.printing import (
    DEFAULT_CLINIC_NAME,
    html_document,
    local_time,
    print_document,
    print_with_dialog,
    write_document_pdf,
)
from desktop.screens.shifts.data import ShiftView
from desktop.screens.shifts.labels import variance_text


def cash_up_html(shift: ShiftView, *, clinic_name: str = DEFAULT_CLINIC_NAME) -> str:
    """The cash-up as HTML for a QTextDocument: who, when, the float, each
    method's received / reversed / expected, the cash counted and the
    variance, then every payment and reversal behind it, and a line to sign."""
    e = escape
    opened = local_time(shift.opened_at)
    closed = (
        local_time(shift.closed_at) if shift.closed_at else translate("CashUpPrint", "still open")
    )
    rows = []
    money = "align='right' style='white-space: nowrap'"
    for line in shift.methods:
        cash = line.method.value == "CASH"
        counted = (
            format_kes(shift.counted_cash_cents)
            if cash and shift.counted_cash_cents is not None
            else ""
        )
        variance = variance_text(shift.variance_cents) if cash else ""
        reversed_ = format_kes(-line.reversed_cents) if line.reversed_cents else ""
        rows.append(
            "<tr>"
            f"<td>{e(method_text(line.method))}</td>"
            f"<td {money}>{e(format_kes(line.received_cents))}</td>"
            f"<td {money}>{e(reversed_)}</td>"
            f"<td {money}>{e(format_kes(line.expected_cents))}</td>"
            f"<td {money}>{e(counted)}</td>"
            f"<td {money}><b>{e(variance)}</b></td>"
            "</tr>"
        )
    payments = []
    nowrap = "style='white-space: nowrap'"
    for p in shift.payments:
        kind = method_text(p.method)
        if p.is_reversal:
            kind = translate("CashUpPrint", "%s reversal") % kind
        note = p.reversal_reason or ""
        payments.append(
            "<tr>"
            f"<td {nowrap}>{e(local_time(p.received_at, '%H:%M'))}</td>"
            f"<td {nowrap}>{e(p.receipt_number or '')}</td>"
            f"<td>{e(kind)}</td>"
            f"<td align='right' {nowrap}>{e(format_kes(p.amount_cents))}</td>"
            f"<td>{e(p.reference or '')}</td>"
            f"<td>{e(p.patient)}"
            f"{('<br/><i>' + e(note) + '</i>') if note else ''}</td>"
            "</tr>"
        )
    if not payments:
        none = translate("CashUpPrint", "No payments in this shift.")
        payments.append(f"<tr><td colspan='6'>{e(none)}</td></tr>")
    head = "style='background:#eeeeee'"
    w = {
        "shift_cash_up": translate("CashUpPrint", "Shift cash-up"),
        "cashier": translate("CashUpPrint", "Cashier"),
        "pc": translate("CashUpPrint", "PC"),
        "opened": translate("CashUpPrint", "Opened"),
        "closed": translate("CashUpPrint", "Closed"),
        "opening_float": translate("CashUpPrint", "Opening float"),
        "payments": translate("CashUpPrint", "Payments"),
        "reversals": translate("CashUpPrint", "reversals"),
        "by_method": translate("CashUpPrint", "By method"),
        "method": translate("CashUpPrint", "Method"),
        "received": translate("CashUpPrint", "Received"),
        "reversed": translate("CashUpPrint", "Reversed"),
        "expected": translate("CashUpPrint", "Expected"),
        "counted": translate("CashUpPrint", "Counted"),
        "variance": translate("CashUpPrint", "Variance"),
        "expected_note": translate(
            "CashUpPrint",
            "Expected cash is the opening float plus cash received less cash given back.",
        ),
        "payments_and_reversals": translate("CashUpPrint", "Payments and reversals"),
        "time": translate("CashUpPrint", "Time"),
        "receipt": translate("CashUpPrint", "Receipt"),
        "amount": translate("CashUpPrint", "Amount"),
        "reference": translate("CashUpPrint", "Reference"),
        "patient": translate("CashUpPrint", "Patient"),
        "signature": translate("CashUpPrint", "Cashier's signature"),
        "checked_by": translate("CashUpPrint", "Checked by"),
    }
    w = {key: e(text) for key, text in w.items()}
    return f"""
<html><body style="font-family: sans-serif; font-size: 8pt;">
<h2 style="margin-bottom: 0">{e(clinic_name)} — {w["shift_cash_up"]}</h2>
<p style="margin-top: 2px">{e(shift.branch)}</p>
<table cellspacing="0" cellpadding="3">
<tr><td>{w["cashier"]}</td><td><b>{e(shift.cashier)}</b></td>
    <td width="40"></td><td>{w["pc"]}</td><td>{e(shift.device)}</td></tr>
<tr><td>{w["opened"]}</td><td>{e(opened)}</td>
    <td></td><td>{w["closed"]}</td><td>{e(closed)}</td></tr>
<tr><td>{w["opening_float"]}</td><td>{e(format_kes(shift.opening_float_cents))}</td>
    <td></td><td>{w["payments"]}</td>
    <td>{shift.payment_count} ({w["reversals"]}: {shift.reversal_count})</td></tr>
</table>
<h3>{w["by_method"]}</h3>
<table width="100%" border="1" cellspacing="0" cellpadding="4" style="border-collapse: collapse">
<tr {head}><th align="left">{w["method"]}</th><th align="right">{w["received"]}</th>
<th align="right">{w["reversed"]}</th><th align="right">{w["expected"]}</th>
<th align="right">{w["counted"]}</th><th align="right">{w["variance"]}</th></tr>
{"".join(rows)}
</table>
<p>{w["expected_note"]}</p>
<h3>{w["payments_and_reversals"]}</h3>
<table width="100%" border="1" cellspacing="0" cellpadding="3" style="border-collapse: collapse">
<tr {head}><th align="left">{w["time"]}</th>
<th align="left">{w["receipt"]}</th>
<th align="left">{w["method"]}</th>
<th align="right">{w["amount"]}</th>
<th align="left">{w["reference"]}</th>
<th align="left">{w["patient"]}</th></tr>
{"".join(payments)}
</table>
<p><br/><br/>{w["signature"]}: ______________________
&nbsp;&nbsp;&nbsp;&nbsp;{w["checked_by"]}: ______________________</p>
</body></html>
"""


def cash_up_document(shift: ShiftView, *, clinic_name: str = DEFAULT_CLINIC_NAME) -> QTextDocument:
    return html_document(cash_up_html(shift, clinic_name=clinic_name))


def print_cash_up(shift: ShiftView, parent: QWidget | None) -> bool:
    """Print on A4 on a printer chosen in the print dialog; False if the
    person cancelled."""
    return print_with_dialog(
        parent,
        lambda printer: print_document(printer, cash_up_document(shift)),
        title=translate("CashUpPrint", "Shift cash-up"),
    )


def write_cash_up_pdf(
    shift: ShiftView, path: Path, *, clinic_name: str = DEFAULT_CLINIC_NAME
) -> Path:
    """Write the cash-up to ``path`` as an A4 PDF (whole, or not at all)."""
    return write_document_pdf(
        cash_up_document(shift, clinic_name=clinic_name),
        path,
        title=translate("CashUpPrint", "Shift cash-up"),
        creator=clinic_name,
    )
