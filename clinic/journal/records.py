"""Synced records as an admin reads them in the review screens and the
audit log: a short description naming the patient where there is one
(``Grace Wambui · OP-2026-000123-7``, ``visit of Grace Wambui``), and a
record's current fields as text. Read-only."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.db import SYNC_COLUMN_NAMES, column_values
from clinic.errors import NotAllowed
from clinic.journal.entities import SYNCED
from clinic.journal.service import to_jsonable
from clinic.patients.models import Patient
from clinic.visits.models import Visit

RecordKey = tuple[str, uuid.UUID]


def noun_of(entity: str) -> str:
    return SYNCED[entity].noun if entity in SYNCED else entity.replace("_", " ")


def _short(entity: str, row_id: uuid.UUID) -> str:
    """The noun and the id's last, random, digits (its first ones are a time
    and repeat between rows made together)."""
    return f"{noun_of(entity)} …{row_id.hex[-6:]}"


def _patient_name(first: str, last: str | None) -> str:
    return " ".join(n for n in (first, last) if n)


def describe_records(keys: Iterable[RecordKey], *, session: Session) -> dict[RecordKey, str]:
    """A short description of each (table, id): patients by name and OP
    number, rows of a patient or of a visit as "<noun> of <patient>", named
    rows (users, branches, devices, services) by their name, others by noun
    and id. A row this store does not hold is described by noun and id."""
    wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for entity, row_id in keys:
        wanted[entity].add(row_id)
    found: dict[RecordKey, str] = {}
    for entity, ids in wanted.items():
        if entity not in SYNCED:
            continue
        model: Any = SYNCED[entity].model
        columns = model.__table__.c
        noun = noun_of(entity)
        if model is Patient:
            query: Any = select(
                Patient.id, Patient.first_name, Patient.last_name, Patient.op_number
            )
            rows = session.execute(query.where(Patient.id.in_(ids)))
            for row_id, first, last, op_number in rows:
                found[entity, row_id] = f"{_patient_name(first, last)} · {op_number}"
            continue
        if "patient_id" in columns or "visit_id" in columns:
            query = select(model.id, Patient.first_name, Patient.last_name)
            if "patient_id" in columns:
                query = query.join(Patient, Patient.id == model.patient_id)
            else:
                query = query.join(Visit, Visit.id == model.visit_id).join(
                    Patient, Patient.id == Visit.patient_id
                )
            for row_id, first, last in session.execute(query.where(model.id.in_(ids))):
                found[entity, row_id] = f"{noun} of {_patient_name(first, last)}"
            continue
        label = next((columns[n] for n in ("username", "name", "code") if n in columns), None)
        if label is not None:
            for row_id, name in session.execute(select(model.id, label).where(model.id.in_(ids))):
                found[entity, row_id] = f"{noun} {name}"
    return {
        (entity, row_id): found.get((entity, row_id)) or _short(entity, row_id)
        for entity, ids in wanted.items()
        for row_id in ids
    }


@dataclass(frozen=True)
class RecordView:
    """A record's current fields, as text, in the model's column order; the
    sync bookkeeping columns and the server-only ones left out."""

    entity: str
    noun: str
    row_id: uuid.UUID
    fields: list[tuple[str, str]]
    deleted: bool


def value_text(value: Any) -> str:
    """A stored value as staff read it: text as it is, none as nothing,
    anything else as JSON."""
    value = to_jsonable(value)
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def record_view(entity: str, row_id: uuid.UUID, *, session: Session) -> RecordView:
    """The record a conflict or a refused change is about, as it is now on
    this PC. Raises NotAllowed when this PC does not hold it."""
    if entity not in SYNCED:
        raise NotAllowed(f"There is no {entity} table")
    synced = SYNCED[entity]
    row = session.get(synced.model, row_id)
    if row is None:
        raise NotAllowed(f"This PC does not hold that {synced.noun}")
    shown = [
        (name, value_text(value))
        for name, value in column_values(row).items()
        if name not in SYNC_COLUMN_NAMES and name not in synced.server_only
    ]
    return RecordView(entity, synced.noun, row_id, shown, row.deleted_at is not None)
