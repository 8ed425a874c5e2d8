"""The central PostgreSQL: the embedded one in the data folder unless
``DATABASE_URL`` names another, migrated at start, seeded with branch MAIN,
the server's own device and (once) the first admin."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from clinic.actor import Actor
from clinic.billing.service import seed_price_list
from clinic.db import SyncColumns, utcnow
from clinic.enums import Role
from clinic.journal.service import log_central_change, snapshot
from clinic.migrate import upgrade
from clinic.org.models import MAIN_BRANCH as MAIN_BRANCH
from clinic.org.models import Branch, Device, User
from clinic.org.service import create_user
from server.config import Settings
from server.security import hash_password

DATABASE_NAME = "seth_clinic"
SERVER_DEVICE_ID = uuid.UUID("00000000-0000-7000-8000-000000000001")
SERVER_ACTOR = Actor(device_id=SERVER_DEVICE_ID)
"""The server writing on its own account (its command line, first start, the
demo): its device's audit chain, no user."""
FIRST_ADMIN = "admin"
CENTRAL = {"store": "central"}


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    embedded: Any = None

    def conninfo(self) -> str:
        """The database as a libpq URI (for the change listener's connection)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def close(self) -> None:
        self.engine.dispose()
        if self.embedded is not None:
            self.embedded.cleanup()


def _psycopg_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def central_engine(url: str, **options: Any) -> Engine:
    """An engine on the central database (``options`` go to
    ``create_engine``). Its errors never carry bound values
    (``hide_parameters``): they would put password hashes and clinical
    text into logs."""
    return create_engine(_psycopg_url(url), hide_parameters=True, **options)


def start_embedded(data_dir: Path) -> tuple[str, Any]:
    """Start (or join) the PostgreSQL kept in ``data_dir/pgdata`` (see
    :mod:`server.embedded`: a password for every connection, a socket of its
    owner's alone, no TCP), creating the clinic's database the first time.
    Returns the database's URL, with the password, and the server's handle."""
    from server.embedded import start

    server = start(data_dir)
    admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DATABASE_NAME}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{DATABASE_NAME}"'))
    admin.dispose()
    return server.url(DATABASE_NAME).render_as_string(hide_password=False), server


def open_database(settings: Settings) -> Database:
    embedded = None
    url = settings.database_url
    if url is None:
        url, embedded = start_embedded(settings.data_dir)
    engine = central_engine(url, pool_pre_ping=True, pool_size=10)
    return Database(
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False, info=CENTRAL),
        embedded=embedded,
    )


def add_central(session: Session, row: SyncColumns, author: uuid.UUID | None = None) -> None:
    """Add a row the server makes itself (a branch, a device, a user) and put
    it in the change feed so devices pull it."""
    session.add(row)
    session.flush()
    log_central_change(
        session, row, list(snapshot(row)), device_id=SERVER_DEVICE_ID, user_id=author
    )


def migrate(database: Database) -> None:
    """Create or upgrade the database; seed branch MAIN, the server's own
    device and the starter price list the first time."""
    upgrade(database.engine, "central")
    with database.sessions.begin() as session:
        main = session.scalar(select(Branch).where(Branch.code == MAIN_BRANCH))
        if main is None:
            main = Branch(code=MAIN_BRANCH, name="Main branch", device_id=SERVER_DEVICE_ID)
            add_central(session, main)
        if session.get(Device, SERVER_DEVICE_ID) is None:
            add_central(
                session,
                Device(
                    id=SERVER_DEVICE_ID,
                    name="Central server",
                    branch_id=main.id,
                    enrolled_at=utcnow(),
                    device_id=SERVER_DEVICE_ID,
                ),
            )
    with database.sessions.begin() as session:
        seed_price_list(session=session, actor=SERVER_ACTOR)


def create_first_admin(database: Database) -> str | None:
    """With no user at all, create ``admin`` with a one-time password to be
    changed at first login, and return that password (shown once)."""
    with database.sessions.begin() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
        password = secrets.token_urlsafe(12)
        create_user(
            FIRST_ADMIN,
            "Administrator",
            Role.ADMIN,
            password_hash=hash_password(password),
            must_change_password=True,
            session=session,
            actor=SERVER_ACTOR,
        )
        return password
