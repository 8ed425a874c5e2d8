"""Kenyan phone numbers: stored as E.164 (``+254757143067``), shown as ``0757 143 067``.

Only Kenyan numbers are accepted: the clinics' patients and next of kin are
reached on Kenyan lines, and a foreign number is far more often a mistyped
Kenyan one than a real foreign contact.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from clinic.errors import InvalidValue

KENYA_REGION = "KE"
KENYA_COUNTRY_CODE = 254
NATIONAL_DIGITS = 9

_ALLOWED_RE = re.compile(r"\+?[\d\s().-]+")
_SHAPE_HINT = "07xx xxx xxx or 01xx xxx xxx"
_STORED_RE = re.compile(r"\+254[1-9][0-9]{8}", re.ASCII)
"""A number as stored (E.164, nine digits after +254 with no leading 0):
what every pushed row carries, checked without parsing it again."""
_TYPED_MOBILE_RE = re.compile(r"0?([17][0-9]{8})", re.ASCII)
"""A mobile number as registers write it, spaces taken out: nine digits
from 7 or 1, with or without the leading 0 (``757143067``, ``0757143067``).
``parse`` makes of it the number of those nine digits (Kenya's national
prefix 0 taken off; neither 7 nor 1 starts the international prefix 000
or the country code 254), so it is checked without parsing."""


def normalize_phone(text: str, field: str = "phone") -> str:
    """The E.164 form of a Kenyan phone number typed in any usual way.

    Accepts ``757143067``, ``0757 143 067``, ``+254757143067``, ``254757143067``
    and the like (spaces, dashes, dots, brackets). Raises InvalidValue(field, ...)
    for blank text, text that is not a phone number, a wrong count of digits, a
    foreign number, or a Kenyan-looking number that ``phonenumbers`` does not
    know as valid.
    """
    e164, problem = _e164(text.strip())
    if problem is not None:
        raise InvalidValue(field, problem)
    return e164


@functools.lru_cache(maxsize=1024)
def _e164(shown: str) -> tuple[str, str | None]:
    """The E.164 form of ``shown`` (stripped), or why it is not a Kenyan
    phone number. The last answers are kept (``phonenumbers`` takes 0.1 ms
    a number): the paper-register import checks a row's phone, then
    registers the row with the same text, which the registration checks
    again."""
    if _STORED_RE.fullmatch(shown) is not None:
        # What parse() makes of it (no national prefix to strip), so the same
        # answer as below; an invalid one goes below for its message.
        stored = phonenumbers.PhoneNumber(
            country_code=KENYA_COUNTRY_CODE, national_number=int(shown[4:])
        )
        if phonenumbers.is_valid_number(stored):
            return shown, None
    typed = _TYPED_MOBILE_RE.fullmatch(shown.replace(" ", ""))
    if typed is not None:
        national = typed[1]
        mobile = phonenumbers.PhoneNumber(
            country_code=KENYA_COUNTRY_CODE, national_number=int(national)
        )
        if phonenumbers.is_valid_number(mobile):
            return f"+{KENYA_COUNTRY_CODE}{national}", None
    if not shown:
        return "", f"No phone number given; write it like {_SHAPE_HINT}"
    not_a_phone = f"'{shown}' is not a phone number; write it like {_SHAPE_HINT}"
    if _ALLOWED_RE.fullmatch(shown) is None:
        return "", not_a_phone
    try:
        number = phonenumbers.parse(shown, KENYA_REGION)
    except NumberParseException:
        return "", not_a_phone
    if number.country_code != KENYA_COUNTRY_CODE:
        return "", (
            f"{shown} is not a Kenyan number (+{number.country_code}); only Kenyan numbers"
            f" (+254) are accepted, written like {_SHAPE_HINT}"
        )
    national = phonenumbers.national_significant_number(number)
    if len(national) != NATIONAL_DIGITS:
        digits = re.sub(r"\D", "", shown)
        after = ""
        if digits != national:
            after = " after the leading 0" if digits.startswith("0") else " after 254"
        return "", (
            f"{shown} has {len(national)} digits{after}; a Kenyan number has 9 after"
            f" the leading 0 ({_SHAPE_HINT})"
        )
    if not phonenumbers.is_valid_number(number):
        return "", (
            f"{shown} is not a valid Kenyan number; check the digits"
            f" (mobile numbers are written {_SHAPE_HINT})"
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), None


def format_phone_for_display(e164: str) -> str:
    """A stored number as staff write it: mobiles ``0757 143 067``, landlines ``020 1234567``.

    A foreign number is shown in international form; text that is not a phone
    number at all is returned unchanged, so a bad stored value still shows.
    """
    try:
        number = phonenumbers.parse(e164, KENYA_REGION)
    except NumberParseException:
        return e164
    if number.country_code != KENYA_COUNTRY_CODE:
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.national_significant_number(number)
    is_mobile = phonenumbers.number_type(number) == PhoneNumberType.MOBILE
    if is_mobile and len(national) == NATIONAL_DIGITS:
        return f"0{national[:3]} {national[3:6]} {national[6:]}"
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
