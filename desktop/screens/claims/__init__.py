"""SHA claims: the list, a claim's page with its checklist and moves, batches,
follow-up (the screen is ``desktop.screens.claims.screen.ClaimsScreen``)."""
