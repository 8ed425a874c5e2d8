"""Reports for the central office: ``GET /api/reports/{name}`` with the
names of ``seth-clinic report``, as JSON, CSV or Excel. Who may run which
report, and for which branch, is ``clinic.reports.catalogue``'s; this route
only reads the query and names the file."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from clinic.org.models import Branch
from clinic.reports.base import ReportRequest
from clinic.reports.catalogue import (
    ReportRefused,
    check_name,
    default_branch,
    report_refusal,
    run_report,
)
from clinic.reports.export import render_csv, render_xlsx, to_json
from server.deps import CurrentUser, DbSession
from server.errors import ApiError, forbidden

router = APIRouter(prefix="/api", tags=["reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


def _invalid(field: str, reason: str) -> ApiError:
    return ApiError(
        422, "invalid", "Some values are not valid", [{"field": field, "reason": reason}]
    )


@router.get(
    "/reports/{name}",
    responses={
        200: {
            "description": "The report (JSON), or its CSV or Excel file",
            "content": {"text/csv": {}, XLSX: {}},
        },
        401: {},
        403: {},
        422: {},
    },
)
def report(
    name: str,
    caller: CurrentUser,
    session: DbSession,
    start: Annotated[date, Query(alias="from", description="first day, YYYY-MM-DD")],
    end: Annotated[date, Query(alias="to", description="last day, YYYY-MM-DD")],
    branch: Annotated[
        str | None, Query(description="a branch code; all branches when left out")
    ] = None,
    output: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.JSON,
) -> Any:
    """Report ``name`` (daily-cash, revenue, visits, moh705a, moh705b,
    claims-ageing, shifts) for the days ``from`` to ``to`` (Nairobi dates,
    both included) at ``branch``, or at every branch for an admin. Staff
    with a branch see their own branch's (naming no branch means theirs)."""
    check_name(name)
    refusal = report_refusal(caller.role, name)
    if refusal is not None:
        raise forbidden(refusal)
    branch_id = default_branch(caller.actor())
    if branch is not None:
        branch_id = session.scalar(select(Branch.id).where(Branch.code == branch))
        if branch_id is None:
            raise _invalid("branch", f"No branch with code {branch}")
    request = ReportRequest(start, end, branch_id)
    try:
        result = run_report(name, request, session=session, actor=caller.actor())
    except ReportRefused as error:
        raise forbidden(str(error)) from None
    if output == ReportFormat.JSON:
        return to_json(result)
    filename = f"{name}_{start.isoformat()}_{end.isoformat()}{'_' + branch if branch else ''}"
    if output == ReportFormat.CSV:
        content, media = render_csv(result), "text/csv; charset=utf-8"
    else:
        content, media = render_xlsx(result), XLSX
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{output.value}"'},
    )
