from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import Base, SyncColumns, UTCDateTime
from clinic.enums import InvoiceStatus, PaymentMethod, ServiceKind, db_enum


class Service(SyncColumns, Base):
    """A price-list item, with its SHA intervention code where SHA pays."""

    __tablename__ = "services"

    code: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ServiceKind] = mapped_column(db_enum(ServiceKind))
    sha_intervention_code: Mapped[str | None] = mapped_column(String(32))
    sha_tariff_cents: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServicePrice(SyncColumns, Base):
    """A price in KES cents from ``effective_from`` until the next price."""

    __tablename__ = "service_prices"

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    price_cents: Mapped[int] = mapped_column(BigInteger)
    effective_from: Mapped[date] = mapped_column(Date)


class Invoice(SyncColumns, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_branch_id_issued_at", "branch_id", "issued_at"),
        # The visit register sums a visit's invoices from this index alone.
        Index("ix_invoices_visit_id_total", "visit_id", "deleted_at", "status", "total_cents"),
    )

    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visits.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    status: Mapped[InvoiceStatus] = mapped_column(
        db_enum(InvoiceStatus), default=InvoiceStatus.OPEN
    )
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class InvoiceLine(SyncColumns, Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("services.id"))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)


class Shift(SyncColumns, Base):
    """A cashier's shift: opening float, then the counted-vs-expected cash-up."""

    __tablename__ = "shifts"
    __table_args__ = (
        Index("ix_shifts_cashier_id_closed_at", "cashier_id", "closed_at"),
        Index("ix_shifts_branch_id_opened_at", "branch_id", "opened_at"),
    )

    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    cashier_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opening_float_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected_cash_cents: Mapped[int | None] = mapped_column(BigInteger)
    counted_cash_cents: Mapped[int | None] = mapped_column(BigInteger)
    variance_cents: Mapped[int | None] = mapped_column(BigInteger)


class Payment(SyncColumns, Base):
    """Money received. Payments are never edited or deleted: a mistake is
    undone by a reversal row (negative amount) whose ``reverses`` points at
    the original and which says why. An M-Pesa code is not UNIQUE in the
    database: a repeat is detected and shown, not refused by a constraint."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_branch_id_received_at", "branch_id", "received_at"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    method: Mapped[PaymentMethod] = mapped_column(db_enum(PaymentMethod))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(64), index=True)
    receipt_number: Mapped[str | None] = mapped_column(String(32), index=True)
    cashier_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    shift_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("shifts.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reverses: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"))
    reversal_reason: Mapped[str | None] = mapped_column(Text)
