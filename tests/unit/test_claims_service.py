"""The claims service on a PC's store: a draft from the visit's invoice, the
state machine with its checks and history, batches of one branch."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from clinic.actor import Actor
from clinic.billing.models import Invoice, Payment, Service
from clinic.billing.service import (
    LineInput,
    create_invoice,
    record_payment,
    seed_price_list,
    update_service,
)
from clinic.claims.completeness import missing
from clinic.claims.document import load_claim_document
from clinic.claims.models import Claim, ClaimBatch, ClaimItem, ClaimStatusChange
from clinic.claims.service import (
    batch_period_bounds,
    claim_for_visit,
    claim_history,
    claim_items,
    create_batch,
    create_claim,
    move_claim,
    refresh_claim,
    submit_batch,
)
from clinic.clock import clinic_today
from clinic.enums import BatchPeriod, ClaimStatus, PaymentMethod, Role
from clinic.errors import InvalidValue, NotAllowed
from clinic.journal.models import AuditEvent, OutboxEntry
from clinic.org.models import Branch
from clinic.patients.service import PatientDetails, register_patient, update_patient
from clinic.store import LocalStore
from clinic.visits.models import Visit
from clinic.visits.service import ConsultationNotes, open_visit, record_consultation, sign_visit
from tests.conftest import make_actor

S = ClaimStatus
SHA_NUMBER = "CR4082193652041-7"


@pytest.fixture
def actors(store: LocalStore, branch: Branch) -> dict[Role, Actor]:
    return {role: make_actor(store, branch, role) for role in Role}


@pytest.fixture
def manager(actors: dict[Role, Actor]) -> Actor:
    return actors[Role.CLAIMS_MANAGER]


@pytest.fixture
def priced(store: LocalStore, branch: Branch) -> dict[str, Service]:
    with store.write() as session:
        seed_price_list(session=session, actor=Actor(device_id=store.device_id))
        return {s.code: s for s in session.scalars(select(Service))}


def sha_visit(
    store: LocalStore,
    actors: dict[Role, Actor],
    priced: dict[str, Service],
    *,
    sha_number: str | None = SHA_NUMBER,
    signed: bool = True,
    sha_cents: int | None = 500_00,
    lines: tuple[str, ...] = ("CONS-NEW", "LAB-MRDT"),
    today: date | None = None,
) -> Visit:
    """A visit of an adult with an SHA number, a malaria diagnosis, billed
    and paid by SHA for ``sha_cents`` (the rest in cash is not needed)."""
    day = today or clinic_today()
    with store.write() as session:
        patient = register_patient(
            PatientDetails(
                first_name="Mary",
                last_name="Otieno",
                date_of_birth=date(1990, 5, 17),
                sha_number=sha_number,
            ),
            session=session,
            actor=actors[Role.RECEPTIONIST],
            today=day,
        ).patient
        visit = open_visit(patient.id, session=session, actor=actors[Role.RECEPTIONIST], today=day)
        record_consultation(
            visit.id,
            ConsultationNotes(complaint="Fever for 3 days", diagnoses=["B54"]),
            session=session,
            actor=actors[Role.CLINICAL_OFFICER],
        )
        if signed:
            sign_visit(visit.id, session=session, actor=actors[Role.CLINICAL_OFFICER])
        invoice = create_invoice(
            visit.id,
            [LineInput(priced[code].id) for code in lines],
            session=session,
            actor=actors[Role.CASHIER],
        )
        if sha_cents:
            record_payment(
                invoice.id,
                PaymentMethod.SHA,
                sha_cents,
                session=session,
                actor=actors[Role.CASHIER],
                today=day,
            )
        return visit


def counts(store: LocalStore) -> tuple[int, ...]:
    with store.session() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Claim, ClaimItem, ClaimStatusChange, ClaimBatch, OutboxEntry, AuditEvent)
        )


def claim_of(store: LocalStore, actor: Actor, visit: Visit) -> Claim:
    with store.write() as session:
        return create_claim(visit.id, session=session, actor=actor)


def move(store: LocalStore, actor: Actor, claim: Claim, status: S, **kwargs: object) -> Claim:
    with store.write() as session:
        return move_claim(claim.id, status, session=session, actor=actor, **kwargs)  # type: ignore[arg-type]


def test_a_draft_is_made_from_the_invoice_and_made_once(
    store: LocalStore, actors: dict[Role, Actor], priced: dict[str, Service], manager: Actor
) -> None:
    visit = sha_visit(store, actors, priced)
    with store.session() as session:
        assert claim_for_visit(visit.id, session=session) is None  # a PC leaves it to the server
    claim = claim_of(store, manager, visit)
    assert claim.status == S.DRAFT
    assert claim.sha_member_number == SHA_NUMBER
    assert claim.claimed_cents == 500_00
    with store.session() as session:
        items = claim_items(claim.id, session=session)
        assert [(i.description, i.intervention_code, i.amount_cents) for i in items] == [
            ("Consultation (new)", "SHA-PHC-OP-001", 500_00),
            ("Malaria RDT", "SHA-PHC-LAB-001", 200_00),
        ]
        history = claim_history(claim.id, session=session)
        assert [(h.from_status, h.to_status) for h in history] == [(None, S.DRAFT)]
        document = load_claim_document(claim.id, session=session)
        assert missing(document, today=clinic_today()) == []
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"create_claim", "add_claim_item", "claim_status_change"} <= actions
    before = counts(store)
    again = claim_of(store, manager, visit)
    assert again.id == claim.id
    assert counts(store) == before  # nothing changed, nothing recorded


def test_no_sha_payment_is_refused_and_nothing_is_written(
    store: LocalStore, actors: dict[Role, Actor], priced: dict[str, Service], manager: Actor
) -> None:
    visit = sha_visit(store, actors, priced, sha_cents=None)
    before = counts(store)
    with pytest.raises(InvalidValue) as refused, store.write() as session:
        create_claim(visit.id, session=session, actor=manager)
    assert refused.value.field == "visit_id" and "SHA payment" in refused.value.reason
    assert counts(store) == before


def test_only_claims_staff_of_the_branch_make_and_move_claims(
    store: LocalStore, actors: dict[Role, Actor], priced: dict[str, Service], manager: Actor
) -> None:
    visit = sha_visit(store, actors, priced)
    with pytest.raises(NotAllowed), store.write() as session:
        create_claim(visit.id, session=session, actor=actors[Role.RECEPTIONIST])
    claim = claim_of(store, manager, visit)
    elsewhere = Actor(store.device_id, uuid.uuid4(), Role.CLAIMS_MANAGER, uuid.uuid4())
    before = counts(store)
    for actor in (actors[Role.CASHIER], elsewhere):
        with pytest.raises(NotAllowed), store.write() as session:
            move_claim(claim.id, S.READY, session=session, actor=actor)
    assert counts(store) == before


def test_ready_needs_a_complete_claim_and_follows_the_fixes(
    store: LocalStore, actors: dict[Role, Actor], priced: dict[str, Service], manager: Actor
) -> None:
    visit = sha_visit(
        store, actors, priced, sha_number=None, signed=False, sha_cents=300_00, lines=("LAB-WIDAL",)
    )
    claim = claim_of(store, manager, visit)
    before = counts(store)
    with pytest.raises(NotAllowed) as refused, store.write() as session:
        move_claim(claim.id, S.READY, session=session, actor=manager)
    message = str(refused.value)
    assert "no SHA number" in message and "not signed" in message and "Widal" in message
    assert counts(store) == before
    with store.write() as session:
        sign_visit(visit.id, session=session, actor=actors[Role.CLINICAL_OFFICER])
        update_service(
            priced["LAB-WIDAL"].id,
            sha_intervention_code="SHA-PHC-LAB-010",
            session=session,
            actor=actors[Role.ADMIN],
        )
        patient_id = session.get(Visit, visit.id).patient_id  # type: ignore[union-attr]
        update_patient(
            patient_id,
            {"sha_number": "cr4082193652041 7"},
            session=session,
            actor=actors[Role.RECEPTIONIST],
            today=clinic_today(),
        )
    ready = move(store, manager, claim, S.READY)
    assert ready.status == S.READY and ready.sha_member_number == SHA_NUMBER
    with store.session() as session:
        assert [i.intervention_code for i in claim_items(claim.id, session=session)] == [
            "SHA-PHC-LAB-010"
        ]


def test_the_whole_life_of_a_claim_with_a_rejection_and_its_history(
    store: LocalStore, actors: dict[Role, Actor], priced: dict[str, Service], manager: Actor
) -> None:
    claim = claim_of(store, manager, sha_visit(store, actors, priced))
    move(store, manager, claim, S.READY)
    move(store, manager, claim, S.INVOICE_GENERATED)
    with store.write() as session:
        batch = create_batch([claim.id], BatchPeriod.WEEKLY, session=session, actor=manager)
    with store.write() as session:
        submit_batch(batch.id, session=session, actor=manager, reference="SHA-B-1")
    with store.session() as session:
        sent = session.get(Claim, claim.id)
        assert sent is not None and sent.status == S.SUBMITTED and sent.submitted_at is not None
        assert session.get(ClaimBatch, batch.id).submitted_at is not None  # type: ignore[union-attr]
    before = counts(store)
    with pytest.raises(InvalidValue) as no_reason, store.write() as session:
        move_claim(claim.id, S.REJECTED, session=session, actor=manager, reason="  ")
    assert no_reason.value.field == "reason"
    with pytest.raises(NotAllowed), store.write() as session:
        move_claim(claim.id, S.PAID, session=session, actor=manager)
    assert counts(store) == before
    move(store, manager, claim, S.REJECTED, reason="Member number not found")
    move(store, manager, claim, S.DRAFT)
    move(store, manager, claim, S.READY)
    move(store, manager, claim, S.INVOICE_GENERATED)
    with store.write() as session:
        again = create_batch([claim.id], BatchPeriod.MONTHLY, session=session, actor=manager)
        submit_batch(again.id, session=session, actor=manager)
    with pytest.raises(InvalidValue) as too_much, store.write() as session:
        move_claim(
            claim.id, S.PARTIALLY_APPROVED, session=session, actor=manager, approved_cents=600_00
        )
    assert too_much.value.field == "approved_cents"
    move(store, manager, claim, S.PARTIALLY_APPROVED, approved_cents=400_00)
    with pytest.raises(InvalidValue) as no_reference, store.write() as session:
        move_claim(
            claim.id,
            S.PAID,
            session=session,
            actor=manager,
            paid_cents=400_00,
            paid_on=date.today(),
        )
    assert no_reference.value.field == "payment_reference"
    paid = move(
        store,
        manager,
        claim,
        S.PAID,
        paid_cents=400_00,
        paid_on=clinic_today(),
        payment_reference="EFT-2026-0042",
    )
    assert (paid.approved_cents, paid.paid_cents, paid.batch_id) == (400_00, 400_00, again.id)
    with store.session() as session:
        history = claim_history(claim.id, session=session)
    assert [h.to_status for h in history] == [
        S.DRAFT, S.READY, S.INVOICE_GENERATED, S.SUBMITTED, S.REJECTED,
        S.DRAFT, S.READY, S.INVOICE_GENERATED, S.SUBMITTED, S.PARTIALLY_APPROVED, S.PAID,
    ]  # fmt: skip
    assert history[4].note == "Member number not found"
    assert [h.from_status for h in history[1:]] == [h.to_status for h in history[:-1]]


def test_a_batch_holds_one_branchs_checked_claims(
    store: LocalStore, actors: dict[Role, Actor], priced: dict[str, Service], manager: Actor
) -> None:
    first = claim_of(store, manager, sha_visit(store, actors, priced))
    draft = claim_of(store, manager, sha_visit(store, actors, priced))
    move(store, manager, first, S.READY)
    with store.write() as session:
        other = Branch(code="UTW", name="Utawala")
        session.add(other)
        session.flush()
        moved = session.get(Claim, draft.id)
        assert moved is not None
        moved.branch_id = other.id  # as if made at Utawala
    admin = Actor(store.device_id, uuid.uuid4(), Role.ADMIN, None)
    before = counts(store)
    with pytest.raises(NotAllowed) as mixed, store.write() as session:
        create_batch([first.id, draft.id], BatchPeriod.WEEKLY, session=session, actor=admin)
    assert "one branch" in str(mixed.value)
    with pytest.raises(InvalidValue), store.write() as session:
        create_batch([], BatchPeriod.WEEKLY, session=session, actor=manager)
    with pytest.raises(InvalidValue), store.write() as session:
        create_batch([first.id], "DAILY", session=session, actor=manager)
    assert counts(store) == before
    with store.write() as session:
        batch = create_batch([first.id], BatchPeriod.WEEKLY, session=session, actor=manager)
        with pytest.raises(NotAllowed) as not_invoiced:
            submit_batch(batch.id, session=session, actor=manager)
        assert "SHA invoice" in str(not_invoiced.value)
    start, end = batch.period_start, batch.period_end
    assert start.weekday() == 0 and end - start == timedelta(days=6)


def test_batch_periods_span_whole_weeks_and_months() -> None:
    assert batch_period_bounds(BatchPeriod.WEEKLY, date(2026, 11, 26), date(2026, 12, 2)) == (
        date(2026, 11, 23),
        date(2026, 12, 6),
    )
    assert batch_period_bounds(BatchPeriod.MONTHLY, date(2026, 11, 26), date(2026, 12, 2)) == (
        date(2026, 11, 1),
        date(2026, 12, 31),
    )


def test_a_draft_follows_a_new_invoice_line_until_it_is_ready(
    store: LocalStore, actors: dict[Role, Actor], priced: dict[str, Service], manager: Actor
) -> None:
    visit = sha_visit(store, actors, priced)
    claim = claim_of(store, manager, visit)
    with store.write() as session:
        invoice = session.scalars(select(Invoice).where(Invoice.visit_id == visit.id)).one()
        record_payment(
            invoice.id,
            PaymentMethod.SHA,
            100_00,
            session=session,
            actor=actors[Role.CASHIER],
            today=clinic_today(),
        )
        refreshed = refresh_claim(claim.id, session=session, actor=manager)
        assert refreshed.claimed_cents == 600_00


def test_a_pc_that_holds_no_payments_says_the_server_makes_the_claim(
    store: LocalStore, actors: dict[Role, Actor], priced: dict[str, Service], manager: Actor
) -> None:
    visit = sha_visit(store, actors, priced)
    with store.write() as session:  # as a claims manager's PC holds it: the invoice, no payments
        session.execute(delete(Payment))
    with pytest.raises(InvalidValue) as refused, store.write() as session:
        create_claim(visit.id, session=session, actor=manager)
    assert "sync" in refused.value.reason
