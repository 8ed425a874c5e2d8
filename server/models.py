"""Tables only the central database has (``info=CENTRAL_ONLY``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import CENTRAL_ONLY, Base, UTCDateTime, utcnow, uuid7


class RefreshToken(Base):
    """One refresh token (only its SHA-256 is kept). Tokens rotate: each use
    marks the token used and issues the next in the same ``family_id``; a
    used token presented again revokes the whole family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = {"info": CENTRAL_ONLY}

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    device_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """Failed logins in a row for a username (known or not, so the answer
    never tells whether the user exists), and the lock they caused."""

    __tablename__ = "login_failures"
    __table_args__ = {"info": CENTRAL_ONLY}

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeviceUser(Base):
    """A user who has logged in online on a device. A shared PC pushes work
    several users did there offline; the server accepts a change only from
    an author it has seen log in online on that device (DESIGN.md, Sync 13)."""

    __tablename__ = "device_users"
    __table_args__ = {"info": CENTRAL_ONLY}

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    first_login_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
