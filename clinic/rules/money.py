"""Money: integer cents of Kenya shillings, shown as ``KES 1,250.00``.

The desktop, receipts and reports show amounts through :func:`format_kes`;
files for other programs (SHA's CSV, FHIR) carry :func:`decimal_kes`;
typed amounts are read by :func:`parse_kes`. Every amount the clinic takes
is bounded by :data:`MAX_AMOUNT_CENTS` (a typing slip of extra zeros is
refused rather than stored).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from clinic.errors import InvalidValue

MAX_AMOUNT_CENTS = 100_000_000_00
"""KES 100 million: more than any one bill, payment or float at an outpatient clinic."""

_AMOUNT_RE = re.compile(
    r"(?P<sign>-)?(?P<shillings>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2}))?"
)


def format_kes(cents: int) -> str:
    """``125000`` -> ``KES 1,250.00``; a negative amount (a reversal) reads ``KES -1,250.00``."""
    sign = "-" if cents < 0 else ""
    shillings, rest = divmod(abs(cents), 100)
    return f"KES {sign}{shillings:,}.{rest:02d}"


def decimal_kes(cents: int) -> Decimal:
    """``125050`` -> ``Decimal('1250.50')``: shillings with two decimals and no
    thousands separator or currency, as other programs read amounts."""
    return Decimal(cents).scaleb(-2)


def decimal_kes_each(amount_cents: int, quantity: int) -> Decimal:
    """The price of one of ``quantity`` units that cost ``amount_cents``
    together, as :func:`decimal_kes`, rounded half up to the cent
    (``100_01`` for 3 -> ``Decimal('33.34')``). Raises InvalidValue for
    fewer than one unit."""
    if quantity < 1:
        raise InvalidValue("quantity", f"{quantity} units; give 1 or more")
    return (decimal_kes(amount_cents) / quantity).quantize(Decimal("0.01"), ROUND_HALF_UP)


def parse_kes(text: str, field: str = "amount") -> int:
    """An amount as staff type it (``1250``, ``1,250.50``, ``KES 1,250``,
    ``Ksh 300``) in cents. Raises InvalidValue(field, ...) for anything else."""
    cleaned = re.sub(r"^(KES|KSH|KSHS|SH|SHS)\.?\s*", "", text.strip().upper()).replace(" ", "")
    match = _AMOUNT_RE.fullmatch(cleaned)
    if match is None:
        raise InvalidValue(field, f"'{text.strip()}' is not an amount; write it like 1,250.00")
    cents = int(match["shillings"].replace(",", "")) * 100 + int(
        (match["cents"] or "0").ljust(2, "0")
    )
    return -cents if match["sign"] else cents


def check_amount(cents: object, field: str, *, allow_zero: bool = False) -> int:
    """A positive whole number of cents up to :data:`MAX_AMOUNT_CENTS`
    (zero too with ``allow_zero``). Raises InvalidValue(field, ...)."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise InvalidValue(field, "Give the amount as a whole number of cents")
    if cents < 0 or (cents == 0 and not allow_zero):
        lowest = "0 or more" if allow_zero else "above 0"
        raise InvalidValue(field, f"The amount must be {lowest}")
    if cents > MAX_AMOUNT_CENTS:
        raise InvalidValue(
            field,
            f"{format_kes(cents)} is more than {format_kes(MAX_AMOUNT_CENTS)}; check the zeros",
        )
    return cents
