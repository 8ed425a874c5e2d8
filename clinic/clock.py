"""The clinic's calendar day: dates are Africa/Nairobi's, times are UTC."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from clinic.db import utcnow

NAIROBI = ZoneInfo("Africa/Nairobi")


def clinic_today() -> date:
    return utcnow().astimezone(NAIROBI).date()
