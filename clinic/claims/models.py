from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import Base, SyncColumns, UTCDateTime
from clinic.enums import BatchPeriod, ClaimStatus, db_enum


class ClaimBatch(SyncColumns, Base):
    """READY claims of one branch sent to SHA together; ``submitted_at`` locks them."""

    __tablename__ = "claim_batches"

    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    period: Mapped[BatchPeriod] = mapped_column(db_enum(BatchPeriod))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reference: Mapped[str | None] = mapped_column(String(64))


class Claim(SyncColumns, Base):
    """An SHA claim for one visit; ``status`` moves by a server-checked state
    machine and every move is kept as a ClaimStatusChange. Its diagnoses are
    the visit's (locked once the visit is signed), not a copy."""

    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_branch_id_status", "branch_id", "status"),)

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim_batches.id"))
    sha_member_number: Mapped[str] = mapped_column(String(32))
    sha_principal_number: Mapped[str | None] = mapped_column(String(32))
    preauthorisation_number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ClaimStatus] = mapped_column(db_enum(ClaimStatus), default=ClaimStatus.DRAFT)
    claimed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    approved_cents: Mapped[int | None] = mapped_column(BigInteger)
    paid_cents: Mapped[int | None] = mapped_column(BigInteger)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(64))


class ClaimItem(SyncColumns, Base):
    __tablename__ = "claim_items"

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), index=True)
    invoice_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_lines.id"))
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("services.id"))
    intervention_code: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    tariff_cents: Mapped[int | None] = mapped_column(BigInteger)


class ClaimStatusChange(SyncColumns, Base):
    __tablename__ = "claim_status_changes"

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), index=True)
    from_status: Mapped[ClaimStatus | None] = mapped_column(db_enum(ClaimStatus))
    to_status: Mapped[ClaimStatus] = mapped_column(db_enum(ClaimStatus))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
