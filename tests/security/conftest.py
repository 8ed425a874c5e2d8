"""The attacker's world: a fresh server (branch MAIN; branch WEST comes
with its cashier) and the staff the attacks need, each test on a PostgreSQL
database of its own (``tests/central.py``). Every test in this folder
replays one attack against the real app and is named for it."""

from __future__ import annotations

import pytest

from clinic.enums import Role
from tests.central import MakeStaff, Staff


@pytest.fixture
def main_receptionist(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.RECEPTIONIST, "main-reception", branch_code="MAIN")


@pytest.fixture
def main_cashier(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.CASHIER, "main-cashier", branch_code="MAIN")


@pytest.fixture
def west_cashier(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.CASHIER, "west-cashier", branch_code="WEST")


@pytest.fixture
def admin(make_staff: MakeStaff) -> Staff:
    """An admin for all branches (no branch of their own)."""
    return make_staff(Role.ADMIN, "head-office", branch_code=None)
