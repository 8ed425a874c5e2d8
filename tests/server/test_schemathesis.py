"""Property-based run over the API's OpenAPI schema: schemathesis makes
valid and invalid requests for every operation, as an admin (password
already changed), and checks that none gets a 5xx and that every answer
matches the schema. Bounded (15 examples per operation and mode, no
shrinking) and derandomized, so it is the same run every time.

One test per operation and mode (valid, invalid). The operations are read
from the schema at collection time (building the app connects to nothing);
schemathesis' own ``from_fixture`` loader does not run under pytest 9, so
the cases are drawn with Hypothesis directly from each operation."""

from __future__ import annotations

import unittest
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from clinic.enums import Role
from clinic.org.models import User
from server.app import create_app
from server.config import Settings
from server.database import CENTRAL, SERVER_DEVICE_ID, Database, add_central
from server.schemas import ErrorOut
from server.security import hash_password
from tests.central import PASSWORD, bearer
from tests.server.helpers import database_from_template

pytestmark = pytest.mark.postgres

MAX_EXAMPLES = 15
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the schema."""
    engine = create_engine("postgresql+psycopg://nobody@localhost/unused")
    database = Database(engine=engine, sessions=sessionmaker(engine, info=CENTRAL))
    settings = Settings(data_dir=None, database_url=None, jwt_secret="s" * 48)  # type: ignore[arg-type]
    paths = create_app(settings, database).openapi()["paths"]
    engine.dispose()
    return [
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method in HTTP_METHODS
    ]


OPERATIONS = _operations()


@dataclass
class Fuzzing:
    schema: Any
    headers: dict[str, str]


@pytest.fixture(scope="module")
def fuzzing(
    postgres_server: str, central_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzzing]:
    """The schema loaded from the app on a database of this module's own,
    and an admin's token. Every operation is fuzzed against the same data,
    so later operations meet the rows earlier ones made."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("fuzz"),
        database_url=None,
        jwt_secret="f" * 48,
        login_rate_per_minute=100_000,  # the fuzzer logs in far more often than a person
    )
    with database_from_template(postgres_server, central_template, "fuzz") as database:
        with database.sessions.begin() as session:
            add_central(
                session,
                User(
                    username="fuzz-admin",
                    full_name="Fuzz Admin",
                    role=Role.ADMIN,
                    password_hash=hash_password(PASSWORD),
                    device_id=SERVER_DEVICE_ID,
                ),
            )
        app = create_app(settings, database)
        with TestClient(app) as client:  # runs the app's start-up and shut-down around the run
            response = client.post(
                "/api/auth/login",
                json={
                    "username": "fuzz-admin",
                    "password": PASSWORD,
                    "device_id": str(uuid.uuid4()),
                },
            )
            assert response.status_code == 200, response.text
            yield Fuzzing(
                schemathesis.openapi.from_asgi("/openapi.json", app), bearer(response.json())
            )


def error_shape(_ctx: Any, response: Any, _case: Any) -> None:
    """Every error answers in the one JSON shape, whatever the schema says
    of its status (a status without a body schema is not checked by
    ``response_schema_conformance``)."""
    if response.status_code < 400 or response.request.method == "HEAD":
        return
    body = ErrorOut.model_validate_json(response.content)
    # schemathesis keeps every header's values as a list
    assert [body.request_id] == response.headers["x-request-id"], body


CHECKS = [not_a_server_error, response_schema_conformance, error_shape]


def test_every_operation_is_fuzzed() -> None:
    labels = {f"{method} {path}" for method, path in OPERATIONS}
    assert {"POST /api/auth/login", "GET /api/patients", "GET /api/audit"} <= labels
    assert len(labels) >= 20


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_operation_conforms_to_the_schema(
    fuzzing: Fuzzing,
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    operation = fuzzing.schema[path][method]
    calls: list[int] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        # A fresh X-Request-ID each time, so a failure points at its log line.
        headers = fuzzing.headers | {"X-Request-ID": uuid.uuid4().hex}
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        calls.append(response.status_code)

    try:
        run()
    except (Unsatisfiable, unittest.SkipTest) as reason:
        # Nothing of this operation can be made invalid (no parameters, no body).
        assert mode == GenerationMode.NEGATIVE, reason
        pytest.skip(f"no invalid request to make: {reason}")
    assert calls, "schemathesis made no request"
