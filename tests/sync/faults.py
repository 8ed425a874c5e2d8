"""A faulty network between clinic PCs and the central API, in-process.

:class:`InProcessServer` serves the real FastAPI app (real PostgreSQL behind
it) through a kept-open ``TestClient``'s ASGI transport, and can be restarted
(a new app and a new engine on the same database). :class:`FaultyNetwork` is
one PC's ``httpx`` transport to it: armed with a fault, it injects it into
the n-th sync request from then on, the way a real network or a real crash
would. Every injected fault is counted in :data:`INJECTED`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from clinic.enums import Role
from server.app import create_app
from server.config import Settings
from server.database import CENTRAL, Database
from server.security import issue_access_token
from sync.credentials import Tokens, TokenStore


class KillClient(BaseException):  # a kill, not an error
    """The PC's process dies here. A BaseException, like a real kill: no
    ``except Exception`` in the engine gets to tidy up."""


class Fault(StrEnum):
    REQUEST_LOST = "request lost"
    RESPONSE_LOST = "response lost after commit"
    DUPLICATE = "duplicate delivery"
    KILL_BEFORE_SEND = "client killed before a request"
    KILL_AFTER_COMMIT = "client killed after the server committed"
    KILL_IN_TRANSACTION = "client killed inside a local write"
    TOKEN_EXPIRED = "access token expired mid-sync"
    SERVER_RESTART = "server restarted mid-sync"
    GATEWAY_TIMEOUT = "a proxy's 504 page after the server committed"


# What the network wrapper injects (KILL_IN_TRANSACTION is injected inside
# the engine by the test).
NETWORK_FAULTS = tuple(f for f in Fault if f != Fault.KILL_IN_TRANSACTION)

INJECTED: Counter[str] = Counter()
"""Faults injected in this run, by kind."""


def open_database(url: str) -> Database:
    engine = create_engine(url, pool_size=5)
    return Database(
        engine=engine, sessions=sessionmaker(engine, expire_on_commit=False, info=CENTRAL)
    )


class InProcessServer:
    """The central API served in-process over ASGI, on a real PostgreSQL."""

    def __init__(self, settings: Settings, url: str) -> None:
        self.settings = settings
        self.url = url
        self.database = open_database(url)
        self.client = self._start()

    def _start(self) -> TestClient:
        app = create_app(self.settings, self.database, notify=False)
        client = TestClient(app, raise_server_exceptions=True)
        client.__enter__()
        return client

    def handle(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = self.client._transport.handle_request(request)
        return response

    def restart(self) -> None:
        """Stop the app, drop its connections, and start a new one."""
        self.close()
        self.database = open_database(self.url)
        self.client = self._start()

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.database.close()


def expired_access_token(
    settings: Settings, user_id: uuid.UUID, device_id: uuid.UUID, role: Role, branch: uuid.UUID
) -> str:
    token, _ = issue_access_token(
        settings.jwt_secret,
        user_id=user_id,
        device_id=device_id,
        role=role,
        branch_id=branch,
        must_change_password=False,
        lifetime=timedelta(minutes=-5),
        session_id=uuid.uuid4(),
    )
    return token


def expire_stored_token(device_id: uuid.UUID, expired: str) -> None:
    """Overwrite the device's access token in the keyring with an expired
    one (the refresh token stays)."""
    store = TokenStore(device_id)
    tokens = store.load()
    assert tokens is not None
    store.save(Tokens(expired, tokens.refresh_token))


class FaultyNetwork(httpx.BaseTransport):
    """One PC's link to the server. ``arm(fault, after)`` injects ``fault``
    into the ``after``-th sync request (0: the next one) that passes; an
    expiring token expires just before that request (its tokens are read
    from the keyring when it is made, so the PC sends the expired one)."""

    def __init__(self, server: InProcessServer, expire_token: Callable[[], object]) -> None:
        self.server = server
        self.expire_token = expire_token
        self.armed: tuple[Fault, int] | None = None

    def arm(self, fault: Fault, after: int) -> None:
        self.armed = (fault, after)
        if fault == Fault.TOKEN_EXPIRED and after == 0:
            self._expire()

    def disarm(self) -> None:
        self.armed = None

    def _expire(self) -> None:
        self.armed = None
        INJECTED[Fault.TOKEN_EXPIRED.value] += 1
        self.expire_token()

    def _due(self, request: httpx.Request) -> Fault | None:
        if self.armed is None or not request.url.path.startswith("/api/sync/"):
            return None
        fault, after = self.armed
        if fault == Fault.TOKEN_EXPIRED:
            if after <= 1:
                return fault
            self.armed = (fault, after - 1)
            return None
        if after > 0:
            self.armed = (fault, after - 1)
            return None
        self.armed = None
        INJECTED[fault.value] += 1
        return fault

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._due(request)
        if fault is None:
            return self.server.handle(request)
        if fault == Fault.TOKEN_EXPIRED:
            response = self.server.handle(request)
            self._expire()
            return response
        if fault == Fault.REQUEST_LOST:
            raise httpx.ConnectError("injected: request lost", request=request)
        if fault == Fault.KILL_BEFORE_SEND:
            raise KillClient(request.url.path)
        if fault == Fault.SERVER_RESTART:
            self.server.restart()
            return self.server.handle(request)
        response = self.server.handle(request)
        response.read()
        if fault == Fault.DUPLICATE:
            again = self.server.handle(request)
            again.read()
            return again
        if fault == Fault.RESPONSE_LOST:
            raise httpx.ReadError("injected: response lost", request=request)
        if fault == Fault.GATEWAY_TIMEOUT:
            # nginx gave up waiting (its proxy_read_timeout) while the server
            # went on to commit, and answers with its own page instead.
            page = b"<html><head><title>504 Gateway Time-out</title></head></html>"
            return httpx.Response(504, content=page, headers={"Content-Type": "text/html"})
        if fault == Fault.KILL_AFTER_COMMIT:
            raise KillClient(request.url.path)
        raise AssertionError(f"unknown fault {fault}")


def summary(extra: dict[str, Any] | None = None) -> str:
    lines = ["sync property test: faults injected by kind"]
    total = 0
    for fault in Fault:
        count = INJECTED.get(fault.value, 0)
        total += count
        lines.append(f"  {fault.value:<45} {count:>7}")
    lines.append(f"  {'total':<45} {total:>7}")
    for key, value in sorted((extra or {}).items()):
        lines.append(f"  {key:<45} {value!s:>7}")
    return "\n".join(lines)
