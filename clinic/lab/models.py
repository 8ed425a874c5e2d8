from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import Base, SyncColumns, UTCDateTime


class LabResult(SyncColumns, Base):
    """One result of a lab request (``analyte``: a field of the test in the
    catalogue, ``result`` for a test it does not know), with the unit, the
    normal range for the patient and the flag it was given when entered.
    Exactly one of the three values is set. Entering the result again
    replaces the row (the old one is deleted, so the audit keeps both)."""

    __tablename__ = "lab_results"

    lab_request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lab_requests.id"), index=True)
    analyte: Mapped[str] = mapped_column(String(40))
    value_number: Mapped[float | None] = mapped_column(Float)
    value_code: Mapped[str | None] = mapped_column(String(40))
    value_text: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(20))
    reference_range: Mapped[str | None] = mapped_column(String(60))
    flag: Mapped[str | None] = mapped_column(String(16))
    entered_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LabTestOverride(SyncColumns, Base):
    """An admin's version of a test of the shipped catalogue (same ``code``),
    or a test of the clinic's own: its ``definition`` is written as a test of
    ``resources/lab_tests.json`` and replaces the shipped one on every PC. Of
    two versions of one code (two admins offline), the later written wins."""

    __tablename__ = "lab_test_overrides"

    code: Mapped[str] = mapped_column(String(32), index=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
