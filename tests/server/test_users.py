"""Adding users: the rules of :func:`clinic.org.service.create_user`, and
each of its callers (the admin API, ``seth-clinic-server create-user``, the
first admin, the demo clinic) leaving one audit event per user it adds."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.enums import Role
from clinic.errors import AlreadyTaken, InvalidValue, NotAllowed
from clinic.journal.models import AuditEvent, ChangeLogEntry
from clinic.org.models import Branch, Device, User
from clinic.org.service import create_user
from server import cli
from server.database import SERVER_ACTOR, SERVER_DEVICE_ID, Database, create_first_admin
from server.demo import DEMO_USERS, seed_demo
from tests.central import MakeStaff, bearer, login

pytestmark = pytest.mark.postgres

HASH = "$argon2id$not-checked-here"


def _add(session: Session, username: str, role: Role | str = Role.NURSE, **given: object) -> User:
    return create_user(
        username,
        username.title(),
        role,
        password_hash=HASH,
        session=session,
        actor=SERVER_ACTOR,
        **given,
    )


def _audits(session: Session, user_id: uuid.UUID) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity == "users",
                AuditEvent.entity_id == user_id,
                AuditEvent.action == "create_user",
            )
        )
    )


def _written(session: Session) -> tuple[int, int, int]:
    """How many users, audit events and change-feed entries there are."""
    users, events, feed = (
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (User, AuditEvent, ChangeLogEntry)
    )
    return users, events, feed


def _main(session: Session) -> uuid.UUID:
    main = session.scalar(select(Branch.id).where(Branch.code == "MAIN"))
    assert main is not None
    return main


# --- the service's rules -------------------------------------------------------------


def test_a_user_is_added_with_its_feed_entry_and_one_audit_event(central: Database) -> None:
    with central.sessions.begin() as session:
        user = _add(session, "a.wanjiru", Role.CASHIER, must_change_password=True)
    with central.sessions() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        assert (stored.username, stored.role, stored.branch_id) == (
            "a.wanjiru",
            Role.CASHIER,
            _main(session),
        )
        assert stored.password_hash == HASH and stored.must_change_password
        assert stored.device_id == SERVER_DEVICE_ID and stored.version == 1
        (event,) = _audits(session, user.id)
        assert event.device_id == SERVER_DEVICE_ID and event.user_id is None
        assert event.after is not None and event.after["username"] == "a.wanjiru"
        assert "password_hash" not in event.after
        feed = session.scalars(select(ChangeLogEntry).where(ChangeLogEntry.row_id == user.id))
        assert [(e.entity, e.version) for e in feed] == [("users", 1)]


def test_staff_default_to_main_and_an_admin_to_all_branches(central: Database) -> None:
    with central.sessions.begin() as session:
        session.add(Branch(code="UTW", name="Utawala"))
        nurse = _add(session, "nurse.one")
        admin = _add(session, "admin.one", Role.ADMIN)
        branch_admin = _add(session, "admin.two", Role.ADMIN, branch_code="UTW")
        clinician = _add(session, "co.one", "clinical_officer", branch_code="UTW")
        utawala = session.scalar(select(Branch.id).where(Branch.code == "UTW"))
        assert nurse.branch_id == _main(session)
        assert admin.branch_id is None
        assert branch_admin.branch_id == utawala
        assert (clinician.role, clinician.branch_id) == (Role.CLINICAL_OFFICER, utawala)


@pytest.mark.parametrize(
    ("username", "given", "error", "field"),
    [
        ("taken", {}, AlreadyTaken, "username"),
        ("Has Spaces", {}, InvalidValue, "username"),
        ("x", {}, InvalidValue, "username"),
        ("new.one", {"role": "boss"}, InvalidValue, "role"),
        ("new.two", {"branch_code": "NOPE"}, InvalidValue, "branch_code"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    central: Database,
    username: str,
    given: dict[str, object],
    error: type[InvalidValue],
    field: str,
) -> None:
    with central.sessions.begin() as session:
        _add(session, "taken")
    with central.sessions() as session:
        before = _written(session)
        with pytest.raises(error) as raised:
            _add(session, username, **given)
        assert raised.value.field == field
        assert not session.new
        assert _written(session) == before


def test_only_a_role_that_may_write_users_adds_one(central: Database) -> None:
    nurse = Actor(device_id=SERVER_DEVICE_ID, user_id=uuid.uuid4(), role=Role.NURSE)
    with central.sessions() as session:
        before = _written(session)
        with pytest.raises(NotAllowed):
            create_user("new.one", "New One", Role.NURSE, password_hash=HASH,
                        session=session, actor=nurse)  # fmt: skip
        assert _written(session) == before


# --- each caller -----------------------------------------------------------------------


def test_the_admin_api_audits_the_user_it_adds(
    client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    root = make_staff(Role.ADMIN, "root", branch_code=None)
    body = {
        "username": "j.mwangi",
        "full_name": "John Mwangi",
        "role": "cashier",
        "password": "first-password-123",
    }
    headers = bearer(login(client, root))
    created = client.post("/api/users", json=body, headers=headers)
    assert created.status_code == 201, created.text
    taken = client.post("/api/users", json=body, headers=headers)
    assert taken.status_code == 409
    assert taken.json()["error"]["fields"] == [
        {"field": "username", "reason": "The username j.mwangi is taken"}
    ]
    moved = client.patch(
        f"/api/users/{created.json()['id']}", json={"branch_code": "NOPE"}, headers=headers
    )
    assert moved.status_code == 422
    assert [f["field"] for f in moved.json()["error"]["fields"]] == ["branch_code"]
    with central.sessions() as session:
        user_id = uuid.UUID(created.json()["id"])
        (event,) = _audits(session, user_id)
        assert event.user_id == root.id
        stored = session.get(User, user_id)
        assert stored is not None and stored.created_by == root.id
        assert stored.branch_id == _main(session)


def test_the_command_line_audits_the_user_it_adds(
    central: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = central.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JWT_SECRET", "s" * 48)
    monkeypatch.setenv(cli.PASSWORD_ENV, "a-long-enough-password")
    command = ["--data-dir", str(tmp_path), "create-user", " Grace.W ", "--role", "nurse"]

    assert cli.main(command) == 0
    assert cli.main(command) == 1
    assert "seth-clinic-server: The username grace.w is taken" in capsys.readouterr().err
    assert cli.main([*command[:-2], "--role", "nurse", "--branch", "NOPE"]) == 1
    assert "seth-clinic-server: No branch with code NOPE" in capsys.readouterr().err
    with central.sessions() as session:
        user = session.scalar(select(User).where(User.username == "grace.w"))
        assert user is not None and user.branch_id == _main(session)
        assert len(_audits(session, user.id)) == 1
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_the_first_admin_is_audited(central: Database) -> None:
    assert create_first_admin(central) is not None
    with central.sessions() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        assert admin is not None and admin.branch_id is None and admin.must_change_password
        assert len(_audits(session, admin.id)) == 1


def test_the_demo_audits_every_user_it_adds_once_and_enrols_its_pc_for_every_role(
    central: Database,
) -> None:
    pc = uuid.uuid4()
    seed_demo(central)
    seed_demo(central, pc)  # adds no user the second time
    with central.sessions() as session:
        device = session.get(Device, pc)
        assert device is not None and device.branch_id == _main(session)
        assert sorted(device.roles) == sorted(role.value for role in Role)
        users = session.scalars(select(User)).all()
        assert {u.username for u in users} >= {name for name, _full, _role in DEMO_USERS}
        assert len(users) > len(DEMO_USERS)  # the clinic's own staff too
        for user in users:
            assert len(_audits(session, user.id)) == 1, user.username
