"""What the claims screens and the claims-ageing report read, as plain data:
the claims list (filtered, a page at a time), the batches, and the
follow-up figures (outstanding by age since submission, rejection reasons,
paid against claimed).

Every function takes the session as a keyword, writes nothing and returns
frozen dataclasses, never ORM objects, so results can cross to the GUI
thread. They run on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select, tuple_
from sqlalchemy.orm import Session

from clinic.claims.models import Claim, ClaimBatch, ClaimStatusChange
from clinic.clock import NAIROBI
from clinic.enums import BatchPeriod, ClaimStatus
from clinic.org.models import Branch
from clinic.patients.models import Patient
from clinic.visits.models import Visit

C = ClaimStatus

LIFECYCLE = (
    C.DRAFT,
    C.READY,
    C.INVOICE_GENERATED,
    C.SUBMITTED,
    C.APPROVED,
    C.PARTIALLY_APPROVED,
    C.REJECTED,
    C.PAID,
)
"""Claim statuses in the order a claim lives them."""

AWAITING_SHA = (C.SUBMITTED, C.APPROVED, C.PARTIALLY_APPROVED, C.REJECTED)
"""Sent to SHA and not paid: the statuses aged since submission."""

AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 30), (31, 60), (61, 90), (91, None))
"""Days since submission, both ends included; the last has no end."""

PAGE_SIZE = 100

AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class ClaimFilter:
    """Which claims the list shows; every part is optional. ``text`` matches
    the start of any of the patient's names (every word must match one), or
    a fragment of the OP number or of the claim's SHA member number."""

    statuses: frozenset[ClaimStatus] = frozenset()
    branch_id: uuid.UUID | None = None
    visit_from: date | None = None
    visit_to: date | None = None
    text: str = ""
    batch_id: uuid.UUID | None = None
    unbatched: bool = False


@dataclass(frozen=True)
class ClaimRow:
    """One line of the claims list."""

    id: uuid.UUID
    status: ClaimStatus
    branch_id: uuid.UUID
    branch_code: str
    visit_id: uuid.UUID
    visit_date: date
    patient_id: uuid.UUID
    patient_name: str
    op_number: str
    sha_member_number: str
    claimed_cents: int
    approved_cents: int | None
    paid_cents: int | None
    submitted_at: datetime | None
    batch_id: uuid.UUID | None
    rejection_reason: str | None

    @property
    def number(self) -> str:
        """As :attr:`clinic.claims.document.ClaimDocument.number` reads it."""
        return f"{self.branch_code}-{self.visit_date:%Y%m%d}-{self.op_number}"

    @property
    def page_key(self) -> tuple[date, uuid.UUID]:
        """Where the next page starts (see :func:`claims_page`)."""
        return (self.visit_date, self.id)


@dataclass(frozen=True)
class ClaimTotals:
    count: int
    claimed_cents: int


def _live(*models: type[Claim] | type[Visit] | type[Patient]) -> list[ColumnElement[bool]]:
    return [model.deleted_at.is_(None) for model in models]


def _filtered(query: AnySelect, wanted: ClaimFilter) -> AnySelect:
    conditions: list[ColumnElement[bool]] = _live(Claim, Visit, Patient)
    if wanted.statuses:
        conditions.append(Claim.status.in_(sorted(wanted.statuses)))
    if wanted.branch_id is not None:
        conditions.append(Claim.branch_id == wanted.branch_id)
    if wanted.visit_from is not None:
        conditions.append(Visit.visit_date >= wanted.visit_from)
    if wanted.visit_to is not None:
        conditions.append(Visit.visit_date <= wanted.visit_to)
    if wanted.batch_id is not None:
        conditions.append(Claim.batch_id == wanted.batch_id)
    if wanted.unbatched:
        conditions.append(Claim.batch_id.is_(None))
    for word in wanted.text.split():
        lowered = word.lower()
        key = word.replace("-", "").upper()
        conditions.append(
            or_(
                *(
                    func.lower(column).startswith(lowered, autoescape=True)
                    for column in (Patient.first_name, Patient.middle_name, Patient.last_name)
                ),
                func.replace(Patient.op_number, "-", "").contains(key, autoescape=True),
                func.upper(Claim.sha_member_number).contains(word.upper(), autoescape=True),
            )
        )
    return (
        query.join(Visit, Visit.id == Claim.visit_id)
        .join(Patient, Patient.id == Claim.patient_id)
        .where(*conditions)
    )


def claims_page(
    wanted: ClaimFilter,
    *,
    session: Session,
    after: tuple[date, uuid.UUID] | None = None,
    limit: int = PAGE_SIZE,
) -> list[ClaimRow]:
    """Up to ``limit`` claims matching ``wanted``, latest visit first; the
    next page starts ``after`` the last row's :attr:`ClaimRow.page_key`
    (keyset paging: each page costs the same, however deep)."""
    query = _filtered(
        select(Claim, Visit.visit_date, Patient, Branch.code).join(
            Branch, Branch.id == Claim.branch_id
        ),
        wanted,
    )
    if after is not None:
        query = query.where(tuple_(Visit.visit_date, Claim.id) < tuple_(*after))
    query = query.order_by(Visit.visit_date.desc(), Claim.id.desc()).limit(limit)
    rows = []
    for claim, visit_date, patient, branch_code in session.execute(query):
        rows.append(
            ClaimRow(
                id=claim.id,
                status=claim.status,
                branch_id=claim.branch_id,
                branch_code=branch_code,
                visit_id=claim.visit_id,
                visit_date=visit_date,
                patient_id=patient.id,
                patient_name=patient.full_name,
                op_number=patient.op_number,
                sha_member_number=claim.sha_member_number,
                claimed_cents=claim.claimed_cents,
                approved_cents=claim.approved_cents,
                paid_cents=claim.paid_cents,
                submitted_at=claim.submitted_at,
                batch_id=claim.batch_id,
                rejection_reason=claim.rejection_reason,
            )
        )
    return rows


def claim_totals(wanted: ClaimFilter, *, session: Session) -> ClaimTotals:
    """How many claims match ``wanted`` and what they claim in all."""
    count, claimed = session.execute(
        _filtered(
            select(func.count(Claim.id), func.coalesce(func.sum(Claim.claimed_cents), 0)), wanted
        )
    ).one()
    return ClaimTotals(int(count), int(claimed))


# --- batches ---------------------------------------------------------------


@dataclass(frozen=True)
class BatchRow:
    id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    period: BatchPeriod
    period_start: date
    period_end: date
    submitted_at: datetime | None
    reference: str | None
    claims: int
    claimed_cents: int


def batches(
    *, session: Session, branch_id: uuid.UUID | None = None, limit: int = 200
) -> list[BatchRow]:
    """The latest batches (of one branch, or all), newest period first, with
    how many claims each holds and what they claim."""
    counts = (
        select(
            Claim.batch_id.label("batch_id"),
            func.count(Claim.id).label("claims"),
            func.coalesce(func.sum(Claim.claimed_cents), 0).label("claimed"),
        )
        .where(Claim.deleted_at.is_(None), Claim.batch_id.is_not(None))
        .group_by(Claim.batch_id)
        .subquery()
    )
    query = (
        select(ClaimBatch, Branch.code, counts.c.claims, counts.c.claimed)
        .join(Branch, Branch.id == ClaimBatch.branch_id)
        .outerjoin(counts, counts.c.batch_id == ClaimBatch.id)
        .where(ClaimBatch.deleted_at.is_(None))
    )
    if branch_id is not None:
        query = query.where(ClaimBatch.branch_id == branch_id)
    query = query.order_by(
        ClaimBatch.period_start.desc(), ClaimBatch.created_at.desc(), ClaimBatch.id
    ).limit(limit)
    return [
        BatchRow(
            id=batch.id,
            branch_id=batch.branch_id,
            branch_code=code,
            period=batch.period,
            period_start=batch.period_start,
            period_end=batch.period_end,
            submitted_at=batch.submitted_at,
            reference=batch.reference,
            claims=int(claims or 0),
            claimed_cents=int(claimed or 0),
        )
        for batch, code, claims, claimed in session.execute(query)
    ]


# --- follow-up -------------------------------------------------------------


@dataclass(frozen=True)
class StatusFigures:
    status: ClaimStatus
    count: int
    claimed_cents: int
    approved_cents: int
    paid_cents: int


@dataclass(frozen=True)
class AgeingRow:
    """Claims of one status sent to SHA and not paid, by days since
    submission: ``cents[i]`` is what is outstanding in ``AGE_BUCKETS[i]``."""

    status: ClaimStatus
    count: int
    counts: tuple[int, ...]
    cents: tuple[int, ...]

    @property
    def outstanding_cents(self) -> int:
        return sum(self.cents)


@dataclass(frozen=True)
class RejectionReason:
    reason: str
    count: int
    claimed_cents: int


@dataclass(frozen=True)
class PaidMonth:
    """Claims of visits in one month that were sent to SHA: what they
    claimed, what SHA approved and what it paid."""

    month: date
    count: int
    claimed_cents: int
    approved_cents: int
    paid_cents: int


@dataclass(frozen=True)
class FollowUp:
    """The claims manager's follow-up of the claims for visits from
    ``start`` to ``end``, their ages counted on ``as_of``."""

    start: date
    end: date
    as_of: date
    by_status: tuple[StatusFigures, ...]
    ageing: tuple[AgeingRow, ...]
    rejection_reasons: tuple[RejectionReason, ...]
    paid_by_month: tuple[PaidMonth, ...] = field(default_factory=tuple)


def outstanding_cents(status: ClaimStatus, claimed: int, approved: int | None) -> int:
    """What a claim sent to SHA still stands to bring in: the approved
    amount once SHA approved it, else what was claimed; nothing once paid."""
    if status == C.PAID:
        return 0
    if status in (C.APPROVED, C.PARTIALLY_APPROVED) and approved is not None:
        return approved
    return claimed


def age_bucket(days: int) -> int:
    """The index in :data:`AGE_BUCKETS` of an age in days (a submission
    dated after ``as_of``, from a PC clock ahead, counts as 0 days)."""
    days = max(days, 0)
    for index, (_low, high) in enumerate(AGE_BUCKETS):
        if high is None or days <= high:
            return index
    raise AssertionError("the last bucket has no end")


def normalise_reason(reason: str | None) -> str:
    """Rejection reasons as staff typed them, grouped: spaces and case
    don't make a different reason."""
    words = " ".join((reason or "").split())
    return words[:1].upper() + words[1:] if words else ""


def follow_up(
    start: date,
    end: date,
    as_of: date,
    *,
    session: Session,
    branch_id: uuid.UUID | None = None,
) -> FollowUp:
    """The follow-up figures of the claims for visits from ``start`` to
    ``end`` (both included; one branch or all): claims by status; those sent
    to SHA and not paid by age since submission (Nairobi days to ``as_of``)
    with what is outstanding; rejection reasons ranked (every rejection
    counts, also of claims since fixed and resubmitted); and, month by month
    of the visits, what was paid against what was claimed."""
    scope: list[ColumnElement[bool]] = [
        Claim.deleted_at.is_(None),
        Visit.visit_date >= start,
        Visit.visit_date <= end,
    ]
    if branch_id is not None:
        scope.append(Claim.branch_id == branch_id)
    rows = session.execute(
        select(
            Claim.id,
            Claim.status,
            Claim.claimed_cents,
            Claim.approved_cents,
            Claim.paid_cents,
            Claim.submitted_at,
            Visit.visit_date,
        )
        .join(Visit, Visit.id == Claim.visit_id)
        .where(*scope)
    ).all()

    status_sums: dict[ClaimStatus, list[int]] = {s: [0, 0, 0, 0] for s in LIFECYCLE}
    ageing: dict[ClaimStatus, tuple[list[int], list[int]]] = {
        s: ([0] * len(AGE_BUCKETS), [0] * len(AGE_BUCKETS)) for s in AWAITING_SHA
    }
    months: dict[date, list[int]] = {}
    for _id, status, claimed, approved, paid, submitted_at, visit_date in rows:
        sums = status_sums[status]
        sums[0] += 1
        sums[1] += claimed
        sums[2] += approved or 0
        sums[3] += paid or 0
        if submitted_at is None:
            continue
        if status in ageing:
            days = (as_of - submitted_at.astimezone(NAIROBI).date()).days
            counts, cents = ageing[status]
            bucket = age_bucket(days)
            counts[bucket] += 1
            cents[bucket] += outstanding_cents(status, claimed, approved)
        month = months.setdefault(visit_date.replace(day=1), [0, 0, 0, 0])
        month[0] += 1
        month[1] += claimed
        month[2] += approved or 0
        month[3] += paid or 0

    return FollowUp(
        start=start,
        end=end,
        as_of=as_of,
        by_status=tuple(StatusFigures(s, *status_sums[s]) for s in LIFECYCLE),
        ageing=tuple(
            AgeingRow(s, sum(counts), tuple(counts), tuple(cents))
            for s, (counts, cents) in ageing.items()
        ),
        rejection_reasons=tuple(_rejection_reasons(session, scope)),
        paid_by_month=tuple(PaidMonth(m, *months[m]) for m in sorted(months)),
    )


def _rejection_reasons(
    session: Session, scope: Iterable[ColumnElement[bool]]
) -> list[RejectionReason]:
    """Every move to REJECTED of the claims in ``scope``, by reason, most
    frequent first (then the most money, then the reason)."""
    moves = session.execute(
        select(ClaimStatusChange.note, Claim.rejection_reason, Claim.claimed_cents)
        .join(Claim, Claim.id == ClaimStatusChange.claim_id)
        .join(Visit, Visit.id == Claim.visit_id)
        .where(
            *scope,
            ClaimStatusChange.deleted_at.is_(None),
            ClaimStatusChange.to_status == C.REJECTED,
        )
    ).all()
    grouped: dict[str, RejectionReason] = {}
    for note, current_reason, claimed in moves:
        reason = normalise_reason(note or current_reason) or "(no reason given)"
        seen = grouped.get(reason.lower(), RejectionReason(reason, 0, 0))
        grouped[reason.lower()] = RejectionReason(
            seen.reason, seen.count + 1, seen.claimed_cents + claimed
        )
    ranked = list(grouped.values())
    ranked.sort(key=lambda r: (-r.count, -r.claimed_cents, r.reason.lower()))
    return ranked


@dataclass(frozen=True)
class BranchChoice:
    id: uuid.UUID
    code: str
    name: str


def branch_choices(*, session: Session) -> list[BranchChoice]:
    """The clinic's branches by code, for the screens' branch filters."""
    return [
        BranchChoice(b.id, b.code, b.name)
        for b in session.scalars(
            select(Branch).where(Branch.deleted_at.is_(None)).order_by(Branch.code)
        )
    ]
