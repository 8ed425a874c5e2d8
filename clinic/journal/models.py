from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import CENTRAL_ONLY, LOCAL_ONLY, Base, SyncColumns, UTCDateTime, utcnow
from clinic.enums import ChangeOperation, db_enum


class AuditEvent(SyncColumns, Base):
    """Who did what to which row, with the values before and after.

    Each device numbers its events (``device_sequence``) and chains them:
    ``hash`` covers the event and ``prev_hash``, so an edited or deleted event
    breaks the chain wherever it is checked (on the PC and on the server).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_device_sequence", "device_id", "device_sequence"),)

    device_sequence: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxEntry(Base):
    """A local write waiting to be pushed, committed in the same transaction
    as the write itself. ``sequence`` is the device's mutation number the
    server uses to apply each one exactly once; ``changes`` holds the fields
    written, ``base_version`` the server version they were based on and
    ``user_id`` who wrote them (the server checks that user's role).
    AUTOINCREMENT keeps sequences rising even after pushed entries are
    deleted, so a sequence number is never given twice."""

    __tablename__ = "outbox"
    __table_args__ = {"info": LOCAL_ONLY, "sqlite_autoincrement": True}

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    operation: Mapped[ChangeOperation] = mapped_column(db_enum(ChangeOperation))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_version: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conflict(SyncColumns, Base):
    """The same field changed on two PCs: the later change at the server won,
    and the other value is kept here for staff to review and flip. PCs
    that may not see the values hold them empty. Each side names its device
    and user; the winning change reached the server at ``created_at``, the
    losing one at ``losing_at``."""

    __tablename__ = "conflicts"

    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    field: Mapped[str] = mapped_column(String(60))
    winning_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    losing_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    winning_device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    losing_device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    winning_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    losing_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    losing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RejectedChange(Base):
    """A pushed change the server refused, with its reason, kept on the PC so
    the user can see it, fix it and send it again."""

    __tablename__ = "rejected_changes"
    __table_args__ = {"info": LOCAL_ONLY}

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    operation: Mapped[ChangeOperation] = mapped_column(db_enum(ChangeOperation))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChangeLogEntry(Base):
    """The central change feed: one entry per applied change of a synced row.

    Devices pull by the cursor ``(xid, id)``. ``xid`` is the id of the
    PostgreSQL transaction that wrote the entry; a pull only returns entries
    whose transaction is older than every transaction still running (the
    snapshot's xmin), so an entry can never become visible behind a cursor
    that has passed it. ``branch_id`` limits who pulls it (None: everyone).
    """

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_cursor", "xid", "id"),
        {"info": CENTRAL_ONLY},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    xid: Mapped[int] = mapped_column(
        BigInteger, server_default=text("(pg_current_xact_id()::text)::bigint")
    )
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[str]] = mapped_column(JSON)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppliedMutation(Base):
    """A device's pushed mutation the server has dealt with, recorded in the
    same transaction as its effect: a retried push finds it here and gets the
    same answer without applying it twice. ``digest`` tells a retry (same
    mutation) from a restored or copied data folder reusing the sequence."""

    __tablename__ = "applied_mutations"
    __table_args__ = {"info": CENTRAL_ONLY}

    device_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncRun(Base):
    """One sync on this PC: when, what moved, and how it ended."""

    __tablename__ = "sync_runs"
    __table_args__ = {"info": LOCAL_ONLY}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class StoreSetting(Base):
    """The PC's own settings: its device id, the server address, sync cursor."""

    __tablename__ = "store_settings"
    __table_args__ = {"info": LOCAL_ONLY}

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
