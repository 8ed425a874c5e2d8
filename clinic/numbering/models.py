from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Integer, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import Base, SyncColumns, UTCDateTime
from clinic.enums import db_enum
from clinic.rules.numbers import NumberKind


class NumberLease(SyncColumns, Base):
    """A block of serials ``first``..``last`` a device may hand out for one
    kind of number in one year; ``next`` is the next unused serial.

    The server hands blocks out one after another, so leased numbers are
    unique by construction. A ``provisional`` lease is the device's own, made
    when it has no leased block left offline: its numbers read ``TMP-...``
    and are replaced at the next sync.
    """

    __tablename__ = "number_leases"

    lease_device_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    kind: Mapped[NumberKind] = mapped_column(db_enum(NumberKind))
    year: Mapped[int] = mapped_column(Integer)
    first: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)
    next: Mapped[int] = mapped_column(Integer)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    leased_at: Mapped[datetime] = mapped_column(UTCDateTime)
