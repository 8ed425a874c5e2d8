"""Shifts: open and close the cashier's shift, the branch cash-up, M-Pesa reconciliation."""

from desktop.screens.shifts.screen import ShiftsScreen

__all__ = ["ShiftsScreen"]
