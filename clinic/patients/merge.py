"""Merging two records of the same person, and undoing it.

Paper registers and hurried desks make duplicates: the same mother
registered twice, once with her ID and once without. An admin merges them:
the kept record takes the values the admin chose from the other, and the
other points at it (``merged_into``). Nothing else is rewritten: a visit's
patient is written once and signed visits are locked, so the merged
record's visits, invoices and claims stay on their rows and *follow* the
kept one where the kept one is shown (its visits, its balance, its first
visit of the year), and the merged record's numbers still find the kept one.
Undoing a merge clears the pointer; values copied onto the kept record stay
there (the audit trail has them), to be edited back if they were wrong.

The merge is two patient changes, so it syncs as any edit does. A PC that
edited the merged record offline has that edit refused by the server's
rules, with the reason naming the kept record (it shows under refused
changes), rather than landing on a record nobody sees.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import CompoundSelect, Uuid, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from clinic.actor import Actor
from clinic.db import column_values
from clinic.errors import InvalidValue, NotAllowed
from clinic.journal.service import record_update, snapshot
from clinic.patients.models import Patient
from clinic.patients.service import EDITABLE_FIELDS, get_patient, update_patient
from clinic.permissions import Data, may_write


def _describe(patient: Patient) -> str:
    return f"{patient.op_number} ({patient.full_name})"


def _check_admin(actor: Actor, what: str) -> None:
    if actor.role is None or not may_write(actor.role, Data.MERGES):
        raise NotAllowed(f"Only an admin {what}")


def merge_refusal(
    session: Session, merged: Mapping[str, Any], kept_id: uuid.UUID | None
) -> str | None:
    """Why ``merged`` (a patient's column values by name) may not point at
    ``kept_id``; None when it may. One rule for the desktop's merge and the
    server's check of a pushed one."""
    if kept_id is None:
        return None
    if kept_id == merged["id"]:
        return "A patient cannot be merged into itself"
    kept = session.get(Patient, kept_id)
    if kept is None or kept.deleted_at is not None:
        return "The patient to keep does not exist"
    if kept.merged_into is not None:
        return f"{_describe(kept)} was itself merged into another patient; keep that one"
    if merged.get("deleted_at") is not None:
        return "A deleted patient cannot be merged"
    into_this = session.scalar(
        select(Patient.op_number).where(Patient.merged_into == merged["id"]).limit(1)
    )
    if into_this is not None:
        return f"{into_this} was merged into this patient; merge the kept one instead"
    return None


def merge_patients(
    kept_id: uuid.UUID,
    merged_id: uuid.UUID,
    take: Collection[str] = (),
    *,
    session: Session,
    actor: Actor,
    today: date,
) -> Patient:
    """Merge ``merged_id`` into ``kept_id``: the kept patient takes the
    ``take`` fields' values from the merged one, and the merged one points
    at it. Admins only. Raises NotAllowed or InvalidValue saying why, before
    changing anything."""
    _check_admin(actor, "merges patients")
    unknown = sorted(set(take) - EDITABLE_FIELDS)
    if unknown:
        raise InvalidValue("take", f"Not a patient detail: {', '.join(unknown)}")
    kept = get_patient(kept_id, session=session)
    merged = get_patient(merged_id, session=session)
    if merged.merged_into is not None:
        raise NotAllowed(f"{_describe(merged)} was already merged into another patient")
    refusal = merge_refusal(session, column_values(merged), kept.id)
    if refusal is not None:
        raise NotAllowed(refusal)
    chosen = {name: getattr(merged, name) for name in sorted(take)}
    changes = {k: v for k, v in chosen.items() if v != getattr(kept, k)}
    if changes:
        update_patient(kept.id, changes, session=session, actor=actor, today=today)
    before = snapshot(merged)
    merged.merged_into = kept.id
    record_update(session, actor, merged, before, action="merge_patients")
    return kept


def unmerge_patient(merged_id: uuid.UUID, *, session: Session, actor: Actor) -> Patient:
    """Undo a merge: the merged patient is a patient of their own again,
    with their own visits. Admins only."""
    _check_admin(actor, "undoes a merge")
    merged = get_patient(merged_id, session=session)
    if merged.merged_into is None:
        raise NotAllowed(f"{_describe(merged)} is not merged into another patient")
    before = snapshot(merged)
    merged.merged_into = None
    record_update(session, actor, merged, before, action="unmerge_patients")
    return merged


def record_ids(patient_id: uuid.UUID) -> CompoundSelect[uuid.UUID]:
    """The patient and every record merged into them: whose visits and
    invoices are the patient's. A query, for ``IN``: the statement that
    uses it reads them (no statement of its own)."""
    return union_all(
        select(literal(patient_id, Uuid)),
        select(Patient.id).where(Patient.merged_into == patient_id, Patient.deleted_at.is_(None)),
    )


@dataclass(frozen=True)
class MergedRecord:
    """A merge as the admin's list shows it."""

    merged_id: uuid.UUID
    merged_op_number: str
    merged_name: str
    kept_id: uuid.UUID
    kept_op_number: str
    kept_name: str
    merged_at: datetime


def merged_records(*, session: Session, limit: int = 200) -> list[MergedRecord]:
    """The merged records, latest merge first."""
    kept = aliased(Patient)
    rows = session.execute(
        select(Patient, kept)
        .join(kept, kept.id == Patient.merged_into)
        .where(Patient.deleted_at.is_(None))
        .order_by(Patient.updated_at.desc())
        .limit(limit)
    )
    return [
        MergedRecord(
            merged.id,
            merged.op_number,
            merged.full_name,
            into.id,
            into.op_number,
            into.full_name,
            merged.updated_at,
        )
        for merged, into in rows
    ]
