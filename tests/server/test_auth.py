"""Authentication on the central API: login, devices, tokens (expired,
tampered, wrong key, ``alg: none``, refresh used as access), refresh
rotation and family revocation, logout, password change, the first
admin's one-time password, lockout, rate limits, revoked devices and
deactivated users. Every case runs on a fresh PostgreSQL database."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from clinic.db import utcnow
from clinic.enums import Role
from clinic.org.models import Branch, Device
from server.callers import KnownCallers
from server.config import Settings
from server.database import Database, create_first_admin
from server.models import DeviceUser, LoginFailure
from server.security import ALGORITHM, ISSUER, issue_access_token
from sync.protocol import PROTOCOL_VERSION
from tests.central import MakeStaff, Staff, bearer, login
from tests.security.conftest import SCHEMA
from tests.server.helpers import app_client, assert_error, other_address_client

pytestmark = pytest.mark.postgres

NEW_PASSWORD = "a-much-longer-passphrase"


def _login(
    client: TestClient,
    username: str,
    password: str,
    device_id: uuid.UUID | None = None,
    device_roles: list[str] | None = None,
) -> Any:
    body: dict[str, Any] = {
        "username": username,
        "password": password,
        "device_id": str(device_id or uuid.uuid4()),
    }
    if device_roles is not None:
        body["device_roles"] = device_roles
    return client.post("/api/auth/login", json=body)


def _refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post("/api/auth/refresh", json={"refresh_token": refresh_token})


def _me(client: TestClient, token: str) -> Any:
    return client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _branch_id(central: Database, code: str) -> str:
    with central.sessions() as session:
        return str(session.scalar(select(Branch.id).where(Branch.code == code)))


# --- login and devices --------------------------------------------------------


def test_unknown_user_and_wrong_password_get_the_same_answer(
    client: TestClient, make_staff: MakeStaff
) -> None:
    nurse = make_staff(Role.NURSE, "akinyi")
    wrong_password = _login(client, "akinyi", "not-the-password")
    unknown_user = _login(client, "nobody-here", "not-the-password")
    for response in (wrong_password, unknown_user):
        assert_error(response, 401, "unauthorized", fields=set())
        assert response.headers["www-authenticate"] == "Bearer"
    assert wrong_password.json()["error"] == unknown_user.json()["error"]
    assert wrong_password.json()["error"]["message"] == "Wrong username or password"
    assert _login(client, nurse.username, nurse.password).status_code == 200


def test_login_is_case_insensitive_and_returns_both_tokens(
    client: TestClient, make_staff: MakeStaff
) -> None:
    make_staff(Role.CASHIER, "otieno")
    response = _login(client, "  OTIENO ", "correct-horse-battery")
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 15 * 60
    assert tokens["must_change_password"] is False
    assert tokens["access_token"].count(".") == 2
    assert tokens["refresh_token"] and tokens["refresh_token"] != tokens["access_token"]


def test_a_device_is_enrolled_at_first_login_to_the_users_branch(
    client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    nurse = make_staff(Role.NURSE, "akinyi", branch_code="WEST")
    admin = make_staff(Role.ADMIN, "boss", branch_code=None)
    triage_pc, office_pc = uuid.uuid4(), uuid.uuid4()

    response = client.post(
        "/api/auth/login",
        json={
            "username": "akinyi",
            "password": nurse.password,
            "device_id": str(triage_pc),
            "device_name": "Triage PC",
        },
    )
    assert response.status_code == 200, response.text
    me = _me(client, response.json()["access_token"]).json()
    assert me["device_id"] == str(triage_pc)
    assert me["branch"]["code"] == "WEST"

    admin_tokens = login(client, admin, office_pc)
    listed = client.get("/api/devices", headers=bearer(admin_tokens))
    assert listed.status_code == 200, listed.text
    devices = {d["id"]: d for d in listed.json()}
    assert set(devices) == {str(triage_pc), str(office_pc)}
    assert devices[str(triage_pc)]["name"] == "Triage PC"
    assert devices[str(triage_pc)]["branch_id"] == _branch_id(central, "WEST")
    assert devices[str(triage_pc)]["enrolled_at"] is not None
    assert devices[str(triage_pc)]["revoked_at"] is None
    # An admin for all branches enrols their PC at MAIN.
    assert devices[str(office_pc)]["branch_id"] == _branch_id(central, "MAIN")
    assert devices[str(office_pc)]["name"] == f"PC {str(office_pc)[:8]}"

    # A second login from the same PC keeps its enrolment.
    login(client, nurse, triage_pc)
    again = client.get("/api/devices", headers=bearer(admin_tokens)).json()
    assert len(again) == 2


def _device(central: Database, device_id: uuid.UUID) -> Device:
    with central.sessions() as session:
        device = session.get(Device, device_id)
        assert device is not None
        return device


def _device_users(central: Database) -> set[tuple[uuid.UUID, uuid.UUID]]:
    with central.sessions() as session:
        return set(session.execute(select(DeviceUser.device_id, DeviceUser.user_id)))


def test_a_new_device_serves_the_first_users_role_or_the_admins_pick(
    client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    nurse = make_staff(Role.NURSE)
    cashier = make_staff(Role.CASHIER)
    receptionist = make_staff(Role.RECEPTIONIST)
    admin = make_staff(Role.ADMIN, branch_code=None)
    ward_pc, office_pc, front_pc = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    login(client, nurse, ward_pc)
    assert _device(central, ward_pc).roles == ["nurse"]
    login(client, admin, office_pc)
    assert _device(central, office_pc).roles == ["admin"]
    picked = _login(client, admin.username, admin.password, front_pc, ["cashier", "receptionist"])
    assert picked.status_code == 200, picked.text
    assert _device(central, front_pc).roles == ["receptionist", "cashier"]

    # An admin logs in on any PC; others where the PC serves their role.
    login(client, admin, ward_pc)
    login(client, cashier, front_pc)
    login(client, receptionist, front_pc)
    for staff, pc in ((nurse, front_pc), (cashier, office_pc), (receptionist, ward_pc)):
        refused = _login(client, staff.username, staff.password, pc)
        assert_error(refused, 403, "forbidden", message=f"let it serve {staff.role.value} too")


def test_device_roles_are_chosen_only_by_an_admin_at_first_login(
    client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    nurse = make_staff(Role.NURSE)
    admin = make_staff(Role.ADMIN, branch_code=None)
    pc = uuid.uuid4()
    by_nurse = _login(client, nurse.username, nurse.password, pc, ["nurse", "cashier"])
    assert_error(by_nurse, 422, "invalid", fields={"device_roles"})
    assert "Only an admin" in by_nurse.json()["error"]["fields"][0]["reason"]
    login(client, nurse, pc)
    again = _login(client, admin.username, admin.password, pc, ["nurse", "cashier"])
    assert_error(again, 422, "invalid", fields={"device_roles"})
    assert "already set up for: nurse" in again.json()["error"]["fields"][0]["reason"]
    assert _device(central, pc).roles == ["nurse"]
    none_at_all = _login(client, admin.username, admin.password, uuid.uuid4(), [])
    assert_error(none_at_all, 422, "invalid", fields={"device_roles"})


def test_an_online_login_records_who_logged_in_on_the_device(
    client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    first = make_staff(Role.RECEPTIONIST)
    second = make_staff(Role.RECEPTIONIST)
    shared_pc, other_pc = uuid.uuid4(), uuid.uuid4()
    assert _device_users(central) == set()
    login(client, first, shared_pc)
    login(client, first, shared_pc)
    login(client, second, shared_pc)
    login(client, second, other_pc)
    assert _device_users(central) == {
        (shared_pc, first.id),
        (shared_pc, second.id),
        (other_pc, second.id),
    }
    # A refused login records nothing.
    assert _login(client, first.username, "wrong-password", other_pc).status_code == 401
    assert (other_pc, first.id) not in _device_users(central)


def test_access_token_works_on_me(client: TestClient, make_staff: MakeStaff) -> None:
    officer = make_staff(Role.CLINICAL_OFFICER, "dr-mwangi")
    tokens = login(client, officer)
    me = client.get("/api/auth/me", headers=bearer(tokens))
    assert me.status_code == 200, me.text
    assert me.json()["user"]["id"] == str(officer.id)
    assert me.json()["user"]["role"] == "clinical_officer"
    assert "password_hash" not in me.json()["user"]
    assert_error(client.get("/api/auth/me"), 401, "unauthorized")


# --- tokens that must be refused ----------------------------------------------


@pytest.fixture
def session_of(client: TestClient, make_staff: MakeStaff) -> tuple[Staff, dict[str, Any]]:
    """A logged-in receptionist and what /me says about them."""
    staff = make_staff(Role.RECEPTIONIST, "wanjiku")
    tokens = login(client, staff)
    me = _me(client, tokens["access_token"])
    assert me.status_code == 200
    return staff, me.json() | {"tokens": tokens}


def _claims(me: dict[str, Any], **changes: Any) -> dict[str, Any]:
    now = int(utcnow().timestamp())
    return {
        "iss": ISSUER,
        "sub": me["user"]["id"],
        "dev": me["device_id"],
        "role": "receptionist",
        "br": me["user"]["branch_id"],
        "pwc": False,
        "typ": "access",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    } | changes


def _issue(settings: Settings, me: dict[str, Any], lifetime: timedelta, secret: str = "") -> str:
    token, _ = issue_access_token(
        secret or settings.jwt_secret,
        user_id=uuid.UUID(me["user"]["id"]),
        device_id=uuid.UUID(me["device_id"]),
        role=Role.RECEPTIONIST,
        branch_id=uuid.UUID(me["user"]["branch_id"]),
        must_change_password=False,
        lifetime=lifetime,
        session_id=uuid.uuid4(),
    )
    return token


def test_a_token_issued_by_the_server_key_works(
    client: TestClient, settings: Settings, session_of: tuple[Staff, dict[str, Any]]
) -> None:
    """The control for the refusals below: the same claims, well signed, pass."""
    _, me = session_of
    assert _me(client, _issue(settings, me, timedelta(minutes=5))).status_code == 200
    hand_made = jwt.encode(_claims(me), settings.jwt_secret, algorithm=ALGORITHM)
    assert _me(client, hand_made).status_code == 200


def test_expired_token_is_refused(
    client: TestClient, settings: Settings, session_of: tuple[Staff, dict[str, Any]]
) -> None:
    _, me = session_of
    expired = _issue(settings, me, timedelta(seconds=-30))
    assert_error(_me(client, expired), 401, "unauthorized", message="expired or not valid")


def test_a_token_that_worked_is_refused_once_it_expires(
    client: TestClient, settings: Settings, session_of: tuple[Staff, dict[str, Any]]
) -> None:
    """The process keeps the claims of a token it checked: its expiry is
    still checked on every request."""
    _, me = session_of
    token = _issue(settings, me, timedelta(seconds=2))  # "exp" whole seconds: 1-2 s left
    assert _me(client, token).status_code == 200
    time.sleep(2.1)
    assert_error(_me(client, token), 401, "unauthorized", message="expired or not valid")


def test_tampered_token_is_refused(
    client: TestClient, settings: Settings, session_of: tuple[Staff, dict[str, Any]]
) -> None:
    _, me = session_of
    header, payload, signature = me["tokens"]["access_token"].split(".")
    # Promote oneself to admin in the payload, keeping the signature.
    claims = json.loads(_unb64(payload))
    claims["role"] = "admin"
    promoted = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert_error(_me(client, promoted), 401, "unauthorized")
    # Flip one character in the middle of the payload.
    middle = len(payload) // 2
    flipped_char = "B" if payload[middle] != "B" else "C"
    flipped = f"{header}.{payload[:middle]}{flipped_char}{payload[middle + 1 :]}.{signature}"
    assert_error(_me(client, flipped), 401, "unauthorized")


def test_token_signed_with_another_key_is_refused(
    client: TestClient, settings: Settings, session_of: tuple[Staff, dict[str, Any]]
) -> None:
    _, me = session_of
    forged = _issue(settings, me, timedelta(minutes=5), secret="w" * 48)
    assert_error(_me(client, forged), 401, "unauthorized")


def test_alg_none_token_is_refused(
    client: TestClient, session_of: tuple[Staff, dict[str, Any]]
) -> None:
    _, me = session_of
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(me, role="admin")).encode())
    assert_error(_me(client, f"{header}.{payload}."), 401, "unauthorized")


def test_other_algorithm_with_the_right_key_is_refused(
    client: TestClient, settings: Settings, session_of: tuple[Staff, dict[str, Any]]
) -> None:
    _, me = session_of
    hs512 = jwt.encode(_claims(me), settings.jwt_secret, algorithm="HS512")
    assert_error(_me(client, hs512), 401, "unauthorized")


def test_refresh_token_is_not_an_access_token(
    client: TestClient, settings: Settings, session_of: tuple[Staff, dict[str, Any]]
) -> None:
    _, me = session_of
    assert_error(_me(client, me["tokens"]["refresh_token"]), 401, "unauthorized")
    typed_refresh = jwt.encode(_claims(me, typ="refresh"), settings.jwt_secret, ALGORITHM)
    assert_error(_me(client, typed_refresh), 401, "unauthorized")
    assert_error(client.get("/api/auth/me", headers={"Authorization": "Basic abc"}), 401)


# --- refresh rotation and logout ----------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_family(
    client: TestClient, make_staff: MakeStaff
) -> None:
    nurse = make_staff(Role.NURSE, "akinyi")
    first = login(client, nurse)
    other_device = login(client, nurse)  # a family of its own

    second = _refresh(client, first["refresh_token"])
    assert second.status_code == 200, second.text
    second_tokens = second.json()
    assert second_tokens["refresh_token"] != first["refresh_token"]
    assert _me(client, second_tokens["access_token"]).status_code == 200

    third = _refresh(client, second_tokens["refresh_token"])
    assert third.status_code == 200, third.text
    newest = third.json()["refresh_token"]

    # The first token, used already, comes back: refused, and the whole
    # family is revoked, so the newest token of the family fails too.
    assert_error(
        _refresh(client, first["refresh_token"]), 401, "unauthorized", message="already used"
    )
    assert_error(_refresh(client, newest), 401, "unauthorized")
    assert_error(_refresh(client, second_tokens["refresh_token"]), 401, "unauthorized")
    # Another device's family is untouched.
    assert _refresh(client, other_device["refresh_token"]).status_code == 200


def test_a_refresh_token_works_once(client: TestClient, make_staff: MakeStaff) -> None:
    tokens = login(client, make_staff(Role.CASHIER))
    assert _refresh(client, tokens["refresh_token"]).status_code == 200
    assert_error(_refresh(client, tokens["refresh_token"]), 401, "unauthorized")
    assert_error(_refresh(client, "not-a-token-we-issued"), 401, "unauthorized")


def test_logout_revokes_the_devices_refresh_tokens(
    client: TestClient, make_staff: MakeStaff
) -> None:
    cashier = make_staff(Role.CASHIER)
    here, elsewhere = login(client, cashier), login(client, cashier)
    response = client.post("/api/auth/logout", headers=bearer(here))
    assert response.status_code == 204
    assert_error(_refresh(client, here["refresh_token"]), 401, "unauthorized")
    assert _refresh(client, elsewhere["refresh_token"]).status_code == 200


# --- passwords ----------------------------------------------------------------


def test_password_change(client: TestClient, make_staff: MakeStaff) -> None:
    staff = make_staff(Role.PHARMACIST, "njeri")
    headers = bearer(login(client, staff))

    wrong_current = client.post(
        "/api/auth/password",
        json={"current_password": "not-it-at-all", "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert_error(wrong_current, 422, "invalid", fields={"current_password"})
    too_short = client.post(
        "/api/auth/password",
        json={"current_password": staff.password, "new_password": "short"},
        headers=headers,
    )
    assert_error(too_short, 422, "invalid", fields={"new_password"})
    assert "10 characters" in too_short.json()["error"]["fields"][0]["reason"]
    # Nothing changed after the refusals.
    assert _login(client, "njeri", staff.password).status_code == 200

    changed = client.post(
        "/api/auth/password",
        json={"current_password": staff.password, "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert changed.status_code == 204, changed.text
    assert_error(_login(client, "njeri", staff.password), 401, "unauthorized")
    login(client, replace(staff, password=NEW_PASSWORD))


def test_first_admin_must_change_the_one_time_password(
    client: TestClient, central: Database
) -> None:
    one_time = create_first_admin(central)
    assert one_time is not None
    assert create_first_admin(central) is None  # only once
    response = _login(client, "admin", one_time)
    assert response.status_code == 200, response.text
    assert response.json()["must_change_password"] is True
    headers = bearer(response.json())

    for path in ("/api/users", "/api/devices", "/api/audit", "/api/visits"):
        assert_error(client.get(path, headers=headers), 403, "forbidden", message="password")
    me = client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["user"]["must_change_password"] is True
    assert me.json()["user"]["role"] == "admin"
    assert me.json()["branch"] is None

    changed = client.post(
        "/api/auth/password",
        json={"current_password": one_time, "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert changed.status_code == 204, changed.text
    # The server checks the user, not the token's claim: the same token works now.
    users = client.get("/api/users", headers=headers)
    assert users.status_code == 200, users.text
    assert [u["username"] for u in users.json()] == ["admin"]
    assert _login(client, "admin", NEW_PASSWORD).json()["must_change_password"] is False


# --- lockout and rate limits --------------------------------------------------


@pytest.fixture
def lockout_client(settings: Settings, central: Database) -> Any:
    with app_client(
        settings, central, lockout_failures=3, lockout_minutes=15, login_rate_per_minute=100
    ) as test_client:
        yield test_client


def _answer(response: Any) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def test_lockout_after_repeated_failures(
    lockout_client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    client = lockout_client
    nurse = make_staff(Role.NURSE, "akinyi")
    bystander = make_staff(Role.NURSE, "chebet")
    known = [_answer(_login(client, "akinyi", "wrong-password")) for _ in range(3)]
    unknown = [_answer(_login(client, "ghost", "wrong-password")) for _ in range(3)]
    assert known == unknown == [(401, "unauthorized", "Wrong username or password")] * 3

    locked = _login(client, "akinyi", nurse.password)
    assert_error(locked, 429, "too_many_attempts", message="15 minutes")
    assert locked.headers["retry-after"] == "60"
    locked_ghost = _login(client, "ghost", "anything-at-all")
    assert _answer(locked_ghost) == _answer(locked)  # no existence leak
    assert locked_ghost.headers["retry-after"] == "60"
    # Other users are not locked out.
    assert _login(client, "chebet", bystander.password).status_code == 200

    # When the lock runs out, the right password works again.
    with central.sessions.begin() as session:
        session.execute(
            update(LoginFailure)
            .where(LoginFailure.username == "akinyi")
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    assert _login(client, "akinyi", nurse.password).status_code == 200


def test_a_successful_login_resets_the_failure_count(
    lockout_client: TestClient, make_staff: MakeStaff
) -> None:
    client = lockout_client
    nurse = make_staff(Role.NURSE, "akinyi")
    for _ in range(2):
        assert _login(client, "akinyi", "wrong-password").status_code == 401
    assert _login(client, "akinyi", nurse.password).status_code == 200
    for _ in range(2):
        assert _login(client, "akinyi", "wrong-password").status_code == 401
    assert _login(client, "akinyi", nurse.password).status_code == 200


@pytest.fixture
def rate_limited_client(settings: Settings, central: Database) -> Any:
    with app_client(
        settings, central, address="10.0.0.1", lockout_failures=100, login_rate_per_minute=3
    ) as test_client:
        yield test_client


def test_logins_are_rate_limited_per_address(
    rate_limited_client: TestClient, make_staff: MakeStaff
) -> None:
    client = rate_limited_client
    staff = make_staff(Role.RECEPTIONIST, "wanjiku")
    for name in ("guess-one", "guess-two", "guess-three"):
        assert _login(client, name, "wrong-password").status_code == 401
    limited = _login(client, "wanjiku", staff.password)
    assert_error(limited, 429, "too_many_attempts")
    assert limited.headers["retry-after"] == "60"
    with other_address_client(client, "10.0.0.2") as elsewhere:
        assert _login(elsewhere, "wanjiku", staff.password).status_code == 200


def test_logins_are_rate_limited_per_user(
    rate_limited_client: TestClient, make_staff: MakeStaff
) -> None:
    client = rate_limited_client
    staff = make_staff(Role.RECEPTIONIST, "wanjiku")
    other = make_staff(Role.RECEPTIONIST, "kamau")
    for number in range(3):
        with other_address_client(client, f"10.0.1.{number}") as attacker:
            assert _login(attacker, "wanjiku", "wrong-password").status_code == 401
    with other_address_client(client, "10.0.2.1") as fresh_address:
        limited = _login(fresh_address, "wanjiku", staff.password)
        assert_error(limited, 429, "too_many_attempts")
        assert limited.headers["retry-after"] == "60"
        assert _login(fresh_address, "kamau", other.password).status_code == 200


# --- revoked devices and deactivated users ------------------------------------


def test_a_revoked_devices_tokens_stop_at_once(client: TestClient, make_staff: MakeStaff) -> None:
    nurse = make_staff(Role.NURSE, "akinyi")
    admin = make_staff(Role.ADMIN, branch_code=None)
    stolen_pc = uuid.uuid4()
    tokens = login(client, nurse, stolen_pc)
    admin_headers = bearer(login(client, admin))
    assert _me(client, tokens["access_token"]).status_code == 200

    revoked = client.post(f"/api/devices/{stolen_pc}/revoke", headers=admin_headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["id"] == str(stolen_pc)
    assert revoked.json()["revoked_at"] is not None

    assert_error(_me(client, tokens["access_token"]), 401, "unauthorized", message="revoked")
    assert_error(_refresh(client, tokens["refresh_token"]), 401, "unauthorized")
    assert_error(_login(client, "akinyi", nurse.password, stolen_pc), 401, "unauthorized")
    # The user may still work from another PC, and the admin's PC is untouched.
    assert _login(client, "akinyi", nurse.password).status_code == 200
    assert client.get("/api/devices", headers=admin_headers).status_code == 200


def test_a_deactivated_user_is_refused_at_once(client: TestClient, make_staff: MakeStaff) -> None:
    cashier = make_staff(Role.CASHIER, "otieno")
    admin = make_staff(Role.ADMIN, branch_code=None)
    tokens = login(client, cashier)
    admin_headers = bearer(login(client, admin))

    response = client.patch(
        f"/api/users/{cashier.id}", json={"active": False}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False

    assert_error(_me(client, tokens["access_token"]), 401, "unauthorized", message="not active")
    assert_error(_refresh(client, tokens["refresh_token"]), 401, "unauthorized")
    refused = _login(client, "otieno", cashier.password)
    assert_error(refused, 401, "unauthorized", message="Wrong username or password")

    client.patch(f"/api/users/{cashier.id}", json={"active": True}, headers=admin_headers)
    assert _login(client, "otieno", cashier.password).status_code == 200


# --- the callers a process keeps for pulls (server.callers) ----------------------


def _pull(client: TestClient, token: str, cursor: str | None = None) -> Any:
    return client.post(
        "/api/sync/pull",
        json={"protocol": PROTOCOL_VERSION, "schema": SCHEMA, "cursor": cursor},
        headers={"Authorization": f"Bearer {token}"},
    )


def _known(client: TestClient, token: str) -> None:
    """Pull until the process keeps the caller (its listener connected),
    then once more to show the kept caller is what answers."""
    callers: KnownCallers = client.app.state.callers  # type: ignore[attr-defined]
    for _ in range(100):
        assert _pull(client, token).status_code == 200
        reads = callers.reads
        assert _pull(client, token).status_code == 200
        if callers.reads == reads:
            return
        time.sleep(0.05)
    raise AssertionError("the caller was never kept")


def test_a_pulling_devices_revocation_refuses_its_next_pull(
    client: TestClient, make_staff: MakeStaff
) -> None:
    nurse = make_staff(Role.NURSE)
    admin = make_staff(Role.ADMIN, branch_code=None)
    stolen_pc = uuid.uuid4()
    tokens = login(client, nurse, stolen_pc)
    other_pc = login(client, nurse)
    admin_headers = bearer(login(client, admin))
    _known(client, tokens["access_token"])
    _known(client, other_pc["access_token"])

    revoked = client.post(f"/api/devices/{stolen_pc}/revoke", headers=admin_headers)
    assert revoked.status_code == 200, revoked.text

    refused = _pull(client, tokens["access_token"])
    assert_error(refused, 401, "unauthorized", message="revoked")
    assert _pull(client, other_pc["access_token"]).status_code == 200


def test_a_pulling_users_deactivation_role_and_one_time_password_count_at_the_next_pull(
    client: TestClient, make_staff: MakeStaff
) -> None:
    nurse = make_staff(Role.NURSE)
    cashier = make_staff(Role.CASHIER)
    admin = make_staff(Role.ADMIN, branch_code=None)
    nurse_tokens, cashier_tokens = login(client, nurse), login(client, cashier)
    admin_headers = bearer(login(client, admin))
    _known(client, nurse_tokens["access_token"])
    _known(client, cashier_tokens["access_token"])

    client.patch(f"/api/users/{nurse.id}", json={"active": False}, headers=admin_headers)
    refused = _pull(client, nurse_tokens["access_token"])
    assert_error(refused, 401, "unauthorized", message="not active")

    reset = client.patch(
        f"/api/users/{cashier.id}", json={"password": NEW_PASSWORD}, headers=admin_headers
    )
    assert reset.status_code == 200, reset.text
    refused = _pull(client, cashier_tokens["access_token"])
    assert_error(refused, 403, "forbidden", message="one-time password")


def test_a_pulling_devices_new_roles_give_its_next_pull_the_new_scope(
    client: TestClient, make_staff: MakeStaff
) -> None:
    nurse = make_staff(Role.NURSE)
    admin = make_staff(Role.ADMIN, branch_code=None)
    pc = uuid.uuid4()
    tokens = login(client, nurse, pc)
    admin_headers = bearer(login(client, admin))
    _known(client, tokens["access_token"])
    cursor = _pull(client, tokens["access_token"]).json()["cursor"]

    changed = client.patch(
        f"/api/devices/{pc}", json={"roles": ["nurse", "cashier"]}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text

    again = _pull(client, tokens["access_token"], cursor).json()
    assert again["tables"]  # the new scope's feed from its start
    assert again["cursor"].rsplit(".", 1)[1] != cursor.rsplit(".", 1)[1]


def test_a_revocation_written_elsewhere_reaches_a_pulls_process(
    client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    """Another API process, or SQL run by hand: the database's notification
    makes this process forget the caller, well before a kept one is read
    again (a minute)."""
    nurse = make_staff(Role.NURSE)
    pc = uuid.uuid4()
    tokens = login(client, nurse, pc)
    _known(client, tokens["access_token"])

    with central.engine.begin() as connection:
        connection.execute(update(Device).where(Device.id == pc).values(revoked_at=utcnow()))

    for _ in range(100):
        answer = _pull(client, tokens["access_token"])
        if answer.status_code != 200:
            break
        time.sleep(0.02)
    assert_error(answer, 401, "unauthorized", message="revoked")


def _push(client: TestClient, token: str, pending: int) -> Any:
    return client.post(
        "/api/sync/push",
        json={
            "protocol": PROTOCOL_VERSION,
            "schema": SCHEMA,
            "client_time": utcnow().isoformat(),
            "mutations": [],
            "pending": pending,
        },
        headers={"Authorization": f"Bearer {token}"},
    )


def _pending(central: Database, pc: uuid.UUID) -> int | None:
    with central.sessions() as session:
        device = session.get(Device, pc)
        assert device is not None
        return device.pending_changes


def test_a_push_from_a_just_revoked_device_or_deactivated_user_is_refused(
    client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    """A push's caller comes from the callers the process keeps (as a
    pull's): a revocation or deactivation refuses the next push, which
    writes nothing, and other devices and users push on."""
    nurse = make_staff(Role.NURSE)
    cashier = make_staff(Role.CASHIER)
    admin = make_staff(Role.ADMIN, branch_code=None)
    stolen_pc = uuid.uuid4()
    tokens = login(client, nurse, stolen_pc)
    other_pc = login(client, nurse)
    cashier_tokens = login(client, cashier)
    admin_headers = bearer(login(client, admin))
    for token in (tokens, other_pc, cashier_tokens):
        _known(client, token["access_token"])
        assert _push(client, token["access_token"], pending=1).status_code == 200

    revoked = client.post(f"/api/devices/{stolen_pc}/revoke", headers=admin_headers)
    assert revoked.status_code == 200, revoked.text
    assert_error(_push(client, tokens["access_token"], 5), 401, "unauthorized", message="revoked")
    assert _pending(central, stolen_pc) == 1
    assert _push(client, other_pc["access_token"], pending=2).status_code == 200

    client.patch(f"/api/users/{cashier.id}", json={"active": False}, headers=admin_headers)
    refused = _push(client, cashier_tokens["access_token"], pending=5)
    assert_error(refused, 401, "unauthorized", message="not active")


def test_a_revocation_written_elsewhere_refuses_the_next_push_at_once(
    client: TestClient, make_staff: MakeStaff, central: Database
) -> None:
    """A push reads its device again under the device's lock: revoked by
    SQL run by hand, it is refused by the very next push, notification or
    not, and writes nothing."""
    nurse = make_staff(Role.NURSE)
    pc = uuid.uuid4()
    tokens = login(client, nurse, pc)
    _known(client, tokens["access_token"])
    assert _push(client, tokens["access_token"], pending=1).status_code == 200

    with central.engine.begin() as connection:
        connection.execute(update(Device).where(Device.id == pc).values(revoked_at=utcnow()))

    assert_error(_push(client, tokens["access_token"], 5), 401, "unauthorized", message="revoked")
    assert _pending(central, pc) == 1
