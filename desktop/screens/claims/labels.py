"""The colour of each claim status on the claims screens (their names are in
``desktop.display``)."""

from __future__ import annotations

from clinic.enums import ClaimStatus

STATUS_COLOURS = {
    ClaimStatus.DRAFT: "#5f6b76",
    ClaimStatus.READY: "#1f5f8b",
    ClaimStatus.INVOICE_GENERATED: "#1f5f8b",
    ClaimStatus.SUBMITTED: "#9a6700",
    ClaimStatus.APPROVED: "#1b7d2f",
    ClaimStatus.PARTIALLY_APPROVED: "#1b7d2f",
    ClaimStatus.REJECTED: "#b00020",
    ClaimStatus.PAID: "#1b5e20",
}
