"""``seth-clinic-server backup`` and ``restore`` (issue 14, Backup and
restore): pg_dump's custom format made and read by the embedded
PostgreSQL's own tools, a restore into a new, empty database only, and a
clear refusal that changes nothing for anything else."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from clinic.enums import Role
from clinic.journal.models import AuditEvent, ChangeLogEntry
from clinic.migrate import head_revision
from clinic.org.models import Branch, User
from server import cli
from server.database import Database
from tests.central import MakeStaff
from tests.conftest import stamp


def _use(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("JWT_SECRET", "s" * 48)


def _rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {
            "users": sorted(connection.execute(select(User.id, User.username, User.role)).all()),
            "branches": sorted(connection.execute(select(Branch.id, Branch.code)).all()),
            "change_log": sorted(
                connection.execute(select(ChangeLogEntry.id, ChangeLogEntry.row_id)).all()
            ),
            "audit": sorted(connection.execute(select(AuditEvent.id, AuditEvent.hash)).all()),
        }


def test_a_backup_restored_into_a_fresh_database_keeps_every_row(
    central: Database,
    make_staff: MakeStaff,
    postgres_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_staff(Role.RECEPTIONIST, "wanjiru")
    make_staff(Role.CASHIER, "otieno", branch_code="WEST")
    backup = tmp_path / "central.dump"
    _use(monkeypatch, central.engine)
    assert cli.main(["--data-dir", str(tmp_path), "backup", str(backup)]) == 0
    assert backup.read_bytes().startswith(b"PGDMP")
    assert backup.stat().st_mode & 0o077 == 0

    _use(monkeypatch, postgres_engine)
    assert cli.main(["--data-dir", str(tmp_path), "restore", str(backup)]) == 0
    assert "Restored" in capsys.readouterr().out

    kept = _rows(postgres_engine)
    assert kept == _rows(central.engine)
    assert {name for _id, name, _role in kept["users"]} == {"wanjiru", "otieno"}
    assert len(kept["branches"]) == 2
    with postgres_engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == (
            head_revision("central")
        )
        # The sequences go on after the restored rows.
        last = connection.scalar(select(func.max(ChangeLogEntry.id)))
        assert connection.scalar(text("SELECT nextval('change_log_id_seq')")) > last


def test_a_restore_is_refused_with_a_reason_and_changes_nothing(
    central: Database,
    make_staff: MakeStaff,
    postgres_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_staff(Role.NURSE, "akinyi")
    backup = tmp_path / "central.dump"
    _use(monkeypatch, central.engine)
    assert cli.main(["--data-dir", str(tmp_path), "backup", str(backup)]) == 0
    before = _rows(central.engine)

    def refused(*argv: str) -> str:
        assert cli.main(["--data-dir", str(tmp_path), *argv]) == 1
        err = capsys.readouterr().err
        assert err.startswith("seth-clinic-server: ") and err.count("\n") == 1
        return err

    # Into a database that holds the clinic already.
    assert "the database already holds tables; restore into a new, empty database" in refused(
        "restore", str(backup)
    )
    assert _rows(central.engine) == before

    _use(monkeypatch, postgres_engine)
    not_a_dump = tmp_path / "register.csv"
    not_a_dump.write_text("NAME,AGE\nGrace Wambui,33yrs\n")
    assert "register.csv is not a Seth Clinic server backup (not a pg_dump file)" in refused(
        "restore", str(not_a_dump)
    )
    broken = tmp_path / "broken.dump"
    broken.write_bytes(backup.read_bytes()[:200])
    assert "broken.dump is not a Seth Clinic server backup" in refused("restore", str(broken))
    assert "cannot read" in refused("restore", str(tmp_path / "missing.dump"))

    stamp(central.engine, "ffff_future")
    newer = tmp_path / "newer.dump"
    _use(monkeypatch, central.engine)
    assert cli.main(["--data-dir", str(tmp_path), "backup", str(newer)]) == 0
    _use(monkeypatch, postgres_engine)
    assert "was made by a newer version of Seth Clinic (schema ffff_future)" in refused(
        "restore", str(newer)
    )
    with postgres_engine.connect() as connection:
        tables = connection.scalar(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        )
    assert tables == 0

    assert "cannot write" in refused("backup", str(tmp_path / "no-such-folder" / "x.dump"))


def test_the_embedded_database_is_backed_up_and_restored_into_a_new_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without DATABASE_URL: the embedded PostgreSQL (password and socket of
    its own) in one data folder, restored into another's."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("JWT_SECRET", "s" * 48)
    monkeypatch.setenv(cli.PASSWORD_ENV, "a-long-enough-password")
    first, second = tmp_path / "first", tmp_path / "second"
    backup = tmp_path / "central.dump"
    add_grace = ["create-user", "grace", "--role", "nurse"]

    assert cli.main(["--data-dir", str(first), *add_grace]) == 0
    assert cli.main(["--data-dir", str(first), "backup", str(backup)]) == 0
    assert cli.main(["--data-dir", str(second), "restore", str(backup)]) == 0
    capsys.readouterr()

    assert cli.main(["--data-dir", str(second), *add_grace]) == 1
    assert "The username grace is taken" in capsys.readouterr().err
