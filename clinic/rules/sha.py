"""The form of an SHA member number, as claims send it to SHA.

Since the Social Health Authority replaced the NHIF (2024), a member's SHA
number is the national Client Registry (CR) number Afya Yangu gives at
registration: ``CR`` then 13 digits and a check digit, usually written with
a hyphen before the check digit (``CR4082193652041-7``). Dependants carry a
CR number of their own, and their claims name the principal member's too.

Assumption: SHA publishes neither the registry's number grammar nor its
check-digit algorithm. The form above is the one KenyaEMR and the HIE's
client registry show, so it is checked; the check digit is only required to
be a digit, not verified. Old NHIF numbers (digits only) are of the wrong
form: SHA refuses claims that quote them.
"""

from __future__ import annotations

import re

SHA_MEMBER_NUMBER_EXAMPLE = "CR4082193652041-7"
_SHA_MEMBER_NUMBER_RE = re.compile(r"CR(?P<serial>\d{13})-?(?P<check>\d)")


def canonical_sha_member_number(text: str | None) -> str | None:
    """``text`` in the form claims carry it (``CR`` + 13 digits, a hyphen,
    the check digit), ignoring case, spaces and the hyphen's presence; None
    when it is not an SHA member number at all."""
    if text is None:
        return None
    compact = "".join(text.split()).upper()
    match = _SHA_MEMBER_NUMBER_RE.fullmatch(compact)
    if match is None:
        return None
    return f"CR{match['serial']}-{match['check']}"


def is_sha_member_number(text: str | None) -> bool:
    return canonical_sha_member_number(text) is not None
