"""The fixed vocabularies of the clinic, shared by models, services and screens."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class Role(StrEnum):
    RECEPTIONIST = "receptionist"
    NURSE = "nurse"
    CLINICAL_OFFICER = "clinical_officer"
    CASHIER = "cashier"
    PHARMACIST = "pharmacist"
    LAB_TECHNICIAN = "lab_technician"
    CLAIMS_MANAGER = "claims_manager"
    ADMIN = "admin"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    INTERSEX = "I"
    UNKNOWN = "U"


class VisitStatus(StrEnum):
    REGISTERED = "REGISTERED"
    TRIAGED = "TRIAGED"
    WAITING_CONSULTATION = "WAITING_CONSULTATION"
    IN_CONSULTATION = "IN_CONSULTATION"
    WAITING_LAB = "WAITING_LAB"
    WAITING_PHARMACY = "WAITING_PHARMACY"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class ServiceKind(StrEnum):
    CONSULTATION = "consultation"
    LAB = "lab"
    DRUG = "drug"
    PROCEDURE = "procedure"


class InvoiceStatus(StrEnum):
    OPEN = "OPEN"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    CANCELLED = "CANCELLED"


class PaymentMethod(StrEnum):
    CASH = "CASH"
    MPESA = "MPESA"
    CARD = "CARD"
    BANK = "BANK"
    SHA = "SHA"
    INSURANCE = "INSURANCE"


class ClaimStatus(StrEnum):
    DRAFT = "DRAFT"
    READY = "READY"
    INVOICE_GENERATED = "INVOICE_GENERATED"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    PARTIALLY_APPROVED = "PARTIALLY_APPROVED"
    REJECTED = "REJECTED"
    PAID = "PAID"


class BatchPeriod(StrEnum):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class LabStatus(StrEnum):
    REQUESTED = "REQUESTED"
    RESULTED = "RESULTED"
    CANCELLED = "CANCELLED"


class StockMovementKind(StrEnum):
    """Why a drug's stock moved: in (receipt, return), out (dispense, expiry
    write-off), or either way (adjustment, after a count)."""

    RECEIPT = "receipt"
    DISPENSE = "dispense"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    EXPIRY = "expiry"


class ChangeOperation(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


def db_enum(enum: type[StrEnum]) -> Enum:
    """A portable string column for a StrEnum (no database enum type, so new
    values need no ALTER TYPE on PostgreSQL and no table rebuild on SQLite)."""
    return Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
