"""Vital signs: units, impossible readings, and normal and critical ranges.

Each vital is defined once in ``VITALS``. A reading outside its plausible range
cannot be real (a temperature of 3 °C is a typing error) and is refused; a
plausible reading is flagged against the reference band for the patient's age.
Pulse and respiratory rate have child bands (under 1, 1-5, 6-12 years) and MUAC
has an under-5 band; without an age the adult band applies. Thresholds follow
common adult triage practice and WHO IMCI for children; they flag a reading for
a clinician's attention and diagnose nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from clinic.errors import FieldError, ValidationFailed


class Flag(StrEnum):
    NORMAL = "NORMAL"
    LOW = "LOW"
    HIGH = "HIGH"
    CRITICAL_LOW = "CRITICAL_LOW"
    CRITICAL_HIGH = "CRITICAL_HIGH"


@dataclass(frozen=True)
class ReferenceBand:
    """Ranges for patients younger than ``below_age_years`` (None: everyone older, and
    anyone of unknown age). ``normal_low``-``normal_high`` is inclusive; a value below
    ``critical_low`` or above ``critical_high`` is critical. None means no limit."""

    below_age_years: float | None
    normal_low: float | None
    normal_high: float | None
    critical_low: float | None = None
    critical_high: float | None = None

    @property
    def has_limits(self) -> bool:
        return any(
            limit is not None
            for limit in (self.normal_low, self.normal_high, self.critical_low, self.critical_high)
        )

    def flag(self, value: float) -> Flag:
        if self.critical_low is not None and value < self.critical_low:
            return Flag.CRITICAL_LOW
        if self.critical_high is not None and value > self.critical_high:
            return Flag.CRITICAL_HIGH
        if self.normal_low is not None and value < self.normal_low:
            return Flag.LOW
        if self.normal_high is not None and value > self.normal_high:
            return Flag.HIGH
        return Flag.NORMAL


@dataclass(frozen=True)
class VitalSign:
    """One vital: how it is named, shown and recorded, and what values mean.

    ``decimals`` is the precision it is recorded with. Values outside
    ``plausible_min``-``plausible_max`` are impossible. ``bands`` are ordered by
    ascending age; a vital without a band with limits for the patient's age
    (weight and height always, MUAC from 5 to 17 years) is not flagged.
    """

    name: str
    label: str
    unit: str
    decimals: int
    plausible_min: float
    plausible_max: float
    bands: tuple[ReferenceBand, ...] = ()

    def band_for(self, age_years: float | None) -> ReferenceBand | None:
        """The band with limits for a patient of this age (adult when the age is unknown)."""
        for band in self.bands:
            if band.below_age_years is None or (
                age_years is not None and age_years < band.below_age_years
            ):
                return band if band.has_limits else None
        return None

    def show(self, value: float) -> str:
        """The value with its unit as staff read it: ``37.5 °C``, ``98%``."""
        text = self.show_number(value)
        return f"{text}%" if self.unit == "%" else f"{text} {self.unit}"

    def show_number(self, value: float) -> str:
        """The value rounded to ``decimals``, without trailing zeros: ``37.5``, ``3``."""
        text = f"{value:.{self.decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


# fmt: off
# VitalSign(name, label, unit, decimals, plausible_min, plausible_max, bands)
# ReferenceBand(below_age_years, normal_low, normal_high, critical_low, critical_high)
_VITAL_LIST = (
    VitalSign(
        "temperature_c", "Temperature", "°C", 1, 25, 45,
        (ReferenceBand(None, 36.0, 37.4, 35.0, 39.9),),
    ),
    VitalSign(
        "pulse_bpm", "Pulse", "bpm", 0, 20, 300,
        (
            ReferenceBand(1, 100, 160, 80, 180),
            ReferenceBand(6, 80, 140, 60, 160),
            ReferenceBand(13, 70, 120, 50, 140),
            ReferenceBand(None, 60, 100, 40, 130),
        ),
    ),
    VitalSign(
        "respiratory_rate", "Respiratory rate", "breaths/min", 0, 4, 120,
        (
            ReferenceBand(1, 30, 49, 20, 69),
            ReferenceBand(6, 20, 39, 15, 59),
            ReferenceBand(13, 18, 30, 12, 40),
            ReferenceBand(None, 12, 20, 8, 30),
        ),
    ),
    VitalSign(
        "systolic_mmhg", "Systolic BP", "mmHg", 0, 40, 300,
        (ReferenceBand(None, 90, 139, 70, 179),),
    ),
    VitalSign(
        "diastolic_mmhg", "Diastolic BP", "mmHg", 0, 20, 200,
        (ReferenceBand(None, 60, 89, 40, 119),),
    ),
    VitalSign(
        "spo2_percent", "SpO2", "%", 0, 40, 100,
        (ReferenceBand(None, 95, 100, 90, None),),
    ),
    VitalSign("weight_kg", "Weight", "kg", 2, 0.3, 350),
    VitalSign("height_cm", "Height", "cm", 1, 20, 250),
    VitalSign(
        "muac_cm", "MUAC", "cm", 1, 5, 60,
        (
            ReferenceBand(5, 12.5, None, 11.5, None),
            ReferenceBand(18, None, None),
            ReferenceBand(None, 21.0, None, 18.5, None),
        ),
    ),
    VitalSign(
        "blood_glucose_mmol", "Blood glucose", "mmol/L", 1, 0.5, 50,
        (ReferenceBand(None, 3.9, 7.8, 3.0, 16.7),),
    ),
)
# fmt: on

VITALS: dict[str, VitalSign] = {vital.name: vital for vital in _VITAL_LIST}


@dataclass(frozen=True)
class VitalsAssessment:
    """Flags for the given readings that have a reference band, and the BMI
    (one decimal) when both weight and height were given."""

    flags: dict[str, Flag]
    bmi: float | None

    @property
    def critical(self) -> list[str]:
        """Names of critically low or high readings, in ``VITALS`` order."""
        return [
            name
            for name, flag in self.flags.items()
            if flag in (Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH)
        ]

    @property
    def abnormal(self) -> list[str]:
        """Names of every reading outside its normal range, critical ones included."""
        return [name for name, flag in self.flags.items() if flag is not Flag.NORMAL]


def assess_vitals(
    values: Mapping[str, float | None], *, age_years: float | None = None
) -> VitalsAssessment:
    """Flag each reading against its band for ``age_years`` (adult when None).

    None readings are skipped. Raises ValidationFailed listing every unknown
    name, every impossible reading, a diastolic not below the systolic, and a
    negative age; nothing is flagged then.
    """
    errors: list[FieldError] = []
    if age_years is not None and (not math.isfinite(age_years) or age_years < 0):
        errors.append(FieldError("age_years", f"Age {age_years} years is not a possible age"))
    readings: dict[str, float] = {}
    for name, value in values.items():
        vital = VITALS.get(name)
        if vital is None:
            errors.append(FieldError(name, f"'{name}' is not a known vital sign"))
        elif value is None:
            continue
        elif not math.isfinite(value):
            errors.append(FieldError(name, f"{vital.label} is not a number; check the reading"))
        elif not vital.plausible_min <= value <= vital.plausible_max:
            errors.append(
                FieldError(
                    name,
                    f"{vital.label} {vital.show(value)} is impossible (expected"
                    f" {_plausible_range(vital)}); check the reading",
                )
            )
        else:
            readings[name] = value
    systolic = readings.get("systolic_mmhg")
    diastolic = readings.get("diastolic_mmhg")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        errors.append(
            FieldError(
                "diastolic_mmhg",
                f"Diastolic {VITALS['diastolic_mmhg'].show(diastolic)} must be below systolic"
                f" {VITALS['systolic_mmhg'].show(systolic)}; check the reading",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    flags: dict[str, Flag] = {}
    for name, vital in VITALS.items():
        value = readings.get(name)
        band = vital.band_for(age_years)
        if value is not None and band is not None:
            flags[name] = band.flag(value)
    weight = readings.get("weight_kg")
    height = readings.get("height_cm")
    bmi = round(weight / (height / 100) ** 2, 1) if weight is not None and height else None
    return VitalsAssessment(flags=flags, bmi=bmi)


def _plausible_range(vital: VitalSign) -> str:
    return f"{vital.show_number(vital.plausible_min)}\N{EN DASH}{vital.show(vital.plausible_max)}"
