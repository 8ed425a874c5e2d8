"""Who may read and write what (DESIGN.md's two tables), as data.

The server enforces these on every endpoint; the desktop uses the same
tables to show each role only what it may use. An admin may do everything.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from clinic.enums import Role

R = Role


class Data(StrEnum):
    DIRECTORY = "directory"
    """Branches, devices and staff names: what every screen shows."""
    PATIENTS = "patients"
    VISITS = "visits"
    VITALS = "vitals"
    CLINICAL_NOTES = "clinical_notes"
    DIAGNOSES = "diagnoses"
    """A visit's coded diagnoses and its clinician: clinical, and what an SHA claim names."""
    PRESCRIPTIONS = "prescriptions"
    LAB_REQUESTS = "lab_requests"
    LAB_RESULTS = "lab_results"
    DISPENSING = "dispensing"
    STOCK = "stock"
    """A branch's drug stock ledger and reorder levels."""
    INVOICES = "invoices"
    PAYMENTS = "payments"
    SHIFTS = "shifts"
    CLAIMS = "claims"
    USERS = "users"
    DEVICES = "devices"
    AUDIT = "audit"
    PRICE_LIST = "price_list"
    CONFLICTS = "conflicts"
    MERGES = "merges"
    """Which patient record another was merged into: admins merge."""


CLINICAL_DATA = frozenset(
    {
        Data.VITALS,
        Data.CLINICAL_NOTES,
        Data.DIAGNOSES,
        Data.PRESCRIPTIONS,
        Data.LAB_REQUESTS,
        Data.LAB_RESULTS,
        Data.DISPENSING,
    }
)
"""A patient's health record: reading it, or pulling it to a PC, is audited."""

CLINICAL_READERS = frozenset({R.NURSE, R.CLINICAL_OFFICER})
MONEY_READERS = frozenset({R.CASHIER, R.PHARMACIST})

READ: dict[Data, frozenset[Role]] = {
    Data.DIRECTORY: frozenset(Role),
    Data.PATIENTS: frozenset(Role),
    Data.VISITS: frozenset(Role),
    Data.VITALS: CLINICAL_READERS,
    Data.CLINICAL_NOTES: CLINICAL_READERS,
    Data.DIAGNOSES: CLINICAL_READERS | {R.CLAIMS_MANAGER},
    Data.PRESCRIPTIONS: CLINICAL_READERS | {R.PHARMACIST},
    Data.LAB_REQUESTS: CLINICAL_READERS | {R.LAB_TECHNICIAN},
    Data.LAB_RESULTS: CLINICAL_READERS | {R.LAB_TECHNICIAN},
    Data.DISPENSING: CLINICAL_READERS | {R.PHARMACIST},
    Data.STOCK: CLINICAL_READERS | {R.PHARMACIST},
    Data.INVOICES: MONEY_READERS | {R.CLAIMS_MANAGER},
    Data.PAYMENTS: MONEY_READERS,
    Data.SHIFTS: MONEY_READERS,
    # Reception prints the SHA invoice the patient signs at the desk.
    Data.CLAIMS: frozenset({R.CLAIMS_MANAGER, R.RECEPTIONIST}),
    Data.USERS: frozenset(),
    Data.DEVICES: frozenset(),
    Data.AUDIT: frozenset(),
    Data.PRICE_LIST: frozenset(Role),
    Data.CONFLICTS: frozenset(Role),
    Data.MERGES: frozenset(Role),
}

WRITE: dict[Data, frozenset[Role]] = {
    Data.DIRECTORY: frozenset(),
    Data.PATIENTS: frozenset({R.RECEPTIONIST}),
    Data.VISITS: frozenset({R.RECEPTIONIST}),
    Data.VITALS: frozenset({R.NURSE}),
    Data.CLINICAL_NOTES: frozenset({R.CLINICAL_OFFICER}),
    Data.DIAGNOSES: frozenset({R.CLINICAL_OFFICER}),
    Data.PRESCRIPTIONS: frozenset({R.CLINICAL_OFFICER}),
    Data.LAB_REQUESTS: frozenset({R.CLINICAL_OFFICER}),
    Data.LAB_RESULTS: frozenset({R.LAB_TECHNICIAN}),
    Data.DISPENSING: frozenset({R.PHARMACIST}),
    Data.STOCK: frozenset({R.PHARMACIST}),
    Data.INVOICES: MONEY_READERS,
    Data.PAYMENTS: MONEY_READERS,
    Data.SHIFTS: MONEY_READERS,
    Data.CLAIMS: frozenset({R.CLAIMS_MANAGER}),
    Data.USERS: frozenset(),
    Data.DEVICES: frozenset(),
    Data.AUDIT: frozenset(),
    Data.PRICE_LIST: frozenset(),
    Data.CONFLICTS: frozenset(),
    Data.MERGES: frozenset(),
}


def may_read(role: Role, data: Data) -> bool:
    return role == R.ADMIN or role in READ[data]


def may_write(role: Role, data: Data) -> bool:
    return role == R.ADMIN or role in WRITE[data]


def device_serves(device_roles: Collection[str], role: Role) -> bool:
    """Whether a user of ``role`` may log in on a device that serves
    ``device_roles`` (``Device.roles``, DESIGN.md Sync 10). An admin may log
    in on any device; anyone else only where the device serves their role.
    The server refuses such a login, and the desktop asks the same to say why."""
    return role == R.ADMIN or role.value in device_roles


def device_refusal(device_roles: Collection[str], role: Role) -> str | None:
    """Why a user of ``role`` may not log in on a device serving
    ``device_roles``, in the words the login screen shows; None if they may."""
    if device_serves(device_roles, role):
        return None
    return (
        f"This PC is set up for: {', '.join(device_roles) or 'no role'}. "
        f"Ask an admin to let it serve {role.value} too"
    )
