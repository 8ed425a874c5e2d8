"""The demo clinic's SHA claims: recent signed visits of SHA members billed,
paid (wholly or partly) by SHA, and taken through the claims manager's work
as far as their dates allow, so every claims screen has something real.

    made = seed_claims(session, device_id=..., cashier_id=..., claims_manager_id=..., today=...)

It runs in the caller's transaction on the central database, through the
same services as the desk and the claims desk (so SHA payments make their
draft claims, and every move is checked, audited and in the change feed),
then dates what it wrote as it would have happened: invoices and payments
on the visit's day, batches submitted the Tuesday after their week, SHA's
answers and payments weeks later. Visits in the last 88 days go as far as
their dates allow (submitted, approved, partly approved, rejected with a
reason, paid); a few older ones stay DRAFT past SHA's window; some lack a
diagnosis, an intervention code or fit no tariff, and stay DRAFT with what
SHA would reject them for. The same seed and day give the same claims.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import cycle

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.models import Invoice, Service
from clinic.billing.service import LineInput, create_invoice, record_payment
from clinic.claims.completeness import ADULT_AGE, SUBMISSION_WINDOW_DAYS, missing
from clinic.claims.document import load_claim_document
from clinic.claims.models import Claim, ClaimBatch, ClaimStatusChange
from clinic.claims.service import claim_for_visit, create_batch, move_claim, submit_batch
from clinic.clock import NAIROBI
from clinic.demo.draws import Draw
from clinic.enums import BatchPeriod, ClaimStatus, PaymentMethod, Role
from clinic.journal.service import record_insert, record_update, snapshot
from clinic.patients.models import Patient
from clinic.visits.models import Diagnosis, Visit

S = ClaimStatus
TARGET = 90
TOO_LATE = 4
SENT_AFTER_DAYS = 8
"""A week's batch goes to SHA on the Tuesday after it."""
BEHIND_DAYS = 5
"""The claims desk is this far behind: the latest weeks are not sent yet."""
LATEST_DAYS = SUBMISSION_WINDOW_DAYS - 2
TARIFFS = {"CONS-NEW": 500_00, "CONS-RE": 300_00, "LAB-MRDT": 200_00, "LAB-FHG": 450_00}
"""SHA's tariff where the demo price list has one (the full haemogram's is
below the clinic's price: such claims wait in DRAFT)."""
LABS = (("LAB-MRDT", 5), ("LAB-HB", 2), ("LAB-URI", 2), ("LAB-RBS", 2), ("LAB-FHG", 1),
        ("LAB-WIDAL", 1))  # fmt: skip
ANSWERS = (
    (S.APPROVED, False), (S.REJECTED, True), (S.APPROVED, False), (S.PARTIALLY_APPROVED, False),
    (S.APPROVED, False), (S.REJECTED, False), (S.APPROVED, False), (S.PARTIALLY_APPROVED, False),
)  # fmt: skip
"""SHA's answers in turn (and whether a rejected claim goes back to DRAFT to be sent again)."""
PENDING_STOPS = (S.READY, S.INVOICE_GENERATED, S.DRAFT, S.INVOICE_GENERATED)
"""Where the claims of the weeks not sent yet stand, in turn."""
REJECTIONS = (
    "Member not active on the date of the visit",
    "Diagnosis does not support the intervention claimed",
    "Patient signature missing on the SHA invoice",
    "Duplicate claim for the same visit",
    "Intervention not in the facility's contracted services",
)


@dataclass
class DemoClaims:
    """What was made."""

    claims: int = 0
    batches: int = 0
    by_status: dict[ClaimStatus, int] = field(default_factory=dict)


@dataclass
class _Timeline:
    """When each move of a claim happened, in the order they were made."""

    moves: list[datetime] = field(default_factory=list)


def _at(day: date, hour: float) -> datetime:
    local = datetime.combine(day, time(int(hour), int(hour % 1 * 60)), tzinfo=NAIROBI)
    return local.astimezone(UTC)


def _candidates(session: Session, first: date, last: date) -> list[Visit]:
    """Signed visits of SHA members between ``first`` and ``last`` not billed yet."""
    billed = select(Invoice.visit_id).where(Invoice.visit_id.is_not(None))
    return list(
        session.scalars(
            select(Visit)
            .join(Patient, Patient.id == Visit.patient_id)
            .where(
                Visit.visit_date >= first,
                Visit.visit_date <= last,
                Visit.signed_at.is_not(None),
                Visit.deleted_at.is_(None),
                Patient.sha_number.is_not(None),
                Visit.id.not_in(billed),
            )
            .order_by(Visit.visit_date, Visit.id)
        )
    )


def _spread(visits: list[Visit], count: int) -> list[Visit]:
    """``count`` of ``visits`` (in date order) spread evenly over their days."""
    taken = min(count, len(visits))
    return [visits[i * len(visits) // taken] for i in range(taken)]


def _waits_for_principal(session: Session, visit: Visit) -> bool:
    """A dependant (a minor) whose principal member's number is not recorded:
    the demo's register has many, and their claims wait for it."""
    patient = session.get(Patient, visit.patient_id)
    born = patient.date_of_birth if patient is not None else None
    return (
        patient is not None
        and not patient.sha_principal_number
        and born is not None
        and (visit.visit_date - born).days < ADULT_AGE * 365
    )


def _diagnose(session: Session, visit: Visit, device_id: uuid.UUID) -> None:
    """The diagnoses the generated plan names (``B54 Unspecified malaria; ...``)."""
    actor = Actor(device_id, visit.clinician_id, Role.CLINICAL_OFFICER, visit.branch_id)
    for index, part in enumerate((visit.plan or "").split("; ")):
        code, _, description = part.partition(" ")
        if code and description:
            row = Diagnosis(
                visit_id=visit.id,
                code_system="ICD-10",
                code=code,
                description=description[:300],
                is_primary=index == 0,
                created_at=visit.signed_at,
            )
            record_insert(session, actor, row, action="record_consultation")


def _price_sha_tariffs(session: Session, actor: Actor) -> dict[str, uuid.UUID]:
    services = {s.code: s for s in session.scalars(select(Service))}
    for code, cents in TARIFFS.items():
        service = services.get(code)
        if service is not None and service.sha_tariff_cents is None:
            before = snapshot(service)
            service.sha_tariff_cents = cents
            record_update(session, actor, service, before, action="update_service")
    return {code: s.id for code, s in services.items()}


def _bill(
    session: Session,
    draw: Draw,
    visit: Visit,
    services: dict[str, uuid.UUID],
    cashier: Actor,
    today: date,
) -> None:
    """Bill the visit and take SHA's share (the rest by card), on its day."""
    codes = ["CONS-NEW" if visit.is_new else "CONS-RE"]
    if draw.random() < 0.6:
        labs, weights = zip(*LABS, strict=True)
        codes.append(draw.weighted(labs, [sum(weights[: i + 1]) for i in range(len(weights))]))
    invoice = create_invoice(
        visit.id, [LineInput(services[c]) for c in codes], session=session, actor=cashier
    )
    invoice.issued_at = _at(visit.visit_date, 11)
    share = invoice.total_cents
    if draw.random() < 0.2 and len(codes) > 1:
        share = invoice.total_cents - 200_00 if invoice.total_cents > 200_00 else share
    taken = [record_payment(invoice.id, PaymentMethod.SHA, share, session=session,
                            actor=cashier, today=today).payment]  # fmt: skip
    if share < invoice.total_cents:
        rest = invoice.total_cents - share
        taken.append(
            record_payment(
                invoice.id, PaymentMethod.CARD, rest, session=session, actor=cashier, today=today
            ).payment
        )
    for payment in taken:
        payment.received_at = _at(visit.visit_date, 11.5)


def _answer(
    session: Session,
    draw: Draw,
    claim: Claim,
    answered: datetime,
    manager: Actor,
    timeline: _Timeline,
    today: date,
    answers: Iterator[tuple[ClaimStatus, bool]],
) -> None:
    """SHA's answer (the next of :data:`ANSWERS`), and its payment once it is due."""
    answer, resent = next(answers)
    if answer == S.REJECTED:
        move_claim(claim.id, S.REJECTED, session=session, actor=manager,
                   reason=draw.pick(REJECTIONS))  # fmt: skip
        timeline.moves.append(answered)
        if resent:
            move_claim(claim.id, S.DRAFT, session=session, actor=manager,
                       reason="Corrected to send again")  # fmt: skip
            timeline.moves.append(answered + timedelta(days=2))
        return
    if answer == S.PARTIALLY_APPROVED:
        approved = int(claim.claimed_cents * (0.6 + 0.35 * draw.random())) // 100 * 100
        move_claim(claim.id, S.PARTIALLY_APPROVED, session=session, actor=manager,
                   approved_cents=approved)  # fmt: skip
    else:
        move_claim(claim.id, S.APPROVED, session=session, actor=manager)
    timeline.moves.append(answered)
    paid_day = answered.astimezone(NAIROBI).date() + timedelta(days=draw.between(10, 30))
    if paid_day <= today:
        move_claim(
            claim.id,
            S.PAID,
            session=session,
            actor=manager,
            paid_cents=claim.approved_cents,
            paid_on=paid_day,
            payment_reference=f"SHA-EFT-{paid_day:%Y%m%d}-{draw.between(1000, 9999)}",
        )
        timeline.moves.append(_at(paid_day, 10))


def seed_claims(
    session: Session,
    *,
    device_id: uuid.UUID,
    cashier_id: uuid.UUID,
    claims_manager_id: uuid.UUID,
    today: date,
    seed: int = 1,
) -> DemoClaims:
    """Bill, pay by SHA and claim about :data:`TARGET` recent visits (once:
    with claims already there it does nothing)."""
    made = DemoClaims()
    if session.scalar(select(Claim.id).limit(1)) is not None:
        return made
    draw = Draw(f"{seed}:claims:{today.isoformat()}")
    cashier = Actor(device_id, cashier_id, Role.CASHIER, None)
    manager = Actor(device_id, claims_manager_id, Role.CLAIMS_MANAGER, None)
    services = _price_sha_tariffs(session, cashier)
    recent = _candidates(session, today - timedelta(days=LATEST_DAYS), today - timedelta(days=1))
    late = _candidates(
        session, today - timedelta(days=SUBMISSION_WINDOW_DAYS + 30), today - timedelta(days=92)
    )
    late = [v for v in late if not _waits_for_principal(session, v)]
    chosen = _spread(recent, TARGET) + _spread(late, TOO_LATE)
    answers = cycle(ANSWERS)
    stops = cycle(PENDING_STOPS)
    timelines: dict[uuid.UUID, _Timeline] = {}
    batches: dict[tuple[uuid.UUID, date], list[Claim]] = {}
    for visit in chosen:
        if _waits_for_principal(session, visit) and draw.random() < 0.85:
            continue  # most such claims wait out of sight; a few show why
        if draw.random() < 0.93:
            _diagnose(session, visit, device_id)
        _bill(session, draw, visit, services, cashier, today)
        claim = claim_for_visit(visit.id, session=session)
        if claim is None:
            continue
        claim.created_at = _at(visit.visit_date, 11.5)
        timeline = timelines[claim.id] = _Timeline([claim.created_at])
        week = visit.visit_date - timedelta(days=visit.visit_date.weekday())
        pending = week + timedelta(days=SENT_AFTER_DAYS) > today - timedelta(days=BEHIND_DAYS)
        if missing(load_claim_document(claim.id, session=session), today=today):
            continue
        stop = next(stops) if pending else None
        if stop == S.DRAFT:
            continue
        move_claim(claim.id, S.READY, session=session, actor=manager)
        timeline.moves.append(_at(visit.visit_date + timedelta(days=1), 9))
        if stop == S.READY:
            continue
        move_claim(claim.id, S.INVOICE_GENERATED, session=session, actor=manager)
        timeline.moves.append(_at(visit.visit_date + timedelta(days=1), 9.5))
        if not pending:
            batches.setdefault((claim.branch_id, week), []).append(claim)
    for (_branch, week), claims in sorted(batches.items(), key=lambda item: item[0][1]):
        submitted_on = week + timedelta(days=SENT_AFTER_DAYS)
        batch = create_batch([c.id for c in claims], BatchPeriod.WEEKLY, session=session,
                             actor=manager)  # fmt: skip
        submit_batch(batch.id, session=session, actor=manager,
                     reference=f"SHA-BATCH-{week:%G-W%V}-{draw.between(100, 999)}")  # fmt: skip
        sent = _at(submitted_on, 15)
        batch.submitted_at = sent
        made.batches += 1
        for claim in claims:
            claim.submitted_at = sent
            timelines[claim.id].moves.append(sent)
            answered_on = submitted_on + timedelta(days=draw.between(14, 35))
            if answered_on <= today:
                _answer(session, draw, claim, _at(answered_on, 12), manager,
                        timelines[claim.id], today, answers)  # fmt: skip
    _date_history(session, timelines)
    for claim_id in timelines:
        status = session.get(Claim, claim_id).status  # type: ignore[union-attr]
        made.by_status[status] = made.by_status.get(status, 0) + 1
    made.claims = len(timelines)
    session.flush()
    return made


def _date_history(session: Session, timelines: dict[uuid.UUID, _Timeline]) -> None:
    """Date each claim's moves as the timeline has them."""
    for claim_id, timeline in timelines.items():
        rows = session.scalars(
            select(ClaimStatusChange)
            .where(ClaimStatusChange.claim_id == claim_id)
            .order_by(ClaimStatusChange.created_at, ClaimStatusChange.id)
        ).all()
        for row, moment in zip(rows, timeline.moves, strict=True):
            row.changed_at = moment
    batches = session.scalars(select(ClaimBatch)).all()
    for batch in batches:
        if batch.submitted_at is not None:
            batch.created_at = batch.submitted_at - timedelta(hours=2)
