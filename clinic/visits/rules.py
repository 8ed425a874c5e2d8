"""The visit workflow: which status moves exist and which roles make them.

One table and one check, called by the visit service, the REST route, the
server's sync apply and the queue screen (which greys out what the user's
role may not do).
"""

from __future__ import annotations

from clinic.enums import Role, VisitStatus
from clinic.errors import NotAllowed

S = VisitStatus

TRANSITIONS: dict[VisitStatus, dict[VisitStatus, frozenset[Role]]] = {
    S.REGISTERED: {
        S.TRIAGED: frozenset({Role.NURSE}),
        S.IN_CONSULTATION: frozenset({Role.CLINICAL_OFFICER}),
        S.WAITING_CONSULTATION: frozenset({Role.RECEPTIONIST, Role.NURSE}),
        S.CANCELLED: frozenset({Role.RECEPTIONIST}),
    },
    S.TRIAGED: {
        S.WAITING_CONSULTATION: frozenset({Role.NURSE, Role.RECEPTIONIST}),
        S.IN_CONSULTATION: frozenset({Role.CLINICAL_OFFICER}),
        S.CANCELLED: frozenset({Role.RECEPTIONIST}),
    },
    S.WAITING_CONSULTATION: {
        S.IN_CONSULTATION: frozenset({Role.CLINICAL_OFFICER}),
        S.CANCELLED: frozenset({Role.RECEPTIONIST}),
    },
    S.IN_CONSULTATION: {
        S.WAITING_LAB: frozenset({Role.CLINICAL_OFFICER}),
        S.WAITING_PHARMACY: frozenset({Role.CLINICAL_OFFICER}),
        S.COMPLETED: frozenset({Role.CLINICAL_OFFICER, Role.CASHIER}),
    },
    S.WAITING_LAB: {
        S.IN_CONSULTATION: frozenset({Role.CLINICAL_OFFICER, Role.LAB_TECHNICIAN}),
        S.WAITING_PHARMACY: frozenset({Role.CLINICAL_OFFICER}),
    },
    S.WAITING_PHARMACY: {
        S.COMPLETED: frozenset({Role.PHARMACIST, Role.CASHIER}),
    },
    S.COMPLETED: {},
    S.CANCELLED: {},
}

FIRST_STATUS = S.REGISTERED
"""Every visit starts here; a new visit in any other status is a move from it."""


class MoveForbidden(NotAllowed):
    """The move exists, but the role may not make it."""


def check_visit_move(role: Role | None, current: VisitStatus, new: VisitStatus) -> None:
    """Raise NotAllowed when no move leads from ``current`` to ``new``, and
    MoveForbidden when ``role`` may not make it. Staying put is no move; a
    role of None is the system itself (an import, a migration)."""
    if current == new:
        return
    allowed = TRANSITIONS[current].get(new)
    if allowed is None:
        raise NotAllowed(f"A visit that is {current.value} cannot move to {new.value}")
    if role is not None and role != Role.ADMIN and role not in allowed:
        raise MoveForbidden(f"Only {', '.join(sorted(allowed))} may move a visit to {new.value}")


def may_move_visit(role: Role, current: VisitStatus, new: VisitStatus) -> bool:
    try:
        check_visit_move(role, current, new)
    except NotAllowed:
        return False
    return current != new


def statuses_moved_by(role: Role) -> set[VisitStatus]:
    """The statuses a role ever moves visits to."""
    return {
        status
        for moves in TRANSITIONS.values()
        for status, roles in moves.items()
        if role == Role.ADMIN or role in roles
    }
