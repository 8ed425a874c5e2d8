"""Attacks around a password change: a session from before it must end, and
guessing the current password there counts toward the lockout."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.config import Settings
from server.database import Database
from tests.central import Staff, bearer, login
from tests.security.helpers import login_from
from tests.server.helpers import app_client, assert_error

pytestmark = pytest.mark.postgres

NEW_PASSWORD = "a-much-longer-passphrase"


def _refresh(client: TestClient, refresh_token: str) -> int:
    return client.post("/api/auth/refresh", json={"refresh_token": refresh_token}).status_code


def test_a_refresh_token_from_before_a_password_change_no_longer_refreshes(
    client: TestClient, main_cashier: Staff
) -> None:
    own_pc = uuid.uuid4()
    mine = login(client, main_cashier, own_pc)
    # The thief knows the old password: one session from a PC of their own,
    # one from the victim's PC id (a device id is no secret).
    thief_elsewhere = login(client, main_cashier)
    thief_on_my_pc = login(client, main_cashier, own_pc)

    changed = client.post(
        "/api/auth/password",
        json={"current_password": main_cashier.password, "new_password": NEW_PASSWORD},
        headers=bearer(mine),
    )
    assert changed.status_code == 204, changed.text

    assert _refresh(client, thief_elsewhere["refresh_token"]) == 401
    assert _refresh(client, thief_on_my_pc["refresh_token"]) == 401
    assert login_from(client, main_cashier, uuid.uuid4()).status_code == 401
    # The session that made the change goes on.
    assert _refresh(client, mine["refresh_token"]) == 200


@pytest.fixture
def lockout_client(settings: Settings, central: Database) -> Iterator[TestClient]:
    with app_client(settings, central, lockout_failures=3, login_rate_per_minute=100) as client:
        yield client


def test_guessing_the_current_password_at_a_password_change_locks_the_account(
    lockout_client: TestClient, main_cashier: Staff
) -> None:
    """Someone with a stolen access token guesses the password behind it."""
    client = lockout_client
    stolen = bearer(login(client, main_cashier))
    for guess in ("guess-number-1", "guess-number-2", "guess-number-3"):
        wrong = client.post(
            "/api/auth/password",
            json={"current_password": guess, "new_password": NEW_PASSWORD},
            headers=stolen,
        )
        assert_error(wrong, 422, "invalid", fields={"current_password"})

    right = client.post(
        "/api/auth/password",
        json={"current_password": main_cashier.password, "new_password": NEW_PASSWORD},
        headers=stolen,
    )
    assert_error(right, 429, "too_many_attempts", message="15 minutes")
    assert_error(login_from(client, main_cashier, uuid.uuid4()), 429, "too_many_attempts")
