from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic.errors import InvalidValue
from clinic.rules.numbers import (
    NumberKind,
    ParsedNumber,
    clean_legacy_number,
    format_number,
    luhn_check_digit,
    number_search_key,
    parse_number,
)


@pytest.mark.parametrize(
    ("digits", "check"),
    [("7992739871", 3), ("2026000123", 3), ("2026000001", 1), ("0", 0), ("1", 8)],
)
def test_luhn_check_digit(digits: str, check: int) -> None:
    assert luhn_check_digit(digits) == check


@pytest.mark.parametrize("digits", ["", "12a4", "12 34", "-1"])
def test_luhn_check_digit_refuses_non_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="digits only"):
        luhn_check_digit(digits)


@pytest.mark.parametrize(
    ("kind", "year", "serial", "provisional", "expected"),
    [
        (NumberKind.OP, 2026, 123, False, "OP-2026-000123-3"),
        (NumberKind.RECEIPT, 2026, 123, False, "RCP-2026-000123-3"),
        (NumberKind.OP, 2026, 123, True, "TMP-OP-2026-000123-3"),
        (NumberKind.RECEIPT, 2025, 1, True, "TMP-RCP-2025-000001-3"),
        (NumberKind.OP, 2026, 999999, False, "OP-2026-999999-9"),
        (NumberKind.OP, 2026, 1000000, False, "OP-2026-1000000-4"),
        (NumberKind.OP, 2026, 0, False, "OP-2026-000000-3"),
    ],
)
def test_format_number(
    kind: NumberKind, year: int, serial: int, provisional: bool, expected: str
) -> None:
    assert format_number(kind, year, serial, provisional=provisional) == expected


@pytest.mark.parametrize(("year", "serial"), [(999, 1), (10000, 1), (2026, -1)])
def test_format_number_refuses_bad_parts(year: int, serial: int) -> None:
    with pytest.raises(ValueError):
        format_number(NumberKind.OP, year, serial)


OP_123 = ParsedNumber(NumberKind.OP, 2026, 123, provisional=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OP-2026-000123-3", OP_123),
        ("OP-2026-000123", OP_123),
        ("op-2026-000123-3", OP_123),
        ("  OP-2026-000123-3  ", OP_123),
        ("OP 2026 000123 3", OP_123),
        ("op 2026 000123", OP_123),
        ("op2026000123", OP_123),
        ("OP20260001233", OP_123),
        ("OP2026000123-3", OP_123),
        ("OP-2026-0001233", OP_123),
        ("OP-2026-123", OP_123),
        ("OP-2026-1", ParsedNumber(NumberKind.OP, 2026, 1)),
        ("RCP-2026-000123-3", ParsedNumber(NumberKind.RECEIPT, 2026, 123)),
        ("rcp2026000045", ParsedNumber(NumberKind.RECEIPT, 2026, 45)),
        ("TMP-OP-2026-000123-3", ParsedNumber(NumberKind.OP, 2026, 123, provisional=True)),
        ("tmp op 2026 123", ParsedNumber(NumberKind.OP, 2026, 123, provisional=True)),
        ("TMPRCP2026000123", ParsedNumber(NumberKind.RECEIPT, 2026, 123, provisional=True)),
        ("OP-2026-1000000-4", ParsedNumber(NumberKind.OP, 2026, 1000000)),
        ("OP-2026-10000004", ParsedNumber(NumberKind.OP, 2026, 1000000)),
    ],
)
def test_parse_number_accepts_what_staff_type(text: str, expected: ParsedNumber) -> None:
    assert parse_number(text) == expected


def test_parsed_number_text_is_canonical() -> None:
    parsed = parse_number("tmp op 2026 123")
    assert parsed.text == "TMP-OP-2026-000123-3"
    assert parsed.check_digit == 3


@pytest.mark.parametrize(
    "text",
    ["OP-2026-000123-5", "op2026000123 0", "OP20260001239", "TMP-RCP-2026-000123-1"],
)
def test_parse_number_refuses_a_wrong_check_digit(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_number(text, field="receipt_number")
    assert caught.value.field == "receipt_number"
    assert "check digit" in caught.value.reason
    assert "does not match" in caught.value.reason
    assert "should be 3" in caught.value.reason
    assert "mistyped" in caught.value.reason


@pytest.mark.parametrize(
    "text",
    [
        "xyz",
        "OP",
        "OP-2026",
        "OP-26-000123",
        "OP-0226-000123",
        "2026-000123-3",
        "IP-2026-000123-3",
        "OP-2026-000123-33",
        "OP-2026-000-123-3",
        "OP-2026-000123-3x",
        "OP/2026/000123",
        "001/25",
    ],
)
def test_parse_number_refuses_garbage(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_number(text)
    assert caught.value.field == "op_number"
    assert f"'{text}' is not an OP or receipt number" in caught.value.reason
    assert "OP-2026-000123-3" in caught.value.reason


@pytest.mark.parametrize("text", ["", "   "])
def test_parse_number_refuses_blank(text: str) -> None:
    with pytest.raises(InvalidValue, match="No number given"):
        parse_number(text)


@given(
    kind=st.sampled_from(NumberKind),
    year=st.integers(min_value=1000, max_value=9999),
    serial=st.integers(min_value=0, max_value=10**9),
    provisional=st.booleans(),
)
def test_format_then_parse_round_trips(
    kind: NumberKind, year: int, serial: int, provisional: bool
) -> None:
    text = format_number(kind, year, serial, provisional=provisional)
    expected = ParsedNumber(kind, year, serial, provisional)
    assert parse_number(text) == expected
    assert parse_number(f" {text.lower().replace('-', ' ')} ") == expected
    assert parse_number(text).text == text
    if serial <= 999_999:
        assert parse_number(text.rsplit("-", 1)[0]) == expected


def test_a_seven_digit_serial_without_check_digit_is_read_as_serial_and_check() -> None:
    assert parse_number("OP-2026-1000002") == ParsedNumber(NumberKind.OP, 2026, 100000)
    with pytest.raises(InvalidValue, match="check digit 0 does not match"):
        parse_number("OP-2026-1000000")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("op-2026-000123", "OP2026000123"),
        ("OP-2026-000123-3", "OP20260001233"),
        ("TMP-OP-2026-000123-3", "TMPOP20260001233"),
        ("0757 143 067", "0757143067"),
        ("+254757143067", "0757143067"),
        ("+254 757 143 067", "0757143067"),
        ("254757143067", "0757143067"),
        ("+2547571", "07571"),
        ("2547571", "2547571"),
        ("757 143", "757143"),
        ("001/25", "00125"),
        ("  sha-12345 ", "SHA12345"),
        ("", ""),
    ],
)
def test_number_search_key(text: str, key: str) -> None:
    assert number_search_key(text) == key


def test_search_key_of_a_fragment_is_inside_the_stored_key() -> None:
    stored = number_search_key(format_number(NumberKind.OP, 2026, 123))
    assert number_search_key("op 2026-000123") in stored
    assert number_search_key("000123") in stored
    assert number_search_key("+254 757 14") in number_search_key("+254757143067")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("001/25", "001/25"),
        ("  OP-2025-001 ", "OP-2025-001"),
        ("op-2025-1001", "op-2025-1001"),
        ("", None),
        ("   ", None),
    ],
)
def test_clean_legacy_number(text: str, expected: str | None) -> None:
    assert clean_legacy_number(text) == expected
