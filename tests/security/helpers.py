"""What the security tests share: logging in as the attacker does."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.central import Staff


def login_from(
    client: TestClient, staff: Staff, device_id: uuid.UUID, **extra: Any
) -> httpx.Response:
    """The answer to ``staff`` logging in from ``device_id`` (any status)."""
    return client.post(
        "/api/auth/login",
        json={
            "username": staff.username,
            "password": staff.password,
            "device_id": str(device_id),
        }
        | extra,
    )
