"""The rules a payment's values keep, wherever it is written: the cashier's
desk (:mod:`clinic.billing.service`), the API, and the server's sync apply
(:mod:`clinic.journal.entities`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from clinic.billing.models import Invoice
from clinic.enums import InvoiceStatus, PaymentMethod
from clinic.errors import InvalidValue, NotAllowed
from clinic.rules.money import MAX_AMOUNT_CENTS, format_kes
from clinic.rules.mpesa import clean_mpesa_code
from clinic.visits.models import Visit

REFERENCE_MAX = 64
REASON_MAX = 500
INSURANCE_EXAMPLE = "AAR/1234567"
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(
    value: str | None, field: str, *, max_length: int, required: str | None
) -> str | None:
    """Trimmed text without control characters (NUL bytes included), at most
    ``max_length`` long; ``required`` is the message when it is blank (None:
    blank is allowed and gives None)."""
    text = (value or "").strip()
    if not text:
        if required is not None:
            raise InvalidValue(field, required)
        return None
    if _CONTROL_RE.search(text):
        raise InvalidValue(field, "Remove the control characters (such as NUL) from the text")
    if len(text) > max_length:
        raise InvalidValue(field, f"Keep it to {max_length} characters")
    return text


def split_insurance_reference(reference: str | None, field: str = "reference") -> tuple[str, str]:
    """An insurance payment's reference names the scheme and the member
    number: ``AAR/1234567``. Returns both, trimmed."""
    text = clean_text(
        reference,
        field,
        max_length=REFERENCE_MAX,
        required=f"Give the scheme and member number, like {INSURANCE_EXAMPLE}",
    )
    scheme, _, member = (text or "").partition("/")
    if not scheme.strip() or not member.strip():
        raise InvalidValue(
            field, f"Give the scheme, a slash, then the member number, like {INSURANCE_EXAMPLE}"
        )
    return scheme.strip().upper(), member.strip()


def clean_reference(
    method: PaymentMethod, reference: str | None, field: str = "reference"
) -> str | None:
    """The reference a payment by ``method`` carries, in its stored form:
    an M-Pesa code (required, format-checked), ``SCHEME/MEMBER`` for
    insurance (required), free text (optional) for the others."""
    if method == PaymentMethod.MPESA:
        return clean_mpesa_code(reference, field)
    if method == PaymentMethod.INSURANCE:
        scheme, member = split_insurance_reference(reference, field)
        return f"{scheme}/{member}"
    return clean_text(reference, field, max_length=REFERENCE_MAX, required=None)


def invoice_status(total_cents: int, paid_cents: int, *, cancelled: bool) -> InvoiceStatus:
    """An invoice's status follows from its payments: OPEN with nothing paid,
    PARTIALLY_PAID, PAID once the total is covered; CANCELLED stays."""
    if cancelled:
        return InvoiceStatus.CANCELLED
    if total_cents > 0 and paid_cents >= total_cents:
        return InvoiceStatus.PAID
    if paid_cents > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN


def check_payment_values(values: Mapping[str, Any]) -> None:
    """A payment row as written (or pushed): a non-zero amount within bounds,
    a reference in its method's form for a payment, a reason and the
    payment it undoes for a reversal. Raises InvalidValue naming the field."""
    amount = values.get("amount_cents")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidValue("amount_cents", "A payment is a whole number of cents, not 0")
    if abs(amount) > MAX_AMOUNT_CENTS:
        raise InvalidValue("amount_cents", f"Keep it within {format_kes(MAX_AMOUNT_CENTS)}")
    method = PaymentMethod(str(values.get("method")))
    reference = values.get("reference")
    if reference is not None and clean_reference(method, reference) != reference:
        raise InvalidValue("reference", f"{reference!r} is not in its checked form")
    if amount > 0:
        if values.get("reverses") is not None:
            raise InvalidValue(
                "amount_cents", "A reversal takes the money back: its amount is negative"
            )
        if method in (PaymentMethod.MPESA, PaymentMethod.INSURANCE) and reference is None:
            clean_reference(method, reference)
    else:
        if values.get("reverses") is None or not isinstance(
            values.get("reverses"), uuid.UUID | str
        ):
            raise InvalidValue("reverses", "A negative payment reverses a payment: name it")
        clean_text(
            values.get("reversal_reason"),
            "reason",
            max_length=REASON_MAX,
            required="Say why the payment is reversed",
        )


def check_payment_branch(session: Session, values: Mapping[str, Any]) -> None:
    """A payment is taken at the branch of its invoice (a cashier's till
    takes its own branch's money only). Raises NotAllowed."""
    invoice = session.get(Invoice, values["invoice_id"]) if values.get("invoice_id") else None
    if invoice is not None and invoice.branch_id != values.get("branch_id"):
        raise NotAllowed("A payment is taken at the branch of its invoice")


def check_invoice_visit(session: Session, values: Mapping[str, Any]) -> None:
    """An invoice bills a visit of its own branch, for that visit's patient.
    Raises NotAllowed or InvalidValue."""
    visit = session.get(Visit, values["visit_id"]) if values.get("visit_id") else None
    if visit is None:
        raise InvalidValue("visit_id", "No such visit")
    if visit.branch_id != values.get("branch_id"):
        raise NotAllowed("An invoice belongs to the branch of its visit")
    if visit.patient_id != values.get("patient_id"):
        raise InvalidValue("patient_id", "The invoice names another patient than its visit's")
