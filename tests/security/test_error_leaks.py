"""Refusals quoted the database's text (constraint names, key values) and
the log of an unhandled error carried its bound values, among them an
argon2 password hash and clinical text. Answers and logs now carry no SQL,
no constraint names and no values. The database errors are real ones,
raised by triggers in the test's own database."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clinic.enums import Role
from server.app import create_app
from server.config import Settings
from server.database import Database
from server.observability import JsonFormatter
from tests.central import MakeStaff, bearer, login
from tests.server.helpers import assert_error, open_visit, register

pytestmark = pytest.mark.postgres

COMPLAINT = "Haemoptysis since the long rains"
CONSTRAINT = "uq_patients_residence_probe"
RESIDENCE = "Kibera Olympic estate"
FAILING_ROW = "RAISE EXCEPTION 'probe' USING DETAIL = 'Failing row contains ' || NEW::text"

Trigger = Callable[[str, str], None]


@pytest.fixture
def failing_trigger(central: Database) -> Trigger:
    """``failing_trigger(table, raise_statement)``: from now on every insert
    into or update of ``table`` runs the PL/pgSQL ``raise_statement`` (which
    may quote ``NEW``, the row, as PostgreSQL's own refusals do)."""

    def install(table: str, raise_statement: str) -> None:
        with central.engine.begin() as connection:
            connection.execute(
                text(
                    f"CREATE FUNCTION probe_{table}() RETURNS trigger LANGUAGE plpgsql "
                    f"AS $$ BEGIN {raise_statement}; END $$"
                )
            )
            connection.execute(
                text(
                    f"CREATE TRIGGER probe_{table} BEFORE INSERT OR UPDATE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION probe_{table}()"
                )
            )

    return install


def _leaks(written: str, *secrets: str) -> list[str]:
    return [secret for secret in secrets if secret in written]


@pytest.mark.parametrize(
    ("condition", "sqlstate", "status", "code"),
    [
        ("unique_violation", "23505", 409, "conflict"),
        ("numeric_value_out_of_range", "22003", 422, "invalid"),
    ],
)
def test_a_database_refusal_answers_without_its_sql_constraint_or_values(
    client: TestClient,
    make_staff: MakeStaff,
    failing_trigger: Trigger,
    caplog: pytest.LogCaptureFixture,
    condition: str,
    sqlstate: str,
    status: int,
    code: str,
) -> None:
    reception = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    failing_trigger(
        "patients",
        f"RAISE EXCEPTION 'duplicate key value violates unique constraint \"{CONSTRAINT}\"' "
        f"USING ERRCODE = '{condition}', CONSTRAINT = '{CONSTRAINT}', "
        "DETAIL = 'Key (residence)=(' || NEW.residence || ') already exists.'",
    )
    caplog.set_level(logging.INFO)

    answer = client.post(
        "/api/patients",
        json={"first_name": "Akinyi", "last_name": "Otieno", "residence": RESIDENCE},
        headers=reception,
    )

    assert_error(answer, status, code)
    assert _leaks(answer.text, CONSTRAINT, RESIDENCE, "INSERT", "residence") == []
    logged = "".join(JsonFormatter().format(record) for record in caplog.records)
    assert f"SQLSTATE {sqlstate}" in logged
    assert _leaks(caplog.text + logged, CONSTRAINT, RESIDENCE, "INSERT") == []


@pytest.fixture
def raising_client(settings: Settings, central: Database) -> Iterator[TestClient]:
    """A client that gets the exception the app re-raises after its 500,
    as uvicorn does (and logs)."""
    with TestClient(create_app(settings, central)) as client:
        yield client


def test_an_unhandled_database_error_logs_no_password_hash_or_clinical_text(
    client: TestClient,
    raising_client: TestClient,
    make_staff: MakeStaff,
    failing_trigger: Trigger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reception = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    officer = bearer(login(client, make_staff(Role.CLINICAL_OFFICER)))
    admin = bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))
    visit = open_visit(client, reception, register(client, reception)["id"])
    moved = client.post(
        f"/api/visits/{visit['id']}/status",
        json={"status": "WAITING_CONSULTATION"},
        headers=reception,
    )
    assert moved.status_code == 200, moved.text
    new_user = {"username": "kamau", "full_name": "Kamau", "role": "nurse", "password": "p" * 12}
    consultation = f"/api/visits/{visit['id']}/consultation"
    failing_trigger("users", FAILING_ROW)
    failing_trigger("visits", FAILING_ROW)
    caplog.set_level(logging.INFO)

    answers = [
        client.post("/api/users", json=new_user, headers=admin),
        client.put(consultation, json={"complaint": COMPLAINT}, headers=officer),
    ]

    for answer in answers:
        assert answer.status_code == 500, answer.text
        assert answer.json()["error"]["code"] == "internal"
        assert _leaks(answer.text, "$argon2", COMPLAINT, "probe", "UPDATE") == []
    logged = [JsonFormatter().format(record) for record in caplog.records]
    assert sum('"unhandled error"' in line for line in logged) == 2
    assert sum("SQLSTATE P0001" in line for line in logged) == 2
    assert _leaks(caplog.text + "".join(logged), "$argon2", COMPLAINT, "Failing row") == []

    # What escapes the app uvicorn logs with its traceback, through the same formatter.
    with pytest.raises(DBAPIError) as escaped:
        raising_client.put(consultation, json={"complaint": COMPLAINT}, headers=officer)
    error = escaped.value
    assert COMPLAINT in str(error.orig)  # the database's text does carry it
    uvicorn_line = JsonFormatter().format(
        logging.LogRecord(
            "uvicorn.error",
            logging.ERROR,
            __file__,
            0,
            "Exception in ASGI application",
            None,
            (type(error), error, error.__traceback__),
        )
    )
    assert "Traceback (most recent call last)" in uvicorn_line
    assert "SQLSTATE P0001" in uvicorn_line
    assert _leaks(uvicorn_line, COMPLAINT, "Failing row", "UPDATE visits") == []
