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
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
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


def coded_text(code: str) -> str:
    """A coded value as staff read it: ``NON_REACTIVE`` is ``Non reactive``."""
    return code.replace("_", " ").capitalize()


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

    def with_tests(self, tests: Iterable[LabTest]) -> Catalogue:
        """This catalogue with ``tests`` in place of those of their codes
        (new codes added at the end)."""
        replaced = {t.code: t for t in tests}
        kept = [replaced.pop(t.code, t) for t in self.tests]
        return Catalogue((*kept, *replaced.values()))

    def find(self, test_name: str) -> LabTest:
        """The test a request names (its name, code or an alias, in any
        case); a test of its own with one free-text result otherwise."""
        wanted = " ".join(test_name.split()).casefold()
        for test in self.tests:
            if wanted in {n.casefold() for n in (test.name, test.code, *test.aliases)}:
                return test
        return LabTest("", test_name.strip(), (), (FREE_TEXT,))


CODE = re.compile(r"[A-Z][A-Z0-9-]{1,31}")
FIELD_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
VALUE_CODE = re.compile(r"[A-Za-z0-9<>:+_.-]{1,40}")


def _text(raw: object, where: str, limit: int, *, required: bool = True) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or (required and not raw.strip()):
        raise InvalidValue(where, "write it as text")
    if "\x00" in raw or len(raw) > limit:
        raise InvalidValue(where, f"keep it to {limit} characters, without NUL characters")
    return raw.strip()


def _number(raw: object, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise InvalidValue(where, "write a number")
    if abs(raw) > 1e9:
        raise InvalidValue(where, "a limit above a billion cannot be right")
    return float(raw)


def _list(raw: object, where: str, limit: int) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > limit:
        raise InvalidValue(where, f"give a list of at most {limit}")
    return raw


def _mapping(raw: object, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidValue(where, "give an object of named values")
    return raw


def _band(raw: object, where: str) -> LabBand:
    band = _mapping(raw, where)
    sex = band.get("sex")
    if sex not in (None, Sex.FEMALE.value, Sex.MALE.value):
        raise InvalidValue(f"{where}.sex", "F, M, or null for anyone")
    limits = {
        name: _number(band.get(name), f"{where}.{name}")
        for name in (
            "below_age_years",
            "normal_low",
            "normal_high",
            "critical_low",
            "critical_high",
        )
    }
    ordered = [limits[n] for n in ("critical_low", "normal_low", "normal_high", "critical_high")]
    known = [v for v in ordered if v is not None]
    if known != sorted(known):
        raise InvalidValue(
            where, "limits must rise: critical low, normal low, normal high, critical high"
        )
    below = limits["below_age_years"]
    if below is not None and not 0 < below <= 130:
        raise InvalidValue(f"{where}.below_age_years", "an age in years above 0")
    return LabBand(
        Sex(sex) if sex else None,
        ReferenceBand(
            below,
            limits["normal_low"],
            limits["normal_high"],
            limits["critical_low"],
            limits["critical_high"],
        ),
    )


def _field(raw: object, where: str) -> LabField:
    entry = _mapping(raw, where)
    code = _text(entry.get("code"), f"{where}.code", 40)
    if not FIELD_CODE.fullmatch(code):
        raise InvalidValue(f"{where}.code", "lower-case letters, digits and _, such as hb")
    try:
        kind = ResultKind(str(entry.get("kind")))
    except ValueError:
        kinds = ", ".join(k.value for k in ResultKind)
        raise InvalidValue(f"{where}.kind", f"choose one of {kinds}") from None
    values = [
        _text(v, f"{where}.values", 40) for v in _list(entry.get("values"), f"{where}.values", 30)
    ]
    if kind is ResultKind.CODED and not values:
        raise InvalidValue(f"{where}.values", "list the values a coded result may take")
    if any(not VALUE_CODE.fullmatch(v) for v in values):
        raise InvalidValue(f"{where}.values", "values are short codes such as POSITIVE or 1+")
    abnormal = [
        _text(v, f"{where}.abnormal", 40)
        for v in _list(entry.get("abnormal"), f"{where}.abnormal", 30)
    ]
    if not set(abnormal) <= set(values):
        raise InvalidValue(f"{where}.abnormal", "abnormal values must be among the values")
    plausible_min = _number(entry.get("plausible_min", 0), f"{where}.plausible_min") or 0.0
    plausible_max = _number(entry.get("plausible_max", 0), f"{where}.plausible_max") or 0.0
    if kind is ResultKind.NUMERIC and not plausible_min < plausible_max:
        raise InvalidValue(f"{where}.plausible_max", "must be above plausible_min")
    decimals = entry.get("decimals", 0)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 4:
        raise InvalidValue(f"{where}.decimals", "a whole number from 0 to 4")
    required = entry.get("required", True)
    if not isinstance(required, bool):
        raise InvalidValue(f"{where}.required", "true or false")
    return LabField(
        code=code,
        label=_text(entry.get("label"), f"{where}.label", 60),
        kind=kind,
        unit=_text(entry.get("unit"), f"{where}.unit", 20, required=False),
        decimals=decimals,
        plausible_min=plausible_min,
        plausible_max=plausible_max,
        bands=tuple(
            _band(b, f"{where}.bands[{i}]")
            for i, b in enumerate(_list(entry.get("bands"), f"{where}.bands", 20))
        ),
        values=tuple(values),
        abnormal=frozenset(abnormal),
        required=required,
    )


def parse_test(raw: object, where: str = "test") -> LabTest:
    """A test as the catalogue file (or an admin) writes it. Raises
    InvalidValue naming the part (``test.fields[1].bands[0].normal_low``)
    and saying what to fix."""
    entry = _mapping(raw, where)
    code = _text(entry.get("code"), f"{where}.code", 32)
    if not CODE.fullmatch(code):
        raise InvalidValue(f"{where}.code", "capitals, digits and -, such as LAB-HB")
    fields = [
        _field(f, f"{where}.fields[{i}]")
        for i, f in enumerate(_list(entry.get("fields"), f"{where}.fields", 40))
    ]
    if not fields:
        raise InvalidValue(f"{where}.fields", "a test has at least one result")
    if len({f.code for f in fields}) != len(fields):
        raise InvalidValue(f"{where}.fields", "each result needs a code of its own")
    return LabTest(
        code=code,
        name=_text(entry.get("name"), f"{where}.name", 200),
        aliases=tuple(
            _text(a, f"{where}.aliases", 200)
            for a in _list(entry.get("aliases"), f"{where}.aliases", 20)
        ),
        fields=tuple(fields),
    )


def read_catalogue(path: Path) -> Catalogue:
    """The catalogue in a JSON file shaped as ``resources/lab_tests.json``."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return Catalogue(tuple(parse_test(t, f"tests[{i}]") for i, t in enumerate(document["tests"])))


@cache
def lab_catalogue() -> Catalogue:
    """The catalogue that ships with the program (read once)."""
    return read_catalogue(resources_dir() / "lab_tests.json")


def definition_of(test: LabTest) -> dict[str, Any]:
    """A test written as the catalogue file writes it (what :func:`parse_test` reads)."""
    fields = []
    for lab_field in test.fields:
        entry: dict[str, Any] = {
            "code": lab_field.code,
            "label": lab_field.label,
            "kind": lab_field.kind.value,
            "required": lab_field.required,
        }
        if lab_field.kind is ResultKind.NUMERIC:
            entry |= {
                "unit": lab_field.unit,
                "decimals": lab_field.decimals,
                "plausible_min": lab_field.plausible_min,
                "plausible_max": lab_field.plausible_max,
                "bands": [
                    {"sex": b.sex.value if b.sex else None, **asdict(b.band)}
                    for b in lab_field.bands
                ],
            }
        if lab_field.kind is ResultKind.CODED:
            entry |= {
                "values": list(lab_field.values),
                "abnormal": [v for v in lab_field.values if v in lab_field.abnormal],
            }
        fields.append(entry)
    return {"code": test.code, "name": test.name, "aliases": list(test.aliases), "fields": fields}
