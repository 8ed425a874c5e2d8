"""Patient merges through sync, attacked as raw HTTP on a real server: only
an admin merges or undoes one, a merge keeps its rules, and an edit made
offline on a merged record is refused naming the kept one."""

from __future__ import annotations

import uuid

from clinic.patients.models import Patient
from tests.security.conftest import Clinic, mutation
from tests.security.test_sync_attacks import applied, patient, refused


def test_only_an_admin_merges_or_undoes_a_merge(clinic: Clinic) -> None:
    desk = clinic.device("receptionist")
    kept, duplicate = patient(clinic), patient(clinic)
    answer = desk.push(mutation("patients", duplicate.id, merged_into=str(kept.id)))
    assert "may not change merges" in refused(answer)[desk.sequence]
    assert clinic.get(Patient, duplicate.id).merged_into is None

    merged = patient(clinic, merged_into=kept.id)
    answer = desk.push(mutation("patients", merged.id, merged_into=None))
    assert "may not change merges" in refused(answer)[desk.sequence]
    assert clinic.get(Patient, merged.id).merged_into == kept.id


def test_a_merge_that_breaks_the_rules_is_refused_alone(clinic: Clinic) -> None:
    office = clinic.device("admin")
    kept, duplicate, other = patient(clinic), patient(clinic), patient(clinic)
    already = patient(clinic, merged_into=kept.id)
    answer = office.push(
        mutation("patients", duplicate.id, merged_into=str(uuid.uuid4())),
        mutation("patients", duplicate.id, merged_into=str(duplicate.id)),
        mutation("patients", duplicate.id, merged_into=str(already.id)),
        mutation("patients", kept.id, merged_into=str(other.id)),
        mutation("patients", duplicate.id, merged_into=str(kept.id)),
    )
    reasons = refused(answer)
    first = office.sequence - 4
    assert "does not exist" in reasons[first]
    assert "into itself" in reasons[first + 1]
    assert "was itself merged" in reasons[first + 2]
    assert "was merged into this patient" in reasons[first + 3]
    assert applied(answer) == [office.sequence]
    assert clinic.get(Patient, duplicate.id).merged_into == kept.id
    assert clinic.get(Patient, kept.id).merged_into is None


def test_an_offline_edit_of_a_merged_record_is_refused_naming_the_kept_one(
    clinic: Clinic,
) -> None:
    kept = patient(clinic)
    merged = patient(clinic, merged_into=kept.id, residence="Kibera")
    desk = clinic.device("receptionist")
    answer = desk.push(
        mutation("patients", merged.id, residence="Kawangware\x00"),
        mutation("patients", merged.id, residence="Kawangware"),
    )
    reasons = refused(answer)
    assert len(reasons) == 2
    assert f"merged into {kept.op_number}" in reasons[desk.sequence]
    assert "residence" in reasons[desk.sequence]
    assert clinic.get(Patient, merged.id).residence == "Kibera"
