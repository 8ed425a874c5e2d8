"""The names the admin screens show for roles (one place, marked for
translation where they are defined)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from clinic.enums import Role

_ROLE_TEXT = {
    Role.RECEPTIONIST: QT_TRANSLATE_NOOP("Role", "Receptionist"),
    Role.NURSE: QT_TRANSLATE_NOOP("Role", "Nurse"),
    Role.CLINICAL_OFFICER: QT_TRANSLATE_NOOP("Role", "Clinical officer"),
    Role.CASHIER: QT_TRANSLATE_NOOP("Role", "Cashier"),
    Role.PHARMACIST: QT_TRANSLATE_NOOP("Role", "Pharmacist"),
    Role.CLAIMS_MANAGER: QT_TRANSLATE_NOOP("Role", "Claims manager"),
    Role.LAB_TECHNICIAN: QT_TRANSLATE_NOOP("Role", "Lab technician"),
    Role.ADMIN: QT_TRANSLATE_NOOP("Role", "Admin"),
}


def role_text(role: Role | str) -> str:
    """A role as staff read it; a role this app does not know, as sent."""
    try:
        known = Role(role)
    except ValueError:
        return str(role)
    return QCoreApplication.translate("Role", str(_ROLE_TEXT[known]))
