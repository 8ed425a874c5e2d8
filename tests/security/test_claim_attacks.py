"""Attacks on SHA claims, through the API and through sync pushes: a
receptionist moving a claim, a jump past the state machine, another
branch's claim, an approved amount above the claimed, a batch mixing
branches, a forged history, edits to what was sent to SHA, NUL bytes and
amounts of 10^12. Each is refused with its reason (never a 5xx) and
writes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinic.billing.models import Invoice, InvoiceLine, Payment
from clinic.claims.models import Claim, ClaimBatch, ClaimItem, ClaimStatusChange
from clinic.enums import BatchPeriod, ClaimStatus, PaymentMethod, Role
from clinic.journal.models import AuditEvent
from server.database import Database
from tests.central import MakeStaff, bearer, login
from tests.security.conftest import Clinic, mutation
from tests.security.test_sync_attacks import outcomes, payment_insert, refused, visit
from tests.server.claims_helpers import claim_for, move, sha_visit
from tests.server.helpers import assert_error

S = ClaimStatus
NOW = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)
SHA_NUMBER = "CR4082193652041-7"


# --- through the API ----------------------------------------------------------


def written(central: Database) -> tuple[int, ...]:
    with central.sessions() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Claim, ClaimStatusChange, ClaimBatch, AuditEvent)
        )


@pytest.fixture
def admin(client: TestClient, make_staff: MakeStaff) -> dict[str, str]:
    return bearer(login(client, make_staff(Role.ADMIN, branch_code=None)))


@pytest.mark.postgres
def test_the_api_refuses_every_attack_on_a_claim_and_writes_nothing(
    client: TestClient, central: Database, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    reception = bearer(login(client, make_staff(Role.RECEPTIONIST)))
    west = bearer(login(client, make_staff(Role.CLAIMS_MANAGER, branch_code="WEST")))
    main = claim_for(client, admin, sha_visit(client, admin)["visit_id"])
    other = claim_for(client, admin, sha_visit(client, admin, branch_code="WEST")["visit_id"])
    assert move(client, admin, main["id"], "READY").status_code == 200
    assert move(client, admin, other["id"], "READY").status_code == 200
    before = written(central)

    assert_error(move(client, reception, main["id"], "DRAFT"), 403, "forbidden")
    assert_error(move(client, west, main["id"], "DRAFT"), 403, "forbidden", message="branch")
    assert_error(move(client, admin, main["id"], "PAID"), 409, "not_allowed")
    mixed = client.post(
        "/api/claim-batches",
        json={"claim_ids": [main["id"], other["id"]], "period": "WEEKLY"},
        headers=admin,
    )
    assert_error(mixed, 409, "not_allowed", message="one branch")
    nul = move(client, admin, main["id"], "DRAFT", reason="Wrong\u0000code")
    assert_error(nul, 422, "invalid", fields={"reason"})
    huge = move(client, admin, main["id"], "DRAFT", approved_cents=10**12)
    assert_error(huge, 422, "invalid", fields={"approved_cents"})
    unknown = move(client, admin, main["id"], "LOST")
    assert_error(unknown, 422, "invalid", fields={"status"})
    too_many = client.post(
        "/api/claim-batches",
        json={"claim_ids": [str(uuid.uuid4()) for _ in range(1001)], "period": "WEEKLY"},
        headers=admin,
    )
    assert_error(too_many, 422, "invalid", fields={"claim_ids"})
    assert written(central) == before
    for claim in (main, other):
        read = client.get(f"/api/claims/{claim['id']}", headers=admin).json()
        assert (read["status"], read["rejection_reason"], read["batch_id"]) == ("READY", None, None)


@pytest.mark.postgres
def test_approved_above_claimed_is_refused(
    client: TestClient, central: Database, admin: dict[str, str]
) -> None:
    claim = claim_for(client, admin, sha_visit(client, admin)["visit_id"])
    for status in ("READY", "INVOICE_GENERATED"):
        assert move(client, admin, claim["id"], status).status_code == 200
    batch = client.post(
        "/api/claim-batches", json={"claim_ids": [claim["id"]], "period": "WEEKLY"}, headers=admin
    ).json()
    assert client.post(f"/api/claim-batches/{batch['id']}/submit", headers=admin).status_code == 200
    before = written(central)
    for status in ("APPROVED", "PARTIALLY_APPROVED"):
        above = move(client, admin, claim["id"], status, approved_cents=500_01)
        assert_error(above, 422, "invalid", fields={"approved_cents"})
    assert written(central) == before
    assert client.get(f"/api/claims/{claim['id']}", headers=admin).json()["approved_cents"] is None


@pytest.mark.postgres
def test_another_branchs_claim_and_batch_are_not_read_nor_exported(
    client: TestClient, make_staff: MakeStaff, admin: dict[str, str]
) -> None:
    west = bearer(login(client, make_staff(Role.CLAIMS_MANAGER, branch_code="WEST")))
    main = claim_for(client, admin, sha_visit(client, admin)["visit_id"])
    for status in ("READY", "INVOICE_GENERATED"):
        assert move(client, admin, main["id"], status).status_code == 200
    batch = client.post(
        "/api/claim-batches", json={"claim_ids": [main["id"]], "period": "WEEKLY"}, headers=admin
    ).json()
    for path in (
        f"/api/claims/{main['id']}",
        f"/api/claims/{main['id']}/fhir",
        f"/api/claim-batches/{batch['id']}",
        f"/api/claim-batches/{batch['id']}/sha.csv",
    ):
        assert_error(client.get(path, headers=west), 403, "forbidden", message="another branch")
    listed = client.get("/api/claims", params={"branch": "MAIN"}, headers=west)
    assert_error(listed, 403, "forbidden", message="own branch")
    own = client.get("/api/claims", headers=west)
    assert own.status_code == 200 and main["id"] not in own.text
    submitted = client.post(f"/api/claim-batches/{batch['id']}/submit", headers=west)
    assert_error(submitted, 403, "forbidden", message="another branch")


# --- through sync -------------------------------------------------------------


def claim(
    clinic: Clinic, branch: uuid.UUID | None = None, status: ClaimStatus = S.DRAFT, **values: Any
) -> Claim:
    """A claim the server holds for a new visit of ``branch`` (MAIN), with one line."""
    seen = visit(clinic, branch)
    billed = Invoice(
        visit_id=seen.id,
        patient_id=seen.patient_id,
        branch_id=seen.branch_id,
        total_cents=500_00,
        issued_at=NOW,
    )
    clinic.add(billed)
    row = Claim(
        visit_id=seen.id,
        patient_id=seen.patient_id,
        invoice_id=billed.id,
        branch_id=seen.branch_id,
        sha_member_number=SHA_NUMBER,
        status=status,
        claimed_cents=500_00,
        **values,
    )
    clinic.add(row)
    clinic.add(
        ClaimItem(
            claim_id=row.id,
            intervention_code="SHA-PHC-OP-001",
            description="Consultation (new)",
            amount_cents=500_00,
        )
    )
    return row


def batch(clinic: Clinic, branch: uuid.UUID, **values: Any) -> ClaimBatch:
    row = ClaimBatch(
        branch_id=branch,
        period=BatchPeriod.WEEKLY,
        period_start=NOW.date(),
        period_end=NOW.date(),
        **values,
    )
    clinic.add(row)
    return row


def test_a_receptionist_and_a_jump_past_the_state_machine_are_refused(clinic: Clinic) -> None:
    desk = clinic.device("receptionist")
    claims = clinic.device("claims_manager")
    draft = claim(clinic)
    answer = desk.push(mutation("claims", draft.id, status="READY"))
    assert refused(answer) == {1: "A receptionist may not move a claim"}
    answer = claims.push(
        mutation("claims", draft.id, status="PAID", paid_cents=500_00, paid_on="2026-11-30"),
        mutation("claims", draft.id, status="SUBMITTED"),
    )
    assert list(refused(answer).values()) == [
        "A claim that is DRAFT cannot move to PAID",
        "A claim that is DRAFT cannot move to SUBMITTED",
    ]
    paid, ready = uuid.uuid4(), uuid.uuid4()
    seen = clinic.get(Claim, draft.id)
    new_claim: dict[str, Any] = {
        "visit_id": str(seen.visit_id),
        "patient_id": str(seen.patient_id),
        "invoice_id": str(seen.invoice_id),
        "branch_id": str(seen.branch_id),
        "sha_member_number": SHA_NUMBER,
        "claimed_cents": 500_00,
    }
    answer = claims.push(
        mutation("claims", paid, "insert", status="PAID", **new_claim),
        mutation("claims", ready, "insert", status="READY", **new_claim),
    )
    reasons = list(refused(answer).values())
    assert reasons == [
        "A claim that is DRAFT cannot move to PAID",
        "A claim starts as DRAFT and moves by the claim's checks",
    ]
    assert clinic.get(Claim, paid) is None and clinic.get(Claim, ready) is None
    after = clinic.get(Claim, draft.id)
    assert (after.status, after.paid_cents, after.version) == (S.DRAFT, None, seen.version)


def test_another_branchs_claim_and_a_batch_mixing_branches_are_refused(clinic: Clinic) -> None:
    claims = clinic.device("claims_manager")
    theirs = claim(clinic, clinic.west)
    ours = claim(clinic, status=S.READY)
    west_batch = batch(clinic, clinic.west)
    own_batch = batch(clinic, clinic.main)
    answer = claims.push(
        mutation("claims", theirs.id, preauthorisation_number="PA-1"),
        mutation("claims", ours.id, batch_id=str(west_batch.id)),
        mutation("claims", ours.id, branch_id=str(clinic.west)),
        mutation("claims", ours.id, batch_id=str(own_batch.id)),
    )
    assert outcomes(answer) == ["refused", "refused", "refused", "applied"]
    reasons = refused(answer)
    assert reasons[1] == reasons[3] == "Changes go to this device's own branch only"
    assert reasons[2] == "A batch holds one branch's claims; this claim is another branch's"
    assert clinic.get(Claim, theirs.id).preauthorisation_number is None
    assert clinic.get(Claim, ours.id).batch_id == own_batch.id


def test_approved_above_claimed_and_edits_to_what_was_sent_are_refused(clinic: Clinic) -> None:
    claims = clinic.device("claims_manager")
    sent_batch = batch(clinic, clinic.main, submitted_at=NOW)
    sent = claim(clinic, status=S.SUBMITTED, batch_id=sent_batch.id, submitted_at=NOW)
    with clinic.db.sessions() as session:
        item = session.scalars(select(ClaimItem).where(ClaimItem.claim_id == sent.id)).one()
    answer = claims.push(
        mutation("claims", sent.id, status="APPROVED", approved_cents=500_01),
        mutation("claims", sent.id, status="PARTIALLY_APPROVED"),
        mutation("claims", sent.id, sha_member_number="CR1111111111111-1"),
        mutation("claims", sent.id, claimed_cents=900_00),
        mutation("claim_items", item.id, amount_cents=900_00),
        mutation("claim_batches", sent_batch.id, period_end="2027-01-01"),
        mutation("claim_batches", sent_batch.id, submitted_at="2026-12-01T08:00:00+00:00"),
        mutation("claims", sent.id, status="APPROVED", approved_cents=450_00),
    )
    assert outcomes(answer) == ["refused"] * 7 + ["applied"]
    reasons = refused(answer)
    assert reasons[1] == "approved_cents: KES 500.01 approved is more than the KES 500.00 claimed"
    assert reasons[2] == "approved_cents: Give the amount SHA approved"
    assert reasons[3] == reasons[4] == "The claim was sent to SHA; what it claims no longer changes"
    assert reasons[5] == "The claim left DRAFT; its lines no longer change"
    assert reasons[6] == "The batch was submitted to SHA; it no longer changes"
    assert reasons[7] == "submitted_at is set once and never changed"
    held = clinic.get(Claim, sent.id)
    assert (held.status, held.approved_cents, held.sha_member_number, held.claimed_cents) == (
        S.APPROVED,
        450_00,
        SHA_NUMBER,
        500_00,
    )
    assert clinic.get(ClaimItem, item.id).amount_cents == 500_00


def test_a_forged_history_nul_bytes_and_huge_amounts_are_refused(clinic: Clinic) -> None:
    claims = clinic.device("claims_manager")
    draft = claim(clinic)
    forged = uuid.uuid4()
    line = uuid.uuid4()
    answer = claims.push(
        mutation(
            "claim_status_changes",
            forged,
            "insert",
            claim_id=str(draft.id),
            from_status="APPROVED",
            to_status="PAID",
            changed_at=NOW.isoformat(),
        ),
        mutation("claims", draft.id, claimed_cents=10**12),
        mutation("claims", draft.id, preauthorisation_number="PA\u00001"),
        mutation("claims", draft.id, sha_member_number=" CR4082193652041-7"),
        mutation(
            "claim_items",
            line,
            "insert",
            claim_id=str(draft.id),
            intervention_code="SHA-X",
            description="Suturing",
            quantity=1,
            amount_cents=10**12,
        ),
        mutation("claims", draft.id, claimed_cents=-1),
    )
    assert outcomes(answer) == ["refused"] * 6
    reasons = refused(answer)
    assert reasons[1] == (
        "A claim's history records the moves the claim made, each from where the last left it"
    )
    assert (
        reasons[2]
        == "claimed_cents: KES 10,000,000,000.00 is more than KES 100,000,000.00; check the zeros"
    )
    assert reasons[3] == "preauthorisation_number: contains a NUL character; remove it"
    assert reasons[4] == "sha_member_number: Remove the spaces around the text"
    assert reasons[5].startswith("amount_cents: KES 10,000,000,000.00 is more than")
    assert reasons[6] == "claimed_cents: The amount must be 0 or more"
    assert clinic.get(ClaimStatusChange, forged) is None and clinic.get(ClaimItem, line) is None
    held = clinic.get(Claim, draft.id)
    assert (held.claimed_cents, held.preauthorisation_number, held.sha_member_number) == (
        500_00,
        None,
        SHA_NUMBER,
    )


def test_a_history_row_that_records_no_move_is_refused(clinic: Clinic) -> None:
    claims = clinic.device("claims_manager")
    draft = claim(clinic)
    made = ClaimStatusChange(claim_id=draft.id, from_status=None, to_status=S.DRAFT, changed_at=NOW)
    clinic.add(made)

    def history(from_status: str | None, to_status: str) -> dict[str, Any]:
        return mutation(
            "claim_status_changes",
            uuid.uuid4(),
            "insert",
            claim_id=str(draft.id),
            from_status=from_status,
            to_status=to_status,
            changed_at=datetime.now(UTC).isoformat(),
        )

    answer = claims.push(
        history("REJECTED", "DRAFT"),
        history(None, "DRAFT"),
        history("DRAFT", "DRAFT"),
        mutation("claims", draft.id, preauthorisation_number="PA-7"),
    )
    assert outcomes(answer) == ["refused"] * 3 + ["applied"]
    assert set(refused(answer).values()) == {
        "A claim's history records the moves the claim made, each from where the last left it"
    }
    with clinic.db.sessions() as session:
        kept = session.scalars(
            select(ClaimStatusChange).where(ClaimStatusChange.claim_id == draft.id)
        ).all()
    assert [row.id for row in kept] == [made.id]


def test_shas_answer_changes_only_with_the_move_that_records_it(clinic: Clinic) -> None:
    claims = clinic.device("claims_manager")
    sent_batch = batch(clinic, clinic.main, submitted_at=NOW)
    answered: dict[str, Any] = {"batch_id": sent_batch.id, "submitted_at": NOW}
    paid = claim(
        clinic,
        status=S.PAID,
        approved_cents=400_00,
        paid_cents=400_00,
        paid_on=NOW.date(),
        payment_reference="SHA-PAY-1",
        **answered,
    )
    approved = claim(clinic, status=S.APPROVED, approved_cents=400_00, **answered)
    rejected = claim(clinic, status=S.REJECTED, rejection_reason="No preauthorisation", **answered)
    draft = claim(clinic)
    answer = claims.push(
        mutation("claims", paid.id, paid_cents=1),
        mutation("claims", paid.id, approved_cents=300_00),
        mutation("claims", paid.id, paid_on="2026-01-01"),
        mutation("claims", paid.id, payment_reference="SHA-PAY-2"),
        mutation("claims", approved.id, approved_cents=1),
        mutation("claims", rejected.id, rejection_reason="Approved after all"),
        mutation("claims", draft.id, approved_cents=500_00),
        mutation("claims", draft.id, paid_cents=500_00, paid_on="2026-11-30"),
        mutation("claims", rejected.id, status="DRAFT", approved_cents=500_00),
        mutation("claims", rejected.id, status="DRAFT"),
    )
    assert outcomes(answer) == ["refused"] * 9 + ["applied"]
    reasons = refused(answer)
    assert reasons[1] == (
        "paid_cents is SHA's answer, recorded by the claim's move to PAID; it changes with no other"
    )
    assert reasons[5] == (
        "approved_cents is SHA's answer, recorded by the claim's move to APPROVED or"
        " PARTIALLY_APPROVED; it changes with no other"
    )
    assert reasons[6] == (
        "rejection_reason is SHA's answer, recorded by the claim's move to REJECTED;"
        " it changes with no other"
    )
    held = clinic.get(Claim, paid.id)
    assert (held.approved_cents, held.paid_cents, held.paid_on, held.payment_reference) == (
        400_00,
        400_00,
        NOW.date(),
        "SHA-PAY-1",
    )
    assert clinic.get(Claim, approved.id).approved_cents == 400_00
    back = clinic.get(Claim, rejected.id)
    assert (back.status, back.rejection_reason, back.approved_cents) == (
        S.DRAFT,
        "No preauthorisation",
        None,
    )
    assert (clinic.get(Claim, draft.id).approved_cents, clinic.get(Claim, draft.id).paid_cents) == (
        None,
        None,
    )


def test_a_claim_for_a_visit_sha_did_not_pay_or_claimed_twice_or_above_the_sha_share_is_refused(
    clinic: Clinic,
) -> None:
    claims = clinic.device("claims_manager")
    first = claim(clinic)
    clinic.add(
        Payment(
            invoice_id=first.invoice_id,
            branch_id=first.branch_id,
            method=PaymentMethod.SHA,
            amount_cents=500_00,
            cashier_id=clinic.staff["cashier"].id,
            received_at=NOW,
        )
    )
    unpaid = visit(clinic)
    bill = Invoice(
        visit_id=unpaid.id,
        patient_id=unpaid.patient_id,
        branch_id=unpaid.branch_id,
        total_cents=500_00,
        issued_at=NOW,
    )
    clinic.add(bill)

    def new_claim(of: Any, invoice_id: uuid.UUID) -> dict[str, Any]:
        return mutation(
            "claims",
            uuid.uuid4(),
            "insert",
            visit_id=str(of.visit_id if isinstance(of, Claim) else of.id),
            patient_id=str(of.patient_id),
            invoice_id=str(invoice_id),
            branch_id=str(of.branch_id),
            sha_member_number=SHA_NUMBER,
            claimed_cents=500_00,
        )

    answer = claims.push(
        new_claim(unpaid, bill.id),
        new_claim(first, first.invoice_id),
        mutation("claims", first.id, claimed_cents=900_00),
        mutation("claims", first.id, preauthorisation_number="PA-9"),
    )
    assert outcomes(answer) == ["refused"] * 3 + ["applied"]
    reasons = refused(answer)
    assert reasons[1].startswith("visit_id: No SHA payment is recorded for this visit")
    assert reasons[2] == "The visit has its claim already; work on that one"
    assert reasons[3] == (
        "claimed_cents: A claim claims the KES 500.00 SHA's payments on its invoice add up to"
    )
    with clinic.db.sessions() as session:
        held = session.scalars(
            select(Claim).where(Claim.visit_id.in_([unpaid.id, first.visit_id]))
        ).all()
    assert [(c.id, c.claimed_cents) for c in held] == [(first.id, 500_00)]


def test_a_batch_holding_claims_is_not_deleted(clinic: Clinic) -> None:
    claims = clinic.device("claims_manager")
    held, empty = batch(clinic, clinic.main), batch(clinic, clinic.main)
    ready = claim(clinic, status=S.READY, batch_id=held.id)
    answer = claims.push(
        mutation("claim_batches", held.id, deleted_at=NOW.isoformat()),
        mutation("claim_batches", empty.id, deleted_at=NOW.isoformat()),
    )
    assert outcomes(answer) == ["refused", "applied"]
    assert refused(answer)[1] == "The batch holds 1 claim; take them out of it first"
    assert clinic.get(ClaimBatch, held.id).deleted_at is None
    assert clinic.get(Claim, ready.id).batch_id == held.id


def test_a_claim_line_claims_what_its_invoice_line_bills(clinic: Clinic) -> None:
    claims = clinic.device("claims_manager")
    draft = claim(clinic)
    billed = InvoiceLine(
        invoice_id=draft.invoice_id,
        description="Consultation (new)",
        unit_price_cents=500_00,
        amount_cents=500_00,
    )
    theirs = claim(clinic, clinic.west)
    other_line = InvoiceLine(
        invoice_id=theirs.invoice_id,
        description="Consultation (new)",
        unit_price_cents=500_00,
        amount_cents=500_00,
    )
    clinic.add(billed, other_line)

    def line(invoice_line: uuid.UUID | None, **values: Any) -> dict[str, Any]:
        return mutation(
            "claim_items",
            uuid.uuid4(),
            "insert",
            claim_id=str(draft.id),
            invoice_line_id=str(invoice_line) if invoice_line else None,
            intervention_code="SHA-PHC-OP-001",
            **{
                "description": "Consultation (new)",
                "quantity": 1,
                "amount_cents": 500_00,
                **values,
            },
        )

    answer = claims.push(
        line(None, description="Appendicectomy", amount_cents=90_000_00),
        line(other_line.id),
        line(billed.id, amount_cents=5_000_00),
        line(billed.id, quantity=3),
        line(billed.id),
    )
    assert outcomes(answer) == ["refused"] * 4 + ["applied"]
    reasons = refused(answer)
    assert (
        reasons[1] == reasons[2] == "invoice_line_id: A claim line is a line of its claim's invoice"
    )
    assert reasons[3] == "amount_cents: A claim line claims what its invoice line bills"
    assert reasons[4] == "quantity: A claim line claims what its invoice line bills"
    with clinic.db.sessions() as session:
        lines = session.scalars(
            select(ClaimItem.invoice_line_id).where(ClaimItem.claim_id == draft.id)
        ).all()
    assert sorted(lines, key=str) == sorted([None, billed.id], key=str)


def test_a_claim_is_submitted_with_its_batch_only(clinic: Clinic) -> None:
    claims = clinic.device("claims_manager")
    open_batch = batch(clinic, clinic.main)
    invoiced = claim(clinic, status=S.INVOICE_GENERATED, batch_id=open_batch.id)
    answer = claims.push(
        mutation("claims", invoiced.id, status="SUBMITTED", submitted_at=NOW.isoformat()),
        mutation("claim_batches", open_batch.id, submitted_at=NOW.isoformat()),
        mutation("claims", invoiced.id, status="SUBMITTED", submitted_at=NOW.isoformat()),
    )
    assert outcomes(answer) == ["refused", "applied", "applied"]
    assert refused(answer)[1] == "Claims are submitted with their batch: submit the batch"
    assert clinic.get(Claim, invoiced.id).status == S.SUBMITTED


def test_a_payment_on_another_branchs_invoice_is_refused_and_makes_no_claim(
    clinic: Clinic,
) -> None:
    till = clinic.device("cashier")
    seen = visit(clinic, clinic.west)
    bill = Invoice(
        visit_id=seen.id,
        patient_id=seen.patient_id,
        branch_id=seen.branch_id,
        total_cents=500_00,
        issued_at=NOW,
    )
    clinic.add(bill)
    sha = payment_insert(clinic, bill, 500_00, "cashier")
    sha["changes"] |= {"branch_id": str(clinic.main), "method": "SHA"}
    answer = till.push(sha)
    assert refused(answer) == {1: "A payment is taken at the branch of its invoice"}
    assert clinic.get(Payment, uuid.UUID(sha["row_id"])) is None
    with clinic.db.sessions() as session:
        assert session.scalars(select(Claim).where(Claim.visit_id == seen.id)).all() == []


def test_an_invoice_for_another_branchs_visit_or_patient_is_refused(clinic: Clinic) -> None:
    till = clinic.device("cashier")
    theirs, ours = visit(clinic, clinic.west), visit(clinic)

    def invoice(of: Any, patient_id: uuid.UUID) -> dict[str, Any]:
        return mutation(
            "invoices",
            uuid.uuid4(),
            "insert",
            visit_id=str(of.id),
            patient_id=str(patient_id),
            branch_id=str(clinic.main),
            total_cents=500_00,
            issued_at=NOW.isoformat(),
        )

    answer = till.push(
        invoice(theirs, theirs.patient_id),
        invoice(ours, theirs.patient_id),
        invoice(ours, ours.patient_id),
    )
    assert outcomes(answer) == ["refused", "refused", "applied"]
    reasons = refused(answer)
    assert reasons[1] == "An invoice belongs to the branch of its visit"
    assert reasons[2] == "patient_id: The invoice names another patient than its visit's"
