"""Three years of a Kenyan clinic's patients and visits, drawn in time order.

    rows = CentralGenerator(branches, patients=3000, visits=9000, seed=1, end=today).rows()

Three branches (their staff and desks given as :class:`BranchStaff`, the
third opening after the first year): 30% of the patients come from the paper
register on day 0 (legacy numbers, ages, a few flagged values), the rest
register at the desk and are seen that day; the other visits go to patients
registered before, on days weighted by weekday and growth. Names, phones and
ids come from :class:`clinic.demo.people.People`; complaints and plans from
:data:`clinic.demo.kenya.CONDITIONS`.

Rows are tuples in the order of :data:`PATIENT_COLUMNS` and
:data:`VISIT_COLUMNS`, with values as PostgreSQL's ``COPY`` reads them (times
as UTC text, ids as hex): the server writes them (``server.demo``). Every
value a PC could send back is already in its checked form
(:func:`check_patients` says so for a sample). The same seed gives the same
rows.
"""

from __future__ import annotations

import json
import uuid
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

from clinic.demo import kenya
from clinic.demo.draws import CLOCK, MINUTE_US, Draw, Ids, local_us
from clinic.demo.people import People, draw_registration
from clinic.enums import VisitStatus
from clinic.patients.service import EDITABLE_FIELDS, clean_patient_fields
from clinic.rules.diagnoses import check_icd10
from clinic.rules.numbers import NumberKind, format_number

YEARS = 3
IMPORTED_SHARE = 0.30
WEEKDAY_WEIGHTS = (1.25, 1.1, 1.05, 1.0, 1.0, 0.8, 0.45)

PATIENT_COLUMNS = (
    "id", "op_number", "legacy_number", "first_name", "middle_name", "last_name", "sex",
    "date_of_birth", "date_of_birth_estimated", "national_id", "sha_number",
    "sha_principal_number", "phone", "residence", "next_of_kin_name", "next_of_kin_phone",
    "next_of_kin_relationship", "registered_branch_id", "merged_into", "flagged_fields",
    "created_at", "updated_at", "created_by", "device_id", "version", "deleted_at",
)  # fmt: skip
VISIT_COLUMNS = (
    "id", "patient_id", "branch_id", "visit_date", "is_new", "status", "queue_position",
    "complaint", "history", "examination", "plan", "clinician_id", "signed_at",
    "cancel_reason", "created_at", "updated_at", "created_by", "device_id", "version",
    "deleted_at",
)  # fmt: skip


def check_columns(model: Any, columns: tuple[str, ...]) -> None:
    """Fail loudly when the model grew a column the rows do not fill (a
    required one) or lost one they do."""
    table = model.__table__
    unknown = set(columns) - set(table.columns.keys())
    required = {c.name for c in table.columns if not c.nullable and c.server_default is None} - set(
        columns
    )
    if unknown or required:
        raise RuntimeError(
            f"clinic/demo/history.py is out of date for {table.name}: unknown columns"
            f" {sorted(unknown)}, required columns not written {sorted(required)}"
        )


@dataclass
class BranchStaff:
    """A branch as the history needs it: when it opens, its share of the
    patients, and who and which desks write its rows."""

    id: uuid.UUID
    code: str
    opens: int  # day index
    weight: float
    desks: list[str] = field(default_factory=list)  # device ids, hex
    receptionists: list[str] = field(default_factory=list)
    clinicians: list[str] = field(default_factory=list)


DAY_US = 86_400 * 1_000_000


def _stamp(day: date, us: int) -> str:
    """PostgreSQL text of a UTC moment ``us`` microseconds after ``day``'s UTC midnight."""
    if 0 <= us < DAY_US:
        return f"{day.isoformat()} {CLOCK[us // 1_000_000]}.{us % 1_000_000:06d}+00"
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(microseconds=us)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f+00")


def first_day(end: date) -> date:
    """The history's first day: :data:`YEARS` years before its last, ``end``."""
    return date(end.year - YEARS, end.month, end.day) + timedelta(days=1)


def epoch_ms(day: date, us: int) -> int:
    """Unix milliseconds of ``us`` microseconds after ``day``'s UTC midnight."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000 + us // 1000


class CentralGenerator:
    """Draws the patients and visits, in time order, as COPY rows."""

    def __init__(
        self, branches: list[BranchStaff], *, patients: int, visits: int, seed: int, end: date
    ) -> None:
        self.branches = branches
        self.n_patients = patients
        self.n_visits = visits
        self.draw = Draw(f"{seed}:central")
        self.people = People(Draw(f"{seed}:central-people"))
        self.ids = Ids(f"{seed}:central-ids")
        start = first_day(end)
        self.days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        self.branch_hex = [b.id.hex for b in branches]
        self._serials: dict[int, int] = {}
        self._paper_serials: dict[int, int] = {}
        # What visits need to know of each patient.
        self.p_id: list[str] = []
        self.p_branch: list[int] = []
        self.p_born: list[int] = []
        self.p_year_seen: list[int] = []
        self.adults: list[int] = []
        self.p_phone: list[str | None] = []
        self.p_sha: list[str | None] = []
        self.codes = {c.code: check_icd10(c.code) for c in kenya.CONDITIONS}
        self.condition_cw = {
            child: list(accumulate(c.child_weight if child else c.adult_weight
                                   for c in kenya.CONDITIONS))
            for child in (False, True)
        }  # fmt: skip

    # --- the plan ---

    def _open(self, day: int) -> tuple[range, list[float]]:
        weights = [b.weight if b.opens <= day else 0.0 for b in self.branches]
        return range(len(weights)), list(accumulate(weights))

    def rows(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """``("patients" | "visits", row)`` in time order, patients before their visits."""
        draw, days = self.draw, self.days
        n_imported = round(self.n_patients * IMPORTED_SHARE)
        n_new = self.n_patients - n_imported
        revisits = self.n_visits - n_new
        if revisits < 0:
            raise ValueError(
                f"--visits must be at least {n_new:,}: each patient registered at the desk"
                " was seen that day"
            )
        day_cw = list(accumulate(
            WEEKDAY_WEIGHTS[d.weekday()] * (1 + 0.2 * i / 365) * self._open(i)[1][-1]
            for i, d in enumerate(days)
        ))  # fmt: skip
        new_per_day = [0] * len(days)
        for _ in range(n_new):
            new_per_day[bisect_right(day_cw, draw.random() * day_cw[-1])] += 1
        revisits_per_day = [0] * len(days)
        for _ in range(revisits):
            revisits_per_day[bisect_right(day_cw, draw.random() * day_cw[-1])] += 1

        t = local_us(5)  # the paper register, imported before opening on day 0
        for _ in range(n_imported):
            yield "patients", self._patient(0, t, imported=True)
            t += draw.between(1_000, 3_000)
        carried = 0
        for d in range(len(days)):
            registered_before = len(self.p_id)
            arrivals = [(self._arrival(), -1) for _ in range(new_per_day[d])]
            wanted = revisits_per_day[d] + carried
            seen_today: set[int] = set()
            if registered_before:
                for _ in range(wanted * 4):
                    if len(seen_today) == wanted:
                        break
                    seen_today.add(draw.below(registered_before))
            carried = wanted - len(seen_today)
            arrivals += [(self._arrival(), i) for i in sorted(seen_today)]
            arrivals.sort()
            queue = [0] * len(self.branches)
            for time_us, i in arrivals:
                if i < 0:
                    yield "patients", self._patient(d, time_us, imported=False)
                    i = len(self.p_id) - 1
                    time_us += draw.between(2, 10) * MINUTE_US
                yield "visits", self._visit(d, time_us, i, queue)
        if carried:
            raise ValueError(f"could not place {carried:,} visits; ask for fewer")

    def _arrival(self) -> int:
        """07:30 to 19:30 in Nairobi, busiest around 09:30."""
        return local_us(self.draw.rng.triangular(7.5, 19.5, 9.5))

    # --- patients ---

    def _patient(self, d: int, time_us: int, *, imported: bool) -> tuple[Any, ...]:
        draw, people = self.draw, self.people
        random_, pick = draw.random, draw.pick
        day = self.days[d]
        home = 0 if imported else draw.weighted(*self._open(d))
        branch = self.branches[home]
        details = draw_registration(
            draw, people, day, imported=imported, adults=self.adults, phones=self.p_phone,
            sha_numbers=self.p_sha,
        )  # fmt: skip
        legacy = None
        if imported:
            year = 2016 + draw.below(8)
            serial = self._paper_serials[year] = self._paper_serials.get(year, 0) + 1
            legacy = f"{serial:03d}/{year % 100:02d}"
        serial = self._serials[day.year] = self._serials.get(day.year, 0) + 1
        op_number = format_number(NumberKind.OP, day.year, serial)
        residence = pick(kenya.RESIDENCES) if random_() < 0.93 else None
        patient_id = self.ids.make(epoch_ms(day, time_us))
        made = _stamp(day, time_us)
        i = len(self.p_id)
        self.p_id.append(patient_id)
        self.p_branch.append(home)
        self.p_born.append(details.born)
        self.p_year_seen.append(0)
        self.p_phone.append(details.phone)
        self.p_sha.append(details.sha_number)
        if details.adult:
            self.adults.append(i)
        dob = details.date_of_birth.isoformat() if details.date_of_birth else None
        person = details.person
        return (
            patient_id, op_number, legacy, person.first_name, person.middle_name,
            person.last_name, details.sex, dob, details.date_of_birth_estimated,
            details.national_id, details.sha_number, details.sha_principal_number,
            details.phone, residence, details.next_of_kin_name, details.next_of_kin_phone,
            details.next_of_kin_relationship, self.branch_hex[home], None,
            json.dumps(details.flagged_fields), made, made, pick(branch.receptionists),
            pick(branch.desks), 1, None,
        )  # fmt: skip

    # --- visits ---

    def _status(self, last_day: bool) -> str:
        r = self.draw.random()
        if not last_day:
            if r < 0.964:
                return VisitStatus.COMPLETED
            if r < 0.988:
                return VisitStatus.CANCELLED
            return VisitStatus.WAITING_PHARMACY if r < 0.996 else VisitStatus.WAITING_LAB
        for status, share in ((VisitStatus.REGISTERED, 0.1), (VisitStatus.TRIAGED, 0.2),
                              (VisitStatus.WAITING_CONSULTATION, 0.35),
                              (VisitStatus.IN_CONSULTATION, 0.4), (VisitStatus.WAITING_LAB, 0.5),
                              (VisitStatus.WAITING_PHARMACY, 0.6),
                              (VisitStatus.CANCELLED, 0.62)):  # fmt: skip
            if r < share:
                return status
        return VisitStatus.COMPLETED

    def _visit(self, d: int, t: int, i: int, queue: list[int]) -> tuple[Any, ...]:
        draw = self.draw
        pick, random_ = draw.pick, draw.random
        day = self.days[d]
        b = self.p_branch[i]
        if random_() < 0.08:  # seen at another branch this time
            other = draw.below(len(self.branches))
            if self.branches[other].opens <= d:
                b = other
        branch = self.branches[b]
        queue[b] += 1
        status = self._status(d == len(self.days) - 1)
        is_new = self.p_year_seen[i] != day.year
        if status != VisitStatus.CANCELLED:
            self.p_year_seen[i] = day.year
        made = _stamp(day, t)
        complaint = history = examination = plan = clinician = signed_at = cancel = None
        if status in (VisitStatus.IN_CONSULTATION, VisitStatus.WAITING_LAB,
                      VisitStatus.WAITING_PHARMACY, VisitStatus.COMPLETED):  # fmt: skip
            clinician = pick(branch.clinicians)
            child = day.year - self.p_born[i] < 13
            cw = self.condition_cw[child]
            first = draw.weighted(kenya.CONDITIONS, cw)
            conditions = [first]
            if random_() < 0.35:
                second = draw.weighted(kenya.CONDITIONS, cw)
                if second.code != first.code:
                    conditions.append(second)
            complaint = pick(first.complaints)
            if random_() < 0.5:
                history = "No known drug allergies. Not on any medication."
            if random_() < 0.6:
                examination = pick(kenya.EXAMINATIONS)
            plan = "; ".join(
                f"{self.codes[c.code].code} {self.codes[c.code].description}" for c in conditions
            )
            if status != VisitStatus.IN_CONSULTATION:
                signed_at = _stamp(day, t + draw.between(30, 100) * MINUTE_US)
        elif status == VisitStatus.CANCELLED:
            cancel = pick(kenya.CANCEL_REASONS)
        updated = signed_at or (_stamp(day, t + 30 * MINUTE_US) if cancel else made)
        return (
            self.ids.make(epoch_ms(day, t)), self.p_id[i], self.branch_hex[b], day.isoformat(),
            is_new, str(status), queue[b], complaint, history, examination, plan, clinician,
            signed_at, cancel, made, updated, pick(branch.receptionists), pick(branch.desks), 1,
            None,
        )  # fmt: skip


def check_patients(rows: list[tuple[Any, ...]], today: date) -> None:
    """Every value a PC could send back must already be in its checked form
    (the server refuses anything else)."""
    names = [n for n in PATIENT_COLUMNS if n in EDITABLE_FIELDS]
    positions = [PATIENT_COLUMNS.index(n) for n in names]
    for row in rows:
        values = {n: row[p] for n, p in zip(names, positions, strict=True)}
        values["date_of_birth"] = date.fromisoformat(values["date_of_birth"]) if values[
            "date_of_birth"] else None  # fmt: skip
        cleaned = clean_patient_fields(values, today=today)
        for name, value in cleaned.items():
            if value != values[name]:
                raise RuntimeError(f"generated {name} {values[name]!r} is not in checked form")
