"""The pharmacy: the worklist of visits with prescriptions to dispense,
dispensing a line (in part, another drug with a reason, closed with a
reason), and the branch's drug stock as a ledger (movements, counts,
reorder levels, on hand, low and expiring). Pharmacists dispense and move
stock; clinicians read both (``clinic.permissions``); stock is the caller's
branch's (an admin of all branches names one, MAIN when none). Every write
goes through ``clinic.pharmacy.service``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from clinic.clock import clinic_today
from clinic.journal.service import record_audit
from clinic.permissions import Data
from clinic.pharmacy.models import StockMovement
from clinic.pharmacy.queries import (
    EXPIRING_WITHIN_DAYS,
    expiring_soon,
    low_stock,
    pharmacy_worklist,
    stock_on_hand,
    visit_lines,
)
from clinic.pharmacy.service import (
    MovementInput,
    count_stock,
    dispense,
    record_movement,
    set_reorder_level,
)
from clinic.visits.models import Prescription
from clinic.visits.service import get_visit
from server.deps import Caller, DbSession, own_branch_only, reader_of, working_branch, writer_of
from server.schemas import (
    DispensedOut,
    DispensingIn,
    DrugStockOut,
    ExpiringBatchOut,
    LineOut,
    ReorderLevelIn,
    ReorderLevelOut,
    StockCountIn,
    StockMovementIn,
    StockMovementOut,
    WorklistOut,
)

router = APIRouter(prefix="/api", tags=["pharmacy"])

DispensingReader = Annotated[Caller, Depends(reader_of(Data.DISPENSING))]
DispensingWriter = Annotated[Caller, Depends(writer_of(Data.DISPENSING))]
StockReader = Annotated[Caller, Depends(reader_of(Data.STOCK))]
StockWriter = Annotated[Caller, Depends(writer_of(Data.STOCK))]
ERRORS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}
BranchCode = Annotated[str | None, Query(max_length=16)]


@router.get("/pharmacy/worklist", response_model=list[WorklistOut], responses=ERRORS)
def worklist(caller: DispensingReader, session: DbSession) -> list[WorklistOut]:
    """Visits of the caller's branch (an admin's: all) waiting at the
    pharmacy with prescriptions, oldest first, with what they still owe."""
    entries = pharmacy_worklist(session, caller.branch_id)
    return [WorklistOut.model_validate(e) for e in entries]


@router.get("/pharmacy/visits/{visit_id}/lines", response_model=list[LineOut], responses=ERRORS)
def lines(visit_id: uuid.UUID, caller: DispensingReader, session: DbSession) -> list[LineOut]:
    """A visit's prescription lines: prescribed, given, owed, and each
    dispensing; reading them is recorded in the audit log."""
    get_visit(visit_id, session=session)
    lines = [LineOut.model_validate(line) for line in visit_lines(session, visit_id)]
    record_audit(
        session,
        caller.actor(),
        action="read_clinical_record",
        entity="visits",
        entity_id=visit_id,
        after={"parts": ["prescriptions", "dispensing"]},
    )
    session.commit()
    return lines


@router.post(
    "/pharmacy/dispensings", response_model=DispensedOut, status_code=201, responses=ERRORS
)
def dispense_line(body: DispensingIn, caller: DispensingWriter, session: DbSession) -> DispensedOut:
    """Dispense a line of a visit of the caller's branch waiting at the
    pharmacy; ``warnings`` says when it took more than the stock on hand.
    An admin of all branches dispenses from the visit's branch's stock."""
    prescription = session.get(Prescription, body.prescription_id)
    if prescription is None or prescription.deleted_at is not None:
        raise LookupError(f"No prescription line with id {body.prescription_id}")
    visit = get_visit(prescription.visit_id, session=session)
    own_branch_only(caller, visit.branch_id, "visit")
    actor = caller.actor(visit.branch_id)
    done = dispense(
        body.prescription_id,
        body.quantity,
        session=session,
        actor=actor,
        service_id=body.service_id,
        substitution_reason=body.substitution_reason,
        counselling=body.counselling,
        close_reason=body.close_reason,
    )
    session.commit()
    return DispensedOut(
        id=done.dispensing.id,
        line=LineOut.model_validate(done.line),
        warnings=done.warnings,
        visit_completed=done.visit_completed,
    )


@router.get("/stock", response_model=list[DrugStockOut], responses=ERRORS)
def on_hand(
    caller: StockReader, session: DbSession, branch_code: BranchCode = None
) -> list[DrugStockOut]:
    """Every drug with its stock on hand at the branch, its batches and reorder level."""
    branch_id = working_branch(session, caller, branch_code, doing="read stock")
    return [DrugStockOut.model_validate(d) for d in stock_on_hand(session, branch_id)]


@router.get("/stock/low", response_model=list[DrugStockOut], responses=ERRORS)
def low(
    caller: StockReader, session: DbSession, branch_code: BranchCode = None
) -> list[DrugStockOut]:
    """Drugs at or below their reorder level at the branch."""
    branch_id = working_branch(session, caller, branch_code, doing="read stock")
    return [DrugStockOut.model_validate(d) for d in low_stock(session, branch_id)]


@router.get("/stock/expiring", response_model=list[ExpiringBatchOut], responses=ERRORS)
def expiring(
    caller: StockReader,
    session: DbSession,
    branch_code: BranchCode = None,
    within_days: Annotated[int, Query(ge=0, le=3660)] = EXPIRING_WITHIN_DAYS,
) -> list[ExpiringBatchOut]:
    """Batches in stock that expired or expire within ``within_days``."""
    branch_id = working_branch(session, caller, branch_code, doing="read stock")
    batches = expiring_soon(session, branch_id, clinic_today(), within_days)
    return [ExpiringBatchOut.model_validate(b) for b in batches]


@router.get("/stock/movements", response_model=list[StockMovementOut], responses=ERRORS)
def movements(
    caller: StockReader,
    session: DbSession,
    branch_code: BranchCode = None,
    service_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[StockMovementOut]:
    """The branch's stock ledger, newest first."""
    branch_id = working_branch(session, caller, branch_code, doing="read stock")
    query = select(StockMovement).where(
        StockMovement.branch_id == branch_id, StockMovement.deleted_at.is_(None)
    )
    if service_id is not None:
        query = query.where(StockMovement.service_id == service_id)
    rows = session.scalars(
        query.order_by(StockMovement.moved_at.desc(), StockMovement.id.desc()).limit(limit)
    )
    return [StockMovementOut.model_validate(m) for m in rows]


@router.post("/stock/movements", response_model=StockMovementOut, status_code=201, responses=ERRORS)
def move_stock(body: StockMovementIn, caller: StockWriter, session: DbSession) -> StockMovementOut:
    """A receipt, return, adjustment (with a reason) or expiry write-off."""
    branch_id = working_branch(session, caller, body.branch_code, doing="move stock")
    movement = record_movement(
        MovementInput(
            body.service_id, body.kind, body.quantity, body.batch, body.expiry, body.reason
        ),
        session=session,
        actor=caller.actor(branch_id),
    )
    session.commit()
    return StockMovementOut.model_validate(movement)


@router.post("/stock/counts", response_model=StockMovementOut | None, responses=ERRORS)
def count(body: StockCountIn, caller: StockWriter, session: DbSession) -> StockMovementOut | None:
    """A count of a batch: the difference becomes an adjustment with the
    reason; a count that agrees answers null and writes nothing."""
    branch_id = working_branch(session, caller, body.branch_code, doing="count stock")
    movement = count_stock(
        body.service_id,
        body.batch,
        body.expiry,
        body.counted,
        body.reason,
        session=session,
        actor=caller.actor(branch_id),
    )
    session.commit()
    return None if movement is None else StockMovementOut.model_validate(movement)


@router.put("/stock/reorder-levels", response_model=ReorderLevelOut, responses=ERRORS)
def reorder(body: ReorderLevelIn, caller: StockWriter, session: DbSession) -> ReorderLevelOut:
    """The stock of a drug at or below which it shows as low."""
    branch_id = working_branch(session, caller, body.branch_code, doing="set reorder levels")
    level = set_reorder_level(
        body.service_id, body.level, session=session, actor=caller.actor(branch_id)
    )
    session.commit()
    return ReorderLevelOut.model_validate(level)
