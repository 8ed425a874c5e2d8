"""The pharmacist's screen: the worklist and dispensing, and the drug stock."""

from desktop.screens.pharmacy.screen import PharmacyScreen

__all__ = ["PharmacyScreen"]
