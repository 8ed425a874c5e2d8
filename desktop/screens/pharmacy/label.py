"""The dispensing label stuck on what the patient takes home: the drug,
dose, frequency, duration, quantity and instructions, the patient and the
date, on a small label (80 x 50 mm, as label printers take) or, printed on
an office printer, at the top of an A4 page."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtWidgets import QWidget

from desktop.display import translate
from desktop.printing import (
    a4_layout,
    header_html,
    html_document,
    print_document,
    print_with_dialog,
)

LABEL_SIZE_MM = QSizeF(80, 50)
LABEL_MARGIN_MM = 3.0


@dataclass(frozen=True)
class DispensingLabel:
    clinic_name: str
    drug: str
    dose: str
    frequency: str
    duration: str
    quantity: int
    instructions: str | None
    patient_name: str
    op_number: str
    day: date


def label_layout(*, a4: bool = False) -> QPageLayout:
    """The small label page, or A4 for an office printer."""
    if a4:
        return a4_layout()
    return QPageLayout(
        QPageSize(LABEL_SIZE_MM, QPageSize.Unit.Millimeter, "Dispensing label"),
        QPageLayout.Orientation.Portrait,
        QMarginsF(LABEL_MARGIN_MM, LABEL_MARGIN_MM, LABEL_MARGIN_MM, LABEL_MARGIN_MM),
        QPageLayout.Unit.Millimeter,
    )


def label_document(label: DispensingLabel) -> QTextDocument:
    e = html.escape
    how = translate("Pharmacy", "%s, %s, for %s") % (label.dose, label.frequency, label.duration)
    parts = [
        header_html(label.clinic_name, label.drug, compact=True),
        f'<p style="font-size: 9pt;"><b>{e(how)}</b>',
        "<br>" + e(translate("Pharmacy", "Quantity: %d") % label.quantity),
    ]
    if label.instructions:
        parts.append(f"<br>{e(label.instructions)}")
    parts.append(
        f"<br>{e(label.patient_name)} ({e(label.op_number)})"
        f"<br>{e(label.day.strftime('%d %b %Y'))}</p>"
    )
    document = html_document("".join(parts))
    document.setDefaultStyleSheet("body { font-size: 8pt; }")
    return document


def print_label(parent: QWidget | None, label: DispensingLabel, *, a4: bool = False) -> bool:
    """Ask for the printer and print the label; False when cancelled."""
    document = label_document(label)
    return print_with_dialog(
        parent,
        lambda printer: print_document(printer, document, label_layout(a4=a4)),
        title=translate("Pharmacy", "Dispensing label"),
    )
