"""Merging duplicate patients, for admins."""
