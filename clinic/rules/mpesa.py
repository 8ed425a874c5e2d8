"""M-Pesa transaction codes (the receipt number Safaricom texts the payer and
prints on the till statement): ten uppercase letters and digits, such as
``QGH3X7YZ2A``."""

from __future__ import annotations

import re

from clinic.errors import InvalidValue

MPESA_CODE_RE = re.compile(r"[A-Z0-9]{10}")
EXAMPLE = "QGH3X7YZ2A"


def clean_mpesa_code(text: str | None, field: str = "reference") -> str:
    """The code as staff type or paste it (any case, spaces around or inside)
    in its canonical form. Raises InvalidValue(field, ...) naming what is wrong."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidValue(field, f"Type the M-Pesa code from the payer's message, like {EXAMPLE}")
    code = re.sub(r"\s+", "", raw).upper()
    if not code.isascii() or not MPESA_CODE_RE.fullmatch(code):
        shown = raw if raw.isprintable() else raw.encode("unicode_escape").decode()
        raise InvalidValue(
            field,
            f"'{shown[:40]}' is not an M-Pesa code: it has 10 letters and digits, like {EXAMPLE}",
        )
    return code
