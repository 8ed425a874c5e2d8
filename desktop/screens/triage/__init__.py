"""Triage: the nurse's vitals screen."""

from desktop.screens.triage.screen import TriageScreen

__all__ = ["TriageScreen"]
