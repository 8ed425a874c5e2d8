"""Today's lab work in the demo clinic: at the first branch, the visits
waiting for the lab have their tests requested by their clinician (a few
visits still in consultation are sent to the lab too, so the worklist is
never empty), and the first test already has its result, a critical one,
so the clinician's queue shows the mark. Run again, it adds nothing."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.enums import Role, VisitStatus
from clinic.journal.service import record_insert
from clinic.lab.service import record_lab_results
from clinic.org.models import Branch
from clinic.visits.models import LabRequest, Visit
from clinic.visits.service import move_visit

S = VisitStatus
TESTS = (
    ("Malaria RDT", "Haemoglobin (Hb)"),
    ("Full haemogram",),
    ("Random blood sugar (RBS)", "Urinalysis"),
    ("Widal test", "Stool microscopy"),
    ("Malaria blood slide",),
    ("HIV test", "Pregnancy test"),
    ("H. pylori antigen test",),
)
AT_LEAST = 5
"""Visits the demo puts on the lab's worklist when fewer wait (as many as
today's consultations at the branch allow)."""
CRITICAL_HB = {"hb": "6.4"}


def seed_lab_work(
    session: Session,
    *,
    device_id: uuid.UUID,
    lab_technician_id: uuid.UUID,
    branch_code: str,
    today: date,
) -> int:
    """Request today's tests at ``branch_code`` (see the module docstring);
    returns how many were requested. Writes through the services, as the
    clinicians and the lab technician, in the caller's transaction."""
    branch_id = session.scalar(select(Branch.id).where(Branch.code == branch_code))
    todays = select(Visit).where(
        Visit.branch_id == branch_id, Visit.visit_date == today, Visit.deleted_at.is_(None)
    )
    already = session.scalar(
        select(LabRequest.id)
        .join(Visit, Visit.id == LabRequest.visit_id)
        .where(Visit.branch_id == branch_id, Visit.visit_date == today)
    )
    if branch_id is None or already is not None:
        return 0
    waiting = list(session.scalars(todays.where(Visit.status == S.WAITING_LAB)))
    if len(waiting) < AT_LEAST:
        consulting = session.scalars(
            todays.where(Visit.status == S.IN_CONSULTATION, Visit.clinician_id.is_not(None))
            .order_by(Visit.queue_position)
            .limit(AT_LEAST - len(waiting))
        )
        for visit in consulting:
            clinician = Actor(device_id, visit.clinician_id, Role.CLINICAL_OFFICER, branch_id)
            waiting.append(move_visit(visit.id, S.WAITING_LAB, session=session, actor=clinician))
    waiting.sort(key=lambda v: (v.queue_position or 0, v.created_at))
    requests: list[LabRequest] = []
    for index, visit in enumerate(waiting):
        clinician = Actor(device_id, visit.clinician_id, Role.CLINICAL_OFFICER, branch_id)
        for name in TESTS[index % len(TESTS)]:
            request = LabRequest(visit_id=visit.id, test_name=name)
            record_insert(session, clinician, request, action="add_lab_requests")
            requests.append(request)
    first_hb = next((r for r in requests if r.test_name == "Haemoglobin (Hb)"), None)
    if first_hb is not None:
        technician = Actor(device_id, lab_technician_id, Role.LAB_TECHNICIAN, branch_id)
        record_lab_results(first_hb.id, CRITICAL_HB, session=session, actor=technician)
    return len(requests)
