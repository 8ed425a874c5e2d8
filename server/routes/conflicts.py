"""Admin only: the conflicts inbox (:mod:`clinic.journal.review`), as the
desktop's Conflicts screen shows it, and settling one: keep the value the
record holds, or flip to the other one."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from clinic.journal.review import ConflictItem, conflict_item, open_conflicts, resolve_conflict
from server.deps import Admin, DbSession
from server.schemas import ConflictOut, ConflictResolve

router = APIRouter(prefix="/api/conflicts", tags=["admin"])
ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


def _out(item: ConflictItem) -> ConflictOut:
    return ConflictOut.model_validate(item)


@router.get("", response_model=list[ConflictOut], responses=ERRORS)
def list_conflicts(caller: Admin, session: DbSession, settled: bool = False) -> list[ConflictOut]:
    """The conflicts still to settle, newest first (``settled``: the settled ones)."""
    return [_out(c) for c in open_conflicts(session, settled=settled)]


@router.post("/{conflict_id}/resolve", response_model=ConflictOut, responses=ERRORS)
def settle_conflict(
    conflict_id: uuid.UUID, body: ConflictResolve, caller: Admin, session: DbSession
) -> ConflictOut:
    """Settle a conflict; flipping it changes the record like any edit (the
    PCs pull it). A settled conflict answers 409, an unknown one 404."""
    resolve_conflict(
        conflict_id, keep_losing=body.keep == "other", session=session, actor=caller.actor()
    )
    session.commit()
    return _out(conflict_item(conflict_id, session=session))
