"""Claims across PCs and the server: an SHA payment a cashier's PC pushes
becomes the visit's draft claim on the server, which the claims manager's
PC pulls with what its check needs; moves made offline arrive with their
history; a move the state machine forbids, pushed by a tampered PC, is
refused with its reason and kept as a refused change; two PCs editing the
same claim offline leave a visible conflict."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from clinic.billing.models import Invoice, Service
from clinic.billing.service import LineInput, create_invoice, record_payment
from clinic.claims.completeness import missing
from clinic.claims.document import load_claim_document
from clinic.claims.models import Claim, ClaimStatusChange
from clinic.claims.service import claim_for_visit, move_claim, set_preauthorisation
from clinic.clock import clinic_today
from clinic.enums import ChangeOperation, ClaimStatus, PaymentMethod, Role
from clinic.errors import NotAllowed
from clinic.journal.models import Conflict, OutboxEntry, RejectedChange
from clinic.visits.service import (
    ConsultationNotes,
    open_visit,
    record_consultation,
    sign_visit,
)
from server.database import Database
from tests.conftest import TODAY
from tests.sync.conftest import MakePc, MakeStaff, Pc, register

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

S = ClaimStatus
SHA_NUMBER = "CR4082193652041-7"


def sha_visit(make_pc: MakePc, make_staff: MakeStaff) -> uuid.UUID:
    """A visit registered at the desk, signed in the consulting room and
    paid by SHA at the till, each on its own PC, all synced."""
    desk = make_pc("desk")
    desk.login(make_staff(Role.RECEPTIONIST, "wanjiru"))
    patient = register(
        desk, "Mary", "Otieno", sha_number=SHA_NUMBER, date_of_birth=date(1990, 5, 17)
    )
    with desk.store.write() as session:
        visit = open_visit(patient, session=session, actor=desk.actor(), today=TODAY).id
    desk.engine.sync()
    room = make_pc("room")
    room.login(make_staff(Role.CLINICAL_OFFICER, "kiprono"))
    with room.store.write() as session:
        record_consultation(
            visit,
            ConsultationNotes(complaint="Fever for three days", diagnoses=["B54"]),
            session=session,
            actor=room.actor(),
        )
        sign_visit(visit, session=session, actor=room.actor())
    room.engine.sync()
    till = make_pc("till")
    till.login(make_staff(Role.CASHIER, "halima"))
    with till.store.write() as session:
        services = {s.code: s.id for s in session.scalars(select(Service))}
        invoice = create_invoice(
            visit,
            [LineInput(services["CONS-NEW"]), LineInput(services["LAB-MRDT"])],
            session=session,
            actor=till.actor(),
        )
        record_payment(
            invoice.id, PaymentMethod.SHA, 700_00, session=session, actor=till.actor(), today=TODAY
        )
        assert claim_for_visit(visit, session=session) is None  # a cashier's PC makes none
    till.engine.sync()
    return visit


def claims_pc(make_pc: MakePc, make_staff: MakeStaff, name: str) -> Pc:
    pc = make_pc(name)
    pc.login(make_staff(Role.CLAIMS_MANAGER, name))
    return pc


def local_claim(pc: Pc, visit: uuid.UUID) -> Claim:
    with pc.store.session() as session:
        claim = claim_for_visit(visit, session=session)
    assert claim is not None
    return claim


def server_claim(central: Database, visit: uuid.UUID) -> Claim:
    with central.sessions() as session:
        claim = claim_for_visit(visit, session=session)
    assert claim is not None
    return claim


def moved(pc: Pc, claim_id: uuid.UUID, *statuses: ClaimStatus, **kwargs: Any) -> None:
    for status in statuses:
        with pc.store.write() as session:
            move_claim(claim_id, status, session=session, actor=pc.actor(), **kwargs)


def test_an_sha_payment_becomes_a_claim_the_claims_pc_checks_and_moves_offline(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    visit = sha_visit(make_pc, make_staff)
    claim = server_claim(central, visit)
    assert (claim.status, claim.claimed_cents, claim.sha_member_number) == (
        S.DRAFT,
        700_00,
        SHA_NUMBER,
    )
    claims = claims_pc(make_pc, make_staff, "claims")
    with claims.store.session() as session:
        document = load_claim_document(claim.id, session=session)
        assert [d.code for d in document.diagnoses] == ["B54"]
        assert document.clinician is not None and document.clinician.username == "kiprono"
        assert [line.intervention_code for line in document.lines] == [
            "SHA-PHC-OP-001",
            "SHA-PHC-LAB-001",
        ]
        assert missing(document, today=clinic_today()) == []

    moved(claims, claim.id, S.READY, S.INVOICE_GENERATED)  # offline
    with claims.store.write() as session:
        set_preauthorisation(claim.id, "PA-2026-118", session=session, actor=claims.actor())
    report = claims.engine.sync()
    assert report.rejected == []
    on_server = server_claim(central, visit)
    assert (on_server.status, on_server.preauthorisation_number) == (
        S.INVOICE_GENERATED,
        "PA-2026-118",
    )
    with central.sessions() as session:
        history = session.scalars(
            select(ClaimStatusChange.to_status)
            .where(ClaimStatusChange.claim_id == claim.id)
            .order_by(ClaimStatusChange.changed_at)
        ).all()
    assert history == [S.DRAFT, S.READY, S.INVOICE_GENERATED]


def test_a_forbidden_move_pushed_by_a_pc_is_refused_with_its_reason(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    visit = sha_visit(make_pc, make_staff)
    claims = claims_pc(make_pc, make_staff, "claims")
    claim = local_claim(claims, visit)
    assert claims.user is not None
    with claims.store.write() as session:  # a tampered PC: no service would write this
        session.execute(
            update(Claim).where(Claim.id == claim.id).values(status=S.PAID, paid_cents=700_00)
        )
        session.execute(
            insert(OutboxEntry).values(
                entity="claims",
                row_id=claim.id,
                operation=ChangeOperation.UPDATE,
                changes={"status": "PAID", "paid_cents": 700_00},
                base_version=claim.version,
                user_id=claims.user.user_id,
            )
        )
    report = claims.engine.sync()
    assert report.rejected == [f"claims {claim.id}: A claim that is DRAFT cannot move to PAID"]
    with claims.store.session() as session:
        kept = session.scalars(select(RejectedChange)).one()
        assert (kept.entity, kept.row_id, kept.reason) == (
            "claims",
            claim.id,
            "A claim that is DRAFT cannot move to PAID",
        )
    assert (local_claim(claims, visit).status, local_claim(claims, visit).paid_cents) == (
        S.DRAFT,
        None,
    )
    assert server_claim(central, visit).status == S.DRAFT


def test_two_claims_pcs_editing_one_claim_offline_leave_a_visible_conflict(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    visit = sha_visit(make_pc, make_staff)
    first = claims_pc(make_pc, make_staff, "claims-a")
    second = claims_pc(make_pc, make_staff, "claims-b")
    claim = local_claim(first, visit)
    for pc, number in ((first, "PA-111"), (second, "PA-222")):
        with pc.store.write() as session:
            set_preauthorisation(claim.id, number, session=session, actor=pc.actor())
    assert first.engine.sync().rejected == []
    assert second.engine.sync().rejected == []
    first.engine.sync()
    assert server_claim(central, visit).preauthorisation_number == "PA-222"
    for pc in (first, second):  # each PC counts it; admins, who settle it, see the values
        assert local_claim(pc, visit).preauthorisation_number == "PA-222"
        with pc.store.session() as session:
            seen = [(c.entity, c.row_id, c.field) for c in session.scalars(select(Conflict))]
        assert seen == [("claims", claim.id, "preauthorisation_number")]
    with central.sessions() as session:
        kept = session.scalars(select(Conflict)).one()
        assert (kept.winning_value, kept.losing_value) == ("PA-222", "PA-111")


def test_reception_pulls_its_branchs_claims_for_the_sha_invoice_without_the_diagnoses(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    visit = sha_visit(make_pc, make_staff)
    desk = make_pc("front-desk")
    desk.login(make_staff(Role.RECEPTIONIST, "achieng"))
    claim = local_claim(desk, visit)
    with desk.store.session() as session:
        assert session.get(Invoice, claim.invoice_id) is None  # reception reads no invoices
        document = load_claim_document(claim.id, session=session)
    assert (document.claimed_cents, document.invoice_total_cents) == (700_00, 700_00)
    assert [line.description for line in document.lines] == ["Consultation (new)", "Malaria RDT"]
    assert document.diagnoses == ()
    with pytest.raises(NotAllowed), desk.store.write() as session:
        move_claim(claim.id, S.READY, session=session, actor=desk.actor())
