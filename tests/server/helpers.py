"""Helpers the central API tests share: the error shape, an app on its own
settings, and quick ways to make patients and visits through the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from server.app import create_app
from server.config import Settings
from server.database import CENTRAL, Database, central_engine

PHONE = "0712 345 678"
"""A valid Kenyan mobile number (stored as +254712345678)."""


def assert_error(
    response: httpx.Response,
    status: int,
    code: str | None = None,
    *,
    fields: set[str] | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """Check that ``response`` is an error in the API's one JSON shape
    (``{"error": {"code", "message", "fields": [{"field", "reason"}]},
    "request_id"}``) with the given status; ``fields`` are the field names
    it must name (exactly), ``message`` a part of its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "request_id"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, body
    assert isinstance(error["message"], str) and error["message"].strip(), body
    if code is not None:
        assert error["code"] == code, body
    if message is not None:
        assert message in error["message"], body
    assert isinstance(error["fields"], list), body
    for problem in error["fields"]:
        assert set(problem) == {"field", "reason"}, body
        assert problem["field"] and problem["reason"], body
    if fields is not None:
        assert {p["field"] for p in error["fields"]} == fields, body
    assert isinstance(body["request_id"], str) and body["request_id"], body
    assert response.headers["x-request-id"] == body["request_id"]
    return body


def unique_name() -> str:
    """A surname no other test patient has (letters only, as names must be)."""
    return "Ka" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])


def field_names(response: httpx.Response) -> set[str]:
    return {p["field"] for p in response.json()["error"]["fields"]}


@contextmanager
def app_client(
    settings: Settings,
    database: Database,
    address: str = "testclient",
    **overrides: Any,
) -> Iterator[TestClient]:
    """A client on a new app over ``database`` with ``settings`` changed by
    ``overrides``, calling from ``address``."""
    app = create_app(replace(settings, **overrides), database)
    with TestClient(app, raise_server_exceptions=False, client=(address, 50000)) as client:
        yield client


def other_address_client(client: TestClient, address: str) -> TestClient:
    """Another client on the same app (same limiter), from ``address``."""
    return TestClient(client.app, raise_server_exceptions=False, client=(address, 50000))


def register(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """Register a patient through the API and return the patient's JSON."""
    body = {"first_name": "Wanjiru", "last_name": unique_name()} | fields
    response = client.post("/api/patients", json=body, headers=headers)
    assert response.status_code == 201, response.text
    patient: dict[str, Any] = response.json()["patient"]
    return patient


def open_visit(client: TestClient, headers: dict[str, str], patient_id: str) -> dict[str, Any]:
    response = client.post("/api/visits", json={"patient_id": patient_id}, headers=headers)
    assert response.status_code == 201, response.text
    visit: dict[str, Any] = response.json()
    return visit


def app_endpoints(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path template) the app answers, routers included."""
    return {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if context.path is not None
        for method in context.methods or ()
    }


@contextmanager
def database_from_template(server_url: str, template: str, prefix: str) -> Iterator[Database]:
    """A migrated central database of its own, for tests that share one
    database across a module (dropped at the end)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine = central_engine(server_url.replace("/postgres?", f"/{name}?", 1))
    try:
        yield Database(
            engine=engine, sessions=sessionmaker(engine, expire_on_commit=False, info=CENTRAL)
        )
    finally:
        engine.dispose()
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        server.dispose()
