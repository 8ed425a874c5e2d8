"""A deterministic Kenyan clinic in a local store, for the benchmarks.

    python -m bench.generate [--out DIR] [--patients 500000] [--visits 2000000] [--seed 1]

Builds ``DIR/clinic.sqlite3`` (migrated by :func:`clinic.store.open_local_store`)
holding three years of a clinic with two branches, a third opening after the
first year: staff and devices, a price list with a price rise, patients (30%
imported from the paper register on go-live day with their legacy numbers and
ages, the rest registered at the desk), visits with MOH 705 "new" flags,
ICD-10 diagnoses, prescriptions and lab requests, invoices with lines, and
payments (cash, M-Pesa, SHA, insurance, card, bank; split, partial and
reversed ones) taken in cashier shifts. Every row looks synced (version 1).
Not generated: triage, claims, audit events and the outbox (a synced PC's
outbox is empty).

The same seed gives the same rows: every draw comes from ``random.Random``
instances seeded from it, in one fixed order, and ids are UUIDv7 laid out as
:func:`clinic.db.uuid7` lays them out, with the row's own creation time and
random bits from the generator. The store's device id comes from the seed
too: this PC is reception desk 1 of the main branch.

Speed: one process draws the rows while this one writes them with
``executemany`` on the raw connection, one transaction per few thousand
visits, with the rollback journal and fsync off while the file is built (a
crash leaves only a scratch folder, never a store). Secondary indexes and the
patient search index are built once at the end from the very statements the
migrations wrote: the index SQL kept in ``sqlite_master``, and the search
index paused and resumed by ``clinic.patients.search_index`` (its insert
trigger taken out meanwhile and put back unchanged). The store appears
in DIR only when complete.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sqlite3
import sys
import time
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from clinic.demo import kenya
from clinic.demo.draws import CLOCK, MINUTE_US, Draw, Ids, local_us
from clinic.demo.history import IMPORTED_SHARE, WEEKDAY_WEIGHTS
from clinic.demo.people import People, draw_registration
from clinic.enums import Role
from clinic.patients import search_index
from clinic.rules.diagnoses import check_icd10
from clinic.rules.numbers import NumberKind, format_number
from clinic.store import STORE_FILE, create_sqlite_engine, open_local_store

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
MANIFEST_FILE = "dataset.json"
DEFAULT_PATIENTS = 500_000
DEFAULT_VISITS = 2_000_000
DEFAULT_SEED = 1
DEFAULT_END = date(2026, 10, 31)
DEFAULT_YEARS = 3

SHA_START = date(2024, 10, 1)  # SHA replaced NHIF
LEASE_BLOCK = 1000
ROWS_PER_BATCH = 60_000


def default_data_dir(patients: int, visits: int, seed: int) -> Path:
    return DATA_DIR / f"{patients}p-{visits}v-seed{seed}"


# --- days and times --------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    index: int
    date: date
    iso: str
    epoch_ms: int  # UTC midnight


def stamp(day: Day, us: int) -> str:
    """The stored text of a UTC time ``us`` microseconds after ``day``'s UTC
    midnight, in SQLAlchemy's SQLite DATETIME format."""
    return f"{day.iso} {CLOCK[us // 1_000_000]}.{us % 1_000_000:06d}"


# --- tables ----------------------------------------------------------------------------------


@dataclass
class Table:
    """An INSERT for one table: ``columns`` are bound in order; ``same`` columns
    repeat another column's parameter; ``fixed`` columns take an SQL literal."""

    name: str
    columns: tuple[str, ...]
    same: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        names = [*self.columns, *self.same, *self.fixed]
        values = [f"?{i}" for i in range(1, len(self.columns) + 1)]
        values += [f"?{self.columns.index(source) + 1}" for source in self.same.values()]
        values += list(self.fixed.values())
        return f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join(values)})"


SYNCED = {"version": "1", "deleted_at": "NULL"}
EVERY_ROLE = f"'{json.dumps([role.value for role in Role])}'"
"""The generated PCs serve every role (as devices enrolled before roles do)."""
BY_SERVER = {**SYNCED, "created_by": "NULL", "device_id": "NULL"}

TABLES = {
    t.name: t
    for t in (
        Table(
            "branches",
            ("id", "code", "name", "kmhfl_code", "sha_facility_id", "created_at"),
            {"updated_at": "created_at"},
            BY_SERVER,
        ),
        Table(
            "devices",
            ("id", "name", "branch_id", "enrolled_at", "last_seen_at", "created_at"),
            {"updated_at": "last_seen_at"},
            {
                **BY_SERVER,
                "revoked_at": "NULL",
                "clock_skew_seconds": "0",
                "roles": EVERY_ROLE,
                "app_version": "NULL",
                "pending_changes": "NULL",
            },
        ),
        Table(
            "users",
            ("id", "username", "full_name", "role", "branch_id", "created_at"),
            {"updated_at": "created_at"},
            {**BY_SERVER, "password_hash": "NULL", "must_change_password": "0", "active": "1"},
        ),
        Table(
            "services",
            ("id", "code", "name", "kind", "sha_intervention_code", "created_at"),
            {"updated_at": "created_at"},
            {**BY_SERVER, "active": "1", "sha_tariff_cents": "NULL"},
        ),
        Table(
            "service_prices",
            ("id", "service_id", "price_cents", "effective_from", "created_at"),
            {"updated_at": "created_at"},
            BY_SERVER,
        ),
        Table(
            "patients",
            (
                "id",
                "op_number",
                "legacy_number",
                "first_name",
                "middle_name",
                "last_name",
                "sex",
                "date_of_birth",
                "date_of_birth_estimated",
                "national_id",
                "sha_number",
                "sha_principal_number",
                "phone",
                "residence",
                "next_of_kin_name",
                "next_of_kin_phone",
                "next_of_kin_relationship",
                "registered_branch_id",
                "merged_into",
                "flagged_fields",
                "created_at",
                "updated_at",
                "created_by",
                "device_id",
            ),
            {},
            SYNCED,
        ),
        Table(
            "visits",
            (
                "id",
                "patient_id",
                "branch_id",
                "visit_date",
                "is_new",
                "status",
                "queue_position",
                "complaint",
                "examination",
                "plan",
                "clinician_id",
                "signed_at",
                "cancel_reason",
                "created_at",
                "updated_at",
                "created_by",
                "device_id",
            ),
            {},
            {**SYNCED, "history": "NULL"},
        ),
        Table(
            "diagnoses",
            (
                "id",
                "visit_id",
                "code",
                "description",
                "is_primary",
                "created_at",
                "created_by",
                "device_id",
            ),
            {"updated_at": "created_at"},
            {**SYNCED, "code_system": "'ICD-10'"},
        ),
        Table(
            "prescriptions",
            (
                "id",
                "visit_id",
                "drug",
                "dose",
                "frequency",
                "duration",
                "quantity",
                "service_id",
                "dispensed_at",
                "dispensed_by",
                "created_at",
                "updated_at",
                "created_by",
                "device_id",
            ),
            {},
            {**SYNCED, "instructions": "NULL"},
        ),
        Table(
            "lab_requests",
            (
                "id",
                "visit_id",
                "test_name",
                "service_id",
                "status",
                "result",
                "resulted_at",
                "resulted_by",
                "created_at",
                "updated_at",
                "created_by",
                "device_id",
            ),
            {},
            {**SYNCED, "notes": "NULL"},
        ),
        Table(
            "shifts",
            (
                "id",
                "branch_id",
                "cashier_id",
                "opened_at",
                "opening_float_cents",
                "closed_at",
                "expected_cash_cents",
                "counted_cash_cents",
                "variance_cents",
                "created_at",
                "updated_at",
                "created_by",
                "device_id",
            ),
            {},
            SYNCED,
        ),
        Table(
            "invoices",
            (
                "id",
                "visit_id",
                "patient_id",
                "branch_id",
                "status",
                "total_cents",
                "paid_cents",
                "issued_at",
                "created_at",
                "updated_at",
                "created_by",
                "device_id",
            ),
            {},
            {**SYNCED, "cancel_reason": "NULL"},
        ),
        Table(
            "invoice_lines",
            (
                "id",
                "invoice_id",
                "service_id",
                "description",
                "quantity",
                "unit_price_cents",
                "amount_cents",
                "created_at",
                "created_by",
                "device_id",
            ),
            {"updated_at": "created_at"},
            SYNCED,
        ),
        Table(
            "payments",
            (
                "id",
                "invoice_id",
                "branch_id",
                "method",
                "amount_cents",
                "reference",
                "receipt_number",
                "cashier_id",
                "shift_id",
                "received_at",
                "reverses",
                "reversal_reason",
                "created_at",
                "created_by",
                "device_id",
            ),
            {"updated_at": "created_at"},
            SYNCED,
        ),
        Table(
            "number_leases",
            (
                "id",
                "lease_device_id",
                "kind",
                "year",
                "first",
                "last",
                "next",
                "leased_at",
                "device_id",
            ),
            {"created_at": "leased_at", "updated_at": "leased_at"},
            {**SYNCED, "created_by": "NULL", "provisional": "0"},
        ),
    )
}
LOAD_ORDER = tuple(TABLES)  # parents before children
BULK_TABLES = (
    "patients",
    "visits",
    "diagnoses",
    "prescriptions",
    "lab_requests",
    "invoices",
    "invoice_lines",
    "shifts",
    "payments",
)

Batch = dict[str, list[tuple[Any, ...]]]


class Rows:
    """Rows drawn but not yet handed over, per table; ``hand_over`` passes
    them on (to the writing process) once enough have gathered."""

    def __init__(self, hand_over: Callable[[Batch], None]) -> None:
        self._hand_over = hand_over
        self.tables: Batch = {name: [] for name in TABLES}
        for name, rows in self.tables.items():
            setattr(self, name, rows.append)

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def flush(self, *, unless_below: int = 0) -> None:
        if self.count() < unless_below:
            return
        self._hand_over({name: rows for name, rows in self.tables.items() if rows})
        for rows in self.tables.values():
            rows.clear()

    # one appender per table, set in __init__
    branches: Callable[[tuple[Any, ...]], None]
    devices: Callable[[tuple[Any, ...]], None]
    users: Callable[[tuple[Any, ...]], None]
    services: Callable[[tuple[Any, ...]], None]
    service_prices: Callable[[tuple[Any, ...]], None]
    patients: Callable[[tuple[Any, ...]], None]
    visits: Callable[[tuple[Any, ...]], None]
    diagnoses: Callable[[tuple[Any, ...]], None]
    prescriptions: Callable[[tuple[Any, ...]], None]
    lab_requests: Callable[[tuple[Any, ...]], None]
    invoices: Callable[[tuple[Any, ...]], None]
    invoice_lines: Callable[[tuple[Any, ...]], None]
    shifts: Callable[[tuple[Any, ...]], None]
    payments: Callable[[tuple[Any, ...]], None]
    number_leases: Callable[[tuple[Any, ...]], None]


# --- the clinic ------------------------------------------------------------------------------


@dataclass
class Branch:
    id: str
    code: str
    opens: int  # day index
    weight: float
    reception: list[str]  # device ids
    consult_device: str
    cashier_device: str
    receptionists: list[str] = field(default_factory=list)
    nurses: list[str] = field(default_factory=list)
    clinicians: list[str] = field(default_factory=list)
    cashiers: list[str] = field(default_factory=list)
    pharmacists: list[str] = field(default_factory=list)
    lab_technicians: list[str] = field(default_factory=list)


@dataclass
class Lease:
    id: str
    device: str
    kind: NumberKind
    year: int
    first: int
    last: int
    next: int
    leased_at: str


class Numbering:
    """Blocks of 1,000 numbers leased per device, in the order the server
    hands them out each year; a device uses up its block before the next one
    (across a new year too, as ``clinic.numbering.service`` does)."""

    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self.leases: list[Lease] = []
        self._next_block: dict[tuple[NumberKind, int], int] = {}
        self._current: dict[tuple[str, NumberKind], Lease] = {}

    def take(self, device: str, kind: NumberKind, day: Day, us: int) -> str:
        lease = self._current.get((device, kind))
        if lease is None or lease.next > lease.last:
            year = day.date.year
            first = self._next_block.get((kind, year), 1)
            self._next_block[(kind, year)] = first + LEASE_BLOCK
            at = max(0, us - 3_600_000_000)  # leased at a sync a little earlier
            lease = Lease(
                self.ids.make(day.epoch_ms + at // 1000),
                device,
                kind,
                year,
                first,
                first + LEASE_BLOCK - 1,
                first,
                stamp(day, at),
            )
            self.leases.append(lease)
            self._current[(device, kind)] = lease
        serial = lease.next
        lease.next += 1
        return format_number(kind, lease.year, serial)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    prices: tuple[tuple[int, int], ...]  # (from day index, cents), latest first

    def price(self, day: int) -> int:
        for since, cents in self.prices:
            if day >= since:
                return cents
        return self.prices[-1][1]


@dataclass(frozen=True)
class Coded:
    condition: kenya.Condition
    code: str
    description: str
    plan: str  # as the plan names it


@dataclass
class Patients:
    """What the visits need to know of each patient, by registration order."""

    id: list[str] = field(default_factory=list)
    registered: list[int] = field(default_factory=list)  # day index; -1 when imported
    registered_us: list[int] = field(default_factory=list)
    born: list[int] = field(default_factory=list)
    branch: list[int] = field(default_factory=list)
    rate: list[float] = field(default_factory=list)  # visits a year
    chronic: list[str | None] = field(default_factory=list)
    sha_number: list[str | None] = field(default_factory=list)
    insured: list[bool] = field(default_factory=list)
    names: list[tuple[str, str | None, str, str]] = field(default_factory=list)
    phone: list[str | None] = field(default_factory=list)


class ClinicGenerator:
    """Draws the whole clinic, table by table, into ``rows``."""

    def __init__(
        self,
        rows: Rows,
        *,
        patients: int,
        visits: int,
        seed: int,
        end: date,
        years: int,
        own_device: str,
        progress: Callable[[str, int, int], None],
    ) -> None:
        self.rows = rows
        self.n_patients = patients
        self.n_visits = visits
        self.progress = progress
        self.own_device = own_device
        self.draw = Draw(f"{seed}:clinic")
        self.ids = Ids(f"{seed}:ids")
        self.people = People(Draw(f"{seed}:people"))
        self.numbering = Numbering(self.ids)
        start = date(end.year - years, end.month, end.day) + timedelta(days=1)
        self.days = [_day(i, start + timedelta(days=i)) for i in range((end - start).days + 1)]
        self.p = Patients()
        self._usernames: set[str] = set()
        self._adults: list[int] = []
        self._paper_serials: dict[int, int] = {}
        self._webapp_serials: dict[int, int] = {}

    def run(self) -> None:
        self.reference_data()
        self.patients()
        self.visits()
        self.leases()

    # --- reference data ---

    def reference_data(self) -> None:
        day0 = self.days[0]
        t0 = local_us(6)
        made, ms = stamp(day0, t0), day0.epoch_ms + t0 // 1000
        rows, ids = self.rows, self.ids
        last_seen = stamp(self.days[-1], local_us(18))
        specs = (
            ("MAIN", "Seth Clinic Kayole", "23141", 0, 0.5, 2),
            ("UTW", "Seth Clinic Utawala", "24987", 0, 0.3, 1),
            ("RUA", "Seth Clinic Ruai", "27702", len(self.days) // 3, 0.2, 1),
        )
        self.branches: list[Branch] = []
        for code, name, kmhfl, opens, weight, desks in specs:
            branch_id = ids.make(ms)
            rows.branches((branch_id, code, name, kmhfl, f"FID-47-{kmhfl}-1", made))
            opened = self.days[opens]
            enrolled = stamp(opened, local_us(7))
            enrolled_ms = opened.epoch_ms + local_us(7) // 1000
            devices = []
            for label in [f"RECEPTION-{i}" for i in range(1, desks + 1)] + [
                "CONSULT-1",
                "CASHIER-1",
            ]:
                own = code == "MAIN" and label == "RECEPTION-1"
                device_id = self.own_device if own else ids.make(enrolled_ms)
                rows.devices(
                    (device_id, f"{code}-{label}", branch_id, enrolled, last_seen, enrolled)
                )
                devices.append(device_id)
            branch = Branch(
                branch_id, code, opens, weight, devices[:desks], devices[-2], devices[-1]
            )
            for role, members, count in (
                ("receptionist", branch.receptionists, 2),
                ("nurse", branch.nurses, 2),
                ("clinical_officer", branch.clinicians, 3),
                ("cashier", branch.cashiers, 2),
                ("pharmacist", branch.pharmacists, 1),
                ("lab_technician", branch.lab_technicians, 1),
            ):
                members.extend(self._user(role, branch_id, made, ms) for _ in range(count))
            self.branches.append(branch)
        self.admin = self._user("admin", None, made, ms)
        self._user("claims_manager", None, made, ms)
        self.import_device = ids.make(ms)
        rows.devices(
            (self.import_device, "MAIN-ADMIN-1", self.branches[0].id, made, last_seen, made)
        )
        self.services = self._price_list(made, ms)
        self.rows.flush()

    def _user(self, role: str, branch: str | None, made: str, ms: int) -> str:
        person = self.people.person()
        base = f"{person.first_name}.{person.last_name}".lower().replace("'", "")
        username, n = base, 1
        while username in self._usernames:
            n += 1
            username = f"{base}{n}"
        self._usernames.add(username)
        user_id = self.ids.make(ms)
        full = " ".join(n for n in (person.first_name, person.middle_name, person.last_name) if n)
        self.rows.users((user_id, username, full, role, branch, made))
        return user_id

    def _price_list(self, made: str, ms: int) -> dict[str, Service]:
        rise_day = len(self.days) * 3 // 5
        items: list[tuple[str, str, str, int, bool]] = [
            ("CONS-NEW", "Consultation (new)", "consultation", kenya.CONSULTATION_NEW_KES, True),
            (
                "CONS-RE",
                "Consultation (revisit)",
                "consultation",
                kenya.CONSULTATION_REVISIT_KES,
                True,
            ),
        ]
        items += [
            (f"LAB-{code}", name, "lab", kes, True)
            for code, (name, kes, _) in kenya.LAB_TESTS.items()
        ]
        items += [
            (f"DRUG-{d.code}", d.name, "drug", d.price_kes, False) for d in kenya.DRUGS.values()
        ]
        items += [
            (f"PROC-{code}", name, "procedure", kes, True)
            for code, (name, kes) in kenya.PROCEDURES.items()
        ]
        services = {}
        for n, (code, name, kind, kes, rises) in enumerate(items, start=1):
            service_id = self.ids.make(ms)
            sha_code = None if kind == "drug" else f"SHA-{kind[:3].upper()}-{n:03d}"
            self.rows.services((service_id, code, name, kind, sha_code, made))
            prices = [(0, kes * 100)]
            self.rows.service_prices(
                (self.ids.make(ms), service_id, kes * 100, self.days[0].iso, made)
            )
            if rises and kes:
                risen = (kes * 12 // 10 + 49) // 50 * 50 * 100  # +20%, to the next 50 shillings
                self.rows.service_prices(
                    (self.ids.make(ms), service_id, risen, self.days[rise_day].iso, made)
                )
                prices.insert(0, (rise_day, risen))
            services[code] = Service(service_id, name, tuple(prices))
        return services

    # --- patients ---

    def patients(self) -> None:
        draw = self.draw
        days = self.days
        n_imported = round(self.n_patients * IMPORTED_SHARE)
        n_new = self.n_patients - n_imported
        if self.n_visits < n_new:
            raise ValueError(
                f"--visits must be at least {n_new:,}: every patient registered"
                " at the desk came for a visit"
            )
        self.day_cw = list(accumulate(self._day_weight(d) for d in days))
        day_indexes = range(len(days))
        per_day = [0] * len(days)
        for _ in range(n_new):
            per_day[draw.weighted(day_indexes, self.day_cw)] += 1
        t = local_us(5)
        for _ in range(n_imported):  # the paper register, imported before opening on day 0
            self._patient(days[0], t, imported=True)
            t += draw.between(1_000, 3_000)
            self.rows.flush(unless_below=ROWS_PER_BATCH)
        for day, count in zip(days, per_day, strict=True):
            for time_us in sorted(self._arrival() for _ in range(count)):
                self._patient(day, time_us, imported=False)
            if self.rows.count() >= ROWS_PER_BATCH:
                self.rows.flush()
                self.progress("patients", len(self.p.id), self.n_patients)
        self.rows.flush()
        self.progress("patients", len(self.p.id), self.n_patients)

    @cache  # noqa: B019 - two or three distinct answers, one generator per process
    def _open_branches(self, day: int) -> tuple[range, list[float]]:
        weights = [b.weight if b.opens <= day else 0.0 for b in self.branches]
        return range(len(weights)), list(accumulate(weights))

    def _day_weight(self, day: Day) -> float:
        open_weight = sum(b.weight for b in self.branches if b.opens <= day.index)
        growth = 1 + 0.2 * day.index / 365
        return WEEKDAY_WEIGHTS[day.date.weekday()] * growth * open_weight

    def _arrival(self) -> int:
        """A time of arrival at the desk: 07:30 to 19:30, busiest around 09:30."""
        return local_us(self.draw.rng.triangular(7.5, 19.5, 9.5))

    def _patient(self, day: Day, time_us: int, *, imported: bool) -> None:
        draw, people, p = self.draw, self.people, self.p
        random_, pick = draw.random, draw.pick
        i = len(p.id)
        if imported:
            home, device, created_by = 0, self.import_device, self.admin
        else:
            home = draw.weighted(*self._open_branches(day.index))
            device = pick(self.branches[home].reception)
            created_by = pick(self.branches[home].receptionists)
        details = draw_registration(
            draw, people, day.date, imported=imported, adults=self._adults, phones=p.phone,
            sha_numbers=p.sha_number,
        )  # fmt: skip
        person, sex, age, phone = details.person, details.sex, details.age, details.phone
        first, middle, last = person.first_name, person.middle_name, person.last_name
        dob, adult = details.date_of_birth, details.adult
        legacy = self._legacy_number() if imported else None
        residence = pick(kenya.RESIDENCES) if random_() < 0.93 else None
        op = self.numbering.take(device, NumberKind.OP, day, time_us)
        patient_id = self.ids.make(day.epoch_ms + time_us // 1000)
        made = updated = stamp(day, time_us)
        merged_into = None
        rate, chronic = self._visit_rate(age, imported)
        if not imported and i > 1000 and random_() < 0.004:
            # Registered twice, and the new record was merged into the first.
            original = draw.below(i - 1000)
            merged_into = p.id[original]
            first, middle, last, sex = p.names[original]
            phone = p.phone[original]
            updated = stamp(day, time_us + 3_600_000_000)
            rate = 0.0
        p.id.append(patient_id)
        p.registered.append(-1 if imported else day.index)
        p.registered_us.append(time_us)
        p.born.append(details.born)
        p.branch.append(home)
        p.rate.append(rate)
        p.chronic.append(chronic)
        p.sha_number.append(details.sha_number)
        p.insured.append(adult and random_() < 0.05)
        p.names.append((first, middle, last, sex))
        p.phone.append(phone)
        if adult:
            self._adults.append(i)
        self.rows.patients(
            (
                patient_id,
                op,
                legacy,
                first,
                middle,
                last,
                sex,
                dob.isoformat() if dob else None,
                details.date_of_birth_estimated,
                details.national_id,
                details.sha_number,
                details.sha_principal_number,
                phone,
                residence,
                details.next_of_kin_name,
                details.next_of_kin_phone,
                details.next_of_kin_relationship,
                self.branches[home].id,
                merged_into,
                _FLAGS[tuple(details.flagged_fields)],
                made,
                updated,
                created_by,
                device,
            )
        )

    def _visit_rate(self, age: float, imported: bool) -> tuple[float, str | None]:
        """Visits a year, and the chronic condition that brings a patient monthly."""
        random_ = self.draw.random
        if imported and random_() < 0.15:
            return 0.1, None  # in the old register, rarely seen since
        # The register's patients are the clinic's regulars when it goes live.
        regular = 3.0 if imported else 1.0
        r = random_()
        if age >= 35 and r < 0.08:
            return 12.0, "I10" if random_() < 0.65 else "E11.9"
        if r < 0.55:
            return 0.5 * regular, None
        if r < 0.85:
            return 1.5 * regular, None
        return 4.0 * regular, None

    def _legacy_number(self) -> str:
        """A paper-register number (``001/23``) or the old web app's (``OP-2023-1045``)."""
        draw = self.draw
        if draw.random() < 0.85:
            year = draw.weighted(range(2016, 2024), _REGISTER_YEARS_CW)
            serial = self._paper_serials[year] = self._paper_serials.get(year, 0) + 1
            return f"{serial:03d}/{year % 100:02d}"
        year = draw.pick((2021, 2022, 2023))
        serial = self._webapp_serials[year] = self._webapp_serials.get(year, 0) + 1
        return f"OP-{year}-{serial:03d}"

    # --- visits ---

    def plan_visits(self) -> list[list[tuple[int, int]]]:
        """Each day's arrivals, in order: (time us, patient index). A patient
        registered at the desk comes that day; the other visits go to patients
        by their visit rate over the time they keep coming after they
        registered (about 18 months, four years for chronic patients), on
        distinct days in it."""
        draw, p = self.draw, self.p
        random_ = draw.random
        n_days = len(self.days)
        plan: list[list[tuple[int, int]]] = [[] for _ in range(n_days)]
        taken: list[set[int] | None] = [None] * self.n_patients
        first_visits = 0
        for i, registered in enumerate(p.registered):
            if registered >= 0:
                plan[registered].append((p.registered_us[i] + draw.between(1, 10) * MINUTE_US, i))
                taken[i] = {registered}
                first_visits += 1
        expovariate = draw.rng.expovariate
        until = [
            min(n_days - 1, max(reg, 0) + int(expovariate(1 / (1460 if chronic else 540))))
            for reg, chronic in zip(p.registered, p.chronic, strict=True)
        ]
        weights = [
            rate * max(0, last - reg)
            for rate, reg, last in zip(p.rate, p.registered, until, strict=True)
        ]
        patient_cw = list(accumulate(weights))
        patient_total = patient_cw[-1]
        cw = self.day_cw
        remaining = self.n_visits - first_visits
        while remaining:
            placed = 0
            for _ in range(remaining):
                i = bisect_right(patient_cw, random_() * patient_total)
                low, high = p.registered[i] + 1, until[i]
                base = cw[low - 1] if low > 0 else 0.0
                span = cw[high] - base
                seen = taken[i]
                if seen is None:
                    seen = taken[i] = set()
                for _attempt in range(8):
                    d = bisect_left(cw, base + random_() * span)
                    if d not in seen and low <= d <= high:
                        seen.add(d)
                        plan[d].append((self._arrival(), i))
                        placed += 1
                        break
            if not placed:
                raise ValueError(f"could not place {remaining:,} more visits; ask for fewer")
            remaining -= placed
        for arrivals in plan:
            arrivals.sort()
        return plan

    def visits(self) -> None:
        draw, p, branches = self.draw, self.p, self.branches
        random_ = draw.random
        plan = self.plan_visits()
        self.codes = {c.code: _coded(c) for c in kenya.CONDITIONS}
        self.condition_cw = _condition_weights()
        year_seen = [0] * self.n_patients
        last = len(self.days) - 1
        done = 0
        for day in self.days:
            today = day.index == last
            queue = [0] * len(branches)
            cash = [0] * len(branches)
            shifts = [
                self.ids.make(day.epoch_ms + local_us(7) // 1000) if b.opens <= day.index else None
                for b in branches
            ]
            for time_us, i in plan[day.index]:
                b = p.branch[i]
                if random_() < 0.08:  # seen at another branch this time
                    other = draw.below(len(branches))
                    if branches[other].opens <= day.index:
                        b = other
                queue[b] += 1
                status = self._status(today)
                is_new = year_seen[i] != day.date.year
                if status != "CANCELLED":
                    year_seen[i] = day.date.year
                cash[b] += self._visit(
                    day, time_us, i, branches[b], shifts[b], queue[b], status, is_new
                )
            self._shifts(day, shifts, cash, today)
            done += len(plan[day.index])
            if self.rows.count() >= ROWS_PER_BATCH or today:
                self.rows.flush()
                self.progress("visits", done, self.n_visits)

    def _status(self, today: bool) -> str:
        r = self.draw.random()
        if not today:
            if r < 0.964:
                return "COMPLETED"
            if r < 0.988:
                return "CANCELLED"
            return "WAITING_PHARMACY" if r < 0.996 else "WAITING_LAB"  # left without them
        for status, share in (
            ("REGISTERED", 0.1),
            ("TRIAGED", 0.2),
            ("WAITING_CONSULTATION", 0.35),
            ("IN_CONSULTATION", 0.4),
            ("WAITING_LAB", 0.5),
            ("WAITING_PHARMACY", 0.6),
            ("CANCELLED", 0.62),
        ):
            if r < share:
                return status
        return "COMPLETED"

    def _visit(
        self,
        day: Day,
        t: int,
        i: int,
        branch: Branch,
        shift: str | None,
        queue: int,
        status: str,
        is_new: bool,
    ) -> int:
        """One visit and all that hangs off it; returns the cash taken."""
        draw = self.draw
        pick = draw.pick
        visit_id = self.ids.make(day.epoch_ms + t // 1000)
        receptionist, desk = pick(branch.receptionists), pick(branch.reception)
        made = stamp(day, t)
        consulted = status in ("IN_CONSULTATION", "WAITING_LAB", "WAITING_PHARMACY", "COMPLETED")
        child = day.date.year - self.p.born[i] < 13
        complaint = examination = plan = clinician = signed_at = cancel = None
        conditions: list[Coded] = []
        t_consult = t + draw.between(20, 90) * MINUTE_US
        if consulted:
            clinician = pick(branch.clinicians)
            conditions = self._diagnose(day, i, child)
            complaint = pick(conditions[0].condition.complaints)
            if draw.random() < 0.6:
                examination = pick(kenya.EXAMINATIONS)
            plan = "; ".join([c.plan for c in conditions])
            if status != "IN_CONSULTATION":
                signed_at = stamp(day, t_consult + 10 * MINUTE_US)
        elif status == "CANCELLED":
            cancel = pick(kenya.CANCEL_REASONS)
        updated = signed_at or (stamp(day, t + 30 * MINUTE_US) if cancel else made)
        self.rows.visits(
            (
                visit_id,
                self.p.id[i],
                branch.id,
                day.iso,
                is_new,
                status,
                queue,
                complaint,
                examination,
                plan,
                clinician,
                signed_at,
                cancel,
                made,
                updated,
                receptionist,
                desk,
            )
        )
        if status == "CANCELLED":
            return 0
        # The consultation fee is billed at the desk on arrival.
        lines: list[tuple[Service, str]] = [
            (self.services["CONS-NEW" if is_new else "CONS-RE"], "")
        ]
        if consulted:
            lines += self._orders(
                day, t_consult, visit_id, status, conditions, child, branch, clinician
            )
        return self._bill(day, t, visit_id, i, branch, shift, status, lines, receptionist, desk)

    def _diagnose(self, day: Day, i: int, child: bool) -> list[Coded]:
        draw = self.draw
        cw = self.condition_cw[(day.date.month, child)]
        picked: list[Coded] = []
        chronic = self.p.chronic[i]
        if chronic:
            picked.append(self.codes[chronic])
            if draw.random() < 0.6:
                return picked
        r = draw.random()
        count = 1 if r < 0.65 else 2 if r < 0.93 else 3
        while len(picked) < count:
            coded = self.codes[draw.weighted(kenya.CONDITIONS, cw).code]
            if coded not in picked:
                picked.append(coded)
        return picked

    def _orders(
        self,
        day: Day,
        t: int,
        visit_id: str,
        status: str,
        conditions: list[Coded],
        child: bool,
        branch: Branch,
        clinician: str,
    ) -> list[tuple[Service, str]]:
        """Diagnoses, lab requests and prescriptions; returns the lines to bill."""
        draw = self.draw
        random_, pick = draw.random, draw.pick
        make_id = self.ids.make
        services, rows = self.services, self.rows
        device = branch.consult_device
        ms = day.epoch_ms + t // 1000
        made = stamp(day, t)
        labs: list[str] = []
        drugs: list[str] = []
        procedure = None
        for n, coded in enumerate(conditions):
            rows.diagnoses(
                (
                    make_id(ms),
                    visit_id,
                    coded.code,
                    coded.description,
                    n == 0,
                    made,
                    clinician,
                    device,
                )
            )
            condition = coded.condition
            if condition.labs and random_() < 0.55:
                labs.append(condition.labs[0])
                if len(condition.labs) > 1 and random_() < 0.3:
                    labs.append(condition.labs[1])
            regimens = (
                condition.child_regimens
                if child and condition.child_regimens
                else condition.regimens
            )
            if regimens:
                drugs.extend(pick(regimens))
            if condition.procedure and random_() < 0.7:
                procedure = condition.procedure
        lines: list[tuple[Service, str]] = []
        resulted = status in ("WAITING_PHARMACY", "COMPLETED")
        for code in dict.fromkeys(labs):
            name, _, results = kenya.LAB_TESTS[code]
            service = services[f"LAB-{code}"]
            technician = result = at = None
            if resulted:
                technician = pick(branch.lab_technicians)
                result, at = pick(results), stamp(day, t + 40 * MINUTE_US)
            rows.lab_requests(
                (
                    make_id(ms),
                    visit_id,
                    name,
                    service.id,
                    "RESULTED" if resulted else "REQUESTED",
                    result,
                    at,
                    technician,
                    made,
                    at or made,
                    clinician,
                    device,
                )
            )
            lines.append((service, name))
        if not resulted:
            return lines
        dispensed = status == "COMPLETED"
        pharmacist = pick(branch.pharmacists) if dispensed else None
        dispensed_at = stamp(day, t + 50 * MINUTE_US) if dispensed else None
        for code in dict.fromkeys(drugs):
            drug = kenya.DRUGS[code]
            service = services[f"DRUG-{code}"]
            rows.prescriptions(
                (
                    make_id(ms),
                    visit_id,
                    drug.name,
                    drug.dose,
                    drug.frequency,
                    drug.duration,
                    drug.quantity,
                    service.id,
                    dispensed_at,
                    pharmacist,
                    made,
                    dispensed_at or made,
                    clinician,
                    device,
                )
            )
            if dispensed:
                lines.append((service, drug.name))
        if procedure and dispensed:
            lines.append((services[f"PROC-{procedure}"], ""))
        return lines

    def _bill(
        self,
        day: Day,
        t: int,
        visit_id: str,
        i: int,
        branch: Branch,
        shift: str | None,
        status: str,
        lines: list[tuple[Service, str]],
        receptionist: str,
        desk: str,
    ) -> int:
        """The visit's invoice, its lines and its payments; returns the cash taken."""
        draw = self.draw
        make_id = self.ids.make
        ms = day.epoch_ms + t // 1000
        issued = stamp(day, t + MINUTE_US)
        invoice_id = make_id(ms)
        add_line = self.rows.invoice_lines
        total = 0
        for service, description in lines:
            price = service.price(day.index)
            total += price
            add_line(
                (
                    make_id(ms),
                    invoice_id,
                    service.id,
                    description or service.name,
                    1,
                    price,
                    price,
                    issued,
                    receptionist,
                    desk,
                )
            )
        completed = status == "COMPLETED"
        t_pay = t + (draw.between(60, 150) if completed else draw.between(2, 10)) * MINUTE_US
        due = total if completed else lines[0][0].price(day.index)
        r = draw.random()
        if (not completed and r < 0.2) or (completed and r < 0.005):
            due = 0  # not paid yet, or a debtor
        elif completed and r < 0.02:
            due = max(0, total - draw.between(1, 5) * 10_000)  # a balance left owing
        paid, cash = self._payments(day, t_pay, invoice_id, i, branch, shift, due)
        state = "PAID" if paid >= total else "PARTIALLY_PAID" if paid else "OPEN"
        self.rows.invoices(
            (
                invoice_id,
                visit_id,
                self.p.id[i],
                branch.id,
                state,
                total,
                paid,
                issued,
                issued,
                stamp(day, t_pay) if paid else issued,
                receptionist,
                desk,
            )
        )
        return cash

    def _payments(
        self, day: Day, t: int, invoice_id: str, i: int, branch: Branch, shift: str | None, due: int
    ) -> tuple[int, int]:
        """Payments of ``due`` cents; returns what was paid and the cash in it."""
        if due <= 0:
            return 0, 0
        draw = self.draw
        random_ = draw.random
        parts: list[tuple[str, int]] = []
        if self.p.sha_number[i] and day.date >= SHA_START and random_() < 0.6:
            parts.append(("SHA", due))
        elif self.p.insured[i] and random_() < 0.7:
            parts.append(("INSURANCE", due))
        elif due >= 40_000 and random_() < 0.08:
            first = draw.between(1, due // 5_000) * 5_000
            parts += [("CASH", first), ("MPESA", due - first)]
        else:
            r = random_()
            parts.append(
                (
                    "MPESA" if r < 0.56 else "CASH" if r < 0.95 else "CARD" if r < 0.99 else "BANK",
                    due,
                )
            )
        cash = 0
        for method, amount in parts:
            if random_() < 0.002:  # entered wrongly, reversed, entered again
                wrong = amount + draw.pick((-1, 1)) * draw.between(1, 10) * 1_000
                if wrong > 0:
                    original = self._payment(day, t, invoice_id, i, branch, shift, method, wrong)
                    t += 2 * MINUTE_US
                    self._payment(
                        day,
                        t,
                        invoice_id,
                        i,
                        branch,
                        shift,
                        method,
                        -wrong,
                        reverses=original,
                        reason=draw.pick(kenya.REVERSAL_REASONS),
                    )
                    t += MINUTE_US
            self._payment(day, t, invoice_id, i, branch, shift, method, amount)
            if method == "CASH":
                cash += amount
            t += MINUTE_US // 2
        return due, cash

    def _payment(
        self,
        day: Day,
        t: int,
        invoice_id: str,
        i: int,
        branch: Branch,
        shift: str | None,
        method: str,
        amount: int,
        *,
        reverses: str | None = None,
        reason: str | None = None,
    ) -> str:
        draw = self.draw
        payment_id = self.ids.make(day.epoch_ms + t // 1000)
        reference = None
        if method == "MPESA":
            letter = "PQRSTUVWXYZ"[day.date.year - 2021]  # M-Pesa codes start with the year's
            reference = (
                f"{letter}{draw.pick(_MPESA_TRIPLES)}{draw.pick(_MPESA_TRIPLES)}"
                f"{draw.pick(_MPESA_TRIPLES)}"
            )
        elif method == "SHA":
            reference = self.p.sha_number[i]
        elif method == "INSURANCE":
            reference = f"{draw.pick(kenya.INSURERS)}/{draw.between(10**5, 10**7)}"
        elif method == "CARD":
            reference = f"AUTH{draw.below(10**6):06d}"
        elif method == "BANK":
            reference = f"FT{draw.below(10**10):010d}"
        receipt = None
        if reverses is None:
            receipt = self.numbering.take(branch.cashier_device, NumberKind.RECEIPT, day, t)
        cashier = branch.cashiers[day.index % len(branch.cashiers)]
        at = stamp(day, t)
        self.rows.payments(
            (
                payment_id,
                invoice_id,
                branch.id,
                method,
                amount,
                reference,
                receipt,
                cashier,
                shift,
                at,
                reverses,
                reason,
                at,
                cashier,
                branch.cashier_device,
            )
        )
        return payment_id

    def _shifts(self, day: Day, shifts: list[str | None], cash: list[int], today: bool) -> None:
        """The day's cashier shift at each open branch; today's is still open."""
        opened, closed = stamp(day, local_us(7)), stamp(day, local_us(21.5))
        for b, branch in enumerate(self.branches):
            shift = shifts[b]
            if shift is None:
                continue
            cashier = branch.cashiers[day.index % len(branch.cashiers)]
            opening = 200_000
            if today:
                row = (
                    shift,
                    branch.id,
                    cashier,
                    opened,
                    opening,
                    None,
                    None,
                    None,
                    None,
                    opened,
                    opened,
                    cashier,
                    branch.cashier_device,
                )
            else:
                expected = opening + cash[b]
                variance = 0 if self.draw.random() < 0.9 else self.draw.between(-10, 3) * 5_000
                row = (
                    shift,
                    branch.id,
                    cashier,
                    opened,
                    opening,
                    closed,
                    expected,
                    expected + variance,
                    variance,
                    opened,
                    closed,
                    cashier,
                    branch.cashier_device,
                )
            self.rows.shifts(row)

    def leases(self) -> None:
        for lease in self.numbering.leases:
            self.rows.number_leases(
                (
                    lease.id,
                    lease.device,
                    lease.kind.value,
                    lease.year,
                    lease.first,
                    lease.last,
                    lease.next,
                    lease.leased_at,
                    lease.device,
                )
            )
        self.rows.flush()


_MPESA_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_FLAGS = {
    flags: json.dumps(list(flags))
    for flags in ((), ("date_of_birth",), ("phone",), ("date_of_birth", "phone"))
}
_MPESA_TRIPLES = [a + b + c for a in _MPESA_CHARS for b in _MPESA_CHARS for c in _MPESA_CHARS]
_REGISTER_YEARS_CW = list(accumulate((1, 2, 4, 6, 9, 12, 16, 20)))  # paper register, 2016-2023


def _day(index: int, on: date) -> Day:
    midnight = datetime(on.year, on.month, on.day, tzinfo=UTC)
    return Day(index, on, on.isoformat(), int(midnight.timestamp()) * 1000)


def _coded(condition: kenya.Condition) -> Coded:
    """The condition's code checked against the WHO list, with its WHO description."""
    diagnosis = check_icd10(condition.code)
    return Coded(
        condition,
        diagnosis.code,
        diagnosis.description,
        f"{diagnosis.code} {diagnosis.description}",
    )


def _condition_weights() -> dict[tuple[int, bool], list[float]]:
    """Cumulative weights of the conditions by (month, child): malaria peaks
    in the long rains and again at the end of the year."""
    table = {}
    for month in range(1, 13):
        season = 1.8 if month in (4, 5, 6, 7) else 1.4 if month in (11, 12) else 0.8
        for child in (False, True):
            table[(month, child)] = list(
                accumulate(
                    (c.child_weight if child else c.adult_weight)
                    * (season if c.malaria_season else 1.0)
                    for c in kenya.CONDITIONS
                )
            )
    return table


@cache
def own_device_id(seed: int) -> str:
    """The generated store's own device id (reception desk 1 at MAIN)."""
    return Ids(f"{seed}:device").make(int(datetime(2023, 1, 1, tzinfo=UTC).timestamp()) * 1000)


# --- the two processes -----------------------------------------------------------------------


def _draw_rows(pipe: Connection, options: dict[str, Any]) -> None:
    """The drawing process: sends ("rows", batch) and ("progress", what, done,
    of) messages, then ("done", first day, last day)."""
    try:
        rows = Rows(lambda batch: pipe.send(("rows", batch)))
        generator = ClinicGenerator(
            rows, progress=lambda what, done, of: pipe.send(("progress", what, done, of)), **options
        )
        generator.run()
        pipe.send(("done", generator.days[0].iso, generator.days[-1].iso))
    except BaseException as error:
        pipe.send(("failed", f"{type(error).__name__}: {error}"))
        raise
    finally:
        pipe.close()


def _secondary_indexes(
    connection: sqlite3.Connection, tables: Sequence[str]
) -> list[tuple[str, str]]:
    marks = ", ".join("?" for _ in tables)
    rows: list[tuple[str, str]] = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({marks}) ORDER BY name",
        tuple(tables),
    ).fetchall()
    return rows


def generate(
    out: Path,
    *,
    patients: int = DEFAULT_PATIENTS,
    visits: int = DEFAULT_VISITS,
    seed: int = DEFAULT_SEED,
    end: date = DEFAULT_END,
    years: int = DEFAULT_YEARS,
    search_by_triggers: bool = False,
    defer_indexes: bool = True,
    check: bool = False,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Build the data set in ``out``, which must not hold a store yet; returns
    what ``dataset.json`` records. ``search_by_triggers`` fills the search
    index through its triggers row by row instead of rebuilding it at the end
    (slower; to check both give the same index); ``check`` runs SQLite's
    foreign key and search index integrity checks at the end."""
    imported = round(patients * IMPORTED_SHARE)
    if visits < patients - imported:
        raise ValueError(
            f"ask for at least {patients - imported:,} visits: every patient"
            " registered at the desk came for a visit"
        )
    target = out / STORE_FILE
    if target.exists():
        raise FileExistsError(f"{target} already exists; remove it or choose another --out")
    scratch = out / ".generating"
    shutil.rmtree(scratch, ignore_errors=True)
    started = time.perf_counter()
    open_local_store(scratch, encrypted=False).close()  # plain: written fast by sqlite3
    device = own_device_id(seed)
    engine = create_sqlite_engine(scratch / STORE_FILE)
    raw = engine.raw_connection()
    connection: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    options = {
        "patients": patients,
        "visits": visits,
        "seed": seed,
        "end": end,
        "years": years,
        "own_device": device,
    }
    drawer = context.Process(target=_draw_rows, args=(sending, options), name="bench-draw")
    counts = dict.fromkeys(TABLES, 0)
    try:
        connection.execute(
            "UPDATE store_settings SET value = ? WHERE key = 'device_id'",
            (json.dumps(str(uuid.UUID(hex=device))),),
        )
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "cache_size=-1000000",
            "foreign_keys=OFF",
        ):
            connection.execute(f"PRAGMA {pragma}")
        indexes = _secondary_indexes(connection, BULK_TABLES) if defer_indexes else []
        for name, _ in indexes:
            connection.execute(f"DROP INDEX {name}")
        paused = None if search_by_triggers else search_index.pause_indexing(connection)
        statements = {name: table.sql for name, table in TABLES.items()}
        drawer.start()
        sending.close()
        while True:
            try:
                message = receiving.recv()
            except EOFError:
                raise RuntimeError("the drawing process stopped (its error is above)") from None
            if message[0] == "rows":
                connection.execute("BEGIN")
                for name in LOAD_ORDER:
                    batch = message[1].get(name)
                    if batch:
                        connection.executemany(statements[name], batch)
                        counts[name] += len(batch)
                connection.execute("COMMIT")
            elif message[0] == "progress":
                _, what, done, of = message
                elapsed = time.perf_counter() - started
                total = sum(counts.values())
                say(
                    f"{what:>9} {done:>10,} of {of:<10,} rows {total:>11,}"
                    f" {total / elapsed:>8,.0f} rows/s {elapsed:7.1f} s"
                )
            elif message[0] == "done":
                first_day, last_day = message[1], message[2]
                break
            else:
                raise RuntimeError(f"drawing the rows failed: {message[1]}")
        drawer.join()
        loaded = time.perf_counter()
        say(
            f"loaded {sum(counts.values()):,} rows in {loaded - started:.1f} s (CPU: drawing"
            f" {_cpu_seconds(children=True):.0f} s, writing {_cpu_seconds():.0f} s);"
            " building the indexes"
        )
        connection.execute("BEGIN")
        for _, sql in indexes:
            connection.execute(sql)
        between = time.perf_counter()
        if paused is not None:
            search_index.resume_indexing(connection, paused)
        for statement in search_index.MERGES:  # as migrations 0015 and 0016 leave a store
            connection.execute(statement)
        connection.execute("COMMIT")
        indexed = time.perf_counter()
        say(
            f"built {len(indexes)} indexes in {between - loaded:.1f} s and the patient search"
            f" index (merged into one segment a table) in {indexed - between:.1f} s"
        )
        if check:
            problems = connection.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"rows that break foreign keys: {problems[:5]}")
            for table in ("patient_search_names", "patient_search_numbers"):
                connection.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
            say(f"foreign keys and search index checked in {time.perf_counter() - indexed:.1f} s")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        if drawer.is_alive():
            drawer.terminate()
        raw.close()
        engine.dispose()
    seconds = time.perf_counter() - started
    manifest = {
        "patients": patients,
        "visits": visits,
        "seed": seed,
        "first_day": first_day,
        "last_day": last_day,
        "device_id": str(uuid.UUID(hex=device)),
        "rows": counts,
        "seconds": round(seconds, 1),
        "search_index": "triggers" if search_by_triggers else "rebuilt",
    }
    (scratch / STORE_FILE).rename(target)
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    total = sum(counts.values())
    say(
        f"done: {total:,} rows in {seconds:.1f} s ({total / seconds:,.0f} rows/s; CPU: drawing"
        f" {_cpu_seconds(children=True):.0f} s, writing {_cpu_seconds():.0f} s);"
        f" {target.stat().st_size / 1e9:.2f} GB in {target}"
    )
    return manifest


def _cpu_seconds(*, children: bool = False) -> float:
    try:
        import resource
    except ImportError:  # not on Windows
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _count(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value <= 0:
        raise argparse.ArgumentTypeError("must be above 0")
    return value


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Build a deterministic Kenyan clinic in a local store (see bench/README.md).",
    )
    parser.add_argument(
        "--out", type=Path, help="folder for the store (default bench/data/<P>p-<V>v-seed<S>)"
    )
    parser.add_argument("--patients", type=_count, default=DEFAULT_PATIENTS)
    parser.add_argument("--visits", type=_count, default=DEFAULT_VISITS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=DEFAULT_END,
        help=f"the data set's last day, its 'today' (default {DEFAULT_END})",
    )
    parser.add_argument("--years", type=_count, default=DEFAULT_YEARS)
    parser.add_argument(
        "--search-by-triggers",
        action="store_true",
        help="fill the search index through its triggers, row by row",
    )
    parser.add_argument(
        "--check", action="store_true", help="check foreign keys and the search index at the end"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    out = args.out or default_data_dir(args.patients, args.visits, args.seed)
    try:
        generate(
            out,
            patients=args.patients,
            visits=args.visits,
            seed=args.seed,
            end=args.end,
            years=args.years,
            search_by_triggers=args.search_by_triggers,
            check=args.check,
        )
    except (FileExistsError, ValueError, RuntimeError) as error:
        print(f"bench.generate: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
