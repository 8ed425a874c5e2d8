"""Wrong logins each sent with a different ``X-Forwarded-For`` were never
limited: uvicorn believed that header from 127.0.0.1. The server believes it
only from the proxies it is told about (``SETH_CLINIC_TRUSTED_PROXIES``).
These run on a real uvicorn, as ``seth-clinic-server serve`` does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.config import ConfigError, Settings, load_settings
from server.database import Database
from server.threaded import ThreadedServer

pytestmark = pytest.mark.postgres

ATTEMPTS_PER_MINUTE = 3


@contextmanager
def _serving(
    settings: Settings, central: Database, trusted_proxies: tuple[str, ...]
) -> Iterator[httpx.Client]:
    limited = replace(
        settings,
        login_rate_per_minute=ATTEMPTS_PER_MINUTE,
        lockout_failures=100,
        trusted_proxies=trusted_proxies,
    )
    server = ThreadedServer(lambda: create_app(limited, central, notify=False), trusted_proxies)
    server.start()
    try:
        with httpx.Client(base_url=server.url) as client:
            yield client
    finally:
        server.stop()


def _wrong_login(client: httpx.Client, number: int, forwarded_for: str) -> int:
    response = client.post(
        "/api/auth/login",
        json={
            "username": f"guess-{number}",
            "password": "wrong-password",
            "device_id": "00000000-0000-4000-8000-000000000000",
        },
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def test_wrong_logins_with_a_new_forwarded_address_each_are_rate_limited(
    settings: Settings, central: Database
) -> None:
    with _serving(settings, central, trusted_proxies=()) as client:
        answers = [_wrong_login(client, n, f"203.0.113.{n}") for n in range(12)]
    assert answers == [401] * ATTEMPTS_PER_MINUTE + [429] * (12 - ATTEMPTS_PER_MINUTE)


def test_a_trusted_proxys_forwarded_addresses_are_limited_each_on_its_own(
    settings: Settings, central: Database
) -> None:
    """The control: behind a proxy the server was told about, the header
    names the client, and each client has its own limit."""
    with _serving(settings, central, trusted_proxies=("127.0.0.1",)) as client:
        apart = [_wrong_login(client, n, f"203.0.113.{n}") for n in range(12)]
        one_client = [_wrong_login(client, n, "198.51.100.7") for n in range(12, 16)]
    assert apart == [401] * 12
    assert one_client == [401] * ATTEMPTS_PER_MINUTE + [429]


def test_trusted_proxies_are_read_as_addresses_or_networks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET", "s" * 48)
    monkeypatch.delenv("SETH_CLINIC_TRUSTED_PROXIES", raising=False)
    assert load_settings(tmp_path).trusted_proxies == ()
    monkeypatch.setenv("SETH_CLINIC_TRUSTED_PROXIES", " 10.0.0.5, 192.168.8.0/24,,::1 ")
    assert load_settings(tmp_path).trusted_proxies == ("10.0.0.5", "192.168.8.0/24", "::1")
    monkeypatch.setenv("SETH_CLINIC_TRUSTED_PROXIES", "10.0.0.5,*")
    with pytest.raises(ConfigError, match=r"SETH_CLINIC_TRUSTED_PROXIES.*'\*'"):
        load_settings(tmp_path)
