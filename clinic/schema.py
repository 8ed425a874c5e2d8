"""Every model of the clinic, imported once so ``Base.metadata`` is complete
(for Alembic, the stores and the sync engine's table registry)."""

from clinic.billing.models import Invoice, InvoiceLine, Payment, Service, ServicePrice, Shift
from clinic.claims.models import Claim, ClaimBatch, ClaimItem, ClaimStatusChange
from clinic.db import Base
from clinic.journal.models import AuditEvent, Conflict, OutboxEntry, RejectedChange
from clinic.numbering.models import NumberLease
from clinic.org.models import Branch, Device, User
from clinic.patients.models import Patient
from clinic.store import StoreSetting
from clinic.visits.models import Amendment, Diagnosis, LabRequest, Prescription, Triage, Visit

metadata = Base.metadata

__all__ = [
    "Amendment",
    "AuditEvent",
    "Branch",
    "Claim",
    "ClaimBatch",
    "ClaimItem",
    "ClaimStatusChange",
    "Conflict",
    "Device",
    "Diagnosis",
    "Invoice",
    "InvoiceLine",
    "LabRequest",
    "NumberLease",
    "OutboxEntry",
    "Patient",
    "Payment",
    "Prescription",
    "RejectedChange",
    "Service",
    "ServicePrice",
    "Shift",
    "StoreSetting",
    "Triage",
    "User",
    "Visit",
    "metadata",
]
