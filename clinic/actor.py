"""Who is writing: every service call names its actor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from clinic.enums import Role


@dataclass(frozen=True)
class Actor:
    """The user at a device. ``user_id`` and ``role`` are None for the system
    itself (an import run from the command line, a migration)."""

    device_id: uuid.UUID
    user_id: uuid.UUID | None = None
    role: Role | None = None
    branch_id: uuid.UUID | None = None
