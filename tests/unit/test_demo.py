"""The demo clinic's history (clinic.demo): the same seed draws the same
rows, and every value a PC could send back is in the form the server keeps."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from clinic.demo.history import (
    PATIENT_COLUMNS,
    VISIT_COLUMNS,
    BranchStaff,
    CentralGenerator,
    check_columns,
    check_patients,
)
from clinic.patients.models import Patient
from clinic.visits.models import Visit

END = date(2026, 10, 31)


def _rows(seed: int) -> list[tuple[str, tuple[Any, ...]]]:
    branches = [
        BranchStaff(uuid.UUID(int=n + 1), code, opens, weight, [f"desk{n}"], [f"r{n}"], [f"c{n}"])
        for n, (code, opens, weight) in enumerate((("MAIN", 0, 0.6), ("RUA", 365, 0.4)))
    ]
    generator = CentralGenerator(branches, patients=600, visits=1800, seed=seed, end=END)
    return list(generator.rows())


def test_a_seed_gives_the_same_clinic_and_another_seed_another() -> None:
    first = _rows(1)
    assert first == _rows(1)
    assert first != _rows(2)
    kinds = [kind for kind, _row in first]
    assert (kinds.count("patients"), kinds.count("visits")) == (600, 1800)


def test_patients_come_before_their_visits_in_checked_form() -> None:
    check_columns(Patient, PATIENT_COLUMNS)
    check_columns(Visit, VISIT_COLUMNS)
    rows = _rows(1)
    patients = [row for kind, row in rows if kind == "patients"]
    check_patients(patients, END)
    seen: set[str] = set()
    patient_at = VISIT_COLUMNS.index("patient_id")
    for kind, row in rows:
        if kind == "patients":
            seen.add(row[0])
        else:
            assert row[patient_at] in seen
    surname = PATIENT_COLUMNS.index("last_name")
    kin = PATIENT_COLUMNS.index("next_of_kin_name")
    relationship = PATIENT_COLUMNS.index("next_of_kin_relationship")
    children = [row for row in patients if row[relationship] in ("Mother", "Father")]
    assert children and all(row[kin].endswith(f" {row[surname]}") for row in children)
