# ruff: noqa: RUF001
from __future__ import annotations

import math

import pytest

from clinic.errors import FieldError, ValidationFailed
from clinic.rules.vitals import VITALS, Flag, VitalsAssessment, assess_vitals


def test_every_vital_is_defined_once_with_its_unit() -> None:
    assert {name: vital.unit for name, vital in VITALS.items()} == {
        "temperature_c": "°C",
        "pulse_bpm": "bpm",
        "respiratory_rate": "breaths/min",
        "systolic_mmhg": "mmHg",
        "diastolic_mmhg": "mmHg",
        "spo2_percent": "%",
        "weight_kg": "kg",
        "height_cm": "cm",
        "muac_cm": "cm",
        "blood_glucose_mmol": "mmol/L",
    }
    assert all(name == vital.name for name, vital in VITALS.items())


@pytest.mark.parametrize(
    ("name", "value", "flag"),
    [
        ("temperature_c", 36.8, Flag.NORMAL),
        ("temperature_c", 36.0, Flag.NORMAL),
        ("temperature_c", 37.4, Flag.NORMAL),
        ("temperature_c", 37.5, Flag.HIGH),
        ("temperature_c", 39.9, Flag.HIGH),
        ("temperature_c", 40.0, Flag.CRITICAL_HIGH),
        ("temperature_c", 35.5, Flag.LOW),
        ("temperature_c", 34.9, Flag.CRITICAL_LOW),
        ("pulse_bpm", 72, Flag.NORMAL),
        ("pulse_bpm", 110, Flag.HIGH),
        ("pulse_bpm", 131, Flag.CRITICAL_HIGH),
        ("pulse_bpm", 55, Flag.LOW),
        ("pulse_bpm", 39, Flag.CRITICAL_LOW),
        ("respiratory_rate", 16, Flag.NORMAL),
        ("respiratory_rate", 24, Flag.HIGH),
        ("respiratory_rate", 31, Flag.CRITICAL_HIGH),
        ("respiratory_rate", 7, Flag.CRITICAL_LOW),
        ("systolic_mmhg", 120, Flag.NORMAL),
        ("systolic_mmhg", 140, Flag.HIGH),
        ("systolic_mmhg", 180, Flag.CRITICAL_HIGH),
        ("systolic_mmhg", 85, Flag.LOW),
        ("systolic_mmhg", 69, Flag.CRITICAL_LOW),
        ("spo2_percent", 98, Flag.NORMAL),
        ("spo2_percent", 100, Flag.NORMAL),
        ("spo2_percent", 93, Flag.LOW),
        ("spo2_percent", 89, Flag.CRITICAL_LOW),
        ("blood_glucose_mmol", 5.4, Flag.NORMAL),
        ("blood_glucose_mmol", 11.1, Flag.HIGH),
        ("blood_glucose_mmol", 18.0, Flag.CRITICAL_HIGH),
        ("blood_glucose_mmol", 3.5, Flag.LOW),
        ("blood_glucose_mmol", 2.8, Flag.CRITICAL_LOW),
        ("muac_cm", 25.0, Flag.NORMAL),
        ("muac_cm", 20.0, Flag.LOW),
        ("muac_cm", 18.0, Flag.CRITICAL_LOW),
    ],
)
def test_adult_flags(name: str, value: float, flag: Flag) -> None:
    assert assess_vitals({name: value}).flags == {name: flag}


def test_diastolic_flags_beside_systolic() -> None:
    flags = assess_vitals({"systolic_mmhg": 200, "diastolic_mmhg": 125}).flags
    assert flags == {"systolic_mmhg": Flag.CRITICAL_HIGH, "diastolic_mmhg": Flag.CRITICAL_HIGH}
    flags = assess_vitals({"systolic_mmhg": 100, "diastolic_mmhg": 55}).flags
    assert flags == {"systolic_mmhg": Flag.NORMAL, "diastolic_mmhg": Flag.LOW}


@pytest.mark.parametrize(
    ("age_years", "pulse", "flag"),
    [
        (0.5, 140, Flag.NORMAL),
        (0.5, 95, Flag.LOW),
        (0.5, 185, Flag.CRITICAL_HIGH),
        (3, 140, Flag.NORMAL),
        (3, 150, Flag.HIGH),
        (3, 165, Flag.CRITICAL_HIGH),
        (9, 110, Flag.NORMAL),
        (9, 130, Flag.HIGH),
        (30, 110, Flag.HIGH),
        (None, 110, Flag.HIGH),
    ],
)
def test_pulse_uses_the_age_band(age_years: float | None, pulse: float, flag: Flag) -> None:
    assert assess_vitals({"pulse_bpm": pulse}, age_years=age_years).flags["pulse_bpm"] is flag


@pytest.mark.parametrize(
    ("age_years", "rate", "flag"),
    [
        (0.2, 45, Flag.NORMAL),
        (0.2, 55, Flag.HIGH),
        (0.2, 72, Flag.CRITICAL_HIGH),
        (2, 35, Flag.NORMAL),
        (2, 42, Flag.HIGH),
        (2, 12, Flag.CRITICAL_LOW),
        (8, 25, Flag.NORMAL),
        (8, 35, Flag.HIGH),
        (40, 25, Flag.HIGH),
    ],
)
def test_respiratory_rate_uses_the_age_band(
    age_years: float | None, rate: float, flag: Flag
) -> None:
    flags = assess_vitals({"respiratory_rate": rate}, age_years=age_years).flags
    assert flags["respiratory_rate"] is flag


@pytest.mark.parametrize(
    ("age_years", "muac", "expected"),
    [
        (2, 13.0, {"muac_cm": Flag.NORMAL}),
        (2, 12.0, {"muac_cm": Flag.LOW}),
        (2, 11.0, {"muac_cm": Flag.CRITICAL_LOW}),
        (10, 15.0, {}),
        (30, 15.0, {"muac_cm": Flag.CRITICAL_LOW}),
    ],
)
def test_muac_cut_offs_depend_on_age(
    age_years: float, muac: float, expected: dict[str, Flag]
) -> None:
    assert assess_vitals({"muac_cm": muac}, age_years=age_years).flags == expected


def test_assessment_lists_critical_and_abnormal_readings_and_bmi() -> None:
    assessment = assess_vitals(
        {
            "temperature_c": 38.2,
            "pulse_bpm": 80,
            "systolic_mmhg": 185,
            "diastolic_mmhg": 95,
            "spo2_percent": 88,
            "weight_kg": 70,
            "height_cm": 175,
            "muac_cm": None,
        }
    )
    assert assessment == VitalsAssessment(
        flags={
            "temperature_c": Flag.HIGH,
            "pulse_bpm": Flag.NORMAL,
            "systolic_mmhg": Flag.CRITICAL_HIGH,
            "diastolic_mmhg": Flag.HIGH,
            "spo2_percent": Flag.CRITICAL_LOW,
        },
        bmi=22.9,
    )
    assert assessment.critical == ["systolic_mmhg", "spo2_percent"]
    assert assessment.abnormal == [
        "temperature_c",
        "systolic_mmhg",
        "diastolic_mmhg",
        "spo2_percent",
    ]


def test_bmi_needs_weight_and_height() -> None:
    assert assess_vitals({"weight_kg": 70}).bmi is None
    assert assess_vitals({"weight_kg": 70, "height_cm": None}).bmi is None
    assert assess_vitals({"weight_kg": 12.4, "height_cm": 86}).bmi == 16.8


def test_nothing_given_flags_nothing() -> None:
    assert assess_vitals({}) == VitalsAssessment(flags={}, bmi=None)
    assert assess_vitals({"temperature_c": None}) == VitalsAssessment(flags={}, bmi=None)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"temperature_c": 3},
            [
                FieldError(
                    "temperature_c",
                    "Temperature 3 °C is impossible (expected 25–45 °C); check the reading",
                )
            ],
        ),
        (
            {"spo2_percent": 120},
            [
                FieldError(
                    "spo2_percent", "SpO2 120% is impossible (expected 40–100%); check the reading"
                )
            ],
        ),
        (
            {"systolic_mmhg": 80, "diastolic_mmhg": 90},
            [
                FieldError(
                    "diastolic_mmhg",
                    "Diastolic 90 mmHg must be below systolic 80 mmHg; check the reading",
                )
            ],
        ),
        (
            {"blood_pressure": 120},
            [FieldError("blood_pressure", "'blood_pressure' is not a known vital sign")],
        ),
        (
            {"weight_kg": math.nan},
            [FieldError("weight_kg", "Weight is not a number; check the reading")],
        ),
    ],
)
def test_impossible_values_are_refused(
    values: dict[str, float | None], errors: list[FieldError]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        assess_vitals(values)
    assert caught.value.errors == errors


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        assess_vitals(
            {
                "temperature_c": 375,
                "pulse_bpm": 72,
                "weight_kg": 0.1,
                "systolic_mmhg": 120,
                "diastolic_mmhg": 120,
                "bp": 1,
            },
            age_years=-1,
        )
    assert [error.field for error in caught.value.errors] == [
        "age_years",
        "temperature_c",
        "weight_kg",
        "bp",
        "diastolic_mmhg",
    ]
    reasons = [error.reason for error in caught.value.errors]
    assert "Temperature 375 °C is impossible (expected 25–45 °C)" in reasons[1]
    assert "Weight 0.1 kg is impossible (expected 0.3–350 kg)" in reasons[2]
