"""How patient values read on screen: sex, age, phone, money, visit status.

Module functions translate with ``QCoreApplication.translate`` in the
"Patients" context (what ``self.tr`` does inside a widget), so a Swahili
translation covers them too.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QTableWidget

from clinic.enums import Sex, VisitStatus
from clinic.rules.ages import age_on
from clinic.rules.phones import format_phone_for_display

CONTEXT = "Patients"
FLAG_STYLE = "color: #a15c00; font-weight: bold;"
NOTICE_STYLE = "color: #1b5e20;"


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def sex_label(sex: str) -> str:
    labels = {
        Sex.FEMALE: tr("Female"),
        Sex.MALE: tr("Male"),
        Sex.INTERSEX: tr("Intersex"),
        Sex.UNKNOWN: tr("Unknown"),
    }
    try:
        return labels[Sex(sex)]
    except ValueError:
        return sex


def sex_choices() -> list[tuple[str, Sex]]:
    """The sex combo's entries, in the order reception picks them."""
    return [
        (tr("Unknown"), Sex.UNKNOWN),
        (tr("Female"), Sex.FEMALE),
        (tr("Male"), Sex.MALE),
        (tr("Intersex"), Sex.INTERSEX),
    ]


def age_text(dob: date | None, estimated: bool, today: date) -> str:
    """``33 y``; ``~33 y`` when the date of birth was estimated from an age."""
    if dob is None:
        return ""
    try:
        age = age_on(dob, today)
    except ValueError:
        return ""
    return f"~{age}" if estimated else age


def date_text(day: date | None) -> str:
    return "" if day is None else f"{day:%d/%m/%Y}"


def phone_text(e164: str | None) -> str:
    return "" if not e164 else format_phone_for_display(e164)


def kes(cents: int) -> str:
    """``KES 1,250.00`` from 125000 cents (a minus sign before KES when negative)."""
    sign = "-" if cents < 0 else ""
    shillings, rest = divmod(abs(cents), 100)
    return f"{sign}KES {shillings:,}.{rest:02d}"


def status_label(status: VisitStatus) -> str:
    labels = {
        VisitStatus.REGISTERED: tr("Registered"),
        VisitStatus.TRIAGED: tr("Triaged"),
        VisitStatus.WAITING_CONSULTATION: tr("Waiting for consultation"),
        VisitStatus.IN_CONSULTATION: tr("In consultation"),
        VisitStatus.WAITING_LAB: tr("Waiting for lab"),
        VisitStatus.WAITING_PHARMACY: tr("Waiting for pharmacy"),
        VisitStatus.COMPLETED: tr("Completed"),
        VisitStatus.CANCELLED: tr("Cancelled"),
    }
    return labels.get(status, str(status))


def error_text(error: BaseException) -> str:
    """A failure as one line for a message under a form or in a status line."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def table_texts(table: QTableWidget) -> list[list[str]]:
    """A table's cell texts, row by row, as shown."""
    rows = []
    for row in range(table.rowCount()):
        cells = []
        for column in range(table.columnCount()):
            item = table.item(row, column)
            cells.append(item.text() if item is not None else "")
        rows.append(cells)
    return rows


def header_texts(table: QTableWidget) -> list[str]:
    headers = []
    for column in range(table.columnCount()):
        item = table.horizontalHeaderItem(column)
        headers.append(item.text() if item is not None else "")
    return headers
