"""The one schema: declarative base, column types and the sync columns.

Both stores use these models: the clinic PC's SQLite file and the central
PostgreSQL. Tables marked ``info=LOCAL_ONLY`` exist only on a PC (the outbox,
refused changes), ``info=CENTRAL_ONLY`` only on the server (refresh tokens);
everything else exists in both.
"""

from __future__ import annotations

import functools
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LOCAL_ONLY = {"store": "local"}
CENTRAL_ONLY = {"store": "central"}


_RANDOM_BITS = 74
"""A version-7 id's bits after its millisecond, less version and variant."""

_last_id = (0, 0)
"""The millisecond and random part of the last id this process made."""

_id_lock = threading.Lock()


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): ids made offline on any PC
    never collide, and new rows land at the end of the primary-key index.

    Ids made by one process sort in the order they were made, also within a
    millisecond (a bulk import makes hundreds) and when the clock steps back:
    such an id is the last one plus one (RFC 9562's "monotonic random")."""
    global _last_id
    unix_ms = time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF
    with _id_lock:
        last_ms, last_random = _last_id
        if unix_ms > last_ms:
            # Random bits drawn only for a new millisecond: a bulk import
            # makes dozens of ids a millisecond, and each draw is a system call.
            random = int.from_bytes(os.urandom(10)) >> (80 - _RANDOM_BITS)
        else:
            unix_ms, random = last_ms, last_random + 1
            if random >> _RANDOM_BITS:
                unix_ms, random = last_ms + 1, 0
        _last_id = (unix_ms, random)
    rand_a, rand_b = random >> 62, random & (1 << 62) - 1
    return uuid.UUID(int=unix_ms << 80 | 0x7 << 76 | rand_a << 64 | 0x2 << 62 | rand_b)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, always timezone-aware UTC in Python.

    SQLite has no time zones, so values are stored as naive UTC there and made
    aware again on the way out; PostgreSQL keeps ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; clinic times are UTC-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SyncColumns:
    """The columns every synced row carries (DESIGN.md, Data model).

    ``version`` is the server's version of the row: 0 until the server has
    accepted it. ``deleted_at`` is the tombstone; rows are never deleted.
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


SYNC_COLUMN_NAMES = frozenset(
    {"id", "created_at", "updated_at", "created_by", "device_id", "version", "deleted_at"}
)


@functools.cache
def column_keys(table: Any) -> tuple[str, ...]:
    """A table's column names, in order (its columns are fixed; walking
    SQLAlchemy's collection of them for each row of a push was a tenth of
    writing its new rows)."""
    return tuple(column.key for column in table.columns)


def column_values(row: Any) -> dict[str, Any]:
    """The row's mapped column values by column name (for audit and outbox)."""
    return {key: getattr(row, key) for key in column_keys(row.__table__)}
