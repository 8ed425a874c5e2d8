"""Branches, devices and users."""
