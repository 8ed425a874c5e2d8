"""SHA claims: the list, a claim's page with its checklist and moves, batches, follow-up."""

from desktop.screens.claims.screen import ClaimsScreen

__all__ = ["ClaimsScreen"]
