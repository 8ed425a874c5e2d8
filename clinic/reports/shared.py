"""What several reports share: which branches a request covers, the names
of branches and staff to show instead of ids, and column totals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.org.models import Branch, User
from clinic.reports.base import Cell, ReportRequest


def branch_ids(request: ReportRequest, *, session: Session) -> list[uuid.UUID]:
    """The request's branch, or every branch the store holds. Queries filter
    on this list rather than leaving the branch out, so the (branch, date)
    indexes serve "all branches" too."""
    if request.branch_id is not None:
        return [request.branch_id]
    return list(session.scalars(select(Branch.id).order_by(Branch.code)))


def branch_codes(*, session: Session) -> dict[uuid.UUID, str]:
    return {i: c for i, c in session.execute(select(Branch.id, Branch.code))}


def staff_names(*, session: Session) -> dict[uuid.UUID, str]:
    """Every user's full name by id (staff removed since keep theirs)."""
    return {i: n for i, n in session.execute(select(User.id, User.full_name))}


def column_total(rows: Sequence[Sequence[Cell]], index: int) -> int:
    """The column's sum, blanks (an open shift's count) left out."""
    return sum(cell for row in rows if isinstance(cell := row[index], int))
