"""The demo clinic: made-up patients and visits, and one login per role.

It is the benchmark's data generator (``bench.central_data``) at a small
size, ending today so the queue has patients in it, plus demo users whose
logins the app shows on screen. Running it again adds nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select

from clinic.clock import clinic_today
from clinic.enums import Role
from clinic.org.models import Branch, User
from clinic.patients.models import Patient
from server.database import MAIN_BRANCH, SERVER_DEVICE_ID, Database, add_central
from server.security import hash_password

DEMO_PASSWORD = "demo-clinic-2026"
DEMO_USERS = (
    ("reception", "Grace Wanjiru", Role.RECEPTIONIST),
    ("nurse", "Achieng Otieno", Role.NURSE),
    ("clinician", "Brian Kiprono", Role.CLINICAL_OFFICER),
    ("cashier", "Halima Abdi", Role.CASHIER),
    ("manager", "Peter Mwangi", Role.ADMIN),
)
DEMO_PATIENTS = 3000
DEMO_VISITS = 9000


def seed_demo(database: Database) -> str:
    """Fill an empty demo database; returns the logins to show."""
    from bench.central_data import build_central

    with database.sessions() as session:
        has_patients = session.scalar(select(func.count()).select_from(Patient))
    if not has_patients:
        build_central(
            database,
            patients=DEMO_PATIENTS,
            visits=DEMO_VISITS,
            end=clinic_today(),
            progress=lambda _line: None,
        )
    with database.sessions.begin() as session:
        main = session.scalar(select(Branch.id).where(Branch.code == MAIN_BRANCH))
        for username, full_name, role in DEMO_USERS:
            if session.scalar(select(User.id).where(User.username == username)) is None:
                add_central(
                    session,
                    User(
                        username=username,
                        full_name=full_name,
                        role=role,
                        branch_id=main,
                        password_hash=hash_password(DEMO_PASSWORD),
                        device_id=SERVER_DEVICE_ID,
                    ),
                )
    names = ", ".join(username for username, _name, _role in DEMO_USERS)
    return (
        f"Demo clinic: made-up patients only. Log in as {names} "
        f"(one per role) with the password {DEMO_PASSWORD}."
    )
