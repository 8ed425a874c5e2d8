"""The claims manager's work: SHA claims made from visits, checked, moved
through SHA's answer and payment, and sent in batches.

Services take the session as a keyword; the caller owns the transaction.
Every write goes through :mod:`clinic.journal.service` (its outbox entry and
audit event), and every status move also writes a ClaimStatusChange, so a
claim's history stays whole when a rejected claim goes back to DRAFT. Bad
input raises :class:`~clinic.errors.InvalidValue` naming the field; a step
the workflow forbids (a move the state machine does not have, a role that
does not work on claims, another branch's claim, a batch mixing branches)
raises :class:`~clinic.errors.NotAllowed`; a row that does not exist raises
LookupError. Nothing is written when one is raised. The rules a claim keeps
are :mod:`clinic.claims.rules`', the same the server checks on a sync push.

A claim is made from the visit's invoice: its lines (with the services'
SHA intervention codes and SHA tariffs per unit), and as the claimed amount
what SHA's payments on the invoice add up to (the patient paid the rest).
While it is a DRAFT it follows the invoice and the patient's SHA numbers
(:func:`refresh_claim`); once it leaves DRAFT its lines no longer change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.models import Invoice, Service
from clinic.billing.rules import REASON_MAX, REFERENCE_MAX, clean_text
from clinic.billing.service import check_own_branch, get_invoice, invoice_lines
from clinic.claims.models import Claim, ClaimBatch, ClaimItem, ClaimStatusChange
from clinic.claims.rules import (
    BATCHABLE,
    PREAUTHORISATION_MAX,
    SENT,
    check_batch_change,
    check_claim_change,
    check_claim_move,
    payments_known,
    sha_paid_cents,
)
from clinic.clock import clinic_today
from clinic.db import column_values, utcnow
from clinic.enums import BatchPeriod, ClaimStatus, InvoiceStatus
from clinic.errors import InvalidValue, NotAllowed
from clinic.journal.service import record_delete, record_insert, record_update, snapshot
from clinic.patients.models import Patient
from clinic.permissions import Data, may_write
from clinic.rules.money import check_amount, format_kes
from clinic.rules.sha import canonical_sha_member_number
from clinic.visits.models import Visit

C = ClaimStatus
MAX_BATCH = 1000


def _check_writer(actor: Actor) -> None:
    if actor.role is None or not may_write(actor.role, Data.CLAIMS):
        who = actor.role.value if actor.role is not None else "user who is not logged in"
        raise NotAllowed(f"A {who} may not work on claims")


def _status(value: ClaimStatus | str, field: str = "status") -> ClaimStatus:
    try:
        return ClaimStatus(value)
    except ValueError:
        raise InvalidValue(field, f"Choose one of {', '.join(s.value for s in C)}") from None


# --- reading -----------------------------------------------------------------------


def get_claim(claim_id: uuid.UUID, *, session: Session) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None or claim.deleted_at is not None:
        raise LookupError(f"No claim with id {claim_id}")
    return claim


def claim_for_visit(visit_id: uuid.UUID, *, session: Session) -> Claim | None:
    """The visit's claim (the first made, should two PCs have made one each)."""
    return session.scalars(
        select(Claim)
        .where(Claim.visit_id == visit_id, Claim.deleted_at.is_(None))
        .order_by(Claim.created_at, Claim.id)
        .limit(1)
    ).first()


def claim_history(claim_id: uuid.UUID, *, session: Session) -> list[ClaimStatusChange]:
    """Every move of the claim, oldest first (its making is the first)."""
    return list(
        session.scalars(
            select(ClaimStatusChange)
            .where(ClaimStatusChange.claim_id == claim_id, ClaimStatusChange.deleted_at.is_(None))
            .order_by(ClaimStatusChange.changed_at, ClaimStatusChange.created_at)
        )
    )


def claim_items(claim_id: uuid.UUID, *, session: Session) -> list[ClaimItem]:
    return list(
        session.scalars(
            select(ClaimItem)
            .where(ClaimItem.claim_id == claim_id, ClaimItem.deleted_at.is_(None))
            .order_by(ClaimItem.created_at, ClaimItem.id)
        )
    )


def list_claims(
    *,
    session: Session,
    status: ClaimStatus | None = None,
    branch_id: uuid.UUID | None = None,
    batch_id: uuid.UUID | None = None,
    limit: int = 500,
) -> list[Claim]:
    """Claims, newest first, of a status, branch or batch when given."""
    query = select(Claim).where(Claim.deleted_at.is_(None))
    if status is not None:
        query = query.where(Claim.status == status)
    if branch_id is not None:
        query = query.where(Claim.branch_id == branch_id)
    if batch_id is not None:
        query = query.where(Claim.batch_id == batch_id)
    return list(session.scalars(query.order_by(Claim.created_at.desc(), Claim.id).limit(limit)))


def get_batch(batch_id: uuid.UUID, *, session: Session) -> ClaimBatch:
    batch = session.get(ClaimBatch, batch_id)
    if batch is None or batch.deleted_at is not None:
        raise LookupError(f"No claim batch with id {batch_id}")
    return batch


# --- making and refreshing drafts ----------------------------------------------------


def _claimed_invoice(visit: Visit, session: Session) -> Invoice | None:
    """The visit's invoice SHA paid on (the latest such), else None."""
    invoices = session.scalars(
        select(Invoice)
        .where(
            Invoice.visit_id == visit.id,
            Invoice.deleted_at.is_(None),
            Invoice.status != InvoiceStatus.CANCELLED,
        )
        .order_by(Invoice.issued_at.desc(), Invoice.id)
    ).all()
    return next((i for i in invoices if sha_paid_cents(i.id, session=session) > 0), None)


def _member_number(text: str | None) -> str:
    """The patient's number as the claim carries it: SHA's form when it has
    it (the completeness check flags the rest)."""
    return canonical_sha_member_number(text) or (text or "").strip()


def _record_move(
    session: Session,
    actor: Actor,
    claim: Claim,
    from_status: ClaimStatus | None,
    note: str | None,
) -> None:
    record_insert(
        session,
        actor,
        ClaimStatusChange(
            claim_id=claim.id,
            from_status=from_status,
            to_status=claim.status,
            changed_at=utcnow(),
            note=note,
        ),
        action="claim_status_change",
    )


def _follow_invoice(session: Session, actor: Actor, claim: Claim, invoice: Invoice) -> None:
    """Bring a DRAFT claim's numbers, lines and amount in line with the
    patient and the invoice, recording only what changed."""
    patient = session.get(Patient, claim.patient_id)
    before = snapshot(claim)
    previous = column_values(claim)
    if patient is not None:
        claim.sha_member_number = _member_number(patient.sha_number)
        principal = patient.sha_principal_number
        claim.sha_principal_number = _member_number(principal) if principal else None
    claim.invoice_id = invoice.id
    if payments_known(session, invoice):
        claim.claimed_cents = max(0, sha_paid_cents(invoice.id, session=session))
    check_claim_change(session, column_values(claim), previous, today=clinic_today())
    record_update(session, actor, claim, before, action="refresh_claim")
    items = {i.invoice_line_id: i for i in claim_items(claim.id, session=session)}
    for line in invoice_lines(invoice.id, session=session):
        service = session.get(Service, line.service_id) if line.service_id else None
        values: dict[str, Any] = {
            "service_id": line.service_id,
            "intervention_code": (service.sha_intervention_code if service else None) or "",
            "description": line.description,
            "quantity": line.quantity,
            "amount_cents": line.amount_cents,
            "tariff_cents": service.sha_tariff_cents if service else None,
        }
        item = items.pop(line.id, None)
        if item is None:
            row = ClaimItem(claim_id=claim.id, invoice_line_id=line.id, **values)
            record_insert(session, actor, row, action="add_claim_item")
            continue
        before_item = snapshot(item)
        for name, value in values.items():
            setattr(item, name, value)
        record_update(session, actor, item, before_item, action="refresh_claim_item")
    for gone in items.values():
        record_delete(session, actor, gone, action="remove_claim_item")


def _new_claim(session: Session, actor: Actor, visit: Visit, invoice: Invoice) -> Claim:
    claim = Claim(
        visit_id=visit.id,
        patient_id=visit.patient_id,
        invoice_id=invoice.id,
        branch_id=visit.branch_id,
        sha_member_number="",
        status=C.DRAFT,
        claimed_cents=0,
    )
    record_insert(session, actor, claim, action="create_claim")
    _record_move(session, actor, claim, None, "Made from the visit's invoice")
    _follow_invoice(session, actor, claim, invoice)
    return claim


def create_claim(visit_id: uuid.UUID, *, session: Session, actor: Actor) -> Claim:
    """The visit's SHA claim: a new DRAFT made from the invoice SHA paid on,
    or the claim the visit already has (a DRAFT brought up to date). Raises
    InvalidValue for a visit with no SHA payment, NotAllowed for another
    branch's visit or a role that does not work on claims."""
    _check_writer(actor)
    visit = session.get(Visit, visit_id)
    if visit is None or visit.deleted_at is not None:
        raise LookupError(f"No visit with id {visit_id}")
    check_own_branch(actor, visit.branch_id, "visit")
    existing = claim_for_visit(visit.id, session=session)
    if existing is not None:
        return refresh_claim(existing.id, session=session, actor=actor)
    invoice = _claimed_invoice(visit, session)
    if invoice is not None:
        return _new_claim(session, actor, visit, invoice)
    invoices = session.scalars(select(Invoice).where(Invoice.visit_id == visit.id)).all()
    if not all(payments_known(session, i) for i in invoices):
        raise InvalidValue(
            "visit_id",
            "This PC does not hold the visit's payments: the server makes the claim when the"
            " cashier's SHA payment reaches it; sync, then look again",
        )
    raise InvalidValue(
        "visit_id",
        "No SHA payment is recorded for this visit: claims are made for visits SHA pays"
        " for, wholly or partly (the cashier records the SHA payment)",
    )


def refresh_claim(claim_id: uuid.UUID, *, session: Session, actor: Actor) -> Claim:
    """Bring a DRAFT claim up to date with the patient's SHA numbers and its
    invoice (after reception or the price list fixed what the check found);
    a claim past DRAFT is returned as it is."""
    _check_writer(actor)
    claim = get_claim(claim_id, session=session)
    check_own_branch(actor, claim.branch_id, "claim")
    if claim.status == C.DRAFT:
        visit = session.get(Visit, claim.visit_id)
        invoice = _claimed_invoice(visit, session) if visit is not None else None
        _follow_invoice(
            session, actor, claim, invoice or get_invoice(claim.invoice_id, session=session)
        )
    return claim


def refresh_claim_for_invoice(
    invoice_id: uuid.UUID, *, session: Session, actor: Actor
) -> Claim | None:
    """After an SHA payment (or its reversal) on an invoice: the visit's
    claim, made as a DRAFT if it has none, or brought up to date while it is
    a DRAFT. Billing calls it, whoever the cashier is: the claim is derived
    from the payment. None for an invoice without a visit (a counter sale)
    or a visit nothing is claimed for."""
    invoice = session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None or invoice.visit_id is None:
        return None
    visit = session.get(Visit, invoice.visit_id)
    if visit is None:
        return None
    claim = claim_for_visit(visit.id, session=session)
    if claim is not None:
        if claim.status == C.DRAFT:
            _follow_invoice(session, actor, claim, _claimed_invoice(visit, session) or invoice)
        return claim
    if sha_paid_cents(invoice.id, session=session) <= 0:
        return None
    return _new_claim(session, actor, visit, invoice)


def set_preauthorisation(
    claim_id: uuid.UUID, number: str | None, *, session: Session, actor: Actor
) -> Claim:
    """Record (or clear, with None) SHA's pre-authorisation number for the
    claim, until it is sent to SHA."""
    _check_writer(actor)
    claim = get_claim(claim_id, session=session)
    check_own_branch(actor, claim.branch_id, "claim")
    if claim.status in SENT:
        raise NotAllowed("The claim was sent to SHA; what it claims no longer changes")
    previous = column_values(claim)
    before = snapshot(claim)
    claim.preauthorisation_number = clean_text(
        number, "preauthorisation_number", max_length=PREAUTHORISATION_MAX, required=None
    )
    check_claim_change(session, column_values(claim), previous, today=clinic_today())
    record_update(session, actor, claim, before, action="set_claim_preauthorisation")
    return claim


# --- moving ------------------------------------------------------------------------------


def _answer(
    claim: Claim,
    new: ClaimStatus,
    *,
    reason: str | None,
    approved_cents: int | None,
    paid_cents: int | None,
    paid_on: date | None,
    payment_reference: str | None,
    today: date,
) -> str | None:
    """Set what the move records; returns the history's note."""
    if new == C.REJECTED:
        claim.rejection_reason = clean_text(
            reason, "reason", max_length=REASON_MAX, required="Say why SHA rejected the claim"
        )
        return claim.rejection_reason
    note = clean_text(reason, "reason", max_length=REASON_MAX, required=None)
    if new == C.APPROVED:
        approved = claim.claimed_cents if approved_cents is None else approved_cents
        claim.approved_cents = check_amount(approved, "approved_cents", allow_zero=True)
        return note or f"SHA approved {format_kes(claim.approved_cents)}"
    if new == C.PARTIALLY_APPROVED:
        if approved_cents is None:
            raise InvalidValue("approved_cents", "Give the amount SHA approved")
        claim.approved_cents = check_amount(approved_cents, "approved_cents", allow_zero=True)
        if claim.approved_cents >= claim.claimed_cents:
            raise InvalidValue(
                "approved_cents",
                f"A part of the {format_kes(claim.claimed_cents)} claimed is less than it;"
                " for all of it, approve the claim",
            )
        return note or f"SHA approved {format_kes(claim.approved_cents)}"
    if new == C.PAID:
        if paid_cents is None:
            raise InvalidValue("paid_cents", "Give the amount SHA paid")
        claim.paid_cents = check_amount(paid_cents, "paid_cents", allow_zero=True)
        if not isinstance(paid_on, date):
            raise InvalidValue("paid_on", "Give the day SHA paid")
        if paid_on > today:
            raise InvalidValue("paid_on", f"{paid_on:%d/%m/%Y} is in the future")
        claim.paid_on = paid_on
        claim.payment_reference = clean_text(
            payment_reference,
            "payment_reference",
            max_length=REFERENCE_MAX,
            required="Give SHA's payment reference",
        )
        return note or f"SHA paid {format_kes(claim.paid_cents)} ({claim.payment_reference})"
    if new == C.SUBMITTED:
        claim.submitted_at = utcnow()
    return note


def _move(
    session: Session,
    actor: Actor,
    claim: Claim,
    new: ClaimStatus,
    *,
    today: date,
    reason: str | None = None,
    approved_cents: int | None = None,
    paid_cents: int | None = None,
    paid_on: date | None = None,
    payment_reference: str | None = None,
) -> Claim:
    if actor.role is None:
        raise NotAllowed("A claim is moved by the claims manager; log in first")
    if claim.status == new:
        raise NotAllowed(f"The claim is {new.value} already")
    check_claim_move(actor.role, claim.status, new)
    check_own_branch(actor, claim.branch_id, "claim")
    if new == C.READY:
        refresh_claim(claim.id, session=session, actor=actor)
    old = claim.status
    previous = column_values(claim)
    before = snapshot(claim)
    note = _answer(
        claim,
        new,
        reason=reason,
        approved_cents=approved_cents,
        paid_cents=paid_cents,
        paid_on=paid_on,
        payment_reference=payment_reference,
        today=today,
    )
    claim.status = new
    if new == C.DRAFT and claim.batch_id is not None and old not in SENT:
        claim.batch_id = None  # back to be fixed: out of the batch not yet sent
    check_claim_change(session, column_values(claim), previous, today=today)
    record_update(session, actor, claim, before, action=f"claim_{new.value.lower()}")
    _record_move(session, actor, claim, old, note)
    return claim


def move_claim(
    claim_id: uuid.UUID,
    new_status: ClaimStatus | str,
    *,
    session: Session,
    actor: Actor,
    reason: str | None = None,
    approved_cents: int | None = None,
    paid_cents: int | None = None,
    paid_on: date | None = None,
    payment_reference: str | None = None,
) -> Claim:
    """Move a claim one step of the state machine, recording the move.

    READY needs the completeness check to find nothing (a DRAFT is brought
    up to date first); REJECTED needs SHA's reason; APPROVED takes the
    amount approved (all that was claimed unless said), PARTIALLY_APPROVED
    needs it and less than the claimed; PAID needs the amount, the day and
    SHA's reference. A rejected claim goes back to DRAFT to be fixed, its
    history kept. Claims are submitted with their batch (:func:`submit_batch`)."""
    new = _status(new_status)
    if new == C.SUBMITTED:
        raise NotAllowed("Claims are submitted with their batch: submit the batch")
    claim = get_claim(claim_id, session=session)
    return _move(
        session,
        actor,
        claim,
        new,
        today=clinic_today(),
        reason=reason,
        approved_cents=approved_cents,
        paid_cents=paid_cents,
        paid_on=paid_on,
        payment_reference=payment_reference,
    )


# --- batches --------------------------------------------------------------------------


def batch_period_bounds(period: BatchPeriod, first: date, last: date) -> tuple[date, date]:
    """The whole weeks (Monday to Sunday) or calendar months from ``first``
    to ``last``."""
    if period == BatchPeriod.WEEKLY:
        start = first - timedelta(days=first.weekday())
        return start, last + timedelta(days=6 - last.weekday())
    start = first.replace(day=1)
    following = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def create_batch(
    claim_ids: Sequence[uuid.UUID],
    period: BatchPeriod | str,
    *,
    session: Session,
    actor: Actor,
) -> ClaimBatch:
    """A weekly or monthly batch of one branch's READY (or invoiced) claims;
    its period spans their visits' days. Raises InvalidValue for an empty
    list or a claim that does not exist, NotAllowed for claims of several
    branches, another branch's, or a claim not checked yet."""
    _check_writer(actor)
    try:
        period = BatchPeriod(period)
    except ValueError:
        raise InvalidValue("period", "Choose WEEKLY or MONTHLY") from None
    wanted = list(dict.fromkeys(claim_ids))
    if not wanted:
        raise InvalidValue("claim_ids", "Choose the claims the batch holds")
    if len(wanted) > MAX_BATCH:
        raise InvalidValue("claim_ids", f"A batch holds at most {MAX_BATCH:,} claims")
    claims = []
    for claim_id in wanted:
        claim = session.get(Claim, claim_id)
        if claim is None or claim.deleted_at is not None:
            raise InvalidValue("claim_ids", f"No claim with id {claim_id}")
        claims.append(claim)
    branches = {c.branch_id for c in claims}
    if len(branches) > 1:
        raise NotAllowed(
            f"A batch holds one branch's claims; these come from {len(branches)} branches"
        )
    branch_id = branches.pop()
    check_own_branch(actor, branch_id, "claim")
    unchecked = [c for c in claims if c.status not in BATCHABLE]
    if unchecked:
        raise NotAllowed(
            f"{len(unchecked)} of the claims are not READY"
            f" ({', '.join(sorted({c.status.value for c in unchecked}))}); a batch holds"
            " checked claims not yet sent"
        )
    days = [
        day
        for day in session.scalars(
            select(Visit.visit_date).where(Visit.id.in_([c.visit_id for c in claims]))
        )
    ]
    start, end = batch_period_bounds(period, min(days), max(days))
    batch = ClaimBatch(branch_id=branch_id, period=period, period_start=start, period_end=end)
    check_batch_change(session, column_values(batch))
    record_insert(session, actor, batch, action="create_claim_batch")
    today = clinic_today()
    for claim in claims:
        previous = column_values(claim)
        before = snapshot(claim)
        claim.batch_id = batch.id
        check_claim_change(session, column_values(claim), previous, today=today)
        record_update(session, actor, claim, before, action="claim_batched")
    return batch


def submit_batch(
    batch_id: uuid.UUID, *, session: Session, actor: Actor, reference: str | None = None
) -> ClaimBatch:
    """Send the batch to SHA: its claims become SUBMITTED and it locks.
    Every claim needs its SHA invoice generated (signed by the patient) first.
    ``reference`` is the portal's batch reference, when it gives one."""
    _check_writer(actor)
    batch = get_batch(batch_id, session=session)
    check_own_branch(actor, batch.branch_id, "batch")
    if batch.submitted_at is not None:
        raise NotAllowed("The batch was submitted already")
    cleaned = clean_text(reference, "reference", max_length=REFERENCE_MAX, required=None)
    claims = list_claims(session=session, batch_id=batch.id, limit=MAX_BATCH)
    if not claims:
        raise NotAllowed("The batch holds no claims")
    waiting = [c for c in claims if c.status != C.INVOICE_GENERATED]
    if waiting:
        raise NotAllowed(
            f"{len(waiting)} of the batch's claims have no SHA invoice generated yet: print"
            " each one's SHA invoice for the patient to sign first"
        )
    before = snapshot(batch)
    batch.submitted_at = utcnow()
    batch.reference = cleaned
    check_batch_change(session, column_values(batch))
    record_update(session, actor, batch, before, action="submit_claim_batch")
    today = clinic_today()
    for claim in claims:  # after the batch, as a PC pushes them: a claim goes with its batch
        _move(session, actor, claim, C.SUBMITTED, today=today, reason=cleaned)
    return batch
