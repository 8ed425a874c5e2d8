"""Money as the clinic shows and types it, and the M-Pesa code rule."""

from __future__ import annotations

import pytest

from clinic.errors import InvalidValue
from clinic.rules.money import (
    MAX_AMOUNT_CENTS,
    check_amount,
    decimal_kes,
    decimal_kes_each,
    format_kes,
    parse_kes,
)
from clinic.rules.mpesa import clean_mpesa_code
from clinic.rules.spreadsheet import text_cell


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (0, "KES 0.00"),
        (5, "KES 0.05"),
        (125_000, "KES 1,250.00"),
        (123_456_789, "KES 1,234,567.89"),
        (-30_050, "KES -300.50"),
    ],
)
def test_amounts_are_shown_in_kes_with_thousands_and_cents(cents: int, shown: str) -> None:
    assert format_kes(cents) == shown


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("1250", 125_000), ("1,250.50", 125_050), ("KES 1,250", 125_000), ("Ksh 300.5", 30_050)],
)
def test_typed_amounts_are_read_in_cents(typed: str, cents: int) -> None:
    assert parse_kes(typed) == cents


@pytest.mark.parametrize("typed", ["", "abc", "1.234", "12,34", "1,2345"])
def test_what_is_not_an_amount_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        parse_kes(typed, "price")
    assert raised.value.field == "price"


def test_amounts_are_bounded_whole_positive_cents() -> None:
    assert check_amount(1, "amount_cents") == 1
    assert check_amount(0, "float", allow_zero=True) == 0
    for bad in (0, -1, MAX_AMOUNT_CENTS + 1, 10**12, 1.5, True, "100"):
        with pytest.raises(InvalidValue) as raised:
            check_amount(bad, "amount_cents")
        assert raised.value.field == "amount_cents"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("QGH3X7YZ2A", "QGH3X7YZ2A"), (" qgh3x7yz2a ", "QGH3X7YZ2A"), ("QGH3 X7YZ 2A", "QGH3X7YZ2A")],
)
def test_mpesa_codes_are_read_in_any_case_and_spacing(typed: str, code: str) -> None:
    assert clean_mpesa_code(typed) == code


@pytest.mark.parametrize(
    "typed", ["", None, "QGH3X7YZ2", "QGH3X7YZ2AB", "QGH3X7-Z2A", "QGH3X7YZ2\x00", "ÄGH3X7YZ2A"]
)
def test_what_is_not_an_mpesa_code_is_refused_with_an_example(typed: str | None) -> None:
    with pytest.raises(InvalidValue) as raised:
        clean_mpesa_code(typed, "reference")
    assert raised.value.field == "reference"
    assert "QGH3X7YZ2A" in raised.value.reason
    assert "\x00" not in raised.value.reason


@pytest.mark.parametrize(
    ("cents", "text"), [(0, "0.00"), (5, "0.05"), (125_050, "1250.50"), (-5_000, "-50.00")]
)
def test_amounts_for_other_programs_are_decimal_shillings(cents: int, text: str) -> None:
    assert str(decimal_kes(cents)) == text


def test_a_unit_price_is_rounded_half_up_to_the_cent() -> None:
    assert str(decimal_kes_each(500_00, 4)) == "125.00"
    assert str(decimal_kes_each(100_01, 3)) == "33.34"
    assert str(decimal_kes_each(5, 2)) == "0.03"
    with pytest.raises(InvalidValue) as raised:
        decimal_kes_each(500_00, 0)
    assert raised.value.field == "quantity"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+254712", "'+254712"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Mary = Otieno", "Mary = Otieno"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_cells_never_start_a_formula(value: str | None, cell: str) -> None:
    assert text_cell(value) == cell
