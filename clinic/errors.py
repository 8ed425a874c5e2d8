"""Errors the clinic domain raises for bad input.

Every message says what to fix, in words a clinic's staff understand; the
desktop shows it next to the field and the API answers it as a 422 naming the
field. Raising one of these means nothing was written.
"""

from __future__ import annotations

from dataclasses import dataclass


class InvalidValue(ValueError):
    """One value is wrong: ``field`` names it, ``reason`` says what to fix."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AlreadyTaken(InvalidValue):
    """The value is well formed but another row already has it where only one
    may (a username); the API answers it as a 409."""


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


class ValidationFailed(ValueError):
    """Several values are wrong at once; ``errors`` lists each with its reason."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors

    @classmethod
    def from_invalid(cls, errors: list[InvalidValue]) -> ValidationFailed:
        return cls([FieldError(e.field, e.reason) for e in errors])


class NotAllowed(PermissionError):
    """The action breaks a rule of the clinic's workflow (a signed visit, a
    second open visit the same day, a status move that does not exist)."""


class Forbidden(NotAllowed):
    """The actor's role or branch does not reach this (an admin of one
    branch changing another's staff); the API answers it as a 403."""
