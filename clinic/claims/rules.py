"""The SHA claim state machine the server checks on every change."""

from __future__ import annotations

from clinic.enums import ClaimStatus

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
