"""``device_serves``: who may log in on a device that serves some roles."""

from __future__ import annotations

import pytest

from clinic.enums import Role
from clinic.permissions import device_serves


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
