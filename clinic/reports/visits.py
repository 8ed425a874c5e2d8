"""The visit register: one line per visit in the range (date, OP number,
patient, age on the day, sex, new or revisit, residence, diagnoses,
clinician, status, amount billed), and the visits counted by day, status
and clinician.

Three queries on the same range (visits with their patients, diagnoses,
invoices), joined in Python: a month of a busy clinic is tens of thousands
of lines, and grouping diagnoses into one cell in SQL is spelt differently
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice
from clinic.enums import InvoiceStatus, Sex, VisitStatus
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
from clinic.reports.names import VISITS
from clinic.reports.shared import branch_codes, branch_ids, column_total, staff_names
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
    in_range = (
        Visit.branch_id.in_(ids),
        Visit.visit_date >= request.start,
        Visit.visit_date <= request.end,
        Visit.deleted_at.is_(None),
    )
    diagnoses: dict[uuid.UUID, list[str]] = defaultdict(list)
    for visit_id, code in session.execute(
        select(Diagnosis.visit_id, Diagnosis.code)
        .join(Visit, Visit.id == Diagnosis.visit_id)
        .where(*in_range, Diagnosis.deleted_at.is_(None))
        .order_by(Diagnosis.visit_id, Diagnosis.is_primary.desc(), Diagnosis.created_at)
    ):
        diagnoses[visit_id].append(code)
    billed: dict[uuid.UUID | None, int] = {
        visit_id: int(total)
        for visit_id, total in session.execute(
            select(Invoice.visit_id, func.sum(Invoice.total_cents))
            .join(Visit, Visit.id == Invoice.visit_id)
            .where(
                *in_range,
                Invoice.status != InvoiceStatus.CANCELLED,
                Invoice.deleted_at.is_(None),
            )
            .group_by(Invoice.visit_id)
        )
    }
    names = staff_names(session=session)
    codes = branch_codes(session=session)
    several = len(ids) > 1
    rows: list[list[Cell]] = []
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    per_status: Counter[str] = Counter()
    per_clinician: Counter[str] = Counter()
    for row in session.execute(
        select(
            Visit.id,
            Visit.visit_date,
            Visit.branch_id,
            Patient.op_number,
            Patient.first_name,
            Patient.middle_name,
            Patient.last_name,
            Patient.date_of_birth,
            Patient.sex,
            Visit.is_new,
            Patient.residence,
            Visit.clinician_id,
            Visit.status,
        )
        .join(Patient, Patient.id == Visit.patient_id)
        .where(*in_range)
        .order_by(Visit.visit_date, Visit.branch_id, Visit.created_at, Visit.id)
    ):
        (visit_id, day, branch_id, op, first, middle, last, born, sex, new, home, who, status) = row
        clinician = names.get(who, str(who)) if who is not None else NO_CLINICIAN
        line: list[Cell] = [
            day,
            op,
            " ".join(n for n in (first, middle, last) if n),
            _age(born, day),
            Sex(sex).value,
            "new" if new else "revisit",
            home or "",
            ", ".join(diagnoses.get(visit_id, ())),
            clinician,
            VisitStatus(status).value,
            billed.get(visit_id, 0),
        ]
        if several:
            line.insert(1, codes.get(branch_id, ""))
        rows.append(line)
        counts = per_day[day]
        counts["visits"] += 1
        counts["new" if new else "revisit"] += 1
        if status == VisitStatus.CANCELLED:
            counts["cancelled"] += 1
        per_status[VisitStatus(status).value] += 1
        per_clinician[clinician] += 1

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
        [s.value, per_status[s.value]] for s in VisitStatus if per_status[s.value]
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
