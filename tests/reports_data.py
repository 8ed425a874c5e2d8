"""A generated month of a two-branch clinic for the report tests, written
the same on SQLite and PostgreSQL (the same ids, the same values), with its
expected figures worked out as it is made.

Rows are written directly (reports read; the services that write them are
tested elsewhere). November 2026 is the month; a few rows fall just outside
it (31 October, 1 December, and payments at 00:30 Nairobi time, 21:30 UTC
the day before)
to check the edges of the range.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice, InvoiceLine, Payment, Service, Shift
from clinic.clock import NAIROBI
from clinic.enums import InvoiceStatus, PaymentMethod, Role, ServiceKind, Sex, VisitStatus
from clinic.org.models import Branch, User
from clinic.patients.models import Patient
from clinic.visits.models import Diagnosis, Visit

MONTH_START = date(2026, 11, 1)
MONTH_END = date(2026, 11, 30)
CODES = (
    "B54",  # malaria
    "J06.9",  # URTI
    "A09",  # diarrhoea / gastroenteritis
    "N39.0",  # UTI
    "I10",  # hypertension
    "E11.9",  # diabetes
    "L08.9",  # skin
    "K29.7",  # gastritis: all other diseases
    "Z00.0",  # general examination: all other diseases
)
SERVICES = (
    ("RPT-CONS", "Consultation", ServiceKind.CONSULTATION, 500_00),
    ("RPT-MRDT", "Malaria RDT", ServiceKind.LAB, 300_00),
    ("RPT-PCM", "Paracetamol 500 mg", ServiceKind.DRUG, 2_00),
    ("RPT-DRESS", "Wound dressing", ServiceKind.PROCEDURE, 400_00),
)


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NAIROBI).astimezone(UTC)


@dataclass
class Expected:
    """Figures the generator knows from what it wrote."""

    payments_in: dict[date, list[int]] = field(default_factory=lambda: defaultdict(list))
    """Every payment amount (reversals negative) by Nairobi day received."""
    diagnoses: Counter[tuple[str, date]] = field(default_factory=Counter)
    """Diagnoses on visits that were not cancelled, by age group ('a' under 5,
    'b' 5 and over, '?' no date of birth) and visit day."""
    visits: Counter[date] = field(default_factory=Counter)
    billed: int = 0
    """What invoices issued in November (not cancelled) bill."""
    paid: int = 0
    branches: dict[str, uuid.UUID] = field(default_factory=dict)
    users: dict[str, uuid.UUID] = field(default_factory=dict)


def _branch(session: Session, code: str, rng: random.Random) -> uuid.UUID:
    """The branch (the central database starts with MAIN); its id is drawn
    either way, so the rows after it get the same ids in every store."""
    new_id = _id(rng)
    found = session.scalar(select(Branch.id).where(Branch.code == code))
    if found is not None:
        return found
    branch = Branch(id=new_id, code=code, name=f"{code.title()} branch")
    session.add(branch)
    session.flush()
    return branch.id


def generate(session: Session, *, seed: int = 5, patients: int = 60) -> Expected:
    """Write the month into ``session`` (the caller commits) and return what it should add up to."""
    rng = random.Random(seed)
    expected = Expected()
    for code in ("MAIN", "WEST"):
        expected.branches[code] = _branch(session, code, rng)
    for key, role, branch in (
        ("admin", Role.ADMIN, None),
        ("clinician", Role.CLINICAL_OFFICER, "MAIN"),
        ("cashier-main", Role.CASHIER, "MAIN"),
        ("cashier-west", Role.CASHIER, "WEST"),
    ):
        user = User(
            id=_id(rng),
            username=f"rpt-{key}-{seed}",
            full_name=f"Report {key.replace('-', ' ').title()}",
            role=role,
            branch_id=expected.branches[branch] if branch else None,
        )
        session.add(user)
        expected.users[key] = user.id
    services = []
    for code, name, kind, price in SERVICES:
        service = Service(id=_id(rng), code=code, name=name, kind=kind, active=True)
        session.add(service)
        services.append((service, price))
    session.flush()

    people = []
    for n in range(patients):
        group = n % 6
        if group == 0:
            born: date | None = MONTH_START - timedelta(days=rng.randint(30, 4 * 365))
        elif group == 1:  # turns five during the month
            born = date(2021, 11, rng.randint(2, 29))
        elif group == 2:
            born = None
        else:
            born = MONTH_START - timedelta(days=rng.randint(6 * 365, 80 * 365))
        patient = Patient(
            id=_id(rng),
            op_number=f"OP-2026-{n + 1:06d}-0",
            first_name=rng.choice(("Achieng", "Wanjiru", "Kiprono", "Baraka", "Fatuma")),
            last_name=rng.choice(("Otieno", "Kamau", "Langat", "Hassan", "Mwangi")),
            sex=rng.choice((Sex.FEMALE, Sex.MALE)),
            date_of_birth=born,
            residence=rng.choice(("Kayole", "Utawala", "Ruai", None)),
        )
        session.add(patient)
        people.append(patient)
    session.flush()

    shifts: dict[tuple[str, date], Shift] = {}
    days = (
        [MONTH_START - timedelta(days=1)]
        + [MONTH_START + timedelta(days=i) for i in range(30)]
        + [MONTH_END + timedelta(days=1)]
    )
    seen: set[uuid.UUID] = set()
    written = 0  # rows get creation times in the order written, the same in every store
    for day in days:
        for code in ("MAIN", "WEST"):
            shift = Shift(
                id=_id(rng),
                branch_id=expected.branches[code],
                cashier_id=expected.users[f"cashier-{code.lower()}"],
                opened_at=_at(day, 7),
                opening_float_cents=1_000_00,
            )
            session.add(shift)
            shifts[(code, day)] = shift
        session.flush()  # rows without relationships are written in the order flushed
        for patient in rng.sample(people, rng.randint(2, 6)):
            code = rng.choice(("MAIN", "WEST"))
            status = rng.choice((VisitStatus.COMPLETED,) * 5 + (VisitStatus.CANCELLED,))
            visit = Visit(
                id=_id(rng),
                patient_id=patient.id,
                branch_id=expected.branches[code],
                visit_date=day,
                is_new=patient.id not in seen,
                status=status,
                clinician_id=expected.users["clinician"],
                created_at=_at(day, 7) + timedelta(seconds=written),
            )
            written += 1
            seen.add(patient.id)
            session.add(visit)
            session.flush()
            in_month = MONTH_START <= day <= MONTH_END
            if in_month:
                expected.visits[day] += 1
            for n, dx in enumerate(rng.sample(CODES, rng.randint(0, 2))):
                session.add(
                    Diagnosis(
                        id=_id(rng),
                        visit_id=visit.id,
                        code_system="ICD-10",
                        code=dx,
                        description=dx,
                        is_primary=False,
                        created_at=visit.created_at + timedelta(seconds=n),
                    )
                )
                if in_month and status != VisitStatus.CANCELLED:
                    expected.diagnoses[(_group(patient.date_of_birth, day), day)] += 1
            if status == VisitStatus.CANCELLED:
                continue
            lines = rng.sample(services, rng.randint(1, 3))
            total = 0
            invoice = Invoice(
                id=_id(rng),
                visit_id=visit.id,
                patient_id=patient.id,
                branch_id=visit.branch_id,
                status=InvoiceStatus.OPEN,
                issued_at=_at(day, rng.randint(8, 16)),
            )
            session.add(invoice)
            session.flush()
            for service, price in lines:
                quantity = rng.randint(1, 3)
                total += price * quantity
                session.add(
                    InvoiceLine(
                        id=_id(rng),
                        invoice_id=invoice.id,
                        service_id=service.id,
                        description=service.name,
                        quantity=quantity,
                        unit_price_cents=price,
                        amount_cents=price * quantity,
                    )
                )
            paid = rng.choice((total, total, total // 2, 0))
            invoice.total_cents = total
            invoice.paid_cents = paid
            invoice.status = (
                InvoiceStatus.PAID
                if paid == total
                else InvoiceStatus.PARTIALLY_PAID
                if paid
                else InvoiceStatus.OPEN
            )
            if in_month:
                expected.billed += total
                expected.paid += paid
            if not paid:
                continue
            early = rng.random() < 0.15  # 00:30 in Nairobi: the day before in UTC
            method = rng.choice(tuple(PaymentMethod))
            payment = Payment(
                id=_id(rng),
                invoice_id=invoice.id,
                branch_id=invoice.branch_id,
                method=method,
                amount_cents=paid,
                reference=None,
                receipt_number=f"RCP-{rng.getrandbits(32)}",
                cashier_id=expected.users[f"cashier-{code.lower()}"],
                shift_id=shifts[(code, day)].id,
                received_at=_at(day, 0, 30) if early else _at(day, rng.randint(8, 17)),
            )
            session.add(payment)
            session.flush()
            expected.payments_in[day].append(paid)
            if rng.random() < 0.2:  # reversed, and paid again the same way
                session.add(
                    Payment(
                        id=_id(rng),
                        invoice_id=invoice.id,
                        branch_id=invoice.branch_id,
                        method=method,
                        amount_cents=-paid,
                        receipt_number=f"RCP-{rng.getrandbits(32)}",
                        cashier_id=payment.cashier_id,
                        shift_id=payment.shift_id,
                        received_at=payment.received_at + timedelta(minutes=10),
                        reverses=payment.id,
                        reversal_reason="Wrong method",
                    )
                )
                session.add(
                    Payment(
                        id=_id(rng),
                        invoice_id=invoice.id,
                        branch_id=invoice.branch_id,
                        method=method,
                        amount_cents=paid,
                        receipt_number=f"RCP-{rng.getrandbits(32)}",
                        cashier_id=payment.cashier_id,
                        shift_id=payment.shift_id,
                        received_at=payment.received_at + timedelta(minutes=20),
                    )
                )
                next_day = (payment.received_at + timedelta(minutes=20)).astimezone(NAIROBI).date()
                expected.payments_in[payment.received_at.astimezone(NAIROBI).date()].append(-paid)
                expected.payments_in[next_day].append(paid)
    session.flush()
    for (_code, day), shift in shifts.items():
        if day == MONTH_END:
            continue  # the last day's shifts are still open
        cash = sum(
            p.amount_cents
            for p in session.scalars(
                select(Payment).where(
                    Payment.shift_id == shift.id, Payment.method == PaymentMethod.CASH
                )
            )
        )
        shift.closed_at = _at(day, 18) if day != MONTH_START else _at(day, 23, 59)
        shift.expected_cash_cents = shift.opening_float_cents + cash
        shift.counted_cash_cents = shift.expected_cash_cents - rng.choice((0, 0, 50_00, -20_00))
        shift.variance_cents = shift.counted_cash_cents - shift.expected_cash_cents
    session.flush()
    return expected


def _group(born: date | None, day: date) -> str:
    if born is None:
        return "?"
    fifth = date(born.year + 5, born.month, min(born.day, 28 if born.month == 2 else born.day))
    return "a" if day < fifth else "b"
