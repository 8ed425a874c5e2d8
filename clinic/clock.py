"""The clinic's calendar day: dates are Africa/Nairobi's, times are UTC."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.db import utcnow

NAIROBI = ZoneInfo("Africa/Nairobi")


def clinic_today() -> date:
    return utcnow().astimezone(NAIROBI).date()


def day_bounds(first: date, last: date | None = None) -> tuple[datetime, datetime]:
    """The instants that start Nairobi's day ``first`` and end ``last`` (or
    ``first``): a half-open range ``[start, end)`` for times stored in UTC."""
    start = datetime.combine(first, time(0), tzinfo=NAIROBI)
    end = datetime.combine((last or first) + timedelta(days=1), time(0), tzinfo=NAIROBI)
    return start, end


def nairobi_day(moment: datetime) -> date:
    """The Nairobi calendar day of a UTC instant."""
    return moment.astimezone(NAIROBI).date()
