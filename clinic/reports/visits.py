"""The visit register: one line per visit in the range (date, OP number,
patient, age on the day, sex, new or revisit, residence, diagnoses,
clinician, status, amount billed), and the visits counted by day, status
and clinician.

Two queries on the same range, joined in Python: the visits with their
patients and what their invoices bill, then their diagnoses (a month of a
busy clinic is tens of thousands of lines, and grouping diagnoses into one
cell in SQL is spelt differently on SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice
from clinic.enums import InvoiceStatus, VisitStatus
from clinic.org.models import Branch
from clinic.patients.models import Patient
from clinic.reports import labels
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
from clinic.reports.names import VISITS
from clinic.reports.shared import as_stored, branch_ids, column_total, staff_names
from clinic.rules.ages import age_on
from clinic.visits.models import Diagnosis, Visit

COUNT = ColumnKind.COUNT
REGISTER_TABLE = "Visit register"
DAY_TABLE = "Visits by day"
STATUS_TABLE = "Visits by status"
CLINICIAN_TABLE = "Visits by clinician"
NO_CLINICIAN = "(none yet)"


def _age(born: date | None, day: date) -> str:
    if born is None or born > day:
        return ""
    return age_on(born, day)


def visit_register(request: ReportRequest, session: Session) -> ReportResult:
    ids = branch_ids(request, session=session)
    visit = Visit.__table__.c
    patient = Patient.__table__.c
    diagnosis = Diagnosis.__table__.c
    invoice = Invoice.__table__.c
    visit_id = as_stored(visit.id)
    in_range = (
        visit.branch_id.in_(ids),
        visit.visit_date >= request.start,
        visit.visit_date <= request.end,
        visit.deleted_at.is_(None),
    )
    codes_of: dict[Any, list[str]] = defaultdict(list)
    for key, code in session.execute(
        select(as_stored(diagnosis.visit_id), diagnosis.code)
        .join(Visit.__table__, visit.id == diagnosis.visit_id)
        .where(*in_range, diagnosis.deleted_at.is_(None))
        .order_by(
            diagnosis.visit_id, diagnosis.is_primary.desc(), diagnosis.created_at, diagnosis.id
        )
    ):
        codes_of[key].append(code)
    diagnoses = {key: ", ".join(codes) for key, codes in codes_of.items()}
    billed = (
        select(func.sum(invoice.total_cents))
        .where(
            invoice.visit_id == visit.id,
            invoice.deleted_at.is_(None),
            invoice.status != InvoiceStatus.CANCELLED.value,
        )
        .scalar_subquery()
    )
    names = staff_names(session=session, stored=True)
    codes = {
        as_id: code for as_id, code in session.execute(select(as_stored(Branch.id), Branch.code))
    }
    several = len(ids) > 1
    rows: list[list[Cell]] = []
    tally: Counter[tuple[date, bool, str, str]] = Counter()
    for (
        key,
        day,
        branch,
        op,
        first,
        middle,
        last,
        born,
        sex,
        new,
        home,
        who,
        status,
        total,
    ) in session.execute(
        select(
            visit_id,
            visit.visit_date,
            as_stored(visit.branch_id),
            patient.op_number,
            patient.first_name,
            patient.middle_name,
            patient.last_name,
            patient.date_of_birth,
            type_coerce(patient.sex, String),
            visit.is_new,
            patient.residence,
            as_stored(visit.clinician_id),
            type_coerce(visit.status, String),
            billed,
        )
        .join(Patient.__table__, patient.id == visit.patient_id)
        .where(*in_range)
        .order_by(visit.visit_date, visit.created_at, visit.id)
    ):
        clinician = NO_CLINICIAN if who is None else names.get(who) or str(who)
        line: list[Cell] = [
            day,
            op,
            " ".join(filter(None, (first, middle, last))),
            _age(born, day),
            sex,
            "new" if new else "revisit",
            home or "",
            diagnoses.get(key, ""),
            clinician,
            labels.VISIT_STATUSES[status],
            int(total or 0),
        ]
        if several:
            line.insert(1, codes.get(branch, ""))
        rows.append(line)
        tally[(day, new, status, clinician)] += 1

    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    per_status: Counter[str] = Counter()
    per_clinician: Counter[str] = Counter()
    for (day, new, status, clinician), count in tally.items():
        counts = per_day[day]
        counts["visits"] += count
        counts["new" if new else "revisit"] += count
        if status == VisitStatus.CANCELLED:
            counts["cancelled"] += count
        per_status[status] += count
        per_clinician[clinician] += count

    columns = [
        Column("date", "Date", ColumnKind.DATE),
        Column("op_number", "OP number"),
        Column("patient", "Patient"),
        Column("age", "Age"),
        Column("sex", "Sex"),
        Column("new", "New/revisit"),
        Column("residence", "Residence"),
        Column("diagnoses", "Diagnoses"),
        Column("clinician", "Clinician"),
        Column("status", "Status"),
        Column("billed", "Billed", ColumnKind.MONEY),
    ]
    if several:
        columns.insert(1, Column("branch", "Branch"))
    register_totals: list[Cell] = ["Total", f"{len(rows)} visits"]
    register_totals += [""] * (len(columns) - 3)
    register_totals.append(column_total(rows, len(columns) - 1))

    day_rows: list[list[Cell]] = [
        [day, c["visits"], c["new"], c["revisit"], c["cancelled"]]
        for day, c in sorted(per_day.items())
    ]
    status_rows: list[list[Cell]] = [
        [labels.VISIT_STATUSES[s], per_status[s]] for s in VisitStatus if per_status[s]
    ]
    clinician_rows: list[list[Cell]] = [
        [name, count] for name, count in sorted(per_clinician.items(), key=lambda i: (-i[1], i[0]))
    ]
    tables = (
        Table(REGISTER_TABLE, columns, rows, register_totals),
        Table(
            DAY_TABLE,
            (
                Column("day", "Day", ColumnKind.DATE),
                Column("visits", "Visits", COUNT),
                Column("new", "New", COUNT),
                Column("revisit", "Revisits", COUNT),
                Column("cancelled", "Cancelled", COUNT),
            ),
            day_rows,
            ["Total", *(column_total(day_rows, i) for i in range(1, 5))],
        ),
        Table(
            STATUS_TABLE,
            (Column("status", "Status"), Column("visits", "Visits", COUNT)),
            status_rows,
            ["Total", column_total(status_rows, 1)],
        ),
        Table(
            CLINICIAN_TABLE,
            (Column("clinician", "Clinician"), Column("visits", "Visits", COUNT)),
            clinician_rows,
            ["Total", column_total(clinician_rows, 1)],
        ),
    )
    return ReportResult(
        name=VISITS,
        title="Visit register",
        request=request,
        tables=tables,
        charts=(
            Chart("Visits per day", ChartKind.BAR, DAY_TABLE, "day", ("new", "revisit")),
            Chart("Visits by status", ChartKind.PIE, STATUS_TABLE, "status", ("visits",)),
        ),
    )
