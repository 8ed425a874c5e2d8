"""Every model of the clinic, imported once so ``Base.metadata`` is complete
(for Alembic, the stores and the sync engine's table registry)."""

from clinic.billing.models import Invoice, InvoiceLine, Payment, Service, ServicePrice, Shift
from clinic.claims.models import Claim, ClaimBatch, ClaimItem, ClaimStatusChange
from clinic.db import Base
from clinic.journal.models import (
    AppliedMutation,
    AuditEvent,
    ChangeLogEntry,
    Conflict,
    OutboxEntry,
    RejectedChange,
    StoreSetting,
    SyncRun,
)
from clinic.lab.models import LabResult, LabTestOverride
from clinic.numbering.models import NumberLease
from clinic.org.models import Branch, Device, OfflineLogin, User
from clinic.patients.models import Patient
from clinic.pharmacy.models import Dispensing, ReorderLevel, StockMovement
from clinic.visits.models import Amendment, Diagnosis, LabRequest, Prescription, Triage, Visit

metadata = Base.metadata

__all__ = [
    "Amendment",
    "AppliedMutation",
    "AuditEvent",
    "Branch",
    "ChangeLogEntry",
    "Claim",
    "ClaimBatch",
    "ClaimItem",
    "ClaimStatusChange",
    "Conflict",
    "Device",
    "Diagnosis",
    "Dispensing",
    "Invoice",
    "InvoiceLine",
    "LabRequest",
    "LabResult",
    "LabTestOverride",
    "NumberLease",
    "OfflineLogin",
    "OutboxEntry",
    "Patient",
    "Payment",
    "Prescription",
    "RejectedChange",
    "ReorderLevel",
    "Service",
    "ServicePrice",
    "Shift",
    "StockMovement",
    "StoreSetting",
    "SyncRun",
    "Triage",
    "User",
    "Visit",
    "metadata",
]
