"""Registering and updating patients, and finding likely duplicates.

Services take the session as a keyword; the caller owns the transaction.
Bad input raises :class:`~clinic.errors.ValidationFailed` naming every bad
field, before anything is written.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.enums import Sex
from clinic.errors import InvalidValue, NotAllowed, ValidationFailed
from clinic.journal.service import (
    is_central,
    record_insert,
    record_inserts,
    record_update,
    snapshot,
)
from clinic.numbering.service import next_number, take_numbers
from clinic.patients.models import Patient
from clinic.patients.search_index import INDEX_AT_ONCE_FROM, indexed_at_once
from clinic.rules.ages import MAX_AGE_YEARS, estimate_date_of_birth
from clinic.rules.numbers import NumberKind, clean_legacy_number
from clinic.rules.phones import normalize_phone

NAME_RE = re.compile(r"[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?")
NATIONAL_ID_RE = re.compile(r"\d{6,9}")
SHA_NUMBER_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{4,30}")


@dataclass
class PatientDetails:
    """What reception types to register a patient. ``age`` (as written on a
    register: ``33yrs``) may stand in for ``date_of_birth``; the date is then
    estimated and marked so."""

    first_name: str
    middle_name: str | None = None
    last_name: str | None = None
    sex: Sex = Sex.UNKNOWN
    date_of_birth: date | None = None
    age: str | None = None
    national_id: str | None = None
    sha_number: str | None = None
    sha_principal_number: str | None = None
    phone: str | None = None
    residence: str | None = None
    next_of_kin_name: str | None = None
    next_of_kin_phone: str | None = None
    next_of_kin_relationship: str | None = None
    legacy_number: str | None = None
    flagged_fields: list[str] = field(default_factory=list)


EDITABLE_FIELDS = frozenset(f.name for f in fields(PatientDetails)) - {"age", "flagged_fields"}
_DETAILS_EDITABLE = tuple(f.name for f in fields(PatientDetails) if f.name in EDITABLE_FIELDS)
"""The editable fields of :class:`PatientDetails`, in its order (an import
reads them for every row of the register)."""


@dataclass(frozen=True)
class DuplicateCandidate:
    """An existing patient who may be the one being registered."""

    patient_id: uuid.UUID
    op_number: str
    full_name: str
    date_of_birth: date | None
    phone: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Registration:
    patient: Patient
    duplicates: list[DuplicateCandidate]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(str(value).split())
    return cleaned or None


def _name(name: str, value: Any, *, required: bool) -> str | None:
    text = _text(value)
    if text is None:
        if required:
            raise InvalidValue(name, "A first name is needed")
        return None
    if not NAME_RE.fullmatch(text):
        raise InvalidValue(name, f"'{text}' is not a name: use letters, spaces, ' and - only")
    return text[0].upper() + text[1:] if text.islower() else text


def _date_of_birth(value: Any, today: date) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date):
        raise InvalidValue("date_of_birth", "Give the date of birth as a date")
    if value > today:
        raise InvalidValue("date_of_birth", f"{value:%d/%m/%Y} is in the future")
    if today.year - value.year > MAX_AGE_YEARS:
        raise InvalidValue(
            "date_of_birth", f"{value:%d/%m/%Y} is over {MAX_AGE_YEARS} years ago; check the year"
        )
    return value


def _pattern(name: str, value: Any, pattern: re.Pattern[str], hint: str) -> str | None:
    text = _text(value)
    if text is None:
        return None
    text = text.upper().replace(" ", "")
    if not pattern.fullmatch(text):
        raise InvalidValue(name, f"'{text}' is not {hint}")
    return text


def _clean_field(name: str, value: Any, today: date) -> Any:
    if name in ("first_name", "middle_name", "last_name"):
        return _name(name, value, required=name == "first_name")
    if name == "sex":
        try:
            return Sex(value) if value is not None else Sex.UNKNOWN
        except ValueError:
            raise InvalidValue("sex", "Choose female, male, intersex or unknown") from None
    if name == "date_of_birth":
        return _date_of_birth(value, today)
    if name in ("phone", "next_of_kin_phone"):
        text = _text(value)
        return None if text is None else normalize_phone(text, name)
    if name == "national_id":
        return _pattern(name, value, NATIONAL_ID_RE, "a national ID number (6 to 9 digits)")
    if name in ("sha_number", "sha_principal_number"):
        return _pattern(name, value, SHA_NUMBER_RE, "an SHA number (letters and digits)")
    if name == "legacy_number":
        return None if value is None else clean_legacy_number(str(value))
    return _text(value)


_BLANK_CHECKED = frozenset({"first_name", "sex"})
"""The fields :func:`_clean_field` does not leave blank when given None
(a first name is required, the sex is then unknown): most of a
registration's fields are blank, and a push checks every patient."""


def clean_patient_fields(values: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Check and normalise the given fields (names trimmed, phone to E.164,
    ids upper-cased); raises ValidationFailed listing every bad one."""
    cleaned: dict[str, Any] = {}
    errors: list[InvalidValue] = []
    for name, value in values.items():
        if name not in EDITABLE_FIELDS:
            errors.append(InvalidValue(name, "This field does not exist or cannot be changed"))
            continue
        if value is None and name not in _BLANK_CHECKED:
            cleaned[name] = None  # what _clean_field makes of it, without the call
            continue
        try:
            cleaned[name] = _clean_field(name, value, today)
        except InvalidValue as error:
            errors.append(error)
    if errors:
        raise ValidationFailed.from_invalid(errors)
    return cleaned


def _details_fields(details: PatientDetails, today: date) -> dict[str, Any]:
    values = {name: getattr(details, name) for name in _DETAILS_EDITABLE}
    errors: list[InvalidValue] = []
    estimated = False
    if details.age is not None and details.date_of_birth is None:
        try:
            values["date_of_birth"] = estimate_date_of_birth(details.age, on=today)
            estimated = True
        except InvalidValue as error:
            errors.append(error)
    try:
        cleaned = clean_patient_fields(values, today=today)
    except ValidationFailed as failed:
        raise ValidationFailed.from_invalid(
            errors + [InvalidValue(e.field, e.reason) for e in failed.errors]
        ) from None
    if errors:
        raise ValidationFailed.from_invalid(errors)
    cleaned["date_of_birth_estimated"] = estimated
    cleaned["flagged_fields"] = list(details.flagged_fields)
    return cleaned


DUPLICATE_KEYS = {
    "national_id": "same national ID",
    "sha_number": "same SHA number",
    "phone": "same phone",
}
"""The fields a duplicate may share, with the reason a match gives."""
DUPLICATE_LIMIT = 200


@functools.cache
def _duplicates_query(keys: tuple[str, ...], by_birth: bool, excluding: bool) -> Select[Patient]:
    """The statement :func:`find_duplicates` runs for these given fields,
    with the values as parameters: made once per shape (it runs on every
    registration)."""
    conditions = [getattr(Patient, key) == bindparam(key) for key in keys]
    if by_birth:
        # The name is matched here too, not only below: estimated dates of birth
        # cluster (every "27yrs" of an imported register shares one), and the
        # date alone would load hundreds of strangers per registration and could
        # fill the limit, hiding a same-phone or same-ID match. SQLite's lower()
        # folds ASCII only; _same_name below still decides.
        conditions.append(
            and_(
                Patient.date_of_birth == bindparam("date_of_birth"),
                func.lower(Patient.first_name) == func.lower(bindparam("first_name", type_=String)),
                func.lower(func.coalesce(Patient.last_name, ""))
                == func.lower(bindparam("last_name", type_=String)),
            )
        )
    query = select(Patient).where(
        or_(*conditions), Patient.deleted_at.is_(None), Patient.merged_into.is_(None)
    )
    if excluding:
        query = query.where(Patient.id != bindparam("exclude"))
    return query.limit(DUPLICATE_LIMIT)


def find_duplicates(
    values: Mapping[str, Any], *, session: Session, exclude: uuid.UUID | None = None
) -> list[DuplicateCandidate]:
    """Patients who share the national id, SHA number or phone, or the same
    first and last name with the same date of birth. ``values`` are cleaned
    fields (as :func:`clean_patient_fields` returns them)."""
    keys = tuple(key for key in DUPLICATE_KEYS if values.get(key))
    parameters: dict[str, Any] = {key: values[key] for key in keys}
    by_birth = bool(values.get("date_of_birth"))
    if by_birth:
        parameters |= {
            "date_of_birth": values["date_of_birth"],
            "first_name": values.get("first_name") or "",
            "last_name": values.get("last_name") or "",
        }
    if not parameters:
        return []
    if exclude is not None:
        parameters["exclude"] = exclude
    query = _duplicates_query(keys, by_birth, exclude is not None)
    found: list[DuplicateCandidate] = []
    for patient in session.scalars(query, parameters):
        reasons = [
            label
            for key, label in DUPLICATE_KEYS.items()
            if values.get(key) and getattr(patient, key) == values[key]
        ]
        if values.get("date_of_birth") == patient.date_of_birth and _same_name(values, patient):
            reasons.append("same name and date of birth")
        if reasons:
            found.append(
                DuplicateCandidate(
                    patient_id=patient.id,
                    op_number=patient.op_number,
                    full_name=patient.full_name,
                    date_of_birth=patient.date_of_birth,
                    phone=patient.phone,
                    reasons=tuple(reasons),
                )
            )
    return found


def _same_name(values: Mapping[str, Any], patient: Patient) -> bool:
    def key(first: str | None, last: str | None) -> tuple[str, str]:
        return ((first or "").casefold(), (last or "").casefold())

    return key(values.get("first_name"), values.get("last_name")) == key(
        patient.first_name, patient.last_name
    )


def register_patient(
    details: PatientDetails, *, session: Session, actor: Actor, today: date
) -> Registration:
    """Register a new patient with the device's next OP number.

    Likely duplicates are returned as warnings, never merged: reception
    decides (the desktop shows them before saving, with "open this patient
    instead"). Raises ValidationFailed for bad input, with nothing written.
    """
    values = _details_fields(details, today)
    duplicates = find_duplicates(values, session=session)
    patient = Patient(
        **values,
        op_number=next_number(session, actor.device_id, NumberKind.OP, today=today),
        registered_branch_id=actor.branch_id,
    )
    record_insert(session, actor, patient, action="register_patient")
    return Registration(patient=patient, duplicates=duplicates)


@dataclass(frozen=True)
class CheckedDetails:
    """A patient's details checked and cleaned as :func:`register_patient`
    checks them (made by :func:`check_details` alone), waiting to be
    registered with others by :func:`register_patients`."""

    values: dict[str, Any]


def check_details(details: PatientDetails, *, today: date) -> CheckedDetails:
    """Check and clean what :func:`register_patient` would register; raises
    ValidationFailed naming every bad field, as it does. Writes nothing."""
    return CheckedDetails(_details_fields(details, today))


def register_patients(
    patients: Sequence[CheckedDetails], *, session: Session, actor: Actor, today: date
) -> list[uuid.UUID]:
    """Register many new patients at once, for an import: what
    :func:`register_patient` does for each (the device's next OP numbers,
    in order; an outbox entry and an audit event each), with the numbers
    taken together and the rows, entries and events written in one
    statement each. No duplicate search: the caller has decided who is new
    (the import by legacy number, or name and phone). Returns the new
    patients' ids, in order."""
    numbers = take_numbers(session, actor.device_id, NumberKind.OP, len(patients), today=today)
    rows = [
        {**patient.values, "op_number": number, "registered_branch_id": actor.branch_id}
        for patient, number in zip(patients, numbers, strict=True)
    ]
    if len(rows) < INDEX_AT_ONCE_FROM or is_central(session):
        return record_inserts(session, actor, Patient, rows, action="register_patient")
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with indexed_at_once(cursor):
        return record_inserts(session, actor, Patient, rows, action="register_patient")


def get_patient(patient_id: uuid.UUID, *, session: Session) -> Patient:
    """The patient, or :class:`LookupError` saying it does not exist."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.deleted_at is not None:
        raise LookupError(f"No patient with id {patient_id}")
    return patient


def update_patient(
    patient_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    session: Session,
    actor: Actor,
    today: date,
) -> Registration:
    """Change some fields of a patient; returns the patient and any likely
    duplicates the new values point at. Changing the date of birth makes it
    exact (no longer estimated)."""
    patient = get_patient(patient_id, session=session)
    if patient.merged_into is not None:
        raise NotAllowed(f"{patient.op_number} was merged into another patient; edit that one")
    cleaned = clean_patient_fields(changes, today=today)
    before = snapshot(patient)
    for name, value in cleaned.items():
        setattr(patient, name, value)
    if "date_of_birth" in cleaned:
        patient.date_of_birth_estimated = False
    if cleaned:
        patient.flagged_fields = [f for f in patient.flagged_fields if f not in cleaned]
    record_update(session, actor, patient, before, action="update_patient")
    check = {k: getattr(patient, k) for k in ("national_id", "sha_number", "phone")}
    check |= {k: getattr(patient, k) for k in ("first_name", "last_name", "date_of_birth")}
    duplicates = find_duplicates(check, session=session, exclude=patient.id)
    return Registration(patient=patient, duplicates=duplicates)


def count_patients(*, session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Patient)
            .where(Patient.deleted_at.is_(None), Patient.merged_into.is_(None))
        )
        or 0
    )
