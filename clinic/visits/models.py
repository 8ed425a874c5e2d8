from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import Base, SyncColumns, UTCDateTime
from clinic.enums import LabStatus, VisitStatus, db_enum


class Visit(SyncColumns, Base):
    """One attendance of a patient at a branch on a day.

    ``visit_date`` is the clinic's calendar day (Africa/Nairobi). ``is_new``
    follows the MOH 705: the patient's first visit in that calendar year.
    Once ``signed_at`` is set the notes change only through Amendment rows.
    "One visit per patient per day" is checked at entry, not by a constraint
    a push from an offline PC could break.
    """

    __tablename__ = "visits"
    __table_args__ = (
        # The reports read a branch's month of visits from this index alone,
        # and opening a visit the day's last place in the queue.
        Index(
            "ix_visits_branch_id_visit_date",
            "branch_id",
            "visit_date",
            "status",
            "deleted_at",
            "is_new",
            "patient_id",
            "id",
            "queue_position",
        ),
        # A patient's visits; opening one reads whether the patient has one
        # today and one earlier in the year from this index alone.
        Index(
            "ix_visits_patient_id_visit_date", "patient_id", "visit_date", "status", "deleted_at"
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    visit_date: Mapped[date] = mapped_column(Date, index=True)
    is_new: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[VisitStatus] = mapped_column(
        db_enum(VisitStatus), default=VisitStatus.REGISTERED
    )
    queue_position: Mapped[int | None] = mapped_column(Integer)
    complaint: Mapped[str | None] = mapped_column(Text)
    history: Mapped[str | None] = mapped_column(Text)
    examination: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[str | None] = mapped_column(Text)
    clinician_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))


class Triage(SyncColumns, Base):
    """Vital signs taken by a nurse; ``flags`` holds each vital's Flag and
    ``bmi`` is computed from weight and height."""

    __tablename__ = "triages"

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    pulse_bpm: Mapped[float | None] = mapped_column(Float)
    respiratory_rate: Mapped[float | None] = mapped_column(Float)
    systolic_mmhg: Mapped[float | None] = mapped_column(Float)
    diastolic_mmhg: Mapped[float | None] = mapped_column(Float)
    spo2_percent: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    height_cm: Mapped[float | None] = mapped_column(Float)
    muac_cm: Mapped[float | None] = mapped_column(Float)
    blood_glucose_mmol: Mapped[float | None] = mapped_column(Float)
    bmi: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    critical_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)


class Diagnosis(SyncColumns, Base):
    """A coded diagnosis: WHO ICD-10 (checked against the code list) or an
    ICD-11 code for SHA (format-checked, stored as entered)."""

    __tablename__ = "diagnoses"
    __table_args__ = (
        # The MOH 705 and the visit register read a visit's diagnoses from
        # this index alone (the register in its order: primary first).
        Index(
            "ix_diagnoses_visit_id_code",
            "visit_id",
            "deleted_at",
            "code_system",
            "code",
            "is_primary",
            "created_at",
            "id",
        ),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    code_system: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class Prescription(SyncColumns, Base):
    __tablename__ = "prescriptions"

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    drug: Mapped[str] = mapped_column(String(200))
    dose: Mapped[str] = mapped_column(String(60))
    frequency: Mapped[str] = mapped_column(String(60))
    duration: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    instructions: Mapped[str | None] = mapped_column(Text)
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("services.id"))
    dispensed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispensed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class LabRequest(SyncColumns, Base):
    __tablename__ = "lab_requests"

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    test_name: Mapped[str] = mapped_column(String(200))
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("services.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[LabStatus] = mapped_column(db_enum(LabStatus), default=LabStatus.REQUESTED)
    result: Mapped[str | None] = mapped_column(Text)
    resulted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resulted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Amendment(SyncColumns, Base):
    """A change to a signed visit: the original stays as signed, and the
    amendments, in order, say who changed what, when and why."""

    __tablename__ = "amendments"

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    amended_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    amended_at: Mapped[datetime] = mapped_column(UTCDateTime)
