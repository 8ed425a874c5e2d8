"""The admin's desk on the server: branches (the services of
:mod:`clinic.org.service`, their API rows and ``seth-clinic-server
create-branch``), editing users (role, branch, a one-time password), and
devices (what they report at sync, the roles they serve)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.enums import Role
from clinic.errors import AlreadyTaken, Forbidden, InvalidValue
from clinic.journal.models import AuditEvent, ChangeLogEntry
from clinic.org.models import Branch, Device, User
from clinic.org.service import create_branch, update_branch
from server import cli
from server.callers import LAST_SEEN_PRECISION
from server.database import SERVER_ACTOR, SERVER_DEVICE_ID, Database
from sync.protocol import PROTOCOL_VERSION
from tests.central import MakeStaff, Staff, bearer, login
from tests.security.conftest import SCHEMA
from tests.server.helpers import assert_error

pytestmark = pytest.mark.postgres


def _written(session: Session) -> tuple[int, int, int]:
    """How many branches, audit events and change-feed entries there are."""
    counts = (
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Branch, AuditEvent, ChangeLogEntry)
    )
    branches, events, feed = counts
    return branches, events, feed


@pytest.fixture
def root(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.ADMIN, "root", branch_code=None)


@pytest.fixture
def root_headers(client: TestClient, root: Staff) -> dict[str, str]:
    return bearer(login(client, root))


# --- branches: the service -------------------------------------------------------


def test_a_branch_is_added_with_its_feed_entry_and_audit_event(central: Database) -> None:
    with central.sessions.begin() as session:
        branch = create_branch(
            " west ", "Westlands", kmhfl_code="13023", sha_facility_id="fid-22-101398-4",
            session=session, actor=SERVER_ACTOR,
        )  # fmt: skip
    with central.sessions() as session:
        stored = session.get(Branch, branch.id)
        assert stored is not None
        assert (stored.code, stored.name, stored.kmhfl_code, stored.sha_facility_id) == (
            "WEST",
            "Westlands",
            "13023",
            "FID-22-101398-4",
        )
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.entity_id == branch.id))
        assert event.action == "create_branch" and event.after is not None
        assert event.after["code"] == "WEST"
        feed = session.scalars(select(ChangeLogEntry).where(ChangeLogEntry.row_id == branch.id))
        assert [(e.entity, e.version) for e in feed] == [("branches", 1)]


@pytest.mark.parametrize(
    ("code", "given", "error", "field"),
    [
        ("MAIN", {}, AlreadyTaken, "code"),
        ("main", {}, AlreadyTaken, "code"),
        ("W", {}, InvalidValue, "code"),
        ("WEST LANDS", {}, InvalidValue, "code"),
        ("WEST", {"kmhfl_code": "13O23"}, InvalidValue, "kmhfl_code"),
        ("WEST", {"sha_facility_id": "FID\x0022"}, InvalidValue, "sha_facility_id"),
        ("WEST", {"name": "  "}, InvalidValue, "name"),
    ],
)
def test_a_bad_branch_names_the_field_and_writes_nothing(
    central: Database, code: str, given: dict[str, str], error: type[InvalidValue], field: str
) -> None:
    values = {"name": "Westlands"} | given
    with central.sessions() as session:
        before = _written(session)
        with pytest.raises(error) as raised:
            create_branch(code, session=session, actor=SERVER_ACTOR, **values)
        assert raised.value.field == field
        session.rollback()
        assert _written(session) == before
    if error is AlreadyTaken:
        assert "Another branch has the code MAIN" in raised.value.reason


def test_main_keeps_its_code_and_another_branch_takes_no_taken_code(central: Database) -> None:
    with central.sessions.begin() as session:
        west = create_branch("WEST", "Westlands", session=session, actor=SERVER_ACTOR)
        main = session.scalars(select(Branch).where(Branch.code == "MAIN")).one()
    with central.sessions() as session:
        with pytest.raises(InvalidValue, match="MAIN keeps its code"):
            update_branch(main.id, {"code": "HQ"}, session=session, actor=SERVER_ACTOR)
        session.rollback()
        with pytest.raises(AlreadyTaken):
            update_branch(west.id, {"code": "MAIN"}, session=session, actor=SERVER_ACTOR)
        session.rollback()
        with pytest.raises(InvalidValue) as unknown:
            update_branch(west.id, {"colour": "red"}, session=session, actor=SERVER_ACTOR)
        assert unknown.value.field == "colour"
    with central.sessions.begin() as session:
        changed = update_branch(
            main.id, {"name": "Main clinic", "kmhfl_code": "12345"},
            session=session, actor=SERVER_ACTOR,
        )  # fmt: skip
        assert (changed.code, changed.name, changed.kmhfl_code) == ("MAIN", "Main clinic", "12345")


def test_only_an_admin_of_all_branches_adds_a_branch(central: Database) -> None:
    with central.sessions() as session:
        main = session.scalar(select(Branch.id).where(Branch.code == "MAIN"))
    for role, branch in ((Role.ADMIN, main), (Role.CASHIER, main)):
        actor = Actor(device_id=SERVER_DEVICE_ID, user_id=uuid.uuid4(), role=role, branch_id=branch)
        with central.sessions() as session:
            before = _written(session)
            with pytest.raises(Forbidden):
                create_branch("WEST", "Westlands", session=session, actor=actor)
            assert _written(session) == before


# --- branches: the API and the command line ------------------------------------------


def test_the_api_lists_adds_and_edits_branches(
    client: TestClient, root_headers: dict[str, str]
) -> None:
    body = {"code": "KIT", "name": "Kitengela", "kmhfl_code": "20111"}
    created = client.post("/api/branches", json=body, headers=root_headers)
    assert created.status_code == 201, created.text
    branch = created.json()
    assert (branch["code"], branch["kmhfl_code"], branch["sha_facility_id"]) == (
        "KIT",
        "20111",
        None,
    )

    again = client.post("/api/branches", json=body | {"code": "kit"}, headers=root_headers)
    assert_error(again, 409, "exists", fields={"code"}, message="Another branch has the code KIT")
    bad = client.post("/api/branches", json=body | {"kmhfl_code": "twenty"}, headers=root_headers)
    assert_error(bad, 422, "invalid", fields={"kmhfl_code"})

    edited = client.patch(
        f"/api/branches/{branch['id']}",
        json={"sha_facility_id": "FID-22-1", "kmhfl_code": None},
        headers=root_headers,
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["sha_facility_id"], edited.json()["kmhfl_code"]) == ("FID-22-1", None)
    listed = client.get("/api/branches", headers=root_headers).json()
    assert [b["code"] for b in listed] == ["KIT", "MAIN"]
    missing = client.patch(f"/api/branches/{uuid.uuid4()}", json={}, headers=root_headers)
    assert_error(missing, 404, "not_found")


def test_the_command_line_adds_a_branch_and_refuses_a_taken_code(
    central: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", central.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("JWT_SECRET", "s" * 48)
    command = ["--data-dir", str(tmp_path), "create-branch", "WEST", "--name", "Westlands"]

    assert cli.main([*command, "--kmhfl", "13023", "--sha-facility", "FID-1"]) == 0
    assert "Created branch WEST." in capsys.readouterr().out
    assert cli.main(command) == 1
    assert "seth-clinic-server: code: Another branch has the code WEST" in capsys.readouterr().err
    assert cli.main([*command[:-3], "EAST", "--name", "East", "--kmhfl", "x"]) == 1
    assert "kmhfl_code: The KMHFL code is the facility's number" in capsys.readouterr().err
    with central.sessions() as session:
        codes = session.scalars(select(Branch.code).order_by(Branch.code)).all()
        west = session.scalars(select(Branch).where(Branch.code == "WEST")).one()
    assert list(codes) == ["MAIN", "WEST"]
    assert (west.kmhfl_code, west.sha_facility_id) == ("13023", "FID-1")


# --- users -----------------------------------------------------------------------


def test_an_admin_moves_a_user_and_changes_their_role(
    client: TestClient, make_staff: MakeStaff, root_headers: dict[str, str], central: Database
) -> None:
    nurse = make_staff(Role.NURSE, "akinyi")
    make_staff(Role.CASHIER, "west-cashier", branch_code="WEST")

    moved = client.patch(
        f"/api/users/{nurse.id}",
        json={"role": "clinical_officer", "branch_code": "WEST"},
        headers=root_headers,
    )

    assert moved.status_code == 200, moved.text
    with central.sessions() as session:
        user = session.get(User, nurse.id)
        west = session.scalar(select(Branch.id).where(Branch.code == "WEST"))
        assert user is not None and (user.role, user.branch_id) == (Role.CLINICAL_OFFICER, west)
        (event,) = session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_id == nurse.id, AuditEvent.action == "update_user"
            )
        )
        assert event.before is not None and event.before["role"] == "nurse"
        assert event.after is not None and event.after["role"] == "clinical_officer"


def test_an_unknown_role_is_refused_naming_the_roles(
    client: TestClient, make_staff: MakeStaff, root_headers: dict[str, str]
) -> None:
    nurse = make_staff(Role.NURSE, "akinyi")
    for response in (
        client.patch(f"/api/users/{nurse.id}", json={"role": "boss"}, headers=root_headers),
        client.post(
            "/api/users",
            json={
                "username": "new.one",
                "full_name": "New One",
                "role": "boss",
                "password": "a-long-enough-password",
            },
            headers=root_headers,
        ),
    ):
        body = assert_error(response, 422, "invalid", fields={"role"})
        assert "receptionist" in body["error"]["fields"][0]["reason"]
    users = client.get("/api/users", headers=root_headers).json()
    assert {(u["username"], u["role"]) for u in users} == {("akinyi", "nurse"), ("root", "admin")}


def test_a_password_reset_is_one_time_and_ends_the_users_sessions(
    client: TestClient, make_staff: MakeStaff, root_headers: dict[str, str], central: Database
) -> None:
    cashier = make_staff(Role.CASHIER, "otieno")
    tokens = login(client, cashier)

    reset = client.patch(
        f"/api/users/{cashier.id}",
        json={"password": "one-time-password-77"},
        headers=root_headers,
    )

    assert reset.status_code == 200, reset.text
    assert reset.json()["must_change_password"] is True
    with central.sessions() as session:
        (event,) = session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_id == cashier.id, AuditEvent.action == "reset_password"
            )
        )
        assert event.after is not None and "password_hash" not in event.after
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_error(refreshed, 401, "unauthorized")
    answer = client.post(
        "/api/auth/login",
        json={
            "username": "otieno",
            "password": "one-time-password-77",
            "device_id": str(uuid.uuid4()),
        },
    )
    assert answer.status_code == 200 and answer.json()["must_change_password"] is True
    blocked = client.get("/api/patients", params={"q": "ab"}, headers=bearer(answer.json()))
    assert_error(blocked, 403, "forbidden", message="Change your one-time password first")


def test_nobody_deactivates_themselves(
    client: TestClient, root: Staff, root_headers: dict[str, str]
) -> None:
    refused = client.patch(f"/api/users/{root.id}", json={"active": False}, headers=root_headers)
    assert_error(refused, 409, "not_allowed", message="your own account")
    assert client.get("/api/auth/me", headers=root_headers).status_code == 200


# --- devices -----------------------------------------------------------------------


def _push(client: TestClient, headers: dict[str, str], **reported: object) -> None:
    body = {
        "protocol": PROTOCOL_VERSION,
        "schema": SCHEMA,
        "client_time": datetime.now(UTC).isoformat(),
        "mutations": [],
    } | reported
    response = client.post("/api/sync/push", json=body, headers=headers)
    assert response.status_code == 200, response.text


def test_the_device_list_shows_what_each_pc_reported_at_sync(
    client: TestClient, make_staff: MakeStaff, root_headers: dict[str, str]
) -> None:
    nurse = make_staff(Role.NURSE, "akinyi")
    triage_pc = uuid.uuid4()
    headers = bearer(login(client, nurse, triage_pc))

    _push(client, headers, app_version="1.4.2", pending=37)

    (device,) = [
        d for d in client.get("/api/devices", headers=root_headers).json()
        if d["id"] == str(triage_pc)
    ]  # fmt: skip
    assert (device["roles"], device["app_version"], device["pending_changes"]) == (
        ["nurse"],
        "1.4.2",
        37,
    )
    assert device["last_seen_at"] is not None and device["clock_skew_seconds"] is not None
    assert device["revoked_at"] is None
    bad = client.post(
        "/api/sync/push",
        json={
            "protocol": PROTOCOL_VERSION,
            "schema": SCHEMA,
            "client_time": datetime.now(UTC).isoformat(),
            "mutations": [],
            "app_version": "1.0\x00",
        },
        headers=headers,
    )
    assert_error(bad, 422, "invalid", fields={"app_version"})


def test_an_admin_sets_the_roles_a_pc_serves(
    client: TestClient,
    make_staff: MakeStaff,
    root_headers: dict[str, str],
    central: Database,
) -> None:
    nurse = make_staff(Role.NURSE, "akinyi")
    cashier = make_staff(Role.CASHIER, "otieno")
    pc = uuid.uuid4()
    login(client, nurse, pc)
    refused = client.post(
        "/api/auth/login",
        json={"username": "otieno", "password": cashier.password, "device_id": str(pc)},
    )
    assert_error(refused, 403, "forbidden", message="This PC is set up for: nurse")

    changed = client.patch(
        f"/api/devices/{pc}", json={"roles": ["cashier", "nurse"]}, headers=root_headers
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["roles"] == ["nurse", "cashier"]
    login(client, cashier, pc)
    for roles, status in (([], 422), (["boss"], 422)):
        bad = client.patch(f"/api/devices/{pc}", json={"roles": roles}, headers=root_headers)
        assert_error(bad, status, "invalid", fields={"roles"} if not roles else None)
    server = client.patch(
        f"/api/devices/{SERVER_DEVICE_ID}", json={"roles": ["nurse"]}, headers=root_headers
    )
    assert_error(server, 404, "not_found")
    with central.sessions() as session:
        device = session.get(Device, pc)
        assert device is not None and device.roles == ["nurse", "cashier"]
        (event,) = session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_id == pc, AuditEvent.action == "set_device_roles"
            )
        )
        assert event.after == {"roles": ["nurse", "cashier"]}


def test_the_command_line_refuses_an_unknown_role_naming_the_roles(
    central: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", central.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv(cli.PASSWORD_ENV, "a-long-enough-password")

    with pytest.raises(SystemExit) as refused:
        cli.main(["--data-dir", str(tmp_path), "create-user", "new.one", "--role", "boss"])

    assert refused.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'boss'" in error and "receptionist" in error
    with central.sessions() as session:
        assert session.scalar(select(User.id).where(User.username == "new.one")) is None


def test_a_device_is_seen_at_its_requests_to_the_minute(
    client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    """``last_seen_at`` is written (a commit) when it is a minute old or
    more, not at every request on the way of a change to another PC."""
    nurse = make_staff(Role.NURSE, "wambui")
    pc = uuid.uuid4()
    headers = bearer(login(client, nurse, pc))

    def seen() -> datetime | None:
        with central.sessions() as session:
            device = session.get(Device, pc)
            assert device is not None
            return device.last_seen_at

    assert client.get("/api/auth/me", headers=headers).status_code == 200
    first = seen()
    assert first is not None
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    assert seen() == first
    with central.sessions() as session:
        device = session.get(Device, pc)
        assert device is not None
        device.last_seen_at = first - LAST_SEEN_PRECISION
        session.commit()
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    later = seen()
    assert later is not None and later > first
