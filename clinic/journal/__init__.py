"""The record of every change: audit events, the outbox, conflicts and
refused changes."""
