"""Every role against every endpoint of the central API.

The expectations are written out here as tables (from DESIGN.md's two
tables, ``clinic.permissions`` and the visit workflow's ``TRANSITIONS``), so
a change in who may do what makes a test fail until this file is changed
with it. Allowed answers 2xx; denied answers 403 in the error shape and
writes nothing. Also: which parts of a visit each role sees (and that
seeing clinical parts is audited), writes to another branch's visits, and
that no endpoint answers without a token but login, refresh and health.

The matrix shares one database (module scope) to stay fast; every cell
makes its own patient, visit, user or device, so cells do not depend on
each other.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from clinic.billing.models import Service, Shift
from clinic.claims.models import Claim
from clinic.db import utcnow
from clinic.enums import ClaimStatus, Role, VisitStatus
from clinic.journal.models import AuditEvent, Conflict
from clinic.org.models import Branch, User
from clinic.visits.models import Visit
from clinic.visits.rules import TRANSITIONS
from server.app import create_app
from server.config import Settings
from server.database import SERVER_DEVICE_ID, Database, add_central
from server.security import hash_password
from tests.central import PASSWORD, bearer
from tests.server.billing_helpers import mpesa_code
from tests.server.claims_helpers import sha_visit
from tests.server.helpers import (
    PHONE,
    app_endpoints,
    assert_error,
    database_from_template,
    unique_name,
)
from tests.server.pharmacy_helpers import pharmacy_visit

pytestmark = pytest.mark.postgres

S = VisitStatus
ALL_ROLES = tuple(Role)


def roles(names: str) -> frozenset[Role]:
    """``"all"`` or role ids separated by spaces."""
    if names == "all":
        return frozenset(Role)
    return frozenset(Role(name) for name in names.split())


# --- the world the matrix runs in ---------------------------------------------


@dataclass
class World:
    client: TestClient
    database: Database
    headers: dict[Role, dict[str, str]]
    user_ids: dict[Role, uuid.UUID]
    west: dict[Role, dict[str, str]] = field(default_factory=dict)

    @property
    def admin(self) -> dict[str, str]:
        return self.headers[Role.ADMIN]

    def patient(self) -> str:
        response = self.client.post(
            "/api/patients",
            json={"first_name": "Achieng", "last_name": unique_name(), "sex": "F"},
            headers=self.admin,
        )
        assert response.status_code == 201, response.text
        patient_id: str = response.json()["patient"]["id"]
        return patient_id

    def visit(self, status: VisitStatus = S.REGISTERED) -> str:
        """A visit of today at MAIN, put straight into ``status``."""
        response = self.client.post(
            "/api/visits", json={"patient_id": self.patient()}, headers=self.admin
        )
        assert response.status_code == 201, response.text
        visit_id: str = response.json()["id"]
        if status != S.REGISTERED:
            with self.database.sessions.begin() as session:
                session.execute(
                    update(Visit).where(Visit.id == uuid.UUID(visit_id)).values(status=status)
                )
        return visit_id

    def consulted_visit(self) -> str:
        """A visit in consultation with a complaint and a diagnosis."""
        visit_id = self.visit()
        response = self.client.put(
            f"/api/visits/{visit_id}/consultation",
            json={"complaint": "Fever for three days", "diagnoses": ["B54"]},
            headers=self.admin,
        )
        assert response.status_code == 200, response.text
        return visit_id

    def signed_visit(self) -> str:
        visit_id = self.consulted_visit()
        response = self.client.post(f"/api/visits/{visit_id}/sign", headers=self.admin)
        assert response.status_code == 200, response.text
        return visit_id

    def pharmacy_line(self) -> str:
        """An owed prescription line of a new signed visit waiting at the pharmacy."""
        visit_id = pharmacy_visit(self.client, self.admin)
        lines = self.client.get(f"/api/pharmacy/visits/{visit_id}/lines", headers=self.admin)
        line_id: str = lines.json()[0]["prescription_id"]
        return line_id

    def lab_request(self, test_name: str = "Malaria RDT") -> str:
        """A test requested at a signed visit at MAIN (the visit waits for the lab)."""
        visit_id = self.visit()
        body = {**CONSULTATION_BODY, "lab_requests": [{"test_name": test_name}]}
        response = self.client.put(
            f"/api/visits/{visit_id}/consultation", json=body, headers=self.admin
        )
        assert response.status_code == 200, response.text
        request_id: str = response.json()["lab_requests"][0]["id"]
        response = self.client.post(f"/api/visits/{visit_id}/sign", headers=self.admin)
        assert response.status_code == 200, response.text
        return request_id

    def user(self) -> str:
        with self.database.sessions.begin() as session:
            user = User(
                username=f"temp-{uuid.uuid4().hex[:10]}",
                full_name="Temporary",
                role=Role.RECEPTIONIST,
                branch_id=session.scalar(select(Branch.id).where(Branch.code == "MAIN")),
                password_hash=_PASSWORD_HASH[0],
                device_id=SERVER_DEVICE_ID,
            )
            add_central(session, user)
            return str(user.id)

    def device(self) -> str:
        """A PC enrolled by the admin logging in from it."""
        device_id = str(uuid.uuid4())
        response = self.client.post(
            "/api/auth/login",
            json={"username": "matrix-admin", "password": PASSWORD, "device_id": device_id},
        )
        assert response.status_code == 200, response.text
        return device_id

    def conflict(self) -> str:
        """A conflict on a patient's residence, as the server's apply
        records one when two PCs pushed the field."""
        patient_id = uuid.UUID(self.patient())
        with self.database.sessions.begin() as session:
            conflict = Conflict(
                entity="patients",
                row_id=patient_id,
                field="residence",
                winning_value=None,
                losing_value="Kibera",
                winning_device_id=SERVER_DEVICE_ID,
            )
            add_central(session, conflict)
            return str(conflict.id)

    def branch(self) -> str:
        """A branch of its own, added by the server."""
        with self.database.sessions.begin() as session:
            branch = Branch(code=f"B-{uuid.uuid4().hex[:8].upper()}", name="Matrix branch")
            add_central(session, branch)
            return str(branch.id)

    def service_id(self, code: str = "CONS-NEW") -> str:
        with self.database.sessions() as session:
            return str(session.scalar(select(Service.id).where(Service.code == code)))

    def invoice(self) -> str:
        """An unpaid invoice for a new visit at MAIN."""
        body = {"visit_id": self.visit(), "lines": [{"service_id": self.service_id()}]}
        response = self.client.post("/api/invoices", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        invoice_id: str = response.json()["id"]
        return invoice_id

    def payment(self) -> str:
        """An M-Pesa payment (no shift needed) on a new invoice."""
        body = {
            "invoice_id": self.invoice(),
            "method": "MPESA",
            "amount_cents": 100_00,
            "reference": mpesa_code(),
        }
        response = self.client.post("/api/payments", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        payment_id: str = response.json()["id"]
        return payment_id

    def sha_visit(self) -> str:
        """A signed visit at MAIN, paid by SHA (which makes its draft claim)."""
        visit_id: str = sha_visit(self.client, self.admin)["visit_id"]
        return visit_id

    def sha_claim(self, status: ClaimStatus = ClaimStatus.DRAFT) -> str:
        """The draft claim of a new SHA visit, put straight into ``status``."""
        visit_id = uuid.UUID(self.sha_visit())
        with self.database.sessions.begin() as session:
            claim = session.scalars(select(Claim).where(Claim.visit_id == visit_id)).one()
            claim.status = status
            return str(claim.id)

    def batch(self) -> str:
        """An unsubmitted batch holding one claim whose SHA invoice is generated."""
        claim_id = self.sha_claim(ClaimStatus.INVOICE_GENERATED)
        response = self.client.post(
            "/api/claim-batches",
            json={"claim_ids": [claim_id], "period": "WEEKLY"},
            headers=self.admin,
        )
        assert response.status_code == 201, response.text
        batch_id: str = response.json()["id"]
        return batch_id

    def no_open_shifts(self) -> None:
        """Close every open shift, so that any role may open one."""
        with self.database.sessions.begin() as session:
            session.execute(
                update(Shift).where(Shift.closed_at.is_(None)).values(closed_at=utcnow())
            )

    def cashier_shift(self) -> str:
        """The cashier's open shift (opened when there is none)."""
        with self.database.sessions() as session:
            open_id = session.scalar(
                select(Shift.id).where(
                    Shift.cashier_id == self.user_ids[Role.CASHIER], Shift.closed_at.is_(None)
                )
            )
        if open_id is not None:
            return str(open_id)
        response = self.client.post(
            "/api/shifts", json={"opening_float_cents": 0}, headers=self.headers[Role.CASHIER]
        )
        assert response.status_code == 201, response.text
        shift_id: str = response.json()["id"]
        return shift_id

    def audit_count(self) -> int:
        with self.database.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


_PASSWORD_HASH: list[str] = []


def _add_user(database: Database, role: Role, username: str, branch_code: str | None) -> User:
    with database.sessions.begin() as session:
        branch_id = None
        if branch_code is not None:
            branch_id = session.scalar(select(Branch.id).where(Branch.code == branch_code))
            if branch_id is None:
                branch = Branch(code=branch_code, name=branch_code)
                add_central(session, branch)
                branch_id = branch.id
        user = User(
            username=username,
            full_name=username.title(),
            role=role,
            branch_id=branch_id,
            password_hash=_PASSWORD_HASH[0],
            device_id=SERVER_DEVICE_ID,
        )
        add_central(session, user)
        session.expunge(user)
        return user


def _login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/auth/login",
        json={"username": username, "password": PASSWORD, "device_id": str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.text
    return bearer(response.json())


@pytest.fixture(scope="module")
def world(
    postgres_server: str, central_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(hash_password(PASSWORD))
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("rbac"),
        database_url=None,
        jwt_secret="m" * 48,
        login_rate_per_minute=100_000,
    )
    with (
        database_from_template(postgres_server, central_template, "rbac") as database,
        TestClient(create_app(settings, database), raise_server_exceptions=False) as client,
    ):
        headers: dict[Role, dict[str, str]] = {}
        user_ids: dict[Role, uuid.UUID] = {}
        for role in Role:
            # The admin is an admin for all branches; everyone else works at MAIN.
            branch = None if role == Role.ADMIN else "MAIN"
            user = _add_user(database, role, f"matrix-{role.value}".replace("_", "-"), branch)
            headers[role] = _login(client, user.username)
            user_ids[role] = user.id
        west: dict[Role, dict[str, str]] = {}
        for role in (Role.RECEPTIONIST, Role.NURSE, Role.CLINICAL_OFFICER, Role.PHARMACIST):
            user = _add_user(database, role, f"west-{role.value}".replace("_", "-"), "WEST")
            west[role] = _login(client, user.username)
        yield World(client, database, headers, user_ids, west)


# --- the endpoint table -------------------------------------------------------

Request = tuple[str, dict[str, Any] | None, dict[str, Any] | None]
"""The path to call, the JSON body and the query parameters."""


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    allowed: frozenset[Role]
    build: Callable[[World], Request]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _fixed(path: str, body: dict[str, Any] | None = None, **params: Any) -> Callable[..., Request]:
    return lambda _world: (path, body, params or None)


PASSWORD_BODY = {"current_password": PASSWORD, "new_password": PASSWORD}
TRIAGE_BODY = {"temperature_c": 37.0, "pulse_bpm": 80, "systolic_mmhg": 120}
CONSULTATION_BODY = {
    "complaint": "Headache",
    "examination": "Alert, afebrile",
    "diagnoses": ["R51"],
}
AMENDMENT_BODY = {"field": "plan", "new_value": "Review in 3 days", "reason": "Left out"}


def _new_user_body(_world: World) -> Request:
    body = {
        "username": f"new-{uuid.uuid4().hex[:10]}",
        "full_name": "New Staff",
        "role": "cashier",
        "branch_code": "MAIN",
        "password": "a-long-enough-password",
    }
    return "/api/users", body, None


def _new_service_body() -> dict[str, Any]:
    return {
        "code": f"X-{uuid.uuid4().hex[:8]}",
        "name": "Matrix service",
        "kind": "procedure",
        "price_cents": 100_00,
    }


def _new_branch_request(_world: World) -> Request:
    return "/api/branches", {"code": f"B-{uuid.uuid4().hex[:8].upper()}", "name": "Matrix"}, None


def _open_shift_request(world: World) -> Request:
    world.no_open_shifts()
    return "/api/shifts", {"opening_float_cents": 500_00}, None


ENDPOINTS: tuple[Endpoint, ...] = (
    # auth: every logged-in role
    Endpoint("GET", "/api/auth/me", roles("all"), _fixed("/api/auth/me")),
    Endpoint(
        "POST", "/api/auth/password", roles("all"), _fixed("/api/auth/password", PASSWORD_BODY)
    ),
    Endpoint("POST", "/api/auth/logout", roles("all"), _fixed("/api/auth/logout")),
    # patients: everyone reads (all branches); reception registers and edits
    Endpoint("GET", "/api/patients", roles("all"), _fixed("/api/patients", q="Achieng")),
    Endpoint(
        "GET",
        "/api/patients/{patient_id}",
        roles("all"),
        lambda w: (f"/api/patients/{w.patient()}", None, None),
    ),
    Endpoint(
        "POST",
        "/api/patients",
        roles("receptionist admin"),
        lambda w: ("/api/patients", {"first_name": "Baraka", "last_name": unique_name()}, None),
    ),
    Endpoint(
        "PATCH",
        "/api/patients/{patient_id}",
        roles("receptionist admin"),
        lambda w: (f"/api/patients/{w.patient()}", {"phone": PHONE}, None),
    ),
    # visits: everyone reads the list and the visit; each role writes its part
    Endpoint("GET", "/api/visits", roles("all"), _fixed("/api/visits")),
    Endpoint(
        "GET",
        "/api/visits/{visit_id}",
        roles("all"),
        lambda w: (f"/api/visits/{w.visit()}", None, None),
    ),
    Endpoint(
        "POST",
        "/api/visits",
        roles("receptionist admin"),
        lambda w: ("/api/visits", {"patient_id": w.patient()}, None),
    ),
    Endpoint(
        "POST",
        "/api/visits/{visit_id}/triage",
        roles("nurse admin"),
        lambda w: (f"/api/visits/{w.visit()}/triage", TRIAGE_BODY, None),
    ),
    Endpoint(
        "PUT",
        "/api/visits/{visit_id}/consultation",
        roles("clinical_officer admin"),
        lambda w: (f"/api/visits/{w.visit(S.TRIAGED)}/consultation", CONSULTATION_BODY, None),
    ),
    Endpoint(
        "POST",
        "/api/visits/{visit_id}/sign",
        roles("clinical_officer admin"),
        lambda w: (f"/api/visits/{w.consulted_visit()}/sign", None, None),
    ),
    Endpoint(
        "POST",
        "/api/visits/{visit_id}/amendments",
        roles("clinical_officer admin"),
        lambda w: (f"/api/visits/{w.signed_visit()}/amendments", AMENDMENT_BODY, None),
    ),
    # the price list: everyone reads it, admins set it
    Endpoint("GET", "/api/services", roles("all"), _fixed("/api/services")),
    Endpoint(
        "POST",
        "/api/services",
        roles("admin"),
        lambda w: ("/api/services", _new_service_body(), None),
    ),
    Endpoint(
        "PATCH",
        "/api/services/{service_id}",
        roles("admin"),
        lambda w: (f"/api/services/{w.service_id('LAB-HB')}", {"name": "Haemoglobin"}, None),
    ),
    Endpoint(
        "POST",
        "/api/services/{service_id}/prices",
        roles("admin"),
        lambda w: (
            f"/api/services/{w.service_id('LAB-HB')}/prices",
            {"price_cents": 200_00, "effective_from": "2099-01-01"},
            None,
        ),
    ),
    # billing: cashiers and pharmacists bill and take money; claims read invoices
    Endpoint(
        "POST",
        "/api/invoices",
        roles("cashier pharmacist admin"),
        lambda w: (
            "/api/invoices",
            {"visit_id": w.visit(), "lines": [{"service_id": w.service_id()}]},
            None,
        ),
    ),
    Endpoint(
        "GET",
        "/api/invoices",
        roles("cashier pharmacist claims_manager admin"),
        _fixed("/api/invoices"),
    ),
    Endpoint(
        "GET",
        "/api/invoices/{invoice_id}",
        roles("cashier pharmacist claims_manager admin"),
        lambda w: (f"/api/invoices/{w.invoice()}", None, None),
    ),
    Endpoint(
        "POST",
        "/api/payments",
        roles("cashier pharmacist admin"),
        lambda w: (
            "/api/payments",
            {
                "invoice_id": w.invoice(),
                "method": "MPESA",
                "amount_cents": 100_00,
                "reference": mpesa_code(),
            },
            None,
        ),
    ),
    Endpoint(
        "POST",
        "/api/payments/{payment_id}/reverse",
        roles("cashier pharmacist admin"),
        lambda w: (f"/api/payments/{w.payment()}/reverse", {"reason": "Wrong patient"}, None),
    ),
    Endpoint(
        "POST",
        "/api/shifts",
        roles("cashier pharmacist admin"),
        _open_shift_request,
    ),
    # a cashier closes their own shift (others' is forbidden; admins close any)
    Endpoint(
        "POST",
        "/api/shifts/{shift_id}/close",
        roles("cashier admin"),
        lambda w: (f"/api/shifts/{w.cashier_shift()}/close", {"counted_cash_cents": 0}, None),
    ),
    # claims: claims managers work on them; reception reads them (the SHA invoice)
    Endpoint(
        "POST",
        "/api/claims",
        roles("claims_manager admin"),
        lambda w: ("/api/claims", {"visit_id": w.sha_visit()}, None),
    ),
    Endpoint(
        "GET", "/api/claims", roles("claims_manager receptionist admin"), _fixed("/api/claims")
    ),
    Endpoint(
        "GET",
        "/api/claims/{claim_id}",
        roles("claims_manager receptionist admin"),
        lambda w: (f"/api/claims/{w.sha_claim()}", None, None),
    ),
    Endpoint(
        "POST",
        "/api/claims/{claim_id}/status",
        roles("claims_manager admin"),
        lambda w: (f"/api/claims/{w.sha_claim()}/status", {"status": "READY"}, None),
    ),
    Endpoint(
        "POST",
        "/api/claim-batches",
        roles("claims_manager admin"),
        lambda w: (
            "/api/claim-batches",
            {"claim_ids": [w.sha_claim(ClaimStatus.READY)], "period": "MONTHLY"},
            None,
        ),
    ),
    Endpoint(
        "GET",
        "/api/claim-batches/{batch_id}",
        roles("claims_manager receptionist admin"),
        lambda w: (f"/api/claim-batches/{w.batch()}", None, None),
    ),
    Endpoint(
        "POST",
        "/api/claim-batches/{batch_id}/submit",
        roles("claims_manager admin"),
        lambda w: (f"/api/claim-batches/{w.batch()}/submit", {"reference": "SHA-B-7"}, None),
    ),
    # the exports name diagnoses: claims staff who read them
    Endpoint(
        "GET",
        "/api/claims/{claim_id}/fhir",
        roles("claims_manager admin"),
        lambda w: (f"/api/claims/{w.sha_claim()}/fhir", None, None),
    ),
    Endpoint(
        "GET",
        "/api/claim-batches/{batch_id}/sha.csv",
        roles("claims_manager admin"),
        lambda w: (f"/api/claim-batches/{w.batch()}/sha.csv", None, None),
    ),
    # pharmacy: pharmacists dispense and move their branch's stock; clinicians read
    Endpoint(
        "GET",
        "/api/pharmacy/worklist",
        roles("nurse clinical_officer pharmacist admin"),
        _fixed("/api/pharmacy/worklist"),
    ),
    Endpoint(
        "GET",
        "/api/pharmacy/visits/{visit_id}/lines",
        roles("nurse clinical_officer pharmacist admin"),
        lambda w: (f"/api/pharmacy/visits/{w.visit()}/lines", None, None),
    ),
    Endpoint(
        "POST",
        "/api/pharmacy/dispensings",
        roles("pharmacist admin"),
        lambda w: (
            "/api/pharmacy/dispensings",
            {"prescription_id": w.pharmacy_line(), "quantity": 6},
            None,
        ),
    ),
    *(
        Endpoint("GET", path, roles("nurse clinical_officer pharmacist admin"), _fixed(path))
        for path in ("/api/stock", "/api/stock/low", "/api/stock/expiring", "/api/stock/movements")
    ),
    Endpoint(
        "POST",
        "/api/stock/movements",
        roles("pharmacist admin"),
        lambda w: (
            "/api/stock/movements",
            {"service_id": w.service_id("DRG-PCM500"), "kind": "receipt", "quantity": 100},
            None,
        ),
    ),
    Endpoint(
        "POST",
        "/api/stock/counts",
        roles("pharmacist admin"),
        lambda w: (
            "/api/stock/counts",
            {"service_id": w.service_id("DRG-IBU400"), "counted": 3, "reason": "Shelf count"},
            None,
        ),
    ),
    Endpoint(
        "PUT",
        "/api/stock/reorder-levels",
        roles("pharmacist admin"),
        lambda w: (
            "/api/stock/reorder-levels",
            {"service_id": w.service_id("DRG-PCM500"), "level": 50},
            None,
        ),
    ),
    # the lab: everyone reads the catalogue, admins set it (as the price list);
    # clinicians and the lab read requests and results; the lab enters results
    Endpoint("GET", "/api/lab/tests", roles("all"), _fixed("/api/lab/tests")),
    Endpoint(
        "PUT",
        "/api/lab/tests/{code}",
        roles("admin"),
        _fixed(
            "/api/lab/tests/LAB-GLU-F",
            {
                "name": "Fasting blood sugar",
                "fields": [
                    {
                        "code": "glucose",
                        "label": "Glucose",
                        "kind": "numeric",
                        "unit": "mmol/L",
                        "plausible_min": 0.5,
                        "plausible_max": 50,
                    }
                ],
            },
        ),
    ),
    Endpoint(
        "GET",
        "/api/lab/worklist",
        roles("nurse clinical_officer lab_technician admin"),
        _fixed("/api/lab/worklist"),
    ),
    Endpoint(
        "GET",
        "/api/lab/requests/{request_id}",
        roles("nurse clinical_officer lab_technician admin"),
        lambda w: (f"/api/lab/requests/{w.lab_request()}", None, None),
    ),
    Endpoint(
        "POST",
        "/api/lab/requests/{request_id}/results",
        roles("lab_technician admin"),
        lambda w: (
            f"/api/lab/requests/{w.lab_request()}/results",
            {"values": {"result": "NEGATIVE"}},
            None,
        ),
    ),
    # admin only: users, devices, audit
    Endpoint(
        "GET",
        "/api/reports/{name}",
        roles("admin cashier"),
        lambda _w: ("/api/reports/daily-cash", None, {"from": "2026-11-02", "to": "2026-11-02"}),
    ),
    Endpoint("GET", "/api/users", roles("admin"), _fixed("/api/users")),
    Endpoint("POST", "/api/users", roles("admin"), _new_user_body),
    Endpoint(
        "PATCH",
        "/api/users/{user_id}",
        roles("admin"),
        lambda w: (f"/api/users/{w.user()}", {"full_name": "Renamed Person"}, None),
    ),
    Endpoint("GET", "/api/branches", roles("admin"), _fixed("/api/branches")),
    Endpoint("POST", "/api/branches", roles("admin"), _new_branch_request),
    Endpoint(
        "PATCH",
        "/api/branches/{branch_id}",
        roles("admin"),
        lambda w: (f"/api/branches/{w.branch()}", {"name": "Renamed branch"}, None),
    ),
    Endpoint("GET", "/api/devices", roles("admin"), _fixed("/api/devices")),
    Endpoint(
        "PATCH",
        "/api/devices/{device_id}",
        roles("admin"),
        lambda w: (f"/api/devices/{w.device()}", {"roles": ["nurse", "admin"]}, None),
    ),
    Endpoint(
        "POST",
        "/api/devices/{device_id}/revoke",
        roles("admin"),
        lambda w: (f"/api/devices/{w.device()}/revoke", None, None),
    ),
    Endpoint("GET", "/api/audit", roles("admin"), _fixed("/api/audit", entity="patients")),
    Endpoint("GET", "/api/audit/verify", roles("admin"), _fixed("/api/audit/verify")),
    Endpoint("GET", "/api/conflicts", roles("admin"), _fixed("/api/conflicts")),
    Endpoint(
        "POST",
        "/api/conflicts/{conflict_id}/resolve",
        roles("admin"),
        lambda w: (f"/api/conflicts/{w.conflict()}/resolve", {"keep": "other"}, None),
    ),
    # operations (no token needed at all; see test_only_login_refresh_and_health_are_open)
    Endpoint("GET", "/api/health", roles("all"), _fixed("/api/health")),
    Endpoint("GET", "/metrics", roles("all"), _fixed("/metrics")),
)

STATUS_ENDPOINT = ("POST", "/api/visits/{visit_id}/status")
"""Who may call it depends on the move; see MOVES."""

PUBLIC = {("POST", "/api/auth/login"), ("POST", "/api/auth/refresh"), ("GET", "/api/health")}

SYNC_PREFIX = "/api/sync/"
"""The sync endpoints take any logged-in role and check each pushed row's
author and branch; the sync suite walks those rules. They are here only in
the no-token test."""

# The visit workflow: who makes which move (an admin may make every move).
MOVES: dict[tuple[VisitStatus, VisitStatus], frozenset[Role]] = {
    (S.REGISTERED, S.TRIAGED): roles("nurse"),
    (S.REGISTERED, S.IN_CONSULTATION): roles("clinical_officer"),
    (S.REGISTERED, S.WAITING_CONSULTATION): roles("receptionist nurse"),
    (S.REGISTERED, S.CANCELLED): roles("receptionist"),
    (S.TRIAGED, S.WAITING_CONSULTATION): roles("nurse receptionist"),
    (S.TRIAGED, S.IN_CONSULTATION): roles("clinical_officer"),
    (S.TRIAGED, S.CANCELLED): roles("receptionist"),
    (S.WAITING_CONSULTATION, S.IN_CONSULTATION): roles("clinical_officer"),
    (S.WAITING_CONSULTATION, S.CANCELLED): roles("receptionist"),
    (S.IN_CONSULTATION, S.WAITING_LAB): roles("clinical_officer"),
    (S.IN_CONSULTATION, S.WAITING_PHARMACY): roles("clinical_officer"),
    (S.IN_CONSULTATION, S.COMPLETED): roles("clinical_officer cashier"),
    (S.WAITING_LAB, S.IN_CONSULTATION): roles("clinical_officer lab_technician"),
    (S.WAITING_LAB, S.WAITING_PHARMACY): roles("clinical_officer"),
    (S.WAITING_PHARMACY, S.COMPLETED): roles("pharmacist cashier"),
}


def test_the_move_table_is_the_workflows() -> None:
    workflow = {
        (start, end): movers
        for start, moves in TRANSITIONS.items()
        for end, movers in moves.items()
    }
    assert workflow == MOVES


def test_the_table_covers_every_endpoint(world: World) -> None:
    endpoints = app_endpoints(world.client.app)  # type: ignore[arg-type]
    covered = {(e.method, e.path) for e in ENDPOINTS} | PUBLIC | OPERATIONAL | {STATUS_ENDPOINT}
    uncovered = {e for e in endpoints - covered if not e[1].startswith(SYNC_PREFIX)}
    assert not uncovered, f"add these to the RBAC table: {sorted(uncovered)}"
    assert covered - endpoints == set(), "the table names endpoints the app no longer has"


def _call(world: World, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
    return world.client.request(method, path, headers=headers, **kwargs)


@pytest.mark.parametrize("role", ALL_ROLES, ids=str)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_role_against_endpoint(world: World, endpoint: Endpoint, role: Role) -> None:
    path, body, params = endpoint.build(world)
    events_before = world.audit_count()
    response = _call(world, endpoint.method, path, world.headers[role], json=body, params=params)
    if role in endpoint.allowed:
        assert 200 <= response.status_code < 300, response.text
    else:
        assert_error(response, 403, "forbidden", fields=set())
        assert role.value in response.json()["error"]["message"]
        assert world.audit_count() == events_before, "a refused call wrote something"


@pytest.mark.parametrize("role", ALL_ROLES, ids=str)
@pytest.mark.parametrize("move", list(MOVES), ids=lambda m: f"{m[0].value}->{m[1].value}")
def test_role_against_visit_move(
    world: World, move: tuple[VisitStatus, VisitStatus], role: Role
) -> None:
    start, end = move
    visit_id = world.visit(start)
    response = world.client.post(
        f"/api/visits/{visit_id}/status",
        json={"status": end.value, "reason": "The patient went home"},
        headers=world.headers[role],
    )
    after = world.client.get(f"/api/visits/{visit_id}", headers=world.admin).json()["status"]
    if role == Role.ADMIN or role in MOVES[move]:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == end.value
        assert after == end.value
    else:
        assert_error(response, 403, "forbidden", message=end.value)
        assert after == start.value


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (S.REGISTERED, S.COMPLETED),
        (S.COMPLETED, S.REGISTERED),
        (S.CANCELLED, S.TRIAGED),
        (S.WAITING_PHARMACY, S.IN_CONSULTATION),
    ],
    ids=str,
)
def test_a_move_the_workflow_lacks_is_a_conflict_even_for_an_admin(
    world: World, start: VisitStatus, end: VisitStatus
) -> None:
    visit_id = world.visit(start)
    for headers in (world.admin, world.headers[Role.CLINICAL_OFFICER]):
        response = world.client.post(
            f"/api/visits/{visit_id}/status", json={"status": end.value}, headers=headers
        )
        assert_error(response, 409, "not_allowed", message=end.value)


def test_cancelling_needs_a_reason(world: World) -> None:
    visit_id = world.visit()
    response = world.client.post(
        f"/api/visits/{visit_id}/status",
        json={"status": "CANCELLED"},
        headers=world.headers[Role.RECEPTIONIST],
    )
    assert_error(response, 422, "invalid", fields={"reason"})


# --- what each role sees of a visit -------------------------------------------

NOTES = ("complaint", "history", "examination", "plan", "amendments")
DIAGNOSES = ("clinician_id", "diagnoses")
CLINICAL = ("clinical_notes", "diagnoses", "vitals", "prescriptions", "lab_requests")
PARTS_SEEN: dict[Role, tuple[str, ...]] = {
    Role.RECEPTIONIST: (),
    Role.NURSE: CLINICAL,
    Role.CLINICAL_OFFICER: CLINICAL,
    Role.CASHIER: (),
    Role.PHARMACIST: ("prescriptions",),
    Role.LAB_TECHNICIAN: ("lab_requests",),
    Role.CLAIMS_MANAGER: ("diagnoses",),  # what an SHA claim names
    Role.ADMIN: CLINICAL,
}


@pytest.fixture(scope="module")
def full_visit(world: World) -> str:
    """A visit with vitals, notes, diagnoses, a prescription, a lab request
    and an amendment."""
    visit_id = world.visit()
    triage = world.client.post(
        f"/api/visits/{visit_id}/triage", json=TRIAGE_BODY, headers=world.admin
    )
    assert triage.status_code == 201, triage.text
    consultation = world.client.put(
        f"/api/visits/{visit_id}/consultation",
        json={
            "complaint": "Cough for two weeks",
            "history": "No TB contact",
            "examination": "Crackles at the right base",
            "plan": "Amoxicillin, review in a week",
            "diagnoses": ["J18.9"],
            "prescriptions": [
                {
                    "drug": "Amoxicillin 500 mg",
                    "dose": "1 cap",
                    "frequency": "TDS",
                    "duration": "7 days",
                    "quantity": 21,
                }
            ],
            "lab_requests": [{"test_name": "Sputum GeneXpert"}],
        },
        headers=world.admin,
    )
    assert consultation.status_code == 200, consultation.text
    signed = world.client.post(f"/api/visits/{visit_id}/sign", headers=world.admin)
    assert signed.status_code == 200, signed.text
    amended = world.client.post(
        f"/api/visits/{visit_id}/amendments", json=AMENDMENT_BODY, headers=world.admin
    )
    assert amended.status_code == 201, amended.text
    return visit_id


def _reads_recorded(world: World, visit_id: str, role: Role) -> list[dict[str, Any]]:
    with world.database.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "read_clinical_record",
                AuditEvent.entity == "visits",
                AuditEvent.entity_id == uuid.UUID(visit_id),
                AuditEvent.user_id == world.user_ids[role],
            )
        ).all()
        return [dict(e.after or {}) for e in events]


@pytest.mark.parametrize("role", ALL_ROLES, ids=str)
def test_each_role_sees_only_its_part_of_a_visit(world: World, full_visit: str, role: Role) -> None:
    before = _reads_recorded(world, full_visit, role)
    response = world.client.get(f"/api/visits/{full_visit}", headers=world.headers[role])
    assert response.status_code == 200, response.text
    visit = response.json()
    assert visit["id"] == full_visit and visit["status"] == "WAITING_LAB"
    seen = PARTS_SEEN[role]

    if "clinical_notes" in seen:
        assert visit["complaint"] == "Cough for two weeks"
        assert visit["examination"] == "Crackles at the right base"
        assert [a["new_value"] for a in visit["amendments"]] == ["Review in 3 days"]
    else:
        assert {name: visit[name] for name in NOTES} == dict.fromkeys(NOTES)
    if "diagnoses" in seen:
        assert visit["clinician_id"] == str(world.user_ids[Role.ADMIN])
        assert [d["code"] for d in visit["diagnoses"]] == ["J18.9"]
    else:
        assert {name: visit[name] for name in DIAGNOSES} == dict.fromkeys(DIAGNOSES)
    if "vitals" in seen:
        assert [t["temperature_c"] for t in visit["triage"]] == [37.0]
    else:
        assert visit["triage"] is None
    if "prescriptions" in seen:
        assert [p["drug"] for p in visit["prescriptions"]] == ["Amoxicillin 500 mg"]
    else:
        assert visit["prescriptions"] is None
    if "lab_requests" in seen:
        assert [x["test_name"] for x in visit["lab_requests"]] == ["Sputum GeneXpert"]
    else:
        assert visit["lab_requests"] is None

    recorded = _reads_recorded(world, full_visit, role)
    if seen:
        assert recorded == [*before, {"parts": list(seen)}]
    else:
        assert recorded == before == []


def test_the_visit_list_shows_no_clinical_parts(world: World, full_visit: str) -> None:
    patient_id = world.client.get(f"/api/visits/{full_visit}", headers=world.admin).json()[
        "patient_id"
    ]
    listed = world.client.get(
        "/api/visits", params={"patient_id": patient_id}, headers=world.headers[Role.CASHIER]
    )
    assert listed.status_code == 200
    assert [v["id"] for v in listed.json()] == [full_visit]
    row = listed.json()[0]
    assert set(row) == {
        "id",
        "patient_id",
        "branch_id",
        "visit_date",
        "is_new",
        "status",
        "queue_position",
        "signed_at",
    }


# --- writes to another branch --------------------------------------------------


def test_writes_to_another_branchs_visit_are_forbidden(world: World) -> None:
    client, west = world.client, world.west
    registered = world.visit()
    consulting = world.visit(S.IN_CONSULTATION)
    signed = world.signed_visit()
    patient = world.patient()
    events_before = world.audit_count()
    refused = [
        client.post(f"/api/visits/{registered}/triage", json=TRIAGE_BODY, headers=west[Role.NURSE]),
        client.post(
            f"/api/visits/{registered}/status",
            json={"status": "CANCELLED", "reason": "Wrong branch"},
            headers=west[Role.RECEPTIONIST],
        ),
        client.put(
            f"/api/visits/{consulting}/consultation",
            json=CONSULTATION_BODY,
            headers=west[Role.CLINICAL_OFFICER],
        ),
        client.post(f"/api/visits/{consulting}/sign", headers=west[Role.CLINICAL_OFFICER]),
        client.post(
            f"/api/visits/{signed}/amendments",
            json=AMENDMENT_BODY,
            headers=west[Role.CLINICAL_OFFICER],
        ),
        client.post(
            "/api/visits",
            json={"patient_id": patient, "branch_code": "MAIN"},
            headers=west[Role.RECEPTIONIST],
        ),
    ]
    for response in refused:
        assert_error(response, 403, "forbidden", message="branch")
    assert world.audit_count() == events_before, "a refused write wrote something"
    status = client.get(f"/api/visits/{registered}", headers=world.admin).json()["status"]
    assert status == "REGISTERED"
    # Reading stays open across branches, and a WEST receptionist opens
    # visits at WEST.
    assert client.get(f"/api/visits/{registered}", headers=west[Role.NURSE]).status_code == 200
    opened = client.post(
        "/api/visits", json={"patient_id": world.patient()}, headers=west[Role.RECEPTIONIST]
    )
    assert opened.status_code == 201, opened.text
    main_id = client.get(f"/api/visits/{registered}", headers=world.admin).json()["branch_id"]
    assert opened.json()["branch_id"] != main_id


# --- no token, no answer -----------------------------------------------------------

OPERATIONAL = {
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("HEAD", "/openapi.json"),
    ("GET", "/docs"),
    ("HEAD", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("HEAD", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("HEAD", "/redoc"),
}
"""Open without a token by decision: the API's description and docs (no
data), and the Prometheus metrics (request counts by route; no patient
data). Putting /metrics behind a token or a private port is an open
question for deployments exposed to the internet."""


def test_only_login_refresh_and_health_are_open(world: World) -> None:
    client = world.client
    checked = 0
    for method, template in sorted(app_endpoints(client.app)):  # type: ignore[arg-type]
        path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
        response = client.request(method, path, json={})
        if (method, template) in PUBLIC | OPERATIONAL:
            assert response.status_code != 401, (method, template)
            continue
        checked += 1
        assert response.status_code == 401, f"{method} {template} answered without a token"
        if method != "HEAD":
            assert_error(response, 401, "unauthorized")
    assert checked >= len(ENDPOINTS) - 2
    assert client.get("/api/health").status_code == 200
    assert client.get("/metrics").status_code == 200
