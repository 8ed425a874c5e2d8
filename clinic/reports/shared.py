"""What several reports share: which branches a request covers, the names
of branches and staff to show instead of ids, and column totals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, select, type_coerce
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


def as_stored(column: Any) -> ColumnElement[Any]:
    """An id column read as the database driver gives it (a hex string on
    SQLite, a UUID on PostgreSQL), for matching rows in Python, never for
    showing: making a ``uuid.UUID`` of every id is most of the time of a
    report of tens of thousands of lines."""
    return type_coerce(column, String)


def staff_names(*, session: Session, stored: bool = False) -> dict[Any, str]:
    """Every user's full name by id (staff removed since keep theirs); with
    ``stored`` the ids are :func:`as_stored`'s."""
    user_id = as_stored(User.id) if stored else User.id
    return {i: n for i, n in session.execute(select(user_id, User.full_name))}


def column_total(rows: Sequence[Sequence[Cell]], index: int) -> int:
    """The column's sum, blanks (an open shift's count) left out."""
    return sum(cell for row in rows if isinstance(cell := row[index], int))
