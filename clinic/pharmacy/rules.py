"""The rules dispensings and stock movements keep, wherever they are
written: the pharmacy's desk (:mod:`clinic.pharmacy.service`), the API, and
the server's sync apply (:mod:`clinic.journal.entities`). Each raises
InvalidValue naming the field and saying what to fix."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.billing.models import Service
from clinic.billing.rules import REASON_MAX, clean_text
from clinic.billing.service import match_service
from clinic.enums import ServiceKind, StockMovementKind
from clinic.errors import InvalidValue
from clinic.pharmacy.models import Dispensing
from clinic.visits.models import Prescription

K = StockMovementKind

MAX_STOCK_QUANTITY = 100_000
"""The most units one movement, count or reorder level may name."""
BATCH_MAX = 40
COUNSELLING_MAX = 1000

INTO_STOCK = frozenset({K.RECEIPT, K.RETURN})
OUT_OF_STOCK = frozenset({K.DISPENSE, K.EXPIRY})

_SIGN_RULES = {
    K.RECEIPT: "A receipt adds stock: give the number of units received, more than 0 "
    "(record a loss as an adjustment with a reason)",
    K.RETURN: "A return puts units back into stock: give a number more than 0",
    K.DISPENSE: "A dispensing takes units out of stock: its quantity is below 0",
    K.EXPIRY: "An expiry write-off takes units out of stock: its quantity is below 0",
}


def check_quantity(value: object, field: str, *, lowest: int, signed: bool = False) -> int:
    """A whole number of units, at least ``lowest``, at most
    MAX_STOCK_QUANTITY (in size, when ``signed``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(field, "Give a whole number of units")
    size = abs(value) if signed else value
    if size > MAX_STOCK_QUANTITY:
        raise InvalidValue(field, f"Give at most {MAX_STOCK_QUANTITY:,} units")
    if value < lowest:
        raise InvalidValue(field, f"Give at least {lowest} units" if lowest else "Give 0 or more")
    return value


def check_movement_values(values: Mapping[str, Any]) -> None:
    """A movement's kind, signed quantity, batch and reason: receipts and
    returns add, dispensings and expiry write-offs take away, an adjustment
    goes either way and always says why; only a dispensing names one."""
    try:
        kind = K(str(values.get("kind")))
    except ValueError:
        raise InvalidValue("kind", f"Choose one of: {', '.join(k.value for k in K)}") from None
    quantity = check_quantity(
        values.get("quantity"), "quantity", lowest=-MAX_STOCK_QUANTITY, signed=True
    )
    if quantity == 0:
        raise InvalidValue("quantity", "A movement moves at least one unit")
    if (kind in INTO_STOCK and quantity < 0) or (kind in OUT_OF_STOCK and quantity > 0):
        raise InvalidValue("quantity", _SIGN_RULES[kind])
    clean_text(values.get("batch"), "batch", max_length=BATCH_MAX, required=None)
    clean_text(
        values.get("reason"),
        "reason",
        max_length=REASON_MAX,
        required="Say why the stock is adjusted" if kind == K.ADJUSTMENT else None,
    )
    if (kind == K.DISPENSE) != (values.get("dispensing_id") is not None):
        raise InvalidValue(
            "dispensing_id",
            "A dispensing's movement names it; other movements name none",
        )


def check_dispensing_values(values: Mapping[str, Any]) -> None:
    """A dispensing's quantity and texts: nothing given only when the line
    is closed, and a closed line says why."""
    quantity = check_quantity(values.get("quantity"), "quantity", lowest=0)
    closes = bool(values.get("closes_line"))
    reason = clean_text(
        values.get("close_reason"),
        "close_reason",
        max_length=REASON_MAX,
        required="Say why the rest of the line is not given" if closes else None,
    )
    if reason is not None and not closes:
        raise InvalidValue("close_reason", "Only a closed line has a reason for closing")
    if quantity == 0 and not closes:
        raise InvalidValue("quantity", "Give at least 1 unit, or close the line with a reason")
    clean_text(
        values.get("substitution_reason"),
        "substitution_reason",
        max_length=REASON_MAX,
        required=None,
    )
    clean_text(values.get("counselling"), "counselling", max_length=COUNSELLING_MAX, required=None)


def drug(session: Session, service_id: object, field: str = "service_id") -> Service:
    """The price list's drug that ``service_id`` names."""
    service = session.get(Service, service_id) if isinstance(service_id, uuid.UUID) else None
    if service is None or service.deleted_at is not None or service.kind != ServiceKind.DRUG:
        raise InvalidValue(field, "Choose a drug from the price list")
    return service


def listed_drugs(session: Session) -> list[Service]:
    """The price list's active drugs."""
    return list(
        session.scalars(
            select(Service).where(
                Service.deleted_at.is_(None),
                Service.active.is_(True),
                Service.kind == ServiceKind.DRUG,
            )
        )
    )


def prescribed_drug(
    session: Session, prescription: Prescription, listed: list[Service] | None = None
) -> Service | None:
    """The price list's drug a prescription line names (by id, else by
    name among ``listed``, the active drugs unless given, as its bill is
    made), or None when none matches."""
    drugs = listed_drugs(session) if listed is None else listed
    return match_service(session, drugs, prescription.service_id, prescription.drug)


def check_dispensing_state(session: Session, after: Mapping[str, Any]) -> None:
    """A dispensing is against a live prescription line of its visit, gives
    a drug of the price list, and says why when the drug is another than
    the one prescribed (a line naming no drug of the list is given as the
    pharmacist picks)."""
    prescription = session.get(Prescription, after.get("prescription_id"))
    if (
        prescription is None
        or prescription.deleted_at is not None
        or prescription.visit_id != after.get("visit_id")
    ):
        raise InvalidValue("prescription_id", "Dispense against a prescription line of the visit")
    if after.get("service_id") is None:
        if after.get("quantity"):
            raise InvalidValue("service_id", "Choose the drug given from the price list")
        return
    given = drug(session, after.get("service_id"))
    prescribed = prescribed_drug(session, prescription)
    if (
        prescribed is not None
        and prescribed.id != given.id
        and not (after.get("substitution_reason") or "").strip()
    ):
        raise InvalidValue(
            "substitution_reason",
            f"{given.name} is not what was prescribed ({prescription.drug}): say why it is given",
        )


def check_movement_state(session: Session, after: Mapping[str, Any]) -> None:
    """A movement is of a drug of the price list; a dispensing's movement
    is of the drug that dispensing gave."""
    given = drug(session, after.get("service_id"))
    dispensing_id = after.get("dispensing_id")
    if dispensing_id is not None:
        dispensing = session.get(Dispensing, dispensing_id)
        if dispensing is None or dispensing.service_id != given.id:
            raise InvalidValue("dispensing_id", "The movement is of the drug its dispensing gave")
