"""Visits: the queue, triage, consultation, signing and amendments."""
