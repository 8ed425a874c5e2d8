from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import LOCAL_ONLY, Base, SyncColumns, UTCDateTime
from clinic.enums import Role, db_enum

MAIN_BRANCH = "MAIN"
"""The code of the branch the server starts with, home to staff given none."""


class Branch(SyncColumns, Base):
    """A clinic site. The server starts with one branch, ``MAIN``."""

    __tablename__ = "branches"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kmhfl_code: Mapped[str | None] = mapped_column(String(16))
    sha_facility_id: Mapped[str | None] = mapped_column(String(32))


class Device(SyncColumns, Base):
    """A clinic PC, enrolled to a branch at its first online login.

    ``roles`` are the roles it serves (DESIGN.md, Sync 10): only users of
    those roles log in on it, and it pulls only what they may read. An admin
    sets them at the device's first login, or later; anyone else's first
    login gives the device that user's role.
    """

    __tablename__ = "devices"

    name: Mapped[str] = mapped_column(String(120))
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_skew_seconds: Mapped[int | None] = mapped_column(Integer)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    app_version: Mapped[str | None] = mapped_column(String(40))
    pending_changes: Mapped[int | None] = mapped_column(Integer)


class User(SyncColumns, Base):
    """A member of staff. An admin without a branch acts for all branches.

    ``password_hash`` is the server's argon2id hash and never leaves it; a PC
    keeps its own offline-login verifier apart from this table.
    """

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(db_enum(Role))
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class OfflineLogin(Base):
    """What lets a user who has logged in online on this PC log in here
    offline: an argon2 verifier of their password and their role, refreshed
    at every online login. Kept on the PC only."""

    __tablename__ = "offline_logins"
    __table_args__ = {"info": LOCAL_ONLY}

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(db_enum(Role))
    branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    verifier: Mapped[str] = mapped_column(String(255))
    last_online_login: Mapped[datetime] = mapped_column(UTCDateTime)
