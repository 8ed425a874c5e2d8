"""SHA claims and their batches: a claim from a visit SHA paid for, with what
SHA still needs (``missing``), moved through the state machine, batched per
branch and submitted. Claims managers work on them, receptionists read them
(they print the SHA invoice), admins do both (``clinic.permissions``);
claims are their branch's (an admin without a branch reaches all). Every
write goes through ``clinic.claims.service``, which checks the same rules
as the server's sync apply."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.claims.completeness import missing
from clinic.claims.document import load_claim_document
from clinic.claims.fhir import bundle_json, claim_bundle
from clinic.claims.models import Claim, ClaimBatch
from clinic.claims.service import (
    MAX_BATCH,
    claim_history,
    claim_items,
    create_batch,
    create_claim,
    get_batch,
    get_claim,
    list_claims,
    move_claim,
    submit_batch,
)
from clinic.claims.sha_csv import batch_csv
from clinic.clock import clinic_today
from clinic.enums import ClaimStatus
from clinic.org.models import Branch
from clinic.permissions import Data, may_read
from clinic.visits.models import Visit
from server.deps import Caller, DbSession, own_branch_only, reader_of, writer_of
from server.errors import ApiError, forbidden
from server.schemas import (
    ClaimBatchCreate,
    ClaimBatchOut,
    ClaimBatchSubmit,
    ClaimCreate,
    ClaimDetailOut,
    ClaimItemOut,
    ClaimMove,
    ClaimOut,
    ClaimStatusChangeOut,
    MissingOut,
)

router = APIRouter(prefix="/api", tags=["claims"])

ClaimReader = Annotated[Caller, Depends(reader_of(Data.CLAIMS))]
ClaimWriter = Annotated[Caller, Depends(writer_of(Data.CLAIMS))]


def _exporter(caller: ClaimReader) -> Caller:
    """The exports name the diagnoses: for claims readers who read them too."""
    if not may_read(caller.role, Data.DIAGNOSES):
        raise forbidden(f"A {caller.role.value} may not read diagnoses")
    return caller


ClaimExporter = Annotated[Caller, Depends(_exporter)]
ERRORS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


def _detail(session: Session, claim: Claim) -> ClaimDetailOut:
    out = ClaimDetailOut.model_validate(ClaimOut.model_validate(claim).model_dump())
    out.items = [ClaimItemOut.model_validate(i) for i in claim_items(claim.id, session=session)]
    document = load_claim_document(claim.id, session=session)
    out.missing = [
        MissingOut(code=m.code, message=m.message, fix_in=m.fix_in)
        for m in missing(document, today=clinic_today())
    ]
    out.history = [
        ClaimStatusChangeOut.model_validate(h) for h in claim_history(claim.id, session=session)
    ]
    return out


def _batch_out(session: Session, batch: ClaimBatch) -> ClaimBatchOut:
    out = ClaimBatchOut.model_validate(batch)
    claims = list_claims(session=session, batch_id=batch.id, limit=MAX_BATCH)
    out.claims = [ClaimOut.model_validate(c) for c in claims]
    out.claimed_cents = sum(c.claimed_cents for c in claims)
    return out


def _readable_claim(session: Session, caller: Caller, claim_id: uuid.UUID) -> Claim:
    claim = get_claim(claim_id, session=session)
    own_branch_only(caller, claim.branch_id, "claim")
    return claim


@router.post("/claims", response_model=ClaimDetailOut, status_code=201, responses=ERRORS)
def claim_visit(body: ClaimCreate, caller: ClaimWriter, session: DbSession) -> ClaimDetailOut:
    """The visit's SHA claim, made as a DRAFT from the invoice SHA paid on
    (or the one it has), with what SHA would still reject it for."""
    visit = session.get(Visit, body.visit_id)
    if visit is None or visit.deleted_at is not None:
        raise LookupError(f"No visit with id {body.visit_id}")
    own_branch_only(caller, visit.branch_id, "visit")
    claim = create_claim(visit.id, session=session, actor=caller.actor())
    session.commit()
    return _detail(session, claim)


@router.get("/claims", response_model=list[ClaimOut], responses={401: {}, 403: {}, 422: {}})
def find_claims(
    caller: ClaimReader,
    session: DbSession,
    status: ClaimStatus | None = None,
    branch: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_BATCH)] = 200,
) -> list[ClaimOut]:
    """Claims of the caller's branch (an admin's: all, or the branch whose
    code is given), newest first."""
    branch_id = caller.branch_id
    if branch is not None:
        named = session.scalar(select(Branch.id).where(Branch.code == branch))
        if named is None:
            raise ApiError(
                422,
                "invalid",
                "Some values are not valid",
                [{"field": "branch", "reason": f"No branch with code {branch}"}],
            )
        if branch_id is not None and named != branch_id:
            raise forbidden("You read your own branch's claims only")
        branch_id = named
    claims = list_claims(session=session, status=status, branch_id=branch_id, limit=limit)
    return [ClaimOut.model_validate(c) for c in claims]


@router.get("/claims/{claim_id}", response_model=ClaimDetailOut, responses=ERRORS)
def read_claim(claim_id: uuid.UUID, caller: ClaimReader, session: DbSession) -> ClaimDetailOut:
    """The claim with its lines, what SHA would still reject it for, and its history."""
    return _detail(session, _readable_claim(session, caller, claim_id))


@router.post("/claims/{claim_id}/status", response_model=ClaimDetailOut, responses=ERRORS)
def move(
    claim_id: uuid.UUID, body: ClaimMove, caller: ClaimWriter, session: DbSession
) -> ClaimDetailOut:
    """Move the claim one step of the state machine: READY once nothing is
    missing, SHA's answer (a reason for a rejection, the approved amount),
    its payment (amount, day, reference), or back to DRAFT to fix."""
    claim = _readable_claim(session, caller, claim_id)
    move_claim(
        claim.id,
        body.status,
        session=session,
        actor=caller.actor(),
        reason=body.reason,
        approved_cents=body.approved_cents,
        paid_cents=body.paid_cents,
        paid_on=body.paid_on,
        payment_reference=body.payment_reference,
    )
    session.commit()
    return _detail(session, claim)


@router.post("/claim-batches", response_model=ClaimBatchOut, status_code=201, responses=ERRORS)
def batch_claims(body: ClaimBatchCreate, caller: ClaimWriter, session: DbSession) -> ClaimBatchOut:
    """A weekly or monthly batch of one branch's READY claims."""
    for claim_id in body.claim_ids:
        claim = session.get(Claim, claim_id)
        if claim is not None:
            own_branch_only(caller, claim.branch_id, "claim")
    batch = create_batch(body.claim_ids, body.period, session=session, actor=caller.actor())
    session.commit()
    return _batch_out(session, batch)


@router.get("/claim-batches/{batch_id}", response_model=ClaimBatchOut, responses=ERRORS)
def read_batch(batch_id: uuid.UUID, caller: ClaimReader, session: DbSession) -> ClaimBatchOut:
    batch = get_batch(batch_id, session=session)
    own_branch_only(caller, batch.branch_id, "batch")
    return _batch_out(session, batch)


@router.post("/claim-batches/{batch_id}/submit", response_model=ClaimBatchOut, responses=ERRORS)
def submit(
    batch_id: uuid.UUID,
    caller: ClaimWriter,
    session: DbSession,
    body: ClaimBatchSubmit | None = None,
) -> ClaimBatchOut:
    """Send the batch to SHA: its claims become SUBMITTED and it locks."""
    batch = get_batch(batch_id, session=session)
    own_branch_only(caller, batch.branch_id, "batch")
    submit_batch(
        batch.id,
        session=session,
        actor=caller.actor(),
        reference=body.reference if body is not None else None,
    )
    session.commit()
    return _batch_out(session, batch)


@router.get(
    "/claims/{claim_id}/fhir",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"application/fhir+json": {}}}},
)
def claim_fhir(claim_id: uuid.UUID, caller: ClaimExporter, session: DbSession) -> Response:
    """The claim as a FHIR R4 Bundle (Claim, Patient, Organizations,
    Practitioner, Coverage), as SHA's HIE takes it."""
    claim = _readable_claim(session, caller, claim_id)
    bundle = claim_bundle(load_claim_document(claim.id, session=session))
    return Response(bundle_json(bundle), media_type="application/fhir+json")


@router.get(
    "/claim-batches/{batch_id}/sha.csv",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"text/csv": {}}}},
)
def batch_sha_csv(batch_id: uuid.UUID, caller: ClaimExporter, session: DbSession) -> Response:
    """The batch as the CSV the SHA portal takes: a row per claim line."""
    batch = get_batch(batch_id, session=session)
    own_branch_only(caller, batch.branch_id, "batch")
    claims = list_claims(session=session, batch_id=batch.id, limit=MAX_BATCH)
    text = batch_csv(load_claim_document(c.id, session=session) for c in reversed(claims))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="sha-batch-{batch.id}.csv"'},
    )
