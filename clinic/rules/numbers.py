"""OP and receipt numbers, legacy numbers, and the search key for number fragments.

A number reads ``OP-2026-000123-3``: the kind, the year of the leased block, the
serial zero-padded to at least six digits (it grows past 999999 without wrapping)
and a Luhn check digit over the digits of year and serial (``2026000123``). A
provisional number, given offline by a device without a leased block, carries a
``TMP-`` prefix: ``TMP-OP-2026-000123-3``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from clinic.errors import InvalidValue

PROVISIONAL_PREFIX = "TMP"
SERIAL_WIDTH = 6

_EXAMPLE = "OP-2026-000123-3"
_NUMBER_RE = re.compile(
    r"(?P<tmp>TMP)?[-\s]*(?P<kind>OP|RCP)[-\s]*(?P<digits>\d(?:[\d\s-]*\d)?)",
)
_SEPARATORS_RE = re.compile(r"[-\s]+")
_NOT_ALNUM_RE = re.compile(r"[^0-9A-Z]")


class NumberKind(StrEnum):
    OP = "OP"
    RECEIPT = "RCP"


def luhn_check_digit(digits: str) -> int:
    """The Luhn digit that, appended to ``digits``, makes the whole pass the Luhn test.

    Raises ValueError when ``digits`` is empty or holds anything but 0-9.
    """
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"Luhn check digit needs digits only, got {digits!r}")
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def _check_digit(year: int, serial: int) -> int:
    return luhn_check_digit(f"{year:04d}{serial:0{SERIAL_WIDTH}d}")


def format_number(kind: NumberKind, year: int, serial: int, *, provisional: bool = False) -> str:
    """The canonical text of a number, e.g. ``OP-2026-000123-3``.

    Raises ValueError for a year outside 1000-9999 or a negative serial (a
    programming error, not a typing one).
    """
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have 4 digits, got {year}")
    if serial < 0:
        raise ValueError(f"serial must not be negative, got {serial}")
    text = f"{kind.value}-{year:04d}-{serial:0{SERIAL_WIDTH}d}-{_check_digit(year, serial)}"
    return f"{PROVISIONAL_PREFIX}-{text}" if provisional else text


@dataclass(frozen=True)
class ParsedNumber:
    """A number read back from text; ``text`` is its canonical form."""

    kind: NumberKind
    year: int
    serial: int
    provisional: bool = False

    @property
    def check_digit(self) -> int:
        return _check_digit(self.year, self.serial)

    @property
    def text(self) -> str:
        return format_number(self.kind, self.year, self.serial, provisional=self.provisional)


def parse_number(text: str, field: str = "op_number") -> ParsedNumber:
    """Read an OP or receipt number as staff type it.

    Accepts any case, surrounding spaces, spaces instead of dashes, missing
    dashes, a serial of one or more digits, and the number with or without its
    check digit. Without a separate check digit, a serial run of seven or more
    digits is read as the serial plus its check digit (the printed form with a
    dash dropped, e.g. ``OP20260001233``); up to six digits are the serial alone.
    Serials past 999999 must therefore be typed with their check digit.

    Raises InvalidValue(field, ...) for text that is not such a number, and for
    a check digit that does not match (a typing error).
    """
    cleaned = text.strip().upper()
    if not cleaned:
        raise InvalidValue(field, f"No number given; write it like {_EXAMPLE}")
    match = _NUMBER_RE.fullmatch(cleaned)
    not_a_number = InvalidValue(
        field,
        f"'{text.strip()}' is not an OP or receipt number; write it like {_EXAMPLE}"
        " (OP or RCP, the year, then the serial)",
    )
    if match is None:
        raise not_a_number
    groups = _SEPARATORS_RE.split(match["digits"])
    check: str | None = None
    if len(groups) == 1:
        year_text, serial_text = groups[0][:4], groups[0][4:]
    elif len(groups) == 2 and len(groups[0]) == 4:
        year_text, serial_text = groups
    elif len(groups) == 2 and len(groups[0]) > 4 and len(groups[1]) == 1:
        year_text, serial_text, check = groups[0][:4], groups[0][4:], groups[1]
    elif len(groups) == 3 and len(groups[0]) == 4 and len(groups[2]) == 1:
        year_text, serial_text, check = groups
    else:
        raise not_a_number
    if check is None and len(serial_text) > SERIAL_WIDTH:
        serial_text, check = serial_text[:-1], serial_text[-1]
    if len(year_text) != 4 or not serial_text or year_text.startswith("0"):
        raise not_a_number
    parsed = ParsedNumber(
        kind=NumberKind(match["kind"]),
        year=int(year_text),
        serial=int(serial_text),
        provisional=match["tmp"] is not None,
    )
    if check is not None and int(check) != parsed.check_digit:
        raise InvalidValue(
            field,
            f"In {text.strip()} the check digit {check} does not match the rest of the number"
            f" (it should be {parsed.check_digit}); the number was probably mistyped,"
            " check it against the card or receipt",
        )
    return parsed


def number_search_key(text: str) -> str:
    """The compact form used to find a typed fragment inside stored numbers.

    Uppercase, keeping only letters and digits (dashes, spaces, slashes, dots and
    ``+`` go). A Kenyan international prefix becomes the leading 0: ``+254...``
    always, and a bare ``254`` when exactly nine digits follow (a whole phone
    number). Apply it to stored values (OP, legacy, phone, national id, SHA
    numbers) and to the query alike, then match the query key as a substring:
    ``op-2026-000123`` -> ``OP2026000123``; ``+254757143067`` -> ``0757143067``.
    """
    stripped = text.strip().upper()
    key = _NOT_ALNUM_RE.sub("", stripped)
    if stripped.startswith("+254"):
        return "0" + key[3:]
    if key.startswith("254") and len(key) == 12 and key.isdigit():
        return "0" + key[3:]
    return key


def clean_legacy_number(text: str) -> str | None:
    """A legacy number (``001/25``, ``OP-2025-001``) as given, trimmed; None when blank."""
    cleaned = text.strip()
    return cleaned or None
