"""What a pushed mutation may do: which table, which fields, by whom.

The author of a change (the user who made it, perhaps offline, perhaps not
the one whose token pushes it) must hold a role that may write what changed;
signed visits change only by amendments; payments are append-only; claims
and visits move only along their state machines; tombstones never come back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinic.claims.rules import CLAIM_TRANSITIONS
from clinic.clock import clinic_today
from clinic.enums import ClaimStatus, Role, VisitStatus
from clinic.errors import InvalidValue, ValidationFailed
from clinic.patients.service import EDITABLE_FIELDS, clean_patient_fields
from clinic.permissions import Data, may_write
from clinic.rules.numbers import PROVISIONAL_PREFIX
from clinic.rules.vitals import assess_vitals
from clinic.visits.service import AMENDABLE_FIELDS, TRANSITIONS, check_diagnosis

NOTE_FIELDS = frozenset(AMENDABLE_FIELDS) | {"clinician_id"}
VITAL_FIELDS = frozenset(
    {
        "temperature_c", "pulse_bpm", "respiratory_rate", "systolic_mmhg", "diastolic_mmhg",
        "spo2_percent", "weight_kg", "height_cm", "muac_cm", "blood_glucose_mmol",
    }
)  # fmt: skip

PUSHABLE: dict[str, Data] = {
    "patients": Data.PATIENTS,
    "visits": Data.VISITS,
    "triages": Data.VITALS,
    "diagnoses": Data.CLINICAL_NOTES,
    "amendments": Data.CLINICAL_NOTES,
    "prescriptions": Data.PRESCRIPTIONS,
    "lab_requests": Data.LAB_REQUESTS,
    "services": Data.PRICE_LIST,
    "service_prices": Data.PRICE_LIST,
    "shifts": Data.SHIFTS,
    "invoices": Data.INVOICES,
    "invoice_lines": Data.INVOICES,
    "payments": Data.PAYMENTS,
    "claim_batches": Data.CLAIMS,
    "claims": Data.CLAIMS,
    "claim_items": Data.CLAIMS,
    "claim_status_changes": Data.CLAIMS,
    "conflicts": Data.CONFLICTS,
}


class Refused(Exception):
    """The mutation breaks a rule; the message is the reason sent back."""


def _data_for_fields(entity: str, fields: set[str]) -> set[Data]:
    if entity == "visits":
        needed = set()
        if fields & NOTE_FIELDS or "signed_at" in fields:
            needed.add(Data.CLINICAL_NOTES)
        # Status moves are checked by role in check_visit_move; every other
        # field (the tombstone, the date, the queue...) is reception's.
        if fields - NOTE_FIELDS - {"signed_at", "status"}:
            needed.add(Data.VISITS)
        return needed
    if entity == "prescriptions" and fields <= {"dispensed_at", "dispensed_by"}:
        return {Data.DISPENSING}
    if entity == "lab_requests" and fields <= {"status", "result", "resulted_at", "resulted_by"}:
        return {Data.LAB_RESULTS}
    return {PUSHABLE[entity]}


def check_role(entity: str, role: Role, fields: set[str], *, inserting: bool) -> None:
    needed = {PUSHABLE[entity]} if inserting else _data_for_fields(entity, fields)
    for data in needed:
        if not may_write(role, data):
            raise Refused(f"A {role.value} may not change {data.value}")


def check_visit_move(role: Role, current: VisitStatus, new: VisitStatus) -> None:
    if current == new:
        return
    allowed = TRANSITIONS[current].get(new)
    if allowed is None:
        raise Refused(f"A visit that is {current.value} cannot move to {new.value}")
    if role != Role.ADMIN and role not in allowed:
        raise Refused(f"A {role.value} may not move a visit to {new.value}")


def check_claim_move(current: ClaimStatus, new: ClaimStatus) -> None:
    if current != new and new not in CLAIM_TRANSITIONS[current]:
        raise Refused(f"A claim that is {current.value} cannot move to {new.value}")


def check_update(entity: str, row: Any, values: Mapping[str, Any]) -> None:
    """Rules that depend on the row as the server has it now."""
    if row.deleted_at is not None:
        raise Refused(f"This {entity[:-1]} was deleted; a deleted row never comes back")
    if entity == "payments":
        receipt_only = set(values) == {"receipt_number"}
        if not (receipt_only and str(row.receipt_number or "").startswith(PROVISIONAL_PREFIX)):
            raise Refused("Payments are never changed; record a reversal instead")
    if entity == "visits" and row.signed_at is not None and NOTE_FIELDS & set(values):
        raise Refused("The visit is signed; change it with an amendment")
    if entity in ("amendments", "audit_events"):
        raise Refused(f"{entity.replace('_', ' ').capitalize()} are never changed")


def check_signed_diagnosis(visit: Any) -> None:
    """A signed visit's diagnoses are part of what was signed: none is
    added, changed or removed afterwards (a PC that had not yet pulled the
    signature may still send some)."""
    if visit is not None and visit.signed_at is not None:
        raise Refused("The visit is signed; its diagnoses no longer change")


def check_values(entity: str, values: Mapping[str, Any]) -> None:
    """The clinic's value rules for what was sent (the PC checked them
    too; the server is the authority)."""
    try:
        if entity == "patients":
            fields = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
            cleaned = clean_patient_fields(fields, today=clinic_today())
            for name, value in cleaned.items():
                if value != fields[name]:
                    raise Refused(f"{name}: {values[name]!r} is not in its checked form")
        elif entity == "triages":
            assess_vitals({k: v for k, v in values.items() if k in VITAL_FIELDS})
        elif entity == "diagnoses" and "code" in values:
            system = values.get("code_system", "ICD-10")
            prefix = "ICD-11:" if system == "ICD-11" else ""
            check_diagnosis(prefix + str(values["code"]))
    except ValidationFailed as failed:
        raise Refused("; ".join(f"{e.field}: {e.reason}" for e in failed.errors)) from None
    except InvalidValue as error:
        raise Refused(f"{error.field}: {error.reason}") from None
