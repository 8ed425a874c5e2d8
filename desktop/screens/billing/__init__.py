from desktop.screens.billing.screen import BillingScreen

__all__ = ["BillingScreen"]
