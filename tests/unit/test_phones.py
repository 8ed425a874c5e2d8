from __future__ import annotations

import random

import phonenumbers
import pytest

from clinic.errors import InvalidValue
from clinic.rules.phones import format_phone_for_display, normalize_phone


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("757143067", "+254757143067"),
        ("0757 143 067", "+254757143067"),
        ("+254757143067", "+254757143067"),
        ("254757143067", "+254757143067"),
        (" +254 757 143 067 ", "+254757143067"),
        ("0757-143-067", "+254757143067"),
        ("(0757) 143.067", "+254757143067"),
        ("0110456789", "+254110456789"),
        ("722114455", "+254722114455"),
        ("0733 221 908", "+254733221908"),
        ("+254711908877", "+254711908877"),
        ("020 1234567", "+254201234567"),
    ],
)
def test_normalize_phone_accepts_kenyan_numbers(text: str, e164: str) -> None:
    assert normalize_phone(text) == e164


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "71335759",
            "71335759 has 8 digits; a Kenyan number has 9 after the leading 0"
            " (07xx xxx xxx or 01xx xxx xxx)",
        ),
        ("7139876", "7139876 has 7 digits; a Kenyan number has 9 after the leading 0"),
        ("071335759", "071335759 has 8 digits after the leading 0;"),
        ("+25471335759", "+25471335759 has 8 digits after 254;"),
        ("07571430678", "07571430678 has 10 digits after the leading 0;"),
        ("abc", "'abc' is not a phone number; write it like 07xx xxx xxx"),
        ("0757143067x", "'0757143067x' is not a phone number"),
        ("0757 143 067 / 0722 114 455", "is not a phone number"),
        ("+", "'+' is not a phone number"),
        ("+1 202 555 0101", "+1 202 555 0101 is not a Kenyan number (+1); only Kenyan numbers"),
        ("+44 20 7946 0958", "only Kenyan numbers (+254) are accepted"),
        ("0999123456", "0999123456 is not a valid Kenyan number; check the digits"),
        ("", "No phone number given"),
        ("   ", "No phone number given"),
    ],
)
def test_normalize_phone_refuses_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalize_phone(text, field="next_of_kin_phone")
    assert caught.value.field == "next_of_kin_phone"
    assert reason in caught.value.reason


def _parsed(text: str) -> str | None:
    """What ``phonenumbers.parse`` makes of ``text``: the E.164 form of a
    valid Kenyan number of nine digits, else None."""
    try:
        number = phonenumbers.parse(text, "KE")
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.national_significant_number(number)
    if number.country_code != 254 or len(national) != 9 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_mobile_numbers_as_registers_write_them_get_the_answers_parsing_gives() -> None:
    """Nine digits from 7 or 1, with or without the 0 and spaces, are checked
    without ``phonenumbers.parse``: every 3-digit start of both ranges
    (valid and invalid ones), each written five ways, answers as parsing."""
    draw = random.Random(16)
    compared = 0
    for start in [*range(100, 200), *range(700, 800)]:
        for _ in range(4):
            digits = f"{start}{draw.randrange(10**6):06d}"
            spaced = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
            for text in (digits, f"0{digits}", spaced, f"0{spaced}", f"0 {digits}"):
                try:
                    answer: str | None = normalize_phone(text)
                except InvalidValue:
                    answer = None
                assert answer == _parsed(text), text
                compared += 1
    assert compared == 4000


def test_normalize_phone_names_the_phone_field_by_default() -> None:
    with pytest.raises(InvalidValue) as caught:
        normalize_phone("abc")
    assert caught.value.field == "phone"


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+254757143067", "0757 143 067"),
        ("+254110456789", "0110 456 789"),
        ("+254722114455", "0722 114 455"),
        ("+254201234567", "020 1234567"),
        ("+12025550101", "+1 202-555-0101"),
        ("not a phone", "not a phone"),
    ],
)
def test_format_phone_for_display(e164: str, shown: str) -> None:
    assert format_phone_for_display(e164) == shown


@pytest.mark.parametrize("text", ["757143067", "0110456789", "+254 722 114 455"])
def test_display_form_normalises_back_to_the_same_number(text: str) -> None:
    e164 = normalize_phone(text)
    assert normalize_phone(format_phone_for_display(e164)) == e164
