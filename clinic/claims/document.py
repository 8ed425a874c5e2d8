"""One claim as SHA sees it: the facts its completeness check, the SHA invoice,
the portal's CSV and the FHIR bundle are all made from.

``load_claim_document`` reads them in the caller's session and writes nothing;
a claim that does not exist raises LookupError. A PC that holds no invoices
(reception's, which prints the SHA invoice) totals the claim's lines instead,
and one whose roles do not read diagnoses holds none.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice
from clinic.claims.models import Claim, ClaimItem
from clinic.enums import ClaimStatus, Sex
from clinic.org.models import Branch, User
from clinic.patients.models import Patient
from clinic.visits.models import Diagnosis, Visit


@dataclass(frozen=True)
class Facility:
    """The branch that saw the patient, as SHA knows it."""

    code: str
    name: str
    kmhfl_code: str | None
    sha_facility_id: str | None


@dataclass(frozen=True)
class ClaimPatient:
    id: uuid.UUID
    op_number: str
    first_name: str
    middle_name: str | None
    last_name: str | None
    sex: Sex
    date_of_birth: date | None
    national_id: str | None
    phone: str | None

    @property
    def full_name(self) -> str:
        return " ".join(n for n in (self.first_name, self.middle_name, self.last_name) if n)


@dataclass(frozen=True)
class Clinician:
    id: uuid.UUID
    full_name: str
    username: str


@dataclass(frozen=True)
class ClaimDiagnosis:
    code_system: str
    code: str
    description: str
    is_primary: bool


@dataclass(frozen=True)
class ClaimLine:
    id: uuid.UUID
    description: str
    intervention_code: str
    quantity: int
    amount_cents: int
    tariff_cents: int | None


@dataclass(frozen=True)
class ClaimDocument:
    """A claim with everything it names, read at one moment."""

    id: uuid.UUID
    status: ClaimStatus
    branch_id: uuid.UUID
    batch_id: uuid.UUID | None
    visit_id: uuid.UUID
    invoice_id: uuid.UUID
    sha_member_number: str
    sha_principal_number: str | None
    preauthorisation_number: str | None
    facility: Facility
    patient: ClaimPatient
    clinician: Clinician | None
    visit_date: date
    visit_signed_at: datetime | None
    diagnoses: Sequence[ClaimDiagnosis]
    lines: Sequence[ClaimLine]
    invoice_total_cents: int
    claimed_cents: int
    approved_cents: int | None
    paid_cents: int | None
    rejection_reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    paid_on: date | None
    payment_reference: str | None

    @property
    def number(self) -> str:
        """The claim's one human-readable number: the branch, the visit's day and
        the patient's OP number, which together name one visit."""
        return f"{self.facility.code}-{self.visit_date:%Y%m%d}-{self.patient.op_number}"

    @property
    def is_dependant(self) -> bool:
        return bool(self.sha_principal_number) and (
            self.sha_principal_number != self.sha_member_number
        )


def load_claim_document(claim_id: uuid.UUID, *, session: Session) -> ClaimDocument:
    """Read claim ``claim_id`` and what it names."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.deleted_at is not None:
        raise LookupError(f"No claim with id {claim_id}")
    visit = session.get(Visit, claim.visit_id)
    patient = session.get(Patient, claim.patient_id)
    branch = session.get(Branch, claim.branch_id)
    invoice = session.get(Invoice, claim.invoice_id)
    if visit is None or patient is None or branch is None:
        raise LookupError(f"Claim {claim_id} names a row this store does not hold")
    clinician = session.get(User, visit.clinician_id) if visit.clinician_id else None
    diagnoses = session.scalars(
        select(Diagnosis)
        .where(Diagnosis.visit_id == visit.id, Diagnosis.deleted_at.is_(None))
        .order_by(Diagnosis.is_primary.desc(), Diagnosis.created_at, Diagnosis.id)
    ).all()
    items = session.scalars(
        select(ClaimItem)
        .where(ClaimItem.claim_id == claim.id, ClaimItem.deleted_at.is_(None))
        .order_by(ClaimItem.created_at, ClaimItem.id)
    ).all()
    return ClaimDocument(
        id=claim.id,
        status=claim.status,
        branch_id=claim.branch_id,
        batch_id=claim.batch_id,
        visit_id=visit.id,
        invoice_id=claim.invoice_id,
        sha_member_number=claim.sha_member_number,
        sha_principal_number=claim.sha_principal_number,
        preauthorisation_number=claim.preauthorisation_number,
        facility=Facility(branch.code, branch.name, branch.kmhfl_code, branch.sha_facility_id),
        patient=ClaimPatient(
            id=patient.id,
            op_number=patient.op_number,
            first_name=patient.first_name,
            middle_name=patient.middle_name,
            last_name=patient.last_name,
            sex=patient.sex,
            date_of_birth=patient.date_of_birth,
            national_id=patient.national_id,
            phone=patient.phone,
        ),
        clinician=(
            Clinician(clinician.id, clinician.full_name, clinician.username) if clinician else None
        ),
        visit_date=visit.visit_date,
        visit_signed_at=visit.signed_at,
        diagnoses=tuple(
            ClaimDiagnosis(d.code_system, d.code, d.description, d.is_primary) for d in diagnoses
        ),
        lines=tuple(
            ClaimLine(
                i.id, i.description, i.intervention_code, i.quantity, i.amount_cents, i.tariff_cents
            )
            for i in items
        ),
        invoice_total_cents=(
            invoice.total_cents if invoice is not None else sum(i.amount_cents for i in items)
        ),
        claimed_cents=claim.claimed_cents,
        approved_cents=claim.approved_cents,
        paid_cents=claim.paid_cents,
        rejection_reason=claim.rejection_reason,
        created_at=claim.created_at,
        submitted_at=claim.submitted_at,
        paid_on=claim.paid_on,
        payment_reference=claim.payment_reference,
    )
