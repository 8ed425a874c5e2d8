"""The record of every change: audit events, the outbox, conflicts and
refused changes; and on a PC its own settings (device id, sync cursor)."""
