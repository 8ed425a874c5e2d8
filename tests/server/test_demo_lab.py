"""The demo clinic's lab: seed-demo gives the lab login a worklist of
today's tests at MAIN, requested by the visits' clinicians, with one
critical result the clinician's queue marks; a second run adds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from clinic.clock import clinic_today
from clinic.enums import LabStatus, Role
from clinic.lab.models import LabResult
from clinic.lab.queries import lab_worklist
from clinic.org.models import Branch, User
from clinic.visits.models import LabRequest
from clinic.visits.queries import todays_queue
from server.database import Database
from server.demo import seed_demo

pytestmark = pytest.mark.postgres


def test_the_demo_lab_has_todays_worklist_and_a_critical_result(central: Database) -> None:
    seed_demo(central)
    today = clinic_today()
    with central.sessions() as session:
        assert session.scalar(select(User.role).where(User.username == "lab")) == (
            Role.LAB_TECHNICIAN
        )
        main = session.scalar(select(Branch.id).where(Branch.code == "MAIN"))
        work = lab_worklist(session, main, today, include_done=True)
        assert len({item.visit_id for item in work}) >= 2
        assert all(item.clinician for item in work)
        assert [item.status for item in work].count(LabStatus.RESULTED) == 1
        assert [item.critical for item in work].count(True) == 1
        marked = [e for e in todays_queue(session, main, today) if e.critical_results]
        assert len(marked) == 1
        requests = session.scalar(select(func.count()).select_from(LabRequest))
        results = session.scalar(select(func.count()).select_from(LabResult))
    seed_demo(central)
    with central.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LabRequest)) == requests
        assert session.scalar(select(func.count()).select_from(LabResult)) == results
