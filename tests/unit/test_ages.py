from __future__ import annotations

from datetime import date

import pytest

from clinic.errors import InvalidValue
from clinic.rules.ages import age_on, estimate_date_of_birth

ON = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("age_text", "dob"),
    [
        ("33yrs", date(1993, 3, 31)),
        ("33 yrs", date(1993, 3, 31)),
        ("33years", date(1993, 3, 31)),
        ("33 y", date(1993, 3, 31)),
        ("33", date(1993, 3, 31)),
        (" 33 YRS. ", date(1993, 3, 31)),
        ("1yr", date(2025, 3, 31)),
        ("1.5yrs", date(2024, 9, 30)),
        ("1yr 6mths", date(2024, 9, 30)),
        ("9mths", date(2025, 6, 30)),
        ("9mhts", date(2025, 6, 30)),
        ("9 months", date(2025, 6, 30)),
        ("9mnths", date(2025, 6, 30)),
        ("7mhts", date(2025, 8, 31)),
        ("1 month", date(2026, 2, 28)),
        ("2wks", date(2026, 3, 17)),
        ("2 weeks", date(2026, 3, 17)),
        ("3 days", date(2026, 3, 28)),
        ("3days", date(2026, 3, 28)),
        ("3dys", date(2026, 3, 28)),
        ("0 days", date(2026, 3, 31)),
        ("8/12", date(2025, 7, 31)),
        ("3/52", date(2026, 3, 10)),
        ("5/7", date(2026, 3, 26)),
        ("120yrs", date(1906, 3, 31)),
    ],
)
def test_estimate_date_of_birth(age_text: str, dob: date) -> None:
    assert estimate_date_of_birth(age_text, on=ON) == dob


@pytest.mark.parametrize(
    ("age_text", "on", "dob"),
    [
        ("1yr", date(2028, 2, 29), date(2027, 2, 28)),
        ("4yrs", date(2028, 2, 29), date(2024, 2, 29)),
        ("1mth", date(2026, 5, 31), date(2026, 4, 30)),
        ("2mths", date(2026, 1, 15), date(2025, 11, 15)),
        ("1.5 months", date(2026, 3, 31), date(2026, 2, 13)),
        ("10 days", date(2026, 3, 5), date(2026, 2, 23)),
    ],
)
def test_estimate_clamps_month_ends_and_crosses_years(age_text: str, on: date, dob: date) -> None:
    assert estimate_date_of_birth(age_text, on=on) == dob


@pytest.mark.parametrize(
    ("age_text", "reason"),
    [
        ("", "Age is empty; write it like 33yrs"),
        ("   ", "Age is empty"),
        ("-3yrs", "Age -3yrs is negative"),
        ("33 kg", "In '33 kg' the unit 'kg' is not understood; use yrs, mths, wks or days"),
        ("5 hrs", "the unit 'hrs' is not understood"),
        ("abc", "'abc' is not an age"),
        ("yrs", "'yrs' is not an age"),
        ("33 years old", "'33 years old' is not an age"),
        ("1 6mths", "In '1 6mths' the number 1 has no unit"),
        ("121", "Age 121 is over 120 years; check the number and its unit"),
        ("1500 mths", "Age 1500 mths is over 120 years"),
        ("50000 days", "Age 50000 days is over 120 years"),
    ],
)
def test_estimate_date_of_birth_refuses_with_a_reason(age_text: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        estimate_date_of_birth(age_text, on=ON, field="AGE")
    assert caught.value.field == "AGE"
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("dob", "shown"),
    [
        (date(1993, 3, 31), "33 y"),
        (date(1993, 4, 1), "32 y"),
        (date(2024, 3, 31), "2 y"),
        (date(2024, 4, 1), "23 m"),
        (date(2025, 6, 30), "9 m"),
        (date(2026, 2, 28), "1 m"),
        (date(2026, 3, 1), "4 w"),
        (date(2026, 3, 17), "2 w"),
        (date(2026, 3, 24), "1 w"),
        (date(2026, 3, 28), "3 d"),
        (date(2026, 3, 31), "0 d"),
    ],
)
def test_age_on(dob: date, shown: str) -> None:
    assert age_on(dob, ON) == shown


def test_age_on_refuses_a_birth_after_the_day() -> None:
    with pytest.raises(ValueError, match="after"):
        age_on(date(2026, 4, 1), ON)


@pytest.mark.parametrize(
    ("age_text", "shown"),
    [("33yrs", "33 y"), ("9mths", "9 m"), ("2wks", "2 w"), ("3days", "3 d"), ("1yr", "12 m")],
)
def test_estimated_birth_reads_back_as_the_written_age(age_text: str, shown: str) -> None:
    assert age_on(estimate_date_of_birth(age_text, on=ON), ON) == shown
