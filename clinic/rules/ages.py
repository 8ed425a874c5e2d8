"""Ages as written in paper registers, turned into an estimated date of birth.

Registers write ``33yrs``, ``9mths`` (often misspelt: ``9mhts``, ``9mnths``),
``2wks``, ``3days``, or a bare ``33`` meaning years. A unit is known by its first
letter (y years, m months, w weeks, d days), so any spelling works. The clinical
shorthand ``8/12`` (months), ``3/52`` (weeks) and ``5/7`` (days) is read too,
and so are combined ages such as ``1yr 6mths``.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta

from clinic.errors import InvalidValue

MAX_AGE_YEARS = 120

_EXAMPLES = "33yrs, 9mths, 2wks or 3days"
_PART_RE = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\.?\s*")
_FRACTION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(12|52|7)")
_FRACTION_UNITS = {"12": "m", "52": "w", "7": "d"}
_UNIT_NAMES = {"y": "years", "m": "months", "w": "weeks", "d": "days"}
_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class _Age:
    months: int
    days: int


@functools.lru_cache(maxsize=1024)
def _parse_age(age_text: str, field: str) -> _Age:
    """The age written in ``age_text``; raises InvalidValue saying why it is
    not one. The last answers are kept: a register's ages repeat (every
    ``27yrs``), and its import reads each row's age twice (the row's check,
    then the registration's)."""
    shown = age_text.strip()
    text = shown.lower()
    if not text:
        raise InvalidValue(field, f"Age is empty; write it like {_EXAMPLES}")
    if text.startswith("-"):
        raise InvalidValue(field, f"Age {shown} is negative; write it like {_EXAMPLES}")
    fraction = _FRACTION_RE.fullmatch(text)
    if fraction is not None:
        return _total(shown, [(float(fraction[1]), _FRACTION_UNITS[fraction[2]])], field)
    written: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _PART_RE.match(text, position)
        if match is None:
            raise InvalidValue(field, f"'{shown}' is not an age; write it like {_EXAMPLES}")
        written.append((match[1], match[2]))
        position = match.end()
    for number, letters in written:
        if letters and letters[0] not in _UNIT_NAMES:
            raise InvalidValue(
                field,
                f"In '{shown}' the unit '{letters}' is not understood; use yrs, mths, wks or days",
            )
        if not letters and len(written) > 1:
            raise InvalidValue(
                field,
                f"In '{shown}' the number {number} has no unit;"
                " write each part with yrs, mths, wks or days",
            )
    return _total(
        shown, [(float(number), letters[:1] or "y") for number, letters in written], field
    )


def _total(shown: str, parts: list[tuple[float, str]], field: str) -> _Age:
    total_months = 0.0
    total_days = 0.0
    for amount, unit in parts:
        if unit == "y":
            total_months += amount * 12
        elif unit == "m":
            total_months += amount
        elif unit == "w":
            total_days += amount * 7
        else:
            total_days += amount
    if total_months + total_days / _DAYS_PER_MONTH > MAX_AGE_YEARS * 12:
        raise InvalidValue(
            field,
            f"Age {shown} is over {MAX_AGE_YEARS} years; check the number and its unit",
        )
    whole_months = int(total_months)
    extra_days = (total_months - whole_months) * _DAYS_PER_MONTH
    return _Age(months=whole_months, days=int(total_days + extra_days + 0.5))


def _months_before(on: date, months: int) -> date:
    index = on.year * 12 + (on.month - 1) - months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(on.day, last_day))


def estimate_date_of_birth(age_text: str, *, on: date, field: str = "age") -> date:
    """The date of birth implied by an age written on ``on`` (the day it was recorded).

    Years and months step back calendar years and months (29 February and month
    ends clamp to the last day of the target month); weeks and days step back
    days; a decimal part of a year or month becomes months or days. A bare
    number is years. Raises InvalidValue(field, ...) for a blank, negative or
    unreadable age, an unknown unit, or an age over 120 years.
    """
    age = _parse_age(age_text, field)
    return _months_before(on, age.months) - timedelta(days=age.days)


def age_on(dob: date, on: date) -> str:
    """A short age for display: ``33 y`` from two years up, ``9 m`` (``18 m``)
    under two years, ``2 w`` under a month, ``3 d`` under a week.

    Raises ValueError when ``dob`` is after ``on``.
    """
    if dob > on:
        raise ValueError(f"date of birth {dob} is after {on}")
    months = (on.year - dob.year) * 12 + on.month - dob.month
    if on.day < dob.day:
        months -= 1
    if months >= 24:
        return f"{months // 12} y"
    if months >= 1:
        return f"{months} m"
    days = (on - dob).days
    if days >= 7:
        return f"{days // 7} w"
    return f"{days} d"


def fifth_birthday(dob: date) -> date:
    """The day a child born on ``dob`` turns five (29 February: 28 February)."""
    if dob.month == 2 and dob.day == 29:
        return date(dob.year + 5, 2, 28)
    return dob.replace(year=dob.year + 5)


def under_five(dob: date, on: date) -> bool:
    """Whether a child born on ``dob`` is under five years old on ``on``, as
    the MOH 705A counts (705B is five and over)."""
    return on < fifth_birthday(dob)


def years_of_age(dob: date | None, on: date) -> float | None:
    """Age in years (with a fraction) on ``on``, as the reference ranges of
    vitals and lab results take it; None without a date of birth."""
    if dob is None:
        return None
    return (on - dob).days / 365.25
