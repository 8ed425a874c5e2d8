"""The lab's test catalogue: each test's result fields, their units, allowed
values, and reference ranges by age and sex, read from
``resources/lab_tests.json``.

A numeric result is flagged as vital signs are (:class:`clinic.rules.vitals.Flag`,
against a :class:`~clinic.rules.vitals.ReferenceBand`); the band is the first
one, in the file's order, whose sex is the patient's (or anyone's) and whose
age limit is above the patient's age; without an age or a known sex only the
bands for anyone apply. A coded result is one of its field's values (some of
them marked abnormal, for the screens to highlight); free text is checked for
what a database or a screen cannot hold. A test requested by a name the
catalogue does not know takes one free-text result.

Pure Python, cheap enough for the desktop to run on every keystroke.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from clinic.enums import Sex
from clinic.errors import InvalidValue
from clinic.paths import resources_dir
from clinic.rules.vitals import Flag, ReferenceBand

TEXT_LIMIT = 2000
"""The longest free-text result, in characters."""


class ResultKind(StrEnum):
    NUMERIC = "numeric"
    CODED = "coded"
    TEXT = "text"


@dataclass(frozen=True)
class LabBand:
    """A reference band for one sex (None: anyone)."""

    sex: Sex | None
    band: ReferenceBand


@dataclass(frozen=True)
class ResultValue:
    """A result as stored: exactly one of the three is set."""

    number: float | None = None
    code: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class LabField:
    """One result of a test (a haemogram has several, an RDT one)."""

    code: str
    label: str
    kind: ResultKind
    unit: str = ""
    decimals: int = 0
    plausible_min: float = 0.0
    plausible_max: float = 0.0
    bands: tuple[LabBand, ...] = ()
    values: tuple[str, ...] = ()
    abnormal: frozenset[str] = frozenset()
    required: bool = True

    def band_for(self, age_years: float | None, sex: Sex | str | None) -> ReferenceBand | None:
        """The band for a patient of this age and sex (see the module docstring)."""
        for entry in self.bands:
            if entry.sex is not None and entry.sex != sex:
                continue
            below = entry.band.below_age_years
            if below is None or (age_years is not None and age_years < below):
                return entry.band if entry.band.has_limits else None
        return None

    def show_number(self, value: float) -> str:
        text = f"{value:.{self.decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    def range_text(self, age_years: float | None, sex: Sex | str | None) -> str:
        """The normal range for the patient, as the result slip prints it:
        ``12-15.5`` (an en dash), ``≤ 0``; empty when there is none."""
        band = self.band_for(age_years, sex)
        if band is None:
            return ""
        low, high = band.normal_low, band.normal_high
        if low is not None and high is not None:
            if low == high:
                return self.show_number(low)
            return f"{self.show_number(low)}\N{EN DASH}{self.show_number(high)}"
        if low is not None:
            return f"\N{GREATER-THAN OR EQUAL TO} {self.show_number(low)}"
        if high is not None:
            return f"\N{LESS-THAN OR EQUAL TO} {self.show_number(high)}"
        return ""

    def read(self, raw: object) -> ResultValue | None:
        """The typed or sent value as it is stored; None when blank.
        Raises InvalidValue (field: this field's code) saying what to fix."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, str) and "\x00" in raw:
            raise InvalidValue(self.code, f"{self.label}: remove the invisible characters")
        if self.kind is ResultKind.NUMERIC:
            return ResultValue(number=self._number(raw))
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InvalidValue(self.code, f"{self.label}: write the result as text")
        text = str(raw).strip()
        if self.kind is ResultKind.CODED:
            code = text.upper().replace(" ", "_")
            if code not in self.values:
                raise InvalidValue(
                    self.code, f"{self.label}: choose one of {', '.join(self.values)}"
                )
            return ResultValue(code=code)
        if len(text) > TEXT_LIMIT:
            raise InvalidValue(self.code, f"{self.label}: keep it under {TEXT_LIMIT} characters")
        return ResultValue(text=text)

    def _number(self, raw: object) -> float:
        if isinstance(raw, bool):
            raise InvalidValue(self.code, f"{self.label}: write a number")
        try:
            value = float(raw.replace(",", "") if isinstance(raw, str) else raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidValue(self.code, f"{self.label}: write a number") from None
        if not math.isfinite(value):
            raise InvalidValue(self.code, f"{self.label}: write a number")
        if not self.plausible_min <= value <= self.plausible_max:
            unit = f" {self.unit}" if self.unit else ""
            raise InvalidValue(
                self.code,
                f"{self.label} {self.show_number(value)}{unit} is impossible (expected"
                f" {self.show_number(self.plausible_min)}\N{EN DASH}"
                f"{self.show_number(self.plausible_max)}{unit}); check the result",
            )
        return round(value, self.decimals)

    def flag(
        self, value: ResultValue, age_years: float | None, sex: Sex | str | None
    ) -> Flag | None:
        """A numeric result's flag against the patient's band (None: no band, or not numeric)."""
        band = self.band_for(age_years, sex)
        if value.number is None or band is None:
            return None
        return band.flag(value.number)

    def is_abnormal(self, value: ResultValue) -> bool:
        """A coded result the catalogue marks abnormal (a positive RDT)."""
        return value.code is not None and value.code in self.abnormal


@dataclass(frozen=True)
class LabTest:
    code: str
    name: str
    aliases: tuple[str, ...]
    fields: tuple[LabField, ...]

    def field(self, code: str) -> LabField:
        for lab_field in self.fields:
            if lab_field.code == code:
                return lab_field
        raise InvalidValue(code, f"{self.name} has no result '{code}'")


FREE_TEXT = LabField("result", "Result", ResultKind.TEXT)
"""The one result of a test the catalogue does not know."""


@dataclass(frozen=True)
class Catalogue:
    tests: tuple[LabTest, ...]

    def find(self, test_name: str) -> LabTest:
        """The test a request names (its name, code or an alias, in any
        case); a test of its own with one free-text result otherwise."""
        wanted = " ".join(test_name.split()).casefold()
        for test in self.tests:
            if wanted in {n.casefold() for n in (test.name, test.code, *test.aliases)}:
                return test
        return LabTest("", test_name.strip(), (), (FREE_TEXT,))


def _field(raw: dict[str, Any]) -> LabField:
    kind = ResultKind(raw["kind"])
    bands = tuple(
        LabBand(
            Sex(b["sex"]) if b.get("sex") else None,
            ReferenceBand(
                b.get("below_age_years"),
                b.get("normal_low"),
                b.get("normal_high"),
                b.get("critical_low"),
                b.get("critical_high"),
            ),
        )
        for b in raw.get("bands", ())
    )
    return LabField(
        code=raw["code"],
        label=raw["label"],
        kind=kind,
        unit=raw.get("unit", ""),
        decimals=int(raw.get("decimals", 0)),
        plausible_min=float(raw.get("plausible_min", 0)),
        plausible_max=float(raw.get("plausible_max", 0)),
        bands=bands,
        values=tuple(raw.get("values", ())),
        abnormal=frozenset(raw.get("abnormal", ())),
        required=bool(raw.get("required", True)),
    )


def read_catalogue(path: Path) -> Catalogue:
    """The catalogue in a JSON file shaped as ``resources/lab_tests.json``."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return Catalogue(
        tuple(
            LabTest(
                code=t["code"],
                name=t["name"],
                aliases=tuple(t.get("aliases", ())),
                fields=tuple(_field(f) for f in t["fields"]),
            )
            for t in document["tests"]
        )
    )


@cache
def lab_catalogue() -> Catalogue:
    """The catalogue that ships with the program (read once)."""
    return read_catalogue(resources_dir() / "lab_tests.json")
