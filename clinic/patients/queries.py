"""What the patient screens show, as plain data: a page of the patient list,
one patient's details and open balance, the duplicate check before a
registration, and a dry run of a register import.

Every function takes the session as a keyword and returns frozen dataclasses
(or plain numbers), never ORM objects, so the results can cross to the GUI
thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice
from clinic.enums import InvoiceStatus, Sex
from clinic.errors import FieldError, InvalidValue, ValidationFailed
from clinic.patients.importer import RegisterImport, RegisterRow
from clinic.patients.merge import record_ids
from clinic.patients.models import Patient
from clinic.patients.search import ACTIVE, SUMMARY_COLUMNS, PatientSummary
from clinic.patients.service import (
    EDITABLE_FIELDS,
    DuplicateCandidate,
    PatientDetails,
    clean_patient_fields,
    find_duplicates,
    get_patient,
)
from clinic.rules.ages import estimate_date_of_birth


@dataclass(frozen=True)
class PatientProfile:
    """Everything the patient page shows about who the patient is."""

    id: uuid.UUID
    op_number: str
    legacy_number: str | None
    first_name: str
    middle_name: str | None
    last_name: str | None
    sex: Sex
    date_of_birth: date | None
    date_of_birth_estimated: bool
    national_id: str | None
    sha_number: str | None
    sha_principal_number: str | None
    phone: str | None
    residence: str | None
    next_of_kin_name: str | None
    next_of_kin_phone: str | None
    next_of_kin_relationship: str | None
    flagged_fields: tuple[str, ...]
    merged_into: uuid.UUID | None
    registered_at: datetime

    @property
    def full_name(self) -> str:
        return " ".join(n for n in (self.first_name, self.middle_name, self.last_name) if n)


def patient_profile(patient_id: uuid.UUID, *, session: Session) -> PatientProfile:
    """The patient's details; raises LookupError when there is no such patient."""
    patient = get_patient(patient_id, session=session)
    return PatientProfile(
        id=patient.id,
        op_number=patient.op_number,
        legacy_number=patient.legacy_number,
        first_name=patient.first_name,
        middle_name=patient.middle_name,
        last_name=patient.last_name,
        sex=patient.sex,
        date_of_birth=patient.date_of_birth,
        date_of_birth_estimated=patient.date_of_birth_estimated,
        national_id=patient.national_id,
        sha_number=patient.sha_number,
        sha_principal_number=patient.sha_principal_number,
        phone=patient.phone,
        residence=patient.residence,
        next_of_kin_name=patient.next_of_kin_name,
        next_of_kin_phone=patient.next_of_kin_phone,
        next_of_kin_relationship=patient.next_of_kin_relationship,
        flagged_fields=tuple(str(name) for name in patient.flagged_fields or ()),
        merged_into=patient.merged_into,
        registered_at=patient.created_at,
    )


def patients_page(
    *, session: Session, after: uuid.UUID | None = None, limit: int = 100
) -> list[PatientSummary]:
    """The next ``limit`` patients in order of registration, after the patient
    ``after`` (from the first when None).

    Keyed on the id rather than an offset: ids are UUIDv7, ordered by the time
    they were made, and the primary-key index walks to any page at once, where
    ``OFFSET 400000`` would step over 400,000 rows first.
    """
    query = select(*SUMMARY_COLUMNS).where(*ACTIVE)
    if after is not None:
        query = query.where(Patient.id > after)
    query = query.order_by(Patient.id).limit(limit)
    return [PatientSummary(*row) for row in session.execute(query)]


def open_balance_cents(patient_id: uuid.UUID, *, session: Session) -> int:
    """What the patient still owes, in cents: the sum over the patient's
    invoices (not cancelled) of total minus paid. Negative when they paid
    more than they were billed."""
    owed = session.scalar(
        select(func.coalesce(func.sum(Invoice.total_cents - Invoice.paid_cents), 0)).where(
            Invoice.patient_id.in_(record_ids(patient_id)),
            Invoice.deleted_at.is_(None),
            Invoice.status != InvoiceStatus.CANCELLED,
        )
    )
    return int(owed or 0)


def preview_register_part(
    job: RegisterImport, rows: Sequence[RegisterRow], *, session: Session
) -> None:
    """Add what importing ``rows`` would do to ``job``'s report, keeping
    none of it.

    Runs the real import (:meth:`RegisterImport.import_rows`) inside a
    savepoint and rolls the savepoint back, so the report is exactly the one
    the import would give (repeats, rows already in the store, rejected
    values; the job remembers the rows of the parts it previewed before, as
    an import remembers those it imported) and the store is left as it was.
    Needs a write session (the import takes OP numbers and writes outbox
    rows before they are undone).
    """
    savepoint = session.begin_nested()
    try:
        job.import_rows(rows, session=session)
    finally:
        savepoint.rollback()


def registration_check(
    details: PatientDetails, *, session: Session, today: date
) -> list[DuplicateCandidate]:
    """Check a new patient's details as :func:`register_patient` will, and
    find the patients they may duplicate, writing nothing.

    Raises ValidationFailed naming every bad field (an age as written is
    checked under ``age``); returns the likely duplicates (empty when none).
    """
    values: dict[str, Any] = {name: getattr(details, name) for name in sorted(EDITABLE_FIELDS)}
    errors: list[FieldError] = []
    if details.age is not None and details.date_of_birth is None:
        try:
            values["date_of_birth"] = estimate_date_of_birth(details.age, on=today)
        except InvalidValue as error:
            errors.append(FieldError(error.field, error.reason))
    cleaned: dict[str, Any] = {}
    try:
        cleaned = clean_patient_fields(values, today=today)
    except ValidationFailed as failed:
        errors.extend(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    return find_duplicates(cleaned, session=session)
