from __future__ import annotations

import pytest

from clinic.errors import InvalidValue
from clinic.rules.diagnoses import (
    Diagnosis,
    check_icd10,
    check_icd11_format,
    search_icd10,
)

PNEUMONIA = Diagnosis("ICD-10", "J18.9", "Pneumonia, unspecified")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("J18.9", PNEUMONIA),
        ("j18.9", PNEUMONIA),
        ("J189", PNEUMONIA),
        (" j 18 9 ", PNEUMONIA),
        (
            "a09",
            Diagnosis(
                "ICD-10",
                "A09",
                "Other gastroenteritis and colitis of infectious and unspecified origin",
            ),
        ),
        ("b509", Diagnosis("ICD-10", "B50.9", "Plasmodium falciparum malaria, unspecified")),
        (
            "B18.10",
            Diagnosis(
                "ICD-10",
                "B18.10",
                "Chronic viral hepatitis B without delta-agent : immune-tolerant phase",
            ),
        ),
    ],
)
def test_check_icd10_normalises_and_describes(code: str, expected: Diagnosis) -> None:
    assert check_icd10(code) == expected


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("A09.5", "A09.5 is not in the WHO ICD-10 list; check the code or search by name"),
        ("u999", "U99.9 is not in the WHO ICD-10 list"),
        ("k359", "K35.9 is not in the WHO ICD-10 list"),
        ("J18.90", "J18.90 is not in the WHO ICD-10 list"),
        ("malaria", "'malaria' is not an ICD-10 code"),
        ("A00-A09", "'A00-A09' is not an ICD-10 code"),
        ("I", "'I' is not an ICD-10 code"),
        ("J1", "'J1' is not an ICD-10 code"),
        ("", "No diagnosis code given"),
    ],
)
def test_check_icd10_refuses_unknown_codes(code: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_icd10(code, field="diagnoses[0]")
    assert caught.value.field == "diagnoses[0]"
    assert reason in caught.value.reason


def codes(diagnoses: list[Diagnosis]) -> list[str]:
    return [diagnosis.code for diagnosis in diagnoses]


def test_search_by_code_prefix_puts_the_exact_code_first() -> None:
    assert codes(search_icd10("J18")) == ["J18", "J18.0", "J18.1", "J18.2", "J18.8", "J18.9"]
    assert codes(search_icd10("j18.")) == ["J18", "J18.0", "J18.1", "J18.2", "J18.8", "J18.9"]
    assert codes(search_icd10("j189")) == ["J18.9"]
    assert search_icd10("J18.9") == [PNEUMONIA]


def test_search_by_code_prefix_prefers_leaf_codes() -> None:
    found = codes(search_icd10("B5", limit=40))
    assert found[:4] == ["B50.0", "B50.8", "B50.9", "B51.0"]
    assert found.index("B54") < found.index("B50")
    assert all(code.startswith("B5") for code in found)


def test_search_by_words_needs_every_word_in_any_case_and_order() -> None:
    assert codes(search_icd10("falciparum MAL")) == ["B50.0", "B50.8", "B50.9", "P37.3", "B50"]
    assert codes(search_icd10("mal falciparum")) == codes(search_icd10("falciparum mal"))
    found = search_icd10("malaria", limit=100)
    assert "B54" in codes(found)
    assert all("malaria" in diagnosis.description.lower() for diagnosis in found)
    assert all(diagnosis.system == "ICD-10" for diagnosis in found)


def test_search_words_match_the_start_of_description_words() -> None:
    assert "J18.9" in codes(search_icd10("pneum unspec", limit=100))
    assert "T37.2" not in codes(search_icd10("malaria", limit=100))


def test_search_respects_the_limit() -> None:
    assert len(search_icd10("fever", limit=3)) == 3
    assert len(search_icd10("A", limit=20)) == 20


@pytest.mark.parametrize("text", ["", "   ", "zzzzqq", "--"])
def test_search_finds_nothing_for_nothing(text: str) -> None:
    assert search_icd10(text) == []


@pytest.mark.parametrize(
    ("code", "stored"),
    [
        ("1A00", "1A00"),
        ("ca40.z", "CA40.Z"),
        ("BA00.0", "BA00.0"),
        (" 2c10.00 ", "2C10.00"),
        ("RA01.0", "RA01.0"),
        ("CA40", "CA40"),
    ],
)
def test_check_icd11_format_keeps_the_code_as_entered(code: str, stored: str) -> None:
    assert check_icd11_format(code) == Diagnosis("ICD-11", stored, "")


@pytest.mark.parametrize(
    "code",
    ["1A0", "1A00.123", "CA40Z", "IA00", "OA00", "XN6P4", "CA40.Z&XA9H83", "1A00/1B10", "J18.9"],
)
def test_check_icd11_format_refuses_wrong_shapes(code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_icd11_format(code, field="sha_diagnosis")
    assert caught.value.field == "sha_diagnosis"
    assert f"'{code}' is not an ICD-11 stem code" in caught.value.reason
    assert "such as 1A00, CA40.Z or BA00.0" in caught.value.reason


def test_check_icd11_format_refuses_blank() -> None:
    with pytest.raises(InvalidValue, match="No ICD-11 code given"):
        check_icd11_format("  ")
