"""The reports' names, as ``seth-clinic report NAME`` and ``GET /api/reports/{name}`` take them."""

from __future__ import annotations

DAILY_CASH = "daily-cash"
REVENUE = "revenue"
VISITS = "visits"
MOH705A = "moh705a"
MOH705B = "moh705b"
CLAIMS_AGEING = "claims-ageing"
SHIFTS = "shifts"

REPORT_NAMES: tuple[str, ...] = (
    DAILY_CASH,
    REVENUE,
    VISITS,
    MOH705A,
    MOH705B,
    CLAIMS_AGEING,
    SHIFTS,
)
"""Every report, in the order a person picks from."""
