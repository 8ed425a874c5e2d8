"""Dispensing and the drug stock.

Drugs are the price list's services of kind ``drug``: the pharmacy counts
and dispenses what the cashier bills. The stock is a ledger: every receipt,
dispensing, return, adjustment and expiry write-off is a row that is never
changed nor deleted, and the stock on hand is their sum, so movements made on
two PCs offline add up after sync and never conflict.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import Base, SyncColumns, UTCDateTime
from clinic.enums import StockMovementKind, db_enum


class Dispensing(SyncColumns, Base):
    """What the pharmacist handed over against one prescription line: a
    quantity (a part of it, the rest owed, until later dispensings make it
    up), the drug given (another than prescribed only with a reason), the
    counselling given; or, with ``closes_line``, the line closed with what
    was given so far (the rest is no longer owed, ``close_reason`` says why)."""

    __tablename__ = "dispensings"

    prescription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("services.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    substitution_reason: Mapped[str | None] = mapped_column(Text)
    counselling: Mapped[str | None] = mapped_column(Text)
    closes_line: Mapped[bool] = mapped_column(Boolean, default=False)
    close_reason: Mapped[str | None] = mapped_column(Text)
    dispensed_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    dispensed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StockMovement(SyncColumns, Base):
    """One change to a branch's stock of a drug batch: positive in,
    negative out. Never changed nor deleted; a mistake is undone by an
    adjustment that says why."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index(
            "ix_stock_movements_branch_id_service_id",
            "branch_id",
            "service_id",
            "deleted_at",
            "batch",
            "expiry",
            "quantity",
        ),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    batch: Mapped[str] = mapped_column(String(40), default="")
    expiry: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    kind: Mapped[StockMovementKind] = mapped_column(db_enum(StockMovementKind))
    reason: Mapped[str | None] = mapped_column(Text)
    dispensing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dispensings.id"), index=True
    )
    moved_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReorderLevel(SyncColumns, Base):
    """The stock of a drug at a branch at or below which it is reordered."""

    __tablename__ = "reorder_levels"
    __table_args__ = (Index("ix_reorder_levels_branch_id_service_id", "branch_id", "service_id"),)

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    level: Mapped[int] = mapped_column(Integer)
