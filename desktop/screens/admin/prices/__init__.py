from desktop.screens.admin.prices.screen import PricesScreen

__all__ = ["PricesScreen"]
