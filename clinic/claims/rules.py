"""The SHA claim state machine the server checks on every change, on every path."""

from __future__ import annotations

from clinic.enums import ClaimStatus, Role
from clinic.errors import NotAllowed
from clinic.permissions import Data, may_write

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


def check_claim_move(role: Role, current: ClaimStatus, new: ClaimStatus) -> None:
    """Raise NotAllowed for a move the state machine does not have, or by a
    role that does not work on claims. Staying put is no move."""
    if current == new:
        return
    if not may_write(role, Data.CLAIMS):
        raise NotAllowed(f"A {role.value} may not move a claim")
    if new not in CLAIM_TRANSITIONS[current]:
        raise NotAllowed(f"A claim that is {current.value} cannot move to {new.value}")
