"""The words reports print for the domain's codes: a cashier reads "M-Pesa",
not ``MPESA``, in the table, the CSV, the workbook and the PDF alike."""

from __future__ import annotations

from clinic.enums import PaymentMethod, ServiceKind, VisitStatus

METHODS: dict[str, str] = {
    PaymentMethod.CASH: "Cash",
    PaymentMethod.MPESA: "M-Pesa",
    PaymentMethod.CARD: "Card",
    PaymentMethod.BANK: "Bank",
    PaymentMethod.SHA: "SHA",
    PaymentMethod.INSURANCE: "Insurance",
}

VISIT_STATUSES: dict[str, str] = {
    VisitStatus.REGISTERED: "Registered",
    VisitStatus.TRIAGED: "Triaged",
    VisitStatus.WAITING_CONSULTATION: "Waiting for consultation",
    VisitStatus.IN_CONSULTATION: "In consultation",
    VisitStatus.WAITING_LAB: "Waiting for lab",
    VisitStatus.WAITING_PHARMACY: "Waiting for pharmacy",
    VisitStatus.COMPLETED: "Completed",
    VisitStatus.CANCELLED: "Cancelled",
}

SERVICE_KINDS: dict[str, str] = {
    ServiceKind.CONSULTATION: "Consultation",
    ServiceKind.LAB: "Lab",
    ServiceKind.DRUG: "Drug",
    ServiceKind.PROCEDURE: "Procedure",
}
