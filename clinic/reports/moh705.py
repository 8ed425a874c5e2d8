"""MOH 705A (under 5 years) and MOH 705B (5 years and over): the Ministry
of Health's monthly outpatient morbidity summary. Each row of the paper
form, its new cases per day of the month (columns 1-31) and the total; then
the first attendances and re-attendances.

Which ICD-10 codes fall in which row is data: ``resources/moh705a_rows.csv``
and ``resources/moh705b_rows.csv`` (``row,label,icd10``). A code is a
category (``A09``), a subcategory (``A09.9``) or a range of categories of
one letter (``B50-B53``); a diagnosis goes to the row of the longest code
that starts it (``A09.9`` to "Diarrhoea", other ``A09`` to
"Gastroenteritis"); a row without codes is on the form but cannot be told
from a diagnosis (tested for malaria); everything else, ICD-11 codes
included, goes to the ``OTHER`` row, "All other diseases".

A case is a diagnosis on a visit of the month that was not cancelled. The
age group is the patient's age on the day of the visit; patients without a
date of birth are in neither form, and a third table counts them so the two
forms and it add up to every diagnosis of the month.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import case, func, null, select, union_all
from sqlalchemy.orm import Session

from clinic.enums import VisitStatus
from clinic.errors import InvalidValue
from clinic.paths import resources_dir
from clinic.patients.models import Patient
from clinic.reports.base import (
    Cell,
    Chart,
    ChartKind,
    Column,
    ColumnKind,
    ReportRequest,
    ReportResult,
    Table,
)
from clinic.reports.names import MOH705A, MOH705B
from clinic.reports.shared import branch_ids, column_total
from clinic.rules.ages import under_five
from clinic.rules.diagnoses import ICD10
from clinic.visits.models import Diagnosis, Visit

OTHER = "OTHER"
DAYS = range(1, 32)
TOP_DIAGNOSES = 10
COUNT = ColumnKind.COUNT
_CATEGORY = re.compile(r"[A-Z]\d\d")
_SUBCATEGORY = re.compile(r"[A-Z]\d\d\.\d{1,2}")
_RANGE = re.compile(r"([A-Z])(\d\d)-([A-Z])(\d\d)")


@dataclass(frozen=True)
class FormRow:
    number: int
    label: str


@dataclass(frozen=True)
class Form:
    """One MOH 705 form: its rows in order and which row each code goes to."""

    name: str
    title: str
    rows: tuple[FormRow, ...]
    codes: dict[str, FormRow]
    other: FormRow

    def row_of(self, system: str, code: str) -> FormRow:
        if system == ICD10:
            for length in (len(code), 3):
                found = self.codes.get(code[:length])
                if found is not None:
                    return found
        return self.other


def _expand(spec: str, where: str) -> list[str]:
    """The codes a spec names: itself, or every category of a range
    (``S00-T14`` is S00 to S99 then T00 to T14)."""
    if _CATEGORY.fullmatch(spec) or _SUBCATEGORY.fullmatch(spec):
        return [spec]
    matched = _RANGE.fullmatch(spec)
    if matched is None or (matched[1], matched[2]) > (matched[3], matched[4]):
        raise ValueError(f"{where}: '{spec}' is not an ICD-10 code or a range such as B50-B53")
    first, last = (matched[1], int(matched[2])), (matched[3], int(matched[4]))
    return [
        f"{letter}{n:02d}"
        for letter in map(chr, range(ord(first[0]), ord(last[0]) + 1))
        for n in range(100)
        if first <= (letter, n) <= last
    ]


def read_form(path: Path, name: str, title: str) -> Form:
    """A form's rows from its CSV. Raises ValueError naming the line for a
    bad code, a code in two rows, or a form without its ``OTHER`` row."""
    rows: list[FormRow] = []
    codes: dict[str, FormRow] = {}
    other: FormRow | None = None
    with path.open(newline="", encoding="utf-8") as handle:
        for line, record in enumerate(csv.DictReader(handle), start=2):
            where = f"{path.name} line {line}"
            row = FormRow(int(record["row"]), record["label"].strip())
            rows.append(row)
            specs = (record["icd10"] or "").split()
            if specs == [OTHER]:
                other = row
                continue
            for spec in specs:
                for code in _expand(spec, where):
                    if code in codes:
                        raise ValueError(f"{where}: {code} is already in row {codes[code].number}")
                    codes[code] = row
    if other is None:
        raise ValueError(f"{path.name} has no {OTHER} row (all other diseases)")
    return Form(name, title, tuple(rows), codes, other)


@cache
def form(name: str) -> Form:
    """The 705A or 705B form, read once from ``resources/``."""
    title = {
        MOH705A: "MOH 705A: outpatient summary, under 5 years",
        MOH705B: "MOH 705B: outpatient summary, 5 years and over",
    }[name]
    return read_form(resources_dir() / f"{name}_rows.csv", name, title)


def _years_before(day: date, years: int) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - years, 2, 28)
    return day.replace(year=day.year - years)


def _one_month(request: ReportRequest) -> None:
    if (request.start.year, request.start.month) != (request.end.year, request.end.month):
        first = request.start.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        raise InvalidValue(
            "to",
            "The MOH 705 is a monthly form: choose days within one month"
            f" (for example {first.isoformat()} to {last.isoformat()})",
        )


class _AgeGroups:
    """Which form a patient of a date of birth belongs to on a day. The SQL
    sorts most patients by comparing their date of birth with two dates (a
    day of slack each side); the few born about five years before the month
    come back with their date of birth and are sorted here, by the rule."""

    UNDER = "a"
    OVER = "b"
    UNKNOWN = "?"
    EDGE = "edge"

    def __init__(self, request: ReportRequest) -> None:
        self.surely_under = _years_before(request.end, 5) + timedelta(days=1)
        self.surely_over = _years_before(request.start, 5) - timedelta(days=1)
        dob = Patient.date_of_birth
        self.band = case(
            (dob.is_(None), self.UNKNOWN),
            (dob > self.surely_under, self.UNDER),
            (dob < self.surely_over, self.OVER),
            else_=self.EDGE,
        ).label("band")
        self.edge_dob = case(
            (dob.between(self.surely_over, self.surely_under), dob), else_=None
        ).label("edge_dob")

    def group(self, band: str, edge_dob: date | None, day: date) -> str:
        if band != self.EDGE or edge_dob is None:
            return band
        return self.UNDER if under_five(edge_dob, day) else self.OVER


def _day_columns(first: Column, second: Column) -> list[Column]:
    days = (Column(f"d{d}", str(d), COUNT) for d in DAYS)
    return [first, second, *days, Column("total", "Total", COUNT)]


def _line(label_cells: list[Cell], per_day: Counter[int]) -> list[Cell]:
    days = [per_day[d] for d in DAYS]
    return [*label_cells, *days, sum(days)]


def _moh705(name: str, request: ReportRequest, session: Session) -> ReportResult:
    _one_month(request)
    sheet = form(name)
    wanted = _AgeGroups.UNDER if name == MOH705A else _AgeGroups.OVER
    ages = _AgeGroups(request)
    in_month = (
        Visit.branch_id.in_(branch_ids(request, session=session)),
        Visit.visit_date >= request.start,
        Visit.visit_date <= request.end,
        Visit.status != VisitStatus.CANCELLED,
        Visit.deleted_at.is_(None),
    )
    # One statement: the month's visits with their patient's age band (each
    # patient looked up once per visit, in order of id, on an index holding
    # the date of birth), then their diagnoses by day, code and band, and
    # the visits by day, first or not, and band.
    ordered = select(Visit.id, Visit.visit_date, Visit.is_new, Visit.patient_id).where(*in_month)
    month = ordered.order_by(Visit.patient_id).subquery()
    visits = (
        select(month.c.id, month.c.visit_date, month.c.is_new, ages.band, ages.edge_dob)
        .join(Patient, Patient.id == month.c.patient_id)
        .cte("month_visits")
        .prefix_with("MATERIALIZED")
    )
    diagnoses = (
        select(
            visits.c.visit_date,
            Diagnosis.code_system,
            Diagnosis.code,
            null().label("is_new"),
            visits.c.band,
            visits.c.edge_dob,
            func.count(),
        )
        .join(Diagnosis, Diagnosis.visit_id == visits.c.id)
        .where(Diagnosis.deleted_at.is_(None))
        .group_by(
            visits.c.visit_date,
            Diagnosis.code_system,
            Diagnosis.code,
            visits.c.band,
            visits.c.edge_dob,
        )
    )
    attendances_by_day = select(
        visits.c.visit_date,
        null(),
        null(),
        visits.c.is_new,
        visits.c.band,
        visits.c.edge_dob,
        func.count(),
    ).group_by(visits.c.visit_date, visits.c.is_new, visits.c.band, visits.c.edge_dob)
    cases: dict[int, Counter[int]] = {row.number: Counter() for row in sheet.rows}
    unknown_cases: Counter[int] = Counter()
    first: Counter[int] = Counter()
    again: Counter[int] = Counter()
    unknown_visits: Counter[int] = Counter()
    for day, system, code, is_new, band, edge_dob, count in session.execute(
        union_all(diagnoses, attendances_by_day)
    ):
        group = ages.group(band, edge_dob, day)
        if system is not None:  # a diagnosis
            if group == wanted:
                cases[sheet.row_of(system, code).number][day.day] += count
            elif group == _AgeGroups.UNKNOWN:
                unknown_cases[day.day] += count
        elif group == wanted:
            (first if is_new else again)[day.day] += count
        elif group == _AgeGroups.UNKNOWN:
            unknown_visits[day.day] += count

    rows = [_line([row.number, row.label], cases[row.number]) for row in sheet.rows]
    morbidity = Table(
        sheet.title,
        _day_columns(Column("row", "No."), Column("disease", "Disease")),
        rows,
        ["", "Total new cases", *(column_total(rows, i) for i in range(2, len(DAYS) + 3))],
    )
    attendance_rows = [
        _line(["", "First attendances"], first),
        _line(["", "Re-attendances"], again),
    ]
    attendances = Table(
        "Attendances",
        _day_columns(Column("row", "No."), Column("line", "Attendances")),
        attendance_rows,
        [
            "",
            "Total attendances",
            *(column_total(attendance_rows, i) for i in range(2, len(DAYS) + 3)),
        ],
    )
    unknown = Table(
        "Patients without a date of birth (in neither form)",
        _day_columns(Column("row", "No."), Column("line", "What")),
        [_line(["", "Diagnoses"], unknown_cases), _line(["", "Attendances"], unknown_visits)],
    )
    totals = {row.number: sum(cases[row.number].values()) for row in sheet.rows}
    ranked = sorted((r for r in sheet.rows if totals[r.number]), key=lambda r: -totals[r.number])
    top = Table(
        "Top diagnoses",
        (Column("disease", "Disease"), Column("cases", "New cases", COUNT)),
        [[r.label, totals[r.number]] for r in ranked[:TOP_DIAGNOSES]],
    )
    return ReportResult(
        name=name,
        title=sheet.title,
        request=request,
        tables=(morbidity, attendances, unknown, top),
        charts=(Chart("Top diagnoses", ChartKind.BAR, top.title, "disease", ("cases",)),),
    )


def moh705a(request: ReportRequest, session: Session) -> ReportResult:
    return _moh705(MOH705A, request, session)


def moh705b(request: ReportRequest, session: Session) -> ReportResult:
    return _moh705(MOH705B, request, session)
