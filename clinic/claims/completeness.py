"""What SHA would reject a claim for, found before it is sent.

:func:`missing` reads a :class:`~clinic.claims.document.ClaimDocument` and
writes nothing; a claim moves to READY only when it finds nothing (the
service and the server's sync apply both ask it). Each item says what to
fix, in staff's words, and which screen fixes it, so the claim page can open
that screen.

A dependant is a patient under :data:`ADULT_AGE` on the day of the visit:
SHA registers children under a parent's or guardian's membership, so their
claims name the principal member's number as well as their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from clinic.claims.document import ClaimDocument
from clinic.rules.money import format_kes
from clinic.rules.sha import SHA_MEMBER_NUMBER_EXAMPLE, is_sha_member_number

SUBMISSION_WINDOW_DAYS = 90
"""SHA takes a claim up to this many days after the visit."""
ADULT_AGE = 18


class FixIn(StrEnum):
    """The screen where an item is fixed."""

    PATIENT = "patient"
    CONSULTATION = "consultation"
    PRICE_LIST = "price_list"
    CLAIM = "claim"


@dataclass(frozen=True)
class Missing:
    """One thing SHA needs that the claim lacks: a stable ``code`` (the same
    code may come once per claim line), what to fix, and where."""

    code: str
    message: str
    fix_in: FixIn


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_minor(document: ClaimDocument) -> bool:
    born = document.patient.date_of_birth
    return born is not None and _age_on(born, document.visit_date) < ADULT_AGE


def _member_numbers(document: ClaimDocument) -> list[Missing]:
    found: list[Missing] = []
    member = document.sha_member_number.strip()
    if not member:
        found.append(
            Missing(
                "no_sha_number",
                "The patient has no SHA number: add it to the patient's details",
                FixIn.PATIENT,
            )
        )
    elif not is_sha_member_number(member):
        found.append(
            Missing(
                "sha_number_form",
                f"'{member}' is not an SHA number: SHA numbers read like"
                f" {SHA_MEMBER_NUMBER_EXAMPLE}; correct it on the patient's details",
                FixIn.PATIENT,
            )
        )
    principal = (document.sha_principal_number or "").strip()
    if principal and not is_sha_member_number(principal):
        found.append(
            Missing(
                "principal_number_form",
                f"The principal member's number '{principal}' is not an SHA number (like"
                f" {SHA_MEMBER_NUMBER_EXAMPLE}); correct it on the patient's details",
                FixIn.PATIENT,
            )
        )
    elif not principal and is_minor(document):
        found.append(
            Missing(
                "no_principal_number",
                f"The patient is under {ADULT_AGE}, a dependant: add the principal member's"
                " SHA number (the parent's or guardian's) to the patient's details",
                FixIn.PATIENT,
            )
        )
    return found


def _consultation(document: ClaimDocument) -> list[Missing]:
    found: list[Missing] = []
    if not document.diagnoses:
        found.append(
            Missing(
                "no_diagnosis",
                "The visit has no diagnosis: the clinician adds an ICD-10 coded diagnosis",
                FixIn.CONSULTATION,
            )
        )
    if document.visit_signed_at is None:
        found.append(
            Missing(
                "not_signed",
                "The visit is not signed: the clinician signs the consultation",
                FixIn.CONSULTATION,
            )
        )
    return found


def _lines(document: ClaimDocument) -> list[Missing]:
    if not document.lines:
        return [
            Missing(
                "no_lines",
                "The claim has no lines: bill the visit, then refresh the claim",
                FixIn.CLAIM,
            )
        ]
    found: list[Missing] = []
    for line in document.lines:
        if not line.intervention_code.strip():
            found.append(
                Missing(
                    "line_without_code",
                    f"'{line.description}' has no SHA intervention code: set it on the price"
                    " list, then refresh the claim",
                    FixIn.PRICE_LIST,
                )
            )
        if line.tariff_cents is not None and line.amount_cents > line.tariff_cents * line.quantity:
            found.append(
                Missing(
                    "above_tariff",
                    f"'{line.description}' claims {format_kes(line.amount_cents)}, above SHA's"
                    f" tariff of {format_kes(line.tariff_cents * line.quantity)}: correct the"
                    " price or the tariff on the price list",
                    FixIn.PRICE_LIST,
                )
            )
    return found


def _amount_and_time(document: ClaimDocument, today: date) -> list[Missing]:
    found: list[Missing] = []
    if document.claimed_cents <= 0:
        found.append(
            Missing(
                "nothing_claimed",
                "No SHA payment is recorded on the visit's invoice: the cashier records what"
                " SHA covers",
                FixIn.CLAIM,
            )
        )
    age = (today - document.visit_date).days
    if age > SUBMISSION_WINDOW_DAYS:
        found.append(
            Missing(
                "too_late",
                f"The visit was {age} days ago: SHA takes claims up to"
                f" {SUBMISSION_WINDOW_DAYS} days after the visit",
                FixIn.CLAIM,
            )
        )
    return found


def missing(document: ClaimDocument, *, today: date) -> list[Missing]:
    """Everything SHA would reject ``document`` for on ``today`` (the
    clinic's day), in the order the claim page lists it; empty when the claim
    may be READY."""
    return [
        *_member_numbers(document),
        *_consultation(document),
        *_lines(document),
        *_amount_and_time(document, today),
    ]
