"""``seth-clinic-server``: serve the API, migrate the database, create users
and branches, back the database up and restore it."""

from __future__ import annotations

import argparse
import contextlib
import gc
import getpass
import os
import signal
import sys
import threading
import uuid
from collections.abc import Sequence

from clinic.backup import BackupRefused
from clinic.enums import Role
from clinic.errors import InvalidValue
from clinic.migrate import NewerDatabase
from clinic.org.service import create_branch, create_user
from server.config import ConfigError, load_settings, uvicorn_options
from server.database import SERVER_ACTOR, create_first_admin, migrate, open_database
from server.security import hash_password, password_problem

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8750
PASSWORD_ENV = "SETH_CLINIC_PASSWORD"
YOUNG_OBJECTS = 50_000
"""How many objects the youngest generation grows by before the server's
cycle collector looks at it (see :func:`_tune_collector`)."""


class CommandFailed(Exception):
    """The command cannot go on; the message is the one line shown."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seth-clinic-server", description=__doc__)
    parser.add_argument("--data-dir", help="the server's data folder")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the API")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument(
        "--stop-with-stdin",
        action="store_true",
        help="stop when standard input closes (the program that started the server ended)",
    )
    commands.add_parser("migrate", help="create or upgrade the database")
    demo = commands.add_parser(
        "seed-demo", help="fill a demo database with made-up patients and demo logins"
    )
    demo.add_argument(
        "--pc", type=uuid.UUID, help="a device id to enrol at MAIN for every role (the demo's PC)"
    )
    create = commands.add_parser("create-user", help="add a user")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument(
        "--branch", help="branch code (default MAIN; an admin without one acts for all branches)"
    )
    create.add_argument("--full-name", help="defaults to the username")
    branch = commands.add_parser("create-branch", help="add a branch")
    branch.add_argument("code", help="a short code in capitals, like WEST")
    branch.add_argument("--name", required=True)
    branch.add_argument("--kmhfl", help="its Kenya Master Health Facility List code")
    branch.add_argument("--sha-facility", help="its SHA facility id")
    backing_up = commands.add_parser(
        "backup", help="dump the central database to FILE (pg_dump's custom format)"
    )
    backing_up.add_argument("file", metavar="FILE")
    restoring = commands.add_parser(
        "restore", help="restore a backup into a new, empty database, then migrate it"
    )
    restoring.add_argument("file", metavar="FILE")
    return parser


def _password(username: str) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise CommandFailed(f"Set {PASSWORD_ENV} or run in a terminal to type the password")
        password = getpass.getpass(f"Password for {username}: ")
        if getpass.getpass("Again: ") != password:
            raise CommandFailed("The two passwords differ")
    problem = password_problem(password, username)
    if problem:
        raise CommandFailed(f"Password not accepted: {problem}")
    return password


def _stop_when_asked() -> None:
    """SIGTERM (what service managers and ``kill`` send) and SIGHUP (the
    terminal closed) stop the server as Ctrl-C does: through the
    ``finally`` and ``atexit`` handlers that stop its PostgreSQL, where
    Python's default would end the process at once and leave PostgreSQL
    running. The web server, while it runs, shuts down gracefully first and
    then raises the signal again, which lands here."""

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(0)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), leave)


def _stop_when_stdin_closes() -> None:
    """Stop (as SIGTERM does) once standard input closes: the desktop app
    that started this server holds its other end, and the operating system
    closes it when the app ends, however it ends."""

    def watch() -> None:
        # os.read, not sys.stdin: a thread blocked in a buffered read holds
        # its lock, which the interpreter's shutdown would then wait for.
        while os.read(stdin, 4096):
            pass
        signal.raise_signal(signal.SIGTERM)

    stdin = sys.stdin.fileno()
    threading.Thread(target=watch, name="stop-with-stdin", daemon=True).start()


def _serve(args: argparse.Namespace) -> None:
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from server.app import ApiServer, create_app
    from server.observability import configure_logging

    _stop_when_asked()
    if args.stop_with_stdin:
        _stop_when_stdin_closes()
    settings = load_settings(args.data_dir)
    database = open_database(settings)
    try:
        migrate(database)
        one_time = create_first_admin(database)
        if one_time is not None:
            print(
                f"First start: log in as 'admin' with the one-time password {one_time}\n"
                "(shown only now; you will be asked to change it).",
                flush=True,
            )
        configure_logging()
        app = create_app(settings, database)
        _tune_collector()
        config = uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_config=None,
            **uvicorn_options(settings.trusted_proxies),
        )
        server = ApiServer(config)
        # As uvicorn.run: the Ctrl-C (or SIGINT) that stopped it ends here,
        # and a start that failed (the port taken) exits with its code.
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
    finally:
        database.close()


def _tune_collector() -> None:
    """Keep Python's cycle collector off the objects made at start (the
    modules, models, routes and schemas: about 200,000, alive as long as the
    process). A full collection otherwise walks them all whenever the
    objects of the requests set one off: most of the server's 0.17 CPU
    seconds more for a push of 1,000 changes (``bench.run_push``) when one
    fell in it. Garbage from the start is collected first.

    Then let the youngest objects grow by :data:`YOUNG_OBJECTS` before the
    collector looks at them, not Python's 700: each waiting pull keeps about
    a hundred objects alive (its coroutines, request, dependencies), so a
    thousand PCs waiting and answered moved the count past 700 many times a
    second, and each time the collector walked the objects of every pull in
    flight, on the event loop: 12 s of an 80 s run at 1,500 devices
    (``bench.run_load``), in pauses of up to 0.15 s that a health check
    waited behind. What it collects are cycles; the requests' own garbage
    goes as it is let go."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


def _migrate(args: argparse.Namespace) -> None:
    database = open_database(load_settings(args.data_dir))
    try:
        migrate(database)
        print("The database is up to date.")
    finally:
        database.close()


def _seed_demo(args: argparse.Namespace) -> None:
    from server.demo import seed_demo

    database = open_database(load_settings(args.data_dir))
    try:
        migrate(database)
        print(seed_demo(database, args.pc))
    finally:
        database.close()


def _create_user(args: argparse.Namespace) -> None:
    username = args.username.strip().lower()
    password = _password(username)
    database = open_database(load_settings(args.data_dir))
    try:
        migrate(database)
        with database.sessions.begin() as session:
            create_user(
                username,
                args.full_name or username,
                args.role,
                password_hash=hash_password(password),
                branch_code=args.branch,
                session=session,
                actor=SERVER_ACTOR,
            )
        print(f"Created {args.role} {username}.")
    except InvalidValue as error:
        raise CommandFailed(error.reason) from None
    finally:
        database.close()


def _create_branch(args: argparse.Namespace) -> None:
    database = open_database(load_settings(args.data_dir))
    try:
        migrate(database)
        with database.sessions.begin() as session:
            branch = create_branch(
                args.code,
                args.name,
                kmhfl_code=args.kmhfl,
                sha_facility_id=args.sha_facility,
                session=session,
                actor=SERVER_ACTOR,
            )
            code = branch.code
        print(f"Created branch {code}.")
    except InvalidValue as error:
        raise CommandFailed(f"{error.field}: {error.reason}") from None
    finally:
        database.close()


def _backup(args: argparse.Namespace) -> None:
    from server.backup import backup_database

    database = open_database(load_settings(args.data_dir))
    try:
        backup_database(database.engine, args.file)
        print(f"Backed up the central database to {args.file}.")
    except BackupRefused as error:
        raise CommandFailed(str(error)) from None
    except OSError as error:
        raise CommandFailed(f"cannot write {args.file}: {error.strerror or error}") from None
    finally:
        database.close()


def _restore(args: argparse.Namespace) -> None:
    from server.backup import restore_database

    database = open_database(load_settings(args.data_dir))
    try:
        restore_database(database.engine, args.file)
        migrate(database)
        print(f"Restored {args.file} into the central database.")
    except BackupRefused as error:
        raise CommandFailed(str(error)) from None
    finally:
        database.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {
        "serve": _serve,
        "migrate": _migrate,
        "create-user": _create_user,
        "create-branch": _create_branch,
        "seed-demo": _seed_demo,
        "backup": _backup,
        "restore": _restore,
    }
    try:
        commands[args.command](args)
    except (CommandFailed, ConfigError, NewerDatabase, OSError) as error:
        print(f"seth-clinic-server: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
