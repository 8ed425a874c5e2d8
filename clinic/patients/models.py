from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import Base, SyncColumns
from clinic.enums import Sex, db_enum


class Patient(SyncColumns, Base):
    """A patient of the clinic (all branches share them).

    ``op_number`` is unique by construction (leased blocks) but carries no
    UNIQUE constraint: a provisional number given offline may repeat until
    the next sync replaces it. National id, SHA number and phone are business
    keys offline PCs cannot coordinate, so duplicates are detected, not
    forbidden. ``flagged_fields`` names values that were blank or rejected at
    import and need a look from reception.
    """

    __tablename__ = "patients"
    __table_args__ = (
        # The MOH 705 reads patients' dates of birth from this index alone
        # (on SQLite with the statistics of clinic.store.PATIENT_AGES_STATISTICS).
        Index("ix_patients_id_date_of_birth", "id", "date_of_birth"),
        # The records merged into a patient (clinic.patients.merge.record_ids,
        # on every visit opened): the few merged rows alone.
        Index(
            "ix_patients_merged_into",
            "merged_into",
            sqlite_where=text("merged_into IS NOT NULL"),
            postgresql_where=text("merged_into IS NOT NULL"),
        ),
    )

    op_number: Mapped[str] = mapped_column(String(32), index=True)
    legacy_number: Mapped[str | None] = mapped_column(String(32), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    middle_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str | None] = mapped_column(String(80))
    sex: Mapped[Sex] = mapped_column(db_enum(Sex), default=Sex.UNKNOWN)
    date_of_birth: Mapped[date | None] = mapped_column(Date, index=True)
    date_of_birth_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    national_id: Mapped[str | None] = mapped_column(String(32), index=True)
    sha_number: Mapped[str | None] = mapped_column(String(32), index=True)
    sha_principal_number: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(16), index=True)
    residence: Mapped[str | None] = mapped_column(String(120))
    next_of_kin_name: Mapped[str | None] = mapped_column(String(120))
    next_of_kin_phone: Mapped[str | None] = mapped_column(String(16))
    next_of_kin_relationship: Mapped[str | None] = mapped_column(String(40))
    registered_branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    merged_into: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"))
    flagged_fields: Mapped[list[Any]] = mapped_column(JSON, default=list)

    @property
    def full_name(self) -> str:
        return " ".join(n for n in (self.first_name, self.middle_name, self.last_name) if n)
