"""The SHA claim state machine and the rules a claim keeps, which the server
checks on every change, on every path: the claims service
(:mod:`clinic.claims.service`), the API, and the server's sync apply
(:mod:`clinic.journal.entities`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice, InvoiceLine, Payment
from clinic.billing.rules import REASON_MAX, REFERENCE_MAX, clean_text
from clinic.billing.service import MAX_QUANTITY
from clinic.claims.completeness import missing
from clinic.claims.document import load_claim_document
from clinic.claims.models import Claim, ClaimBatch, ClaimStatusChange
from clinic.enums import ClaimStatus, PaymentMethod, Role
from clinic.errors import InvalidValue, NotAllowed
from clinic.permissions import Data, may_write
from clinic.rules.money import check_amount, format_kes
from clinic.visits.models import Visit

C = ClaimStatus

CLAIM_TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    C.DRAFT: frozenset({C.READY}),
    C.READY: frozenset({C.DRAFT, C.INVOICE_GENERATED}),
    C.INVOICE_GENERATED: frozenset({C.READY, C.SUBMITTED}),
    C.SUBMITTED: frozenset({C.APPROVED, C.PARTIALLY_APPROVED, C.REJECTED}),
    C.APPROVED: frozenset({C.PAID}),
    C.PARTIALLY_APPROVED: frozenset({C.PAID}),
    C.REJECTED: frozenset({C.DRAFT}),
    C.PAID: frozenset(),
}

SENT = frozenset({C.SUBMITTED, C.APPROVED, C.PARTIALLY_APPROVED, C.REJECTED, C.PAID})
"""A claim SHA holds: what it claims no longer changes (a rejected one goes
back to DRAFT to be fixed and sent again)."""
APPROVED = frozenset({C.APPROVED, C.PARTIALLY_APPROVED, C.PAID})
"""SHA said how much it pays."""
BATCHABLE = frozenset({C.READY, C.INVOICE_GENERATED})
"""A batch holds checked claims not yet sent."""
LOCKED_ONCE_SENT = frozenset(
    {
        "visit_id",
        "patient_id",
        "invoice_id",
        "branch_id",
        "batch_id",
        "sha_member_number",
        "sha_principal_number",
        "preauthorisation_number",
        "claimed_cents",
        "submitted_at",
        "deleted_at",
    }
)
"""What SHA was sent: unchanged while SHA holds the claim."""
ANSWERED_BY: Mapping[str, frozenset[ClaimStatus]] = {
    "submitted_at": frozenset({C.SUBMITTED}),
    "rejection_reason": frozenset({C.REJECTED}),
    "approved_cents": frozenset({C.APPROVED, C.PARTIALLY_APPROVED}),
    "paid_cents": frozenset({C.PAID}),
    "paid_on": frozenset({C.PAID}),
    "payment_reference": frozenset({C.PAID}),
}
"""SHA's answer, field by field, and the moves that record it: set by the
move to one of those statuses, it changes with no other change (a paid claim
is not edited back; a claim not sent has no answer)."""
NUMBER_MAX = 32
PREAUTHORISATION_MAX = 64
DESCRIPTION_MAX = 200


def check_claim_move(role: Role, current: ClaimStatus, new: ClaimStatus) -> None:
    """Raise NotAllowed for a move the state machine does not have, or by a
    role that does not work on claims. Staying put is no move."""
    if current == new:
        return
    if not may_write(role, Data.CLAIMS):
        raise NotAllowed(f"A {role.value} may not move a claim")
    if new not in CLAIM_TRANSITIONS[current]:
        raise NotAllowed(f"A claim that is {current.value} cannot move to {new.value}")


def may_move_claim(role: Role, current: ClaimStatus, new: ClaimStatus) -> bool:
    """Whether ``role`` may make the move (the desktop greys out the rest)."""
    try:
        check_claim_move(role, current, new)
    except NotAllowed:
        return False
    return current != new


def _checked_text(values: Mapping[str, Any], name: str, max_length: int) -> None:
    value = values.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidValue(name, "Give it as text")
    if value and clean_text(value, name, max_length=max_length, required=None) != value:
        raise InvalidValue(name, "Remove the spaces around the text")


def _checked_amounts(values: Mapping[str, Any]) -> None:
    check_amount(values.get("claimed_cents", 0), "claimed_cents", allow_zero=True)
    for name in ("approved_cents", "paid_cents"):
        if values.get(name) is not None:
            check_amount(values[name], name, allow_zero=True)


def _answered(values: Mapping[str, Any], status: ClaimStatus) -> None:
    """What SHA's answer, and its payment, must say."""
    if status == C.REJECTED and not values.get("rejection_reason"):
        raise InvalidValue("reason", "Say why SHA rejected the claim")
    if status in SENT and values.get("batch_id") is None:
        raise InvalidValue("batch_id", "A claim is sent to SHA in a batch: add it to one")
    if status in APPROVED:
        approved = values.get("approved_cents")
        claimed = int(values.get("claimed_cents") or 0)
        if approved is None:
            raise InvalidValue("approved_cents", "Give the amount SHA approved")
        if approved > claimed:
            raise InvalidValue(
                "approved_cents",
                f"{format_kes(approved)} approved is more than the {format_kes(claimed)} claimed",
            )
    if status == C.PAID:
        for name, what in (
            ("paid_cents", "the amount SHA paid"),
            ("paid_on", "the day SHA paid"),
            ("payment_reference", "SHA's payment reference"),
        ):
            if values.get(name) is None or values.get(name) == "":
                raise InvalidValue(name, f"Give {what}")
        if values["paid_cents"] > values["approved_cents"]:
            raise InvalidValue(
                "paid_cents",
                f"{format_kes(values['paid_cents'])} paid is more than the"
                f" {format_kes(values['approved_cents'])} SHA approved",
            )


def _answer_kept(
    after: Mapping[str, Any], before: Mapping[str, Any] | None, status: ClaimStatus
) -> None:
    moved = before is not None and before.get("status") != status
    for name, statuses in ANSWERED_BY.items():
        kept = before.get(name) if before is not None else None
        if after.get(name) != kept and not (moved and status in statuses):
            raise NotAllowed(
                f"{name} is SHA's answer, recorded by the claim's move to"
                f" {' or '.join(sorted(s.value for s in statuses))}; it changes with no other"
            )


def _batch_fits(
    session: Session, after: Mapping[str, Any], before: Mapping[str, Any] | None
) -> None:
    batch_id = after.get("batch_id")
    if batch_id is None:
        return
    batch = session.get(ClaimBatch, batch_id)
    if batch is None or batch.deleted_at is not None:
        raise InvalidValue("batch_id", "No such batch")
    if batch.branch_id != after.get("branch_id"):
        raise NotAllowed("A batch holds one branch's claims; this claim is another branch's")
    submitting = after.get("status") == C.SUBMITTED and (
        before is None or before.get("status") != C.SUBMITTED
    )
    if submitting and batch.submitted_at is None:
        raise NotAllowed("Claims are submitted with their batch: submit the batch")
    joining = before is None or before.get("batch_id") != batch_id
    if joining and batch.submitted_at is not None:
        raise NotAllowed("The batch was submitted to SHA; it takes no more claims")
    if joining and after.get("status") not in BATCHABLE:
        raise NotAllowed("A batch holds READY claims: check the claim first")


def _names_its_visit(
    session: Session, after: Mapping[str, Any], before: Mapping[str, Any] | None
) -> None:
    """A claim is for a visit of its own branch, of its patient, on that visit's invoice."""
    keys = ("visit_id", "patient_id", "invoice_id", "branch_id")
    if before is not None and all(before.get(k) == after.get(k) for k in keys):
        return
    visit = session.get(Visit, after["visit_id"]) if after.get("visit_id") else None
    if visit is None or visit.deleted_at is not None:
        raise InvalidValue("visit_id", "No such visit")
    if visit.patient_id != after.get("patient_id"):
        raise InvalidValue("patient_id", "The claim names another patient than its visit's")
    if visit.branch_id != after.get("branch_id"):
        raise NotAllowed("A claim belongs to the branch of its visit")
    invoice = session.get(Invoice, after["invoice_id"]) if after.get("invoice_id") else None
    if invoice is None or invoice.visit_id != visit.id:
        raise InvalidValue("invoice_id", "A claim is made from its visit's invoice")


def sha_paid_cents(invoice_id: uuid.UUID, *, session: Session) -> int:
    """What SHA's payments on the invoice add up to, reversals taken off."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
                Payment.invoice_id == invoice_id,
                Payment.method == PaymentMethod.SHA,
                Payment.deleted_at.is_(None),
            )
        )
        or 0
    )


def payments_known(session: Session, invoice: Invoice) -> bool:
    """Whether this store knows what was paid on the invoice, and how: a
    claims manager's PC holds invoices but not payments (claims managers do
    not read payments), so there a claim keeps the SHA share the server found."""
    held = session.scalar(
        select(Payment.id)
        .where(Payment.invoice_id == invoice.id, Payment.deleted_at.is_(None))
        .limit(1)
    )
    return held is not None or invoice.paid_cents == 0


def _claims_what_sha_paid(
    session: Session, after: Mapping[str, Any], before: Mapping[str, Any] | None
) -> None:
    """A new claim is the visit's only one, for an invoice SHA paid on; what a
    claim claims is what SHA's payments on its invoice add up to, wherever the
    store holds them (the server; a claims PC does not read payments)."""
    if before is None:
        others = select(Claim.id).where(
            Claim.visit_id == after.get("visit_id"),
            Claim.id != after.get("id"),
            Claim.deleted_at.is_(None),
        )
        if session.scalar(others.limit(1)) is not None:
            raise NotAllowed("The visit has its claim already; work on that one")
    invoice = session.get(Invoice, after["invoice_id"])
    if invoice is None or not payments_known(session, invoice):
        return
    paid = max(0, sha_paid_cents(invoice.id, session=session))
    if before is None and paid == 0:
        raise InvalidValue(
            "visit_id",
            "No SHA payment is recorded for this visit: claims are made for visits SHA pays"
            " for, wholly or partly (the cashier records the SHA payment)",
        )
    changed = before is None or before.get("claimed_cents") != after.get("claimed_cents")
    if changed and after.get("claimed_cents") != paid:
        raise InvalidValue(
            "claimed_cents",
            f"A claim claims the {format_kes(paid)} SHA's payments on its invoice add up to",
        )


def _ready(session: Session, after: Mapping[str, Any], today: date) -> None:
    claim_id = after.get("id")
    if not isinstance(claim_id, uuid.UUID):
        raise NotAllowed("A claim is checked before it is READY")
    document = replace(
        load_claim_document(claim_id, session=session),
        sha_member_number=after.get("sha_member_number") or "",
        sha_principal_number=after.get("sha_principal_number"),
        claimed_cents=int(after.get("claimed_cents") or 0),
    )
    found = missing(document, today=today)
    if found:
        raise NotAllowed(
            "The claim is not ready for SHA: " + "; ".join(item.message for item in found)
        )


def check_claim_change(
    session: Session,
    after: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    *,
    today: date,
) -> None:
    """The rules a claim's values keep, given the row by field name as it
    would become (``after``) and as it is (``before``; None for a new claim).
    Who may move its status is :func:`check_claim_move`'s. Raises
    InvalidValue naming the field, or NotAllowed."""
    status = ClaimStatus(after.get("status") or C.DRAFT)
    if before is None and status != C.DRAFT:
        raise NotAllowed("A claim starts as DRAFT and moves by the claim's checks")
    _checked_amounts(after)
    _checked_text(after, "sha_member_number", NUMBER_MAX)
    _checked_text(after, "sha_principal_number", NUMBER_MAX)
    _checked_text(after, "preauthorisation_number", PREAUTHORISATION_MAX)
    _checked_text(after, "rejection_reason", REASON_MAX)
    _checked_text(after, "payment_reference", REFERENCE_MAX)
    _answered(after, status)
    _answer_kept(after, before, status)
    _names_its_visit(session, after, before)
    _claims_what_sha_paid(session, after, before)
    _batch_fits(session, after, before)
    if status == C.READY and (before is None or before.get("status") != C.READY):
        _ready(session, after, today)


def check_batch_change(session: Session, after: Mapping[str, Any]) -> None:
    """A batch's period runs forwards; a batch holding claims is not deleted
    (its claims would name a batch that is gone). Raises InvalidValue or NotAllowed."""
    if after.get("deleted_at") is not None and after.get("id") is not None:
        held = session.scalar(
            select(func.count())
            .select_from(Claim)
            .where(Claim.batch_id == after.get("id"), Claim.deleted_at.is_(None))
        )
        if held:
            raise NotAllowed(
                f"The batch holds {held} claim{'s' if held != 1 else ''}; take them out of it first"
            )
    start, end = after.get("period_start"), after.get("period_end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        raise InvalidValue("period_end", "The period ends on or after the day it starts")
    _checked_text(after, "reference", REFERENCE_MAX)


def check_claim_item(session: Session, after: Mapping[str, Any]) -> None:
    """A claim line's values: a quantity, amounts within bounds, clean text;
    and, kept, a line of its claim's invoice claiming what that line bills
    (SHA is not claimed for what was not billed). Raises InvalidValue."""
    quantity = after.get("quantity", 1)
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 1 <= quantity <= MAX_QUANTITY
    ):
        raise InvalidValue(
            "quantity", f"Quantity must be a whole number from 1 to {MAX_QUANTITY:,}"
        )
    check_amount(after.get("amount_cents"), "amount_cents", allow_zero=True)
    if after.get("tariff_cents") is not None:
        check_amount(after["tariff_cents"], "tariff_cents", allow_zero=True)
    _checked_text(after, "intervention_code", NUMBER_MAX)
    _checked_text(after, "description", DESCRIPTION_MAX)
    if after.get("deleted_at") is not None:
        return
    claim = session.get(Claim, after["claim_id"]) if after.get("claim_id") else None
    line_id = after.get("invoice_line_id")
    line = session.get(InvoiceLine, line_id) if line_id else None
    if (
        claim is None
        or line is None
        or line.deleted_at is not None
        or (line.invoice_id != claim.invoice_id)
    ):
        raise InvalidValue("invoice_line_id", "A claim line is a line of its claim's invoice")
    for name in ("service_id", "description", "quantity", "amount_cents"):
        if after.get(name) != getattr(line, name):
            raise InvalidValue(name, "A claim line claims what its invoice line bills")


def check_move_recorded(session: Session, after: Mapping[str, Any]) -> None:
    """A claim's history row records a move the claim made: one the state
    machine has, from where the claim's last recorded move left it (its
    making, from nothing to DRAFT, comes first), to where the claim is now.
    A forged, repeated or replayed row raises NotAllowed."""
    claim = session.get(Claim, after.get("claim_id")) if after.get("claim_id") else None
    from_status, to_status = after.get("from_status"), after.get("to_status")
    last = session.scalars(
        select(ClaimStatusChange.to_status)
        .where(
            ClaimStatusChange.claim_id == after.get("claim_id"),
            ClaimStatusChange.id != after.get("id"),
            ClaimStatusChange.deleted_at.is_(None),
        )
        .order_by(ClaimStatusChange.changed_at.desc(), ClaimStatusChange.created_at.desc())
        .limit(1)
    ).first()
    made = from_status is None and to_status == C.DRAFT
    moved = from_status in CLAIM_TRANSITIONS and to_status in CLAIM_TRANSITIONS[from_status]
    if claim is None or claim.status != to_status or last != from_status or not (made or moved):
        raise NotAllowed(
            "A claim's history records the moves the claim made, each from where the last left it"
        )
