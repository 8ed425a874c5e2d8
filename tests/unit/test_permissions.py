"""``device_serves``: who may log in on a device that serves some roles."""

from __future__ import annotations

import pytest

from clinic.enums import Role
from clinic.permissions import CLINICAL_DATA, Data, device_serves, may_read, may_write


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_a_device_serves_exactly_the_roles_it_was_set_up_for(role: Role) -> None:
    assert device_serves([role.value], role)
    assert device_serves([r.value for r in Role], role)
    others = [r.value for r in Role if r not in (role, Role.ADMIN)]
    assert not device_serves(others, role)
    assert not device_serves([Role.ADMIN.value], role)
    assert not device_serves([], role)


def test_an_admin_may_use_any_device() -> None:
    assert device_serves([], Role.ADMIN)
    assert device_serves([Role.RECEPTIONIST.value], Role.ADMIN)


R = Role


@pytest.mark.parametrize(
    ("data", "readers", "writers"),
    [
        (Data.CLAIMS, {R.CLAIMS_MANAGER, R.RECEPTIONIST}, {R.CLAIMS_MANAGER}),
        (Data.DIAGNOSES, {R.NURSE, R.CLINICAL_OFFICER, R.CLAIMS_MANAGER}, {R.CLINICAL_OFFICER}),
        (Data.CLINICAL_NOTES, {R.NURSE, R.CLINICAL_OFFICER}, {R.CLINICAL_OFFICER}),
        (Data.INVOICES, {R.CASHIER, R.PHARMACIST, R.CLAIMS_MANAGER}, {R.CASHIER, R.PHARMACIST}),
    ],
    ids=["claims", "diagnoses", "clinical_notes", "invoices"],
)
def test_who_reads_and_writes_claims_and_what_they_name(
    data: Data, readers: set[Role], writers: set[Role]
) -> None:
    """Claims managers read the diagnoses a claim names, not the notes;
    reception reads claims (it prints the SHA invoice) but does not write them."""
    assert {r for r in Role if may_read(r, data)} == readers | {R.ADMIN}
    assert {r for r in Role if may_write(r, data)} == writers | {R.ADMIN}
    assert Data.DIAGNOSES in CLINICAL_DATA
