"""Patients: registration, duplicates, search and the paper-register import."""
