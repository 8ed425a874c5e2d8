"""How the claims screens name claim statuses, batch periods and the screens
that fix a missing item (one place, marked for translation where defined)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from clinic.enums import BatchPeriod, ClaimStatus

CONTEXT = "Claims"

_STATUS_TEXT = {
    ClaimStatus.DRAFT: QT_TRANSLATE_NOOP("Claims", "Draft"),
    ClaimStatus.READY: QT_TRANSLATE_NOOP("Claims", "Ready"),
    ClaimStatus.INVOICE_GENERATED: QT_TRANSLATE_NOOP("Claims", "SHA invoice printed"),
    ClaimStatus.SUBMITTED: QT_TRANSLATE_NOOP("Claims", "Submitted"),
    ClaimStatus.APPROVED: QT_TRANSLATE_NOOP("Claims", "Approved"),
    ClaimStatus.PARTIALLY_APPROVED: QT_TRANSLATE_NOOP("Claims", "Partially approved"),
    ClaimStatus.REJECTED: QT_TRANSLATE_NOOP("Claims", "Rejected"),
    ClaimStatus.PAID: QT_TRANSLATE_NOOP("Claims", "Paid"),
}
_MOVE_TEXT = {
    ClaimStatus.DRAFT: QT_TRANSLATE_NOOP("Claims", "Back to draft"),
    ClaimStatus.READY: QT_TRANSLATE_NOOP("Claims", "Mark ready"),
    ClaimStatus.INVOICE_GENERATED: QT_TRANSLATE_NOOP("Claims", "SHA invoice printed"),
    ClaimStatus.SUBMITTED: QT_TRANSLATE_NOOP("Claims", "Submitted to SHA"),
    ClaimStatus.APPROVED: QT_TRANSLATE_NOOP("Claims", "Approved by SHA"),
    ClaimStatus.PARTIALLY_APPROVED: QT_TRANSLATE_NOOP("Claims", "Partly approved"),
    ClaimStatus.REJECTED: QT_TRANSLATE_NOOP("Claims", "Rejected by SHA"),
    ClaimStatus.PAID: QT_TRANSLATE_NOOP("Claims", "Paid by SHA"),
}
STATUS_COLOURS = {
    ClaimStatus.DRAFT: "#5f6b76",
    ClaimStatus.READY: "#1f5f8b",
    ClaimStatus.INVOICE_GENERATED: "#1f5f8b",
    ClaimStatus.SUBMITTED: "#9a6700",
    ClaimStatus.APPROVED: "#1b7d2f",
    ClaimStatus.PARTIALLY_APPROVED: "#1b7d2f",
    ClaimStatus.REJECTED: "#b00020",
    ClaimStatus.PAID: "#1b5e20",
}
_PERIOD_TEXT = {
    BatchPeriod.WEEKLY: QT_TRANSLATE_NOOP("Claims", "Weekly"),
    BatchPeriod.MONTHLY: QT_TRANSLATE_NOOP("Claims", "Monthly"),
}


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def status_text(status: ClaimStatus) -> str:
    return tr(str(_STATUS_TEXT[status]))


def move_text(status: ClaimStatus) -> str:
    """The button that moves a claim to ``status``."""
    return tr(str(_MOVE_TEXT[status]))


def period_text(period: BatchPeriod) -> str:
    return tr(str(_PERIOD_TEXT[period]))
