"""The Reports screen: pick a report, see it, export it."""

from desktop.screens.reports.screen import ReportsScreen

__all__ = ["ReportsScreen"]
