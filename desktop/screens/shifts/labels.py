"""How the shift screens show a variance: its words and its colour."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from clinic.rules.money import format_kes

SHORT_COLOUR = "#b00020"
OVER_COLOUR = "#9a6700"
BALANCED_COLOUR = "#1b7d2f"


def variance_text(variance_cents: int | None) -> str:
    """``KES -200.00 (short)``, ``KES 50.00 (over)``, ``KES 0.00 (balanced)``."""
    if variance_cents is None:
        return ""
    if variance_cents < 0:
        word = QCoreApplication.translate("Variance", "short")
    elif variance_cents > 0:
        word = QCoreApplication.translate("Variance", "over")
    else:
        word = QCoreApplication.translate("Variance", "balanced")
    return f"{format_kes(variance_cents)} ({word})"


def variance_colour(variance_cents: int | None) -> str:
    if not variance_cents:
        return BALANCED_COLOUR
    return SHORT_COLOUR if variance_cents < 0 else OVER_COLOUR
