"""The demo clinic, and the benchmark's central data set: a made-up clinic's
history (:mod:`clinic.demo.history`) written straight into PostgreSQL.

    build_central(database, patients=100_000, visits=300_000, end=..., staff_password=...)

Branches and their desks are added through :func:`server.database.add_central`
and staff through :func:`clinic.org.service.create_user`, as the server adds
them; patients and visits are written with ``COPY`` in a few big
transactions. Each row gets one ``change_log`` entry in the same transaction,
as :func:`clinic.journal.service.log_central_change` writes it for a new row:
the entity's name, the row id, version 1, the sorted names of every column,
the branch the entity's ``branch_of`` gives (none for patients and visits),
the server's device and the author; ``xid`` and ``id`` come from the column
defaults. Every patient is logged before its visits, so a
pulled page never holds a visit whose patient is still to come. The same
seed gives the same rows, except the ids of the server's own MAIN branch and
device, which ``migrate`` makes.

:func:`seed_demo` is that history at a small size, ending today so the queue
has patients in it, plus demo users whose logins the app shows on screen.
Running it again adds nothing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, text

from clinic.actor import Actor
from clinic.clock import clinic_today
from clinic.db import utcnow
from clinic.demo.claims import seed_claims
from clinic.demo.draws import Draw, Ids, local_us
from clinic.demo.history import (
    PATIENT_COLUMNS,
    VISIT_COLUMNS,
    BranchStaff,
    CentralGenerator,
    check_columns,
    check_patients,
    epoch_ms,
    first_day,
)
from clinic.demo.lab import seed_lab_work
from clinic.demo.people import People
from clinic.demo.stock import seed_stock
from clinic.enums import Role
from clinic.journal.entities import SYNCED
from clinic.journal.models import ChangeLogEntry
from clinic.journal.service import log_central_change
from clinic.org.models import MAIN_BRANCH, Branch, Device, User
from clinic.org.service import create_user
from clinic.patients.models import Patient
from clinic.visits.models import Visit
from server.database import SERVER_ACTOR, SERVER_DEVICE_ID, Database, add_central
from server.numbers import ensure_numbers
from server.security import hash_password

ROWS_PER_TRANSACTION = 100_000
CHECK_EVERY = 50  # patients checked against clean_patient_fields: one in 50
CHANGE_COLUMNS = (
    "entity", "row_id", "version", "fields", "branch_id", "device_id", "user_id", "received_at",
)  # fmt: skip


@dataclass(frozen=True)
class FeedEntry:
    """How the change feed logs a new row of one entity (see log_central_change)."""

    entity: str
    fields: str  # JSON, as the ``fields`` column holds it


def feed_entry(model: Any) -> FeedEntry:
    synced = SYNCED[model.__tablename__]
    if synced.branch_of is not None:
        raise RuntimeError(f"{synced.name} rows belong to a branch; log them with their branch")
    names = sorted(c.key for c in model.__table__.columns)  # snapshot(row) keys, sorted
    return FeedEntry(synced.name, json.dumps(names))


@dataclass
class CentralData:
    """What was written, and who can log in (with the staff password given)."""

    patients: int
    visits: int
    change_log: int
    first_day: date
    last_day: date
    login: str  # a receptionist at MAIN
    seconds: float
    rows_per_second: float


def _reference_data(
    database: Database, seed: int, first_day: date, staff_password: str
) -> list[BranchStaff]:
    """Branches, their desks and staff, added as the server adds them."""
    ids = Ids(f"{seed}:central-staff")
    people = People(Draw(f"{seed}:central-staff-people"))
    password_hash = hash_password(staff_password)
    made_ms = epoch_ms(first_day, local_us(6))
    usernames: set[str] = set()
    specs = (
        (MAIN_BRANCH, "Seth Clinic Kayole", "23141", 0, 0.5, 2),
        ("UTW", "Seth Clinic Utawala", "24987", 0, 0.3, 1),
        ("RUA", "Seth Clinic Ruai", "27702", 365, 0.2, 1),
    )
    branches = []
    with database.sessions.begin() as session:
        for code, name, kmhfl, opens, weight, desks in specs:
            branch = session.scalar(select(Branch).where(Branch.code == code))
            if branch is None:
                branch = Branch(
                    id=uuid.UUID(ids.make(made_ms)),
                    code=code,
                    name=name,
                    kmhfl_code=kmhfl,
                    sha_facility_id=f"FID-47-{kmhfl}-1",
                    device_id=SERVER_DEVICE_ID,
                )
                add_central(session, branch)
            elif branch.kmhfl_code is None:
                # The server made MAIN bare at its first start; the demo
                # clinic's MAIN is a registered facility, as SHA needs.
                branch.kmhfl_code = kmhfl
                branch.sha_facility_id = f"FID-47-{kmhfl}-1"
                log_central_change(
                    session,
                    branch,
                    ["kmhfl_code", "sha_facility_id"],
                    device_id=SERVER_DEVICE_ID,
                    user_id=None,
                )
            staff = BranchStaff(branch.id, code, opens, weight)
            for n in range(1, desks + 1):
                desk = Device(
                    id=uuid.UUID(ids.make(made_ms)),
                    name=f"{code}-RECEPTION-{n}",
                    branch_id=branch.id,
                    device_id=SERVER_DEVICE_ID,
                )
                add_central(session, desk)
                staff.desks.append(desk.id.hex)
            for role, members in ((Role.RECEPTIONIST, staff.receptionists),
                                  (Role.CLINICAL_OFFICER, staff.clinicians)):  # fmt: skip
                for _ in range(2):
                    person = people.person()
                    base = f"{person.first_name}.{person.last_name}".lower().replace("'", "")
                    username, n = base, 1
                    while username in usernames:
                        n += 1
                        username = f"{base}{n}"
                    usernames.add(username)
                    user = create_user(
                        username,
                        f"{person.first_name} {person.last_name}",
                        role,
                        password_hash=password_hash,
                        branch_code=code,
                        user_id=uuid.UUID(ids.make(made_ms)),
                        session=session,
                        actor=SERVER_ACTOR,
                    )
                    members.append(user.id.hex)
            branches.append(staff)
    return branches


def build_central(
    database: Database,
    *,
    patients: int,
    visits: int,
    end: date,
    staff_password: str,
    seed: int = 1,
    progress: Callable[[str], None] = print,
) -> CentralData:
    """Write the clinic's history up to ``end`` into the migrated, otherwise
    empty ``database``; its staff log in with ``staff_password``."""
    check_columns(Patient, PATIENT_COLUMNS)
    check_columns(Visit, VISIT_COLUMNS)
    check_columns(ChangeLogEntry, (*CHANGE_COLUMNS, "id", "xid"))
    feeds = {"patients": feed_entry(Patient), "visits": feed_entry(Visit)}
    author_at = {"patients": PATIENT_COLUMNS.index("created_by"),
                 "visits": VISIT_COLUMNS.index("created_by")}  # fmt: skip
    columns = {"patients": PATIENT_COLUMNS, "visits": VISIT_COLUMNS}
    started = time.perf_counter()
    first = first_day(end)
    branches = _reference_data(database, seed, first, staff_password)
    generator = CentralGenerator(branches, patients=patients, visits=visits, seed=seed, end=end)
    server_device = SERVER_DEVICE_ID.hex
    received = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    counts = {"patients": 0, "visits": 0}
    batch: dict[str, list[tuple[Any, ...]]] = {"patients": [], "visits": []}
    feed: list[tuple[Any, ...]] = []
    raw = database.engine.raw_connection()
    try:
        connection: Any = raw.driver_connection

        def write() -> None:
            with connection.cursor() as cursor:
                for name in ("patients", "visits"):  # parents first
                    if not batch[name]:
                        continue
                    sql = f"COPY {name} ({', '.join(columns[name])}) FROM STDIN"
                    with cursor.copy(sql) as copy:
                        for row in batch[name]:
                            copy.write_row(row)
                sql = f"COPY change_log ({', '.join(CHANGE_COLUMNS)}) FROM STDIN"
                with cursor.copy(sql) as copy:
                    for row in feed:
                        copy.write_row(row)
            connection.commit()
            check_patients(batch["patients"][::CHECK_EVERY], end)
            for rows in batch.values():
                rows.clear()
            feed.clear()

        for name, row in generator.rows():
            batch[name].append(row)
            entry = feeds[name]
            feed.append(
                (entry.entity, row[0], 1, entry.fields, None, server_device,
                 row[author_at[name]], received)
            )  # fmt: skip
            counts[name] += 1
            if len(feed) >= ROWS_PER_TRANSACTION:
                write()
                progress(
                    f"  central: {counts['patients']:,} patients, {counts['visits']:,} visits"
                    f" ({time.perf_counter() - started:.0f} s)"
                )
        write()
    finally:
        raw.close()
    with database.engine.connect() as connection_:
        connection_.execution_options(isolation_level="AUTOCOMMIT")
        connection_.execute(text("ANALYZE patients"))
        connection_.execute(text("ANALYZE visits"))
        connection_.execute(text("ANALYZE change_log"))
    with database.sessions() as session:
        logged = session.scalar(text("SELECT count(*) FROM change_log")) or 0
        login = session.scalar(
            select(User.username).where(User.id == uuid.UUID(branches[0].receptionists[0]))
        )
    seconds = time.perf_counter() - started
    total = counts["patients"] + counts["visits"]
    return CentralData(
        patients=counts["patients"],
        visits=counts["visits"],
        change_log=int(logged),
        first_day=first,
        last_day=end,
        login=str(login),
        seconds=seconds,
        rows_per_second=total / seconds,
    )


DEMO_PASSWORD = "demo-clinic-2026"
DEMO_USERS = (
    ("reception", "Grace Wanjiru", Role.RECEPTIONIST),
    ("nurse", "Achieng Otieno", Role.NURSE),
    ("clinician", "Brian Kiprono", Role.CLINICAL_OFFICER),
    ("cashier", "Halima Abdi", Role.CASHIER),
    ("pharmacy", "Mercy Chebet", Role.PHARMACIST),
    ("claims", "Faith Njeri", Role.CLAIMS_MANAGER),
    ("lab", "Mercy Chebet", Role.LAB_TECHNICIAN),
    ("manager", "Peter Mwangi", Role.ADMIN),
)
DEMO_PATIENTS = 3000
DEMO_VISITS = 9000


def seed_demo(database: Database, pc_id: uuid.UUID | None = None) -> str:
    """Fill an empty demo database (its history, then its SHA claims) and
    enrol the demo's PC (``pc_id``) at MAIN for every role, so every demo
    user logs in there; returns the logins to show."""
    with database.sessions() as session:
        has_patients = session.scalar(select(func.count()).select_from(Patient))
    if not has_patients:
        build_central(
            database,
            patients=DEMO_PATIENTS,
            visits=DEMO_VISITS,
            end=clinic_today(),
            staff_password=DEMO_PASSWORD,
            progress=lambda _line: None,
        )
    password_hash = hash_password(DEMO_PASSWORD)
    with database.sessions.begin() as session:
        for username, full_name, role in DEMO_USERS:
            if session.scalar(select(User.id).where(User.username == username)) is None:
                create_user(
                    username,
                    full_name,
                    role,
                    password_hash=password_hash,
                    branch_code=MAIN_BRANCH,
                    session=session,
                    actor=SERVER_ACTOR,
                )
        if pc_id is not None and session.get(Device, pc_id) is None:
            main = session.scalar(select(Branch).where(Branch.code == MAIN_BRANCH))
            assert main is not None, "migrate() makes MAIN"
            add_central(
                session,
                Device(
                    id=pc_id,
                    name="Demo PC",
                    branch_id=main.id,
                    roles=[role.value for role in Role],
                    enrolled_at=utcnow(),
                    device_id=SERVER_DEVICE_ID,
                ),
            )
    with database.sessions.begin() as session:
        staff = dict(session.execute(select(User.username, User.id)).all())
        ensure_numbers(session, SERVER_DEVICE_ID)
        seed_claims(
            session,
            device_id=SERVER_DEVICE_ID,
            cashier_id=staff["cashier"],
            claims_manager_id=staff["claims"],
            today=clinic_today(),
        )
        main_id = session.scalar(select(Branch.id).where(Branch.code == MAIN_BRANCH))
        pharmacist = Actor(
            SERVER_DEVICE_ID, user_id=staff["pharmacy"], role=Role.PHARMACIST, branch_id=main_id
        )
        seed_stock(session, actor=pharmacist, today=clinic_today())
        seed_lab_work(
            session,
            device_id=SERVER_DEVICE_ID,
            lab_technician_id=staff["lab"],
            branch_code=MAIN_BRANCH,
            today=clinic_today(),
        )
    names = ", ".join(username for username, _name, _role in DEMO_USERS)
    return (
        f"Demo clinic: made-up patients only. Log in as {names} "
        f"(one per role) with the password {DEMO_PASSWORD}."
    )
