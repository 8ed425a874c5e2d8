"""Every report by name, who may run which, and :func:`run_report`, the one
door the desktop, the command line and the API go through.

Who may run a report lives here once: admins every report; cashiers the
daily cash and the shifts; claims managers the claims' ageing. Anyone but
an admin sees their own branch only. An actor without a role is the system
itself (a scheduled ``seth-clinic report`` on the PC's own store), which
runs any report on whatever the store holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.collector import collector_paused
from clinic.enums import Role
from clinic.errors import InvalidValue, NotAllowed
from clinic.reports import cash, claims_ageing, moh705, revenue, visits
from clinic.reports.base import ReportQuery, ReportRequest, ReportResult
from clinic.reports.names import (
    CLAIMS_AGEING,
    DAILY_CASH,
    MOH705A,
    MOH705B,
    REPORT_NAMES,
    REVENUE,
    SHIFTS,
    VISITS,
)

TITLES: Mapping[str, str] = {
    DAILY_CASH: "Daily cash",
    REVENUE: "Revenue",
    VISITS: "Visit register",
    MOH705A: "MOH 705A: outpatient morbidity, under 5 years",
    MOH705B: "MOH 705B: outpatient morbidity, 5 years and over",
    CLAIMS_AGEING: "SHA claims ageing",
    SHIFTS: "Shifts and cash-ups",
}
"""Each report's title, for pickers and page headers."""

REPORTS: dict[str, ReportQuery] = {
    DAILY_CASH: cash.daily_cash,
    REVENUE: revenue.revenue,
    VISITS: visits.visit_register,
    MOH705A: moh705.moh705a,
    MOH705B: moh705.moh705b,
    SHIFTS: cash.shifts,
    CLAIMS_AGEING: claims_ageing.claims_ageing,
}
"""The queries by name, one for each of :data:`REPORT_NAMES`."""

ROLE_REPORTS: Mapping[Role, frozenset[str]] = {
    Role.CASHIER: frozenset({DAILY_CASH, SHIFTS}),
    Role.CLAIMS_MANAGER: frozenset({CLAIMS_AGEING}),
}
"""The reports a role other than admin may run."""


class ReportRefused(NotAllowed):
    """The actor's role or branch may not see this report."""


def check_name(name: str) -> str:
    """``name`` when it names a report; InvalidValue listing the names otherwise."""
    if name not in REPORT_NAMES:
        raise InvalidValue(
            "name", f"No report is called '{name}'; choose one of {', '.join(REPORT_NAMES)}"
        )
    return name


def reports_for(role: Role | None) -> list[str]:
    """The reports ``role`` may run, in :data:`REPORT_NAMES`' order."""
    return [name for name in REPORT_NAMES if report_refusal(role, name) is None]


def report_refusal(role: Role | None, name: str) -> str | None:
    """Why ``role`` may not run report ``name``, in words for the screen; None if it may."""
    if role is None or role == Role.ADMIN or name in ROLE_REPORTS.get(role, frozenset()):
        return None
    allowed = sorted(ROLE_REPORTS.get(role, frozenset()), key=REPORT_NAMES.index)
    may = f"; a {role.value} may run {', '.join(allowed)}" if allowed else ""
    return f"A {role.value} may not run the {name} report{may}"


def sees_every_branch(actor: Actor) -> bool:
    """An admin, the system itself, or staff of no branch: any branch or all."""
    return actor.role in (None, Role.ADMIN) or actor.branch_id is None


def default_branch(actor: Actor) -> uuid.UUID | None:
    """The branch a request naming none is for: all branches (None) for
    whoever :func:`sees_every_branch`, anyone else's own."""
    return None if sees_every_branch(actor) else actor.branch_id


def branch_refusal(actor: Actor, request: ReportRequest) -> str | None:
    """Why ``actor`` may not see the request's branch (or all branches); None if they may."""
    if sees_every_branch(actor) or request.branch_id == actor.branch_id:
        return None
    return "You may see reports of your own branch only; pick your branch"


def run_report(
    name: str, request: ReportRequest, *, session: Session, actor: Actor
) -> ReportResult:
    """Run report ``name`` for ``request`` in the caller's session (it reads,
    never writes). Raises InvalidValue for an unknown name or a request the
    report cannot answer, ReportRefused when the actor may not see it."""
    check_name(name)
    refusal = report_refusal(actor.role, name) or branch_refusal(actor, request)
    if refusal is not None:
        raise ReportRefused(refusal)
    with collector_paused():
        return REPORTS[name](request, session)
