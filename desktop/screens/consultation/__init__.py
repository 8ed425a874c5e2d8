"""Consultation: the clinical officer's notes, diagnoses, orders and signing."""

from desktop.screens.consultation.screen import ConsultationScreen

__all__ = ["ConsultationScreen"]
