"""Every label people read for the clinic's fixed vocabularies: visit
statuses, sexes, payment methods, roles, claim statuses and batch periods,
vital signs with their units and flags, note names, lab result
kinds, service kinds, and how long a patient has waited.

Each label is declared once here with ``QT_TRANSLATE_NOOP`` (so
``pyside6-lupdate`` extracts it in its context) and translated when it is
shown, so every screen, table and printout names a value the same way in
the language the app runs in. A value this app does not know (sent by a
newer server) is shown as sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from clinic.enums import (
    BatchPeriod,
    ClaimStatus,
    PaymentMethod,
    Role,
    ServiceKind,
    Sex,
    VisitStatus,
)
from clinic.lab.catalogue import ResultKind
from clinic.rules.vitals import Flag

_VISIT_STATUS = {
    VisitStatus.REGISTERED: QT_TRANSLATE_NOOP("VisitStatus", "Waiting for triage"),
    VisitStatus.TRIAGED: QT_TRANSLATE_NOOP("VisitStatus", "Triaged"),
    VisitStatus.WAITING_CONSULTATION: QT_TRANSLATE_NOOP("VisitStatus", "Waiting for consultation"),
    VisitStatus.IN_CONSULTATION: QT_TRANSLATE_NOOP("VisitStatus", "In consultation"),
    VisitStatus.WAITING_LAB: QT_TRANSLATE_NOOP("VisitStatus", "Waiting for lab"),
    VisitStatus.WAITING_PHARMACY: QT_TRANSLATE_NOOP("VisitStatus", "Waiting for pharmacy"),
    VisitStatus.COMPLETED: QT_TRANSLATE_NOOP("VisitStatus", "Completed"),
    VisitStatus.CANCELLED: QT_TRANSLATE_NOOP("VisitStatus", "Cancelled"),
}
_SEX = {
    Sex.FEMALE: QT_TRANSLATE_NOOP("Sex", "Female"),
    Sex.MALE: QT_TRANSLATE_NOOP("Sex", "Male"),
    Sex.INTERSEX: QT_TRANSLATE_NOOP("Sex", "Intersex"),
    Sex.UNKNOWN: QT_TRANSLATE_NOOP("Sex", "Sex not recorded"),
}
_SEX_ORDER = (Sex.UNKNOWN, Sex.FEMALE, Sex.MALE, Sex.INTERSEX)
"""The order reception picks a sex in."""
_PAYMENT_METHOD = {
    PaymentMethod.CASH: QT_TRANSLATE_NOOP("PaymentMethod", "Cash"),
    PaymentMethod.MPESA: QT_TRANSLATE_NOOP("PaymentMethod", "M-Pesa"),
    PaymentMethod.CARD: QT_TRANSLATE_NOOP("PaymentMethod", "Card"),
    PaymentMethod.BANK: QT_TRANSLATE_NOOP("PaymentMethod", "Bank"),
    PaymentMethod.SHA: QT_TRANSLATE_NOOP("PaymentMethod", "SHA"),
    PaymentMethod.INSURANCE: QT_TRANSLATE_NOOP("PaymentMethod", "Insurance"),
}
_ROLE = {
    Role.RECEPTIONIST: QT_TRANSLATE_NOOP("Role", "Receptionist"),
    Role.NURSE: QT_TRANSLATE_NOOP("Role", "Nurse"),
    Role.CLINICAL_OFFICER: QT_TRANSLATE_NOOP("Role", "Clinical officer"),
    Role.CASHIER: QT_TRANSLATE_NOOP("Role", "Cashier"),
    Role.PHARMACIST: QT_TRANSLATE_NOOP("Role", "Pharmacist"),
    Role.CLAIMS_MANAGER: QT_TRANSLATE_NOOP("Role", "Claims manager"),
    Role.LAB_TECHNICIAN: QT_TRANSLATE_NOOP("Role", "Lab technician"),
    Role.ADMIN: QT_TRANSLATE_NOOP("Role", "Admin"),
}
_CLAIM_STATUS = {
    ClaimStatus.DRAFT: QT_TRANSLATE_NOOP("Claims", "Draft"),
    ClaimStatus.READY: QT_TRANSLATE_NOOP("Claims", "Ready"),
    ClaimStatus.INVOICE_GENERATED: QT_TRANSLATE_NOOP("Claims", "SHA invoice printed"),
    ClaimStatus.SUBMITTED: QT_TRANSLATE_NOOP("Claims", "Submitted"),
    ClaimStatus.APPROVED: QT_TRANSLATE_NOOP("Claims", "Approved"),
    ClaimStatus.PARTIALLY_APPROVED: QT_TRANSLATE_NOOP("Claims", "Partially approved"),
    ClaimStatus.REJECTED: QT_TRANSLATE_NOOP("Claims", "Rejected"),
    ClaimStatus.PAID: QT_TRANSLATE_NOOP("Claims", "Paid"),
}
_CLAIM_MOVE = {
    ClaimStatus.DRAFT: QT_TRANSLATE_NOOP("Claims", "Back to draft"),
    ClaimStatus.READY: QT_TRANSLATE_NOOP("Claims", "Mark ready"),
    ClaimStatus.INVOICE_GENERATED: QT_TRANSLATE_NOOP("Claims", "SHA invoice printed"),
    ClaimStatus.SUBMITTED: QT_TRANSLATE_NOOP("Claims", "Submitted to SHA"),
    ClaimStatus.APPROVED: QT_TRANSLATE_NOOP("Claims", "Approved by SHA"),
    ClaimStatus.PARTIALLY_APPROVED: QT_TRANSLATE_NOOP("Claims", "Partly approved"),
    ClaimStatus.REJECTED: QT_TRANSLATE_NOOP("Claims", "Rejected by SHA"),
    ClaimStatus.PAID: QT_TRANSLATE_NOOP("Claims", "Paid by SHA"),
}
_BATCH_PERIOD = {
    BatchPeriod.WEEKLY: QT_TRANSLATE_NOOP("Claims", "Weekly"),
    BatchPeriod.MONTHLY: QT_TRANSLATE_NOOP("Claims", "Monthly"),
}
_SERVICE_KIND = {
    ServiceKind.CONSULTATION: QT_TRANSLATE_NOOP("ServiceKind", "Consultation"),
    ServiceKind.LAB: QT_TRANSLATE_NOOP("ServiceKind", "Lab"),
    ServiceKind.DRUG: QT_TRANSLATE_NOOP("ServiceKind", "Drug"),
    ServiceKind.PROCEDURE: QT_TRANSLATE_NOOP("ServiceKind", "Procedure"),
}
_FLAG = {
    Flag.NORMAL: QT_TRANSLATE_NOOP("Flag", "Normal"),
    Flag.LOW: QT_TRANSLATE_NOOP("Flag", "Low"),
    Flag.HIGH: QT_TRANSLATE_NOOP("Flag", "High"),
    Flag.CRITICAL_LOW: QT_TRANSLATE_NOOP("Flag", "Critical low"),
    Flag.CRITICAL_HIGH: QT_TRANSLATE_NOOP("Flag", "Critical high"),
}
_VITAL = {
    "temperature_c": QT_TRANSLATE_NOOP("Vital", "Temperature"),
    "pulse_bpm": QT_TRANSLATE_NOOP("Vital", "Pulse"),
    "respiratory_rate": QT_TRANSLATE_NOOP("Vital", "Respiratory rate"),
    "systolic_mmhg": QT_TRANSLATE_NOOP("Vital", "Systolic BP"),
    "diastolic_mmhg": QT_TRANSLATE_NOOP("Vital", "Diastolic BP"),
    "spo2_percent": QT_TRANSLATE_NOOP("Vital", "SpO2"),
    "weight_kg": QT_TRANSLATE_NOOP("Vital", "Weight"),
    "height_cm": QT_TRANSLATE_NOOP("Vital", "Height"),
    "muac_cm": QT_TRANSLATE_NOOP("Vital", "MUAC"),
    "blood_glucose_mmol": QT_TRANSLATE_NOOP("Vital", "Blood glucose"),
}
"""By the vital's name in ``clinic.rules.vitals.VITALS``."""
_UNIT = {
    "bpm": QT_TRANSLATE_NOOP("Unit", "bpm"),
    "breaths/min": QT_TRANSLATE_NOOP("Unit", "breaths/min"),
}
"""Units that are words; symbols (°C, mmHg, kg, %) read the same in every language."""
_NOTE = {
    "complaint": QT_TRANSLATE_NOOP("Note", "Complaint"),
    "history": QT_TRANSLATE_NOOP("Note", "History"),
    "examination": QT_TRANSLATE_NOOP("Note", "Examination"),
    "plan": QT_TRANSLATE_NOOP("Note", "Plan"),
}
"""The consultation's notes, by the visit's field name."""
_RESULT_KIND = {
    ResultKind.NUMERIC: QT_TRANSLATE_NOOP("LabResult", "number"),
    ResultKind.CODED: QT_TRANSLATE_NOOP("LabResult", "choose"),
    ResultKind.TEXT: QT_TRANSLATE_NOOP("LabResult", "text"),
}
"""The hint beside a lab result field: what is typed into it."""
_DUPLICATE_REASON = {
    "same national ID": QT_TRANSLATE_NOOP("DuplicateReason", "same national ID"),
    "same SHA number": QT_TRANSLATE_NOOP("DuplicateReason", "same SHA number"),
    "same phone": QT_TRANSLATE_NOOP("DuplicateReason", "same phone"),
    "same name and date of birth": QT_TRANSLATE_NOOP(
        "DuplicateReason", "same name and date of birth"
    ),
}
"""Why ``clinic.patients.service`` thinks a patient may be registered already."""
_IMPORT_FIELD = {
    "name": QT_TRANSLATE_NOOP("ImportField", "name"),
    "age": QT_TRANSLATE_NOOP("ImportField", "age"),
    "phone": QT_TRANSLATE_NOOP("ImportField", "phone"),
    "number": QT_TRANSLATE_NOOP("ImportField", "number"),
}
"""The paper register's fields a row of ``clinic.patients.importer`` can fail on."""

QT_STANDARD_BUTTONS = (
    QT_TRANSLATE_NOOP("QPlatformTheme", "OK"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Cancel"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Save"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Close"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "&Yes"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "&No"),
)
"""Qt's own texts of the standard buttons this app shows (dialog boxes,
message boxes), in the context Qt translates them in: Qt ships no Swahili
for them (no ``qtbase_sw.qm``), so the app's translation carries them."""


def _label(context: str, labels: Mapping[Any, object], value: str) -> str:
    source = labels.get(value)
    if source is None:
        return str(value)
    return QCoreApplication.translate(context, str(source))


def visit_status_text(status: VisitStatus | str) -> str:
    return _label("VisitStatus", _VISIT_STATUS, status)


def sex_text(sex: Sex | str) -> str:
    return _label("Sex", _SEX, sex)


def sex_choices() -> list[tuple[str, Sex]]:
    """The sex combo's entries, in the order reception picks them."""
    return [(sex_text(sex), sex) for sex in _SEX_ORDER]


def method_text(method: PaymentMethod | str) -> str:
    return _label("PaymentMethod", _PAYMENT_METHOD, method)


def role_text(role: Role | str) -> str:
    return _label("Role", _ROLE, role)


def claim_status_text(status: ClaimStatus | str) -> str:
    return _label("Claims", _CLAIM_STATUS, status)


def claim_move_text(status: ClaimStatus | str) -> str:
    """The button that moves a claim to ``status``."""
    return _label("Claims", _CLAIM_MOVE, status)


def period_text(period: BatchPeriod | str) -> str:
    return _label("Claims", _BATCH_PERIOD, period)


def service_kind_text(kind: ServiceKind | str) -> str:
    return _label("ServiceKind", _SERVICE_KIND, kind)


def flag_text(flag: Flag | str) -> str:
    return _label("Flag", _FLAG, flag)


def vital_label(name: str) -> str:
    """A vital sign by its name in ``VITALS``."""
    return _label("Vital", _VITAL, name)


def unit_text(unit: str) -> str:
    return _label("Unit", _UNIT, unit)


def note_label(name: str) -> str:
    """A consultation note by its field name."""
    return _label("Note", _NOTE, name)


def result_kind_hint(kind: ResultKind | str) -> str:
    return _label("LabResult", _RESULT_KIND, kind)


def duplicate_reason_text(reason: str) -> str:
    return _label("DuplicateReason", _DUPLICATE_REASON, reason)


def import_field_text(field: str) -> str:
    return _label("ImportField", _IMPORT_FIELD, field)


def waited_text(minutes: int) -> str:
    """How long a patient has waited: ``25 min``, ``1 h 05 min``."""
    if minutes >= 60:
        return QCoreApplication.translate("Waiting", "%d h %02d min") % divmod(minutes, 60)
    return QCoreApplication.translate("Waiting", "%d min") % minutes


translate = QCoreApplication.translate
"""``translate("Context", "text")`` for code outside a widget: ``pyside6-lupdate``
extracts a call by this name with its literal context, as it does
``QCoreApplication.translate``'s."""
