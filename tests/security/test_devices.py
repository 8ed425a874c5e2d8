"""Attacks on the device a login comes from (DESIGN.md, Sync 10 and 13): a
device id belongs to the branch it was enrolled at, the server's own id is
never a PC's, and a device serves only the roles it was set up for."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from server.database import SERVER_DEVICE_ID
from sync.protocol import PROTOCOL_VERSION
from tests.central import Staff, bearer, login
from tests.security.helpers import login_from
from tests.server.helpers import assert_error

pytestmark = pytest.mark.postgres


def test_login_with_another_branchs_device_id_is_refused(
    client: TestClient, main_receptionist: Staff, west_cashier: Staff
) -> None:
    main_pc = uuid.uuid4()
    login(client, main_receptionist, main_pc)

    refused = login_from(client, west_cashier, main_pc)

    assert_error(refused, 403, "forbidden", message="This PC belongs to branch MAIN")
    assert "access_token" not in refused.text


def test_login_with_the_servers_device_id_is_refused(
    client: TestClient, main_cashier: Staff, west_cashier: Staff, admin: Staff
) -> None:
    # The server's device is at MAIN: its id is refused for MAIN's own staff
    # and for an admin who may log in at any branch, not only for WEST's.
    for staff in (west_cashier, main_cashier, admin):
        refused = login_from(client, staff, SERVER_DEVICE_ID)
        assert_error(refused, 403, "forbidden", message="the server's own")


def test_enrolling_as_the_servers_device_id_is_refused(
    client: TestClient, main_cashier: Staff
) -> None:
    headers = bearer(login(client, main_cashier))
    refused = client.post(
        "/api/sync/enroll",
        json={
            "protocol": PROTOCOL_VERSION,
            "schema": "0004",
            "new_device_id": str(SERVER_DEVICE_ID),
        },
        headers=headers,
    )
    assert_error(refused, 409, "exists")


def test_login_with_a_role_the_device_does_not_serve_is_refused(
    client: TestClient, main_receptionist: Staff, main_cashier: Staff
) -> None:
    reception_pc = uuid.uuid4()
    login(client, main_receptionist, reception_pc)

    refused = login_from(client, main_cashier, reception_pc)

    assert_error(
        refused,
        403,
        "forbidden",
        message="This PC is set up for: receptionist. Ask an admin to let it serve cashier too",
    )


def test_refresh_after_moving_to_another_branch_is_refused(
    client: TestClient, main_cashier: Staff, west_cashier: Staff, admin: Staff
) -> None:
    """A cashier moved from MAIN to WEST keeps no session on MAIN's PC."""
    tokens = login(client, main_cashier)
    admin_headers = bearer(login(client, admin))
    moved = client.patch(
        f"/api/users/{main_cashier.id}", json={"branch_code": "WEST"}, headers=admin_headers
    )
    assert moved.status_code == 200, moved.text

    refused = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert_error(refused, 403, "forbidden", message="This PC belongs to branch MAIN")
