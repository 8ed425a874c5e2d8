"""Attacks on the admin's desk: staff who are no admins calling it (the role
matrix walks every role against every endpoint; here the ones an attacker
would try first), an admin of one branch reaching for another branch's staff
and PCs or for the whole clinic, made-up roles, and NUL characters in what
an admin types."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinic.enums import Role
from clinic.journal.models import AuditEvent
from clinic.org.models import Branch, Device, User
from server.database import Database
from tests.central import MakeStaff, Staff, bearer, login
from tests.server.helpers import assert_error

pytestmark = pytest.mark.postgres


def _audit_count(central: Database) -> int:
    with central.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


@pytest.fixture
def west_admin(make_staff: MakeStaff) -> Staff:
    return make_staff(Role.ADMIN, "west-admin", branch_code="WEST")


def test_a_cashier_cannot_make_themselves_an_admin_nor_add_a_branch(
    client: TestClient, main_cashier: Staff, central: Database
) -> None:
    headers = bearer(login(client, main_cashier))
    before = _audit_count(central)

    attempts = (
        client.patch(f"/api/users/{main_cashier.id}", json={"role": "admin"}, headers=headers),
        client.post("/api/branches", json={"code": "EVIL", "name": "Evil"}, headers=headers),
        client.get("/api/devices", headers=headers),
    )

    for refused in attempts:
        assert_error(refused, 403, "forbidden", message="cashier")
    with central.sessions() as session:
        user = session.get(User, main_cashier.id)
        assert user is not None and user.role == Role.CASHIER
        assert session.scalar(select(Branch.id).where(Branch.code == "EVIL")) is None
    assert _audit_count(central) == before


def test_an_admin_of_one_branch_stays_in_their_branch(
    client: TestClient,
    west_admin: Staff,
    main_cashier: Staff,
    west_cashier: Staff,
    central: Database,
) -> None:
    main_pc = uuid.uuid4()
    login(client, main_cashier, main_pc)
    headers = bearer(login(client, west_admin))
    before = _audit_count(central)

    listed = client.get("/api/users", headers=headers).json()
    assert {u["username"] for u in listed} == {"west-admin", "west-cashier"}
    devices = client.get("/api/devices", headers=headers).json()
    assert str(main_pc) not in {d["id"] for d in devices}

    new_user = {"full_name": "Sneaky", "role": "cashier", "password": "a-long-enough-password"}
    attempts = (
        client.patch(f"/api/users/{main_cashier.id}", json={"active": False}, headers=headers),
        client.patch(
            f"/api/users/{west_cashier.id}", json={"branch_code": "MAIN"}, headers=headers
        ),
        client.post(
            "/api/users",
            json=new_user | {"username": "sneaky.main", "branch_code": "MAIN"},
            headers=headers,
        ),
        client.post(
            "/api/users",
            json=new_user | {"username": "sneaky.root", "role": "admin", "branch_code": None},
            headers=headers,
        ),
        client.post(f"/api/devices/{main_pc}/revoke", headers=headers),
        client.patch(f"/api/devices/{main_pc}", json={"roles": ["admin"]}, headers=headers),
        client.post("/api/branches", json={"code": "EAST", "name": "East"}, headers=headers),
    )

    for refused in attempts:
        assert_error(refused, 403, "forbidden")
    assert _audit_count(central) == before
    with central.sessions() as session:
        cashier = session.get(User, main_cashier.id)
        moved = session.get(User, west_cashier.id)
        device = session.get(Device, main_pc)
        assert cashier is not None and cashier.active
        assert moved is not None and moved.branch_id != cashier.branch_id
        assert device is not None and device.revoked_at is None and device.roles == ["cashier"]
        assert session.scalar(select(User.id).where(User.username.like("sneaky%"))) is None
    # Their own branch is theirs to run.
    own = client.patch(f"/api/users/{west_cashier.id}", json={"role": "nurse"}, headers=headers)
    assert own.status_code == 200, own.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/branches", {"code": "WEST", "name": "West\x00lands"}, "name"),
        ("/api/branches", {"code": "W\x00", "name": "Westlands"}, "code"),
        ("/api/branches", {"code": "WEST", "name": "W", "kmhfl_code": "1\x002"}, "kmhfl_code"),
        (
            "/api/users",
            {
                "username": "nul.user",
                "full_name": "Nul\x00User",
                "role": "nurse",
                "password": "a-long-enough-password",
            },
            "full_name",
        ),
    ],
)
def test_nul_characters_are_refused_naming_the_field(
    client: TestClient, admin: Staff, central: Database, path: str, body: dict[str, str], field: str
) -> None:
    headers = bearer(login(client, admin))
    before = _audit_count(central)

    refused = client.post(path, json=body, headers=headers)

    assert_error(refused, 422, "invalid", fields={field}, message="not valid")
    assert _audit_count(central) == before


def test_made_up_roles_are_refused_for_users_and_pcs(
    client: TestClient, admin: Staff, main_cashier: Staff, central: Database
) -> None:
    pc = uuid.uuid4()
    login(client, main_cashier, pc)
    headers = bearer(login(client, admin))
    before = _audit_count(central)

    for refused in (
        client.patch(f"/api/users/{main_cashier.id}", json={"role": "root"}, headers=headers),
        client.patch(f"/api/users/{main_cashier.id}", json={"role": "ADMIN"}, headers=headers),
        client.patch(f"/api/devices/{pc}", json={"roles": ["cashier", "root"]}, headers=headers),
        client.patch(f"/api/devices/{pc}", json={"roles": ["\x00"]}, headers=headers),
    ):
        assert_error(refused, 422, "invalid")
    assert _audit_count(central) == before
