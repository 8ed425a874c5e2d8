"""The claims API: an SHA payment makes the visit's draft claim, the claim
answers what SHA still needs, the state machine (and its checks) on every
move with the history kept, batches of one branch, submission that locks."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinic.claims.models import Claim, ClaimBatch, ClaimStatusChange
from clinic.clock import clinic_today
from clinic.enums import Role
from clinic.journal.models import AuditEvent
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.server.claims_helpers import claim_for, move, sha_visit
from tests.server.helpers import assert_error

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))


@pytest.fixture
def manager(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.CLAIMS_MANAGER)))


def written(central: Database) -> tuple[int, ...]:
    with central.sessions() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Claim, ClaimStatusChange, ClaimBatch, AuditEvent)
        )


def test_an_sha_payment_makes_the_draft_and_posting_the_visit_answers_it(
    client: TestClient, admin: dict[str, str], manager: dict[str, str], central: Database
) -> None:
    made = sha_visit(client, admin, lines=("CONS-NEW", "LAB-MRDT"), sha_cents=600_00)
    drafts = client.get("/api/claims", params={"status": "DRAFT"}, headers=manager).json()
    assert [c["visit_id"] for c in drafts] == [made["visit_id"]]
    before = written(central)
    claim = claim_for(client, manager, made["visit_id"])
    assert written(central) == before  # the same claim, unchanged
    assert claim["id"] == drafts[0]["id"]
    assert (claim["status"], claim["claimed_cents"], claim["missing"]) == ("DRAFT", 600_00, [])
    assert [(i["description"], i["intervention_code"]) for i in claim["items"]] == [
        ("Consultation (new)", "SHA-PHC-OP-001"),
        ("Malaria RDT", "SHA-PHC-LAB-001"),
    ]
    assert [(h["from_status"], h["to_status"]) for h in claim["history"]] == [(None, "DRAFT")]


def test_a_visit_without_an_sha_payment_is_refused_naming_the_visit(
    client: TestClient, admin: dict[str, str], manager: dict[str, str], central: Database
) -> None:
    made = sha_visit(client, admin, sha_cents=None)
    cash = client.post(
        "/api/payments",
        json={"invoice_id": made["invoice_id"], "method": "CARD", "amount_cents": 500_00},
        headers=admin,
    )
    assert cash.status_code == 201, cash.text
    before = written(central)
    refused = client.post("/api/claims", json={"visit_id": made["visit_id"]}, headers=manager)
    body = assert_error(refused, 422, "invalid", fields={"visit_id"})
    assert "SHA payment" in body["error"]["fields"][0]["reason"]
    unknown = client.post("/api/claims", json={"visit_id": str(uuid.uuid4())}, headers=manager)
    assert_error(unknown, 404, "not_found")
    assert written(central) == before


def test_the_claim_lists_what_sha_needs_and_ready_waits_for_it(
    client: TestClient, admin: dict[str, str], manager: dict[str, str], central: Database
) -> None:
    made = sha_visit(
        client, admin, number="12345678", signed=False, lines=("LAB-WIDAL",), sha_cents=300_00
    )
    claim = claim_for(client, manager, made["visit_id"])
    assert [(m["code"], m["fix_in"]) for m in claim["missing"]] == [
        ("sha_number_form", "patient"),
        ("not_signed", "consultation"),
        ("line_without_code", "price_list"),
    ]
    before = written(central)
    refused = move(client, manager, claim["id"], "READY")
    assert_error(refused, 409, "not_allowed", message="not ready for SHA")
    assert written(central) == before
    read = client.get(f"/api/claims/{claim['id']}", headers=manager).json()
    assert read["status"] == "DRAFT" and len(read["missing"]) == 3


def test_the_state_machine_from_draft_to_paid_with_a_rejection_on_the_way(
    client: TestClient, admin: dict[str, str], manager: dict[str, str], central: Database
) -> None:
    claim = claim_for(client, manager, sha_visit(client, admin)["visit_id"])
    claim_id = claim["id"]
    before = written(central)
    jump = move(client, manager, claim_id, "PAID", paid_cents=500_00)
    assert_error(jump, 409, "not_allowed", message="cannot move to PAID")
    batch_move = move(client, manager, claim_id, "SUBMITTED")
    assert_error(batch_move, 409, "not_allowed", message="batch")
    assert written(central) == before

    assert move(client, manager, claim_id, "READY").json()["status"] == "READY"
    assert move(client, manager, claim_id, "INVOICE_GENERATED").status_code == 200
    batch = client.post(
        "/api/claim-batches", json={"claim_ids": [claim_id], "period": "WEEKLY"}, headers=manager
    )
    assert batch.status_code == 201, batch.text
    assert batch.json()["claimed_cents"] == 500_00
    submitted = client.post(
        f"/api/claim-batches/{batch.json()['id']}/submit",
        json={"reference": "SHA-BATCH-0042"},
        headers=manager,
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["submitted_at"] is not None
    assert [c["status"] for c in submitted.json()["claims"]] == ["SUBMITTED"]
    again = client.post(f"/api/claim-batches/{batch.json()['id']}/submit", headers=manager)
    assert_error(again, 409, "not_allowed", message="already")

    no_reason = move(client, manager, claim_id, "REJECTED")
    assert_error(no_reason, 422, "invalid", fields={"reason"})
    above = move(client, manager, claim_id, "PARTIALLY_APPROVED", approved_cents=600_00)
    assert_error(above, 422, "invalid", fields={"approved_cents"})
    rejected = move(client, manager, claim_id, "REJECTED", reason="Diagnosis does not fit")
    assert rejected.json()["rejection_reason"] == "Diagnosis does not fit"
    assert move(client, manager, claim_id, "DRAFT").json()["status"] == "DRAFT"
    for status in ("READY", "INVOICE_GENERATED"):
        assert move(client, manager, claim_id, status).status_code == 200
    second = client.post(
        "/api/claim-batches", json={"claim_ids": [claim_id], "period": "MONTHLY"}, headers=manager
    ).json()
    assert (
        client.post(f"/api/claim-batches/{second['id']}/submit", headers=manager).status_code == 200
    )
    approved = move(client, manager, claim_id, "APPROVED")
    assert approved.json()["approved_cents"] == 500_00
    no_reference = move(
        client, manager, claim_id, "PAID", paid_cents=500_00, paid_on=clinic_today().isoformat()
    )
    assert_error(no_reference, 422, "invalid", fields={"payment_reference"})
    paid = move(
        client,
        manager,
        claim_id,
        "PAID",
        paid_cents=500_00,
        paid_on=clinic_today().isoformat(),
        payment_reference="EFT-991",
    ).json()
    assert (paid["status"], paid["paid_cents"], paid["payment_reference"]) == (
        "PAID",
        500_00,
        "EFT-991",
    )
    assert [h["to_status"] for h in paid["history"]] == [
        "DRAFT", "READY", "INVOICE_GENERATED", "SUBMITTED", "REJECTED",
        "DRAFT", "READY", "INVOICE_GENERATED", "SUBMITTED", "APPROVED", "PAID",
    ]  # fmt: skip
    assert paid["history"][4]["note"] == "Diagnosis does not fit"
    with central.sessions() as session:
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.entity_id == uuid.UUID(claim_id))
            )
        )
    assert {"create_claim", "claim_ready", "claim_rejected", "claim_paid"} <= actions


def test_a_batch_holds_one_branch_and_reads_filter_by_branch(
    client: TestClient,
    admin: dict[str, str],
    manager: dict[str, str],
    make_staff: MakeStaff,
    central: Database,
) -> None:
    west_manager = bearer(login(client, make_staff(Role.CLAIMS_MANAGER, branch_code="WEST")))
    main = claim_for(client, admin, sha_visit(client, admin)["visit_id"])
    west = claim_for(client, admin, sha_visit(client, admin, branch_code="WEST")["visit_id"])
    for claim in (main, west):
        assert move(client, admin, claim["id"], "READY").status_code == 200
    before = written(central)
    mixed = client.post(
        "/api/claim-batches",
        json={"claim_ids": [main["id"], west["id"]], "period": "WEEKLY"},
        headers=admin,
    )
    assert_error(mixed, 409, "not_allowed", message="one branch")
    theirs = client.post(
        "/api/claim-batches", json={"claim_ids": [west["id"]], "period": "WEEKLY"}, headers=manager
    )
    assert_error(theirs, 403, "forbidden")
    assert_error(client.get(f"/api/claims/{west['id']}", headers=manager), 403, "forbidden")
    assert_error(move(client, manager, west["id"], "DRAFT"), 403, "forbidden")
    assert written(central) == before

    mine = client.get("/api/claims", headers=manager).json()
    assert {c["id"] for c in mine} == {main["id"]}
    assert {c["id"] for c in client.get("/api/claims", headers=west_manager).json()} == {west["id"]}
    by_branch = client.get("/api/claims", params={"branch": "WEST"}, headers=admin).json()
    assert [c["id"] for c in by_branch] == [west["id"]]
    assert_error(
        client.get("/api/claims", params={"branch": "WEST"}, headers=manager), 403, "forbidden"
    )
    assert_error(
        client.get("/api/claims", params={"branch": "NOPE"}, headers=admin),
        422,
        "invalid",
        fields={"branch"},
    )
    ready = client.get("/api/claims", params={"status": "READY"}, headers=admin).json()
    assert {c["id"] for c in ready} == {main["id"], west["id"]}


def test_reception_reads_claims_but_never_moves_them(
    client: TestClient, admin: dict[str, str], make_staff: MakeStaff, central: Database
) -> None:
    reception = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    made = sha_visit(client, admin)
    claim = client.get("/api/claims", headers=reception).json()[0]
    assert claim["visit_id"] == made["visit_id"]
    assert client.get(f"/api/claims/{claim['id']}", headers=reception).status_code == 200
    before = written(central)
    assert_error(move(client, reception, claim["id"], "READY"), 403, "forbidden")
    created = client.post("/api/claims", json={"visit_id": made["visit_id"]}, headers=reception)
    assert_error(created, 403, "forbidden")
    assert written(central) == before


def test_the_fhir_bundle_and_the_sha_csv_of_a_batch(
    client: TestClient, admin: dict[str, str], manager: dict[str, str], make_staff: MakeStaff
) -> None:
    made = sha_visit(client, admin, lines=("CONS-NEW", "LAB-MRDT"), sha_cents=700_00)
    claim = claim_for(client, manager, made["visit_id"])
    fhir = client.get(f"/api/claims/{claim['id']}/fhir", headers=manager)
    assert fhir.status_code == 200, fhir.text
    assert fhir.headers["content-type"] == "application/fhir+json"
    bundle = fhir.json()
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Claim", "Patient", "Organization", "Practitioner", "Coverage"} <= kinds
    for status in ("READY", "INVOICE_GENERATED"):
        assert move(client, manager, claim["id"], status).status_code == 200
    batch = client.post(
        "/api/claim-batches", json={"claim_ids": [claim["id"]], "period": "WEEKLY"}, headers=manager
    ).json()
    exported = client.get(f"/api/claim-batches/{batch['id']}/sha.csv", headers=manager)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["Facility SHA ID", "KMHFL Code", "Facility"]
    assert [r[rows[0].index("Intervention Code")] for r in rows[1:]] == [
        "SHA-PHC-OP-001",
        "SHA-PHC-LAB-001",
    ]
    reception = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    assert_error(client.get(f"/api/claims/{claim['id']}/fhir", headers=reception), 403, "forbidden")
