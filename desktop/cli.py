"""The ``seth-clinic`` command line: the desktop app, and what admins automate.

::

    seth-clinic [--data-dir DIR]                           the desktop app
    seth-clinic --version
    seth-clinic [--data-dir DIR] import-patients FILE.csv  paper-register import
    seth-clinic [--data-dir DIR] patients [QUERY] [--limit N] [--json]
    seth-clinic [--data-dir DIR] login --server URL --user NAME
    seth-clinic [--data-dir DIR] sync
    seth-clinic [--data-dir DIR] report NAME --from DATE --to DATE --out FILE.(csv|xlsx|pdf)
                                 [--branch CODE]
    seth-clinic [--data-dir DIR] backup FILE
    seth-clinic [--data-dir DIR] restore FILE
    seth-clinic [--data-dir DIR] store-key
    seth-clinic server [SERVER ARGS...]                     the central server

The data folder is ``--data-dir``, else ``SETH_CLINIC_DATA_DIR``, else the
platform's user data folder. Every failure exits non-zero with a one-line
reason on stderr (2 for a command line that cannot be understood or, for
``sync`` and ``login``, a server that cannot be reached; 130 when
interrupted; 1 for anything else), never a traceback. The subcommands never import Qt: the
desktop app is imported only when it is started, and Qt's printing (offscreen, no
window) only when ``report`` writes a PDF.

``server`` runs ``seth-clinic-server`` with the rest of the command line
(``seth-clinic server --help``): the PyInstaller bundle has one executable,
and this is how it starts the clinic server it ships
(``desktop.local_server.server_command``).

On a PC without a secure keyring the login's tokens last one run: ``login``
says so, and ``sync`` logs in first at each run as ``SETH_CLINIC_USER`` with
``SETH_CLINIC_PASSWORD`` (DESIGN.md, Command line).

The store and its backups are encrypted with the store's key
(``clinic.store_key``): ``store-key`` prints it, for the admin to keep
apart from the backups; ``restore`` of a backup made on another PC (or from
another data folder) takes it from ``SETH_CLINIC_STORE_KEY``.

``report`` runs offline on the PC's own store, as the system (like
``import-patients``): it reports what the store holds, which is what the
PC's roles may read (DESIGN.md, Sync 10).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import NoReturn

from sqlalchemy import select

from clinic.actor import Actor
from clinic.backup import BackupRefused, backup_store, restore_store
from clinic.cipher import StoreState, store_state
from clinic.clock import clinic_today
from clinic.errors import InvalidValue
from clinic.journal.service import to_jsonable
from clinic.org.models import Branch
from clinic.patients.importer import RegisterImport, RegisterUnreadable, read_paper_register
from clinic.patients.search import (
    MIN_QUERY_LENGTH,
    PatientSummary,
    list_patients,
    search_patients,
)
from clinic.patients.service import count_patients
from clinic.reports.base import ReportRequest, ReportResult
from clinic.reports.catalogue import check_name, run_report
from clinic.reports.export import WRITERS
from clinic.reports.names import REPORT_NAMES
from clinic.rules.phones import format_phone_for_display
from clinic.store import STORE_FILE, LocalStore, open_local_store, resolve_data_dir
from clinic.store_key import KEY_ENV, StoreKeyRefused, load_key, parse_key
from clinic.version import app_version
from sync.auth import SERVER_URL_KEY, login_online
from sync.engine import SKEW_WARNING_SECONDS, SyncEngine, SyncReport
from sync.transport import ServerRefused, Transport, Unreachable

PROG = "seth-clinic"
PASSWORD_ENV = "SETH_CLINIC_PASSWORD"
USER_ENV = "SETH_CLINIC_USER"
EXIT_UNREACHABLE = 2
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
ROWS_PER_TRANSACTION = 500
"""An import commits every so many rows (a few seconds' work), so the desktop
app on the same PC waits that long at most to write, never the whole import."""


class CommandFailed(Exception):
    """A command could not do its work; the message is the one line shown."""

    exit_status = EXIT_FAILED

    def __init__(self, message: str, exit_status: int | None = None) -> None:
        super().__init__(message)
        if exit_status is not None:
            self.exit_status = exit_status


class UsageError(CommandFailed):
    """The command line itself is wrong."""

    exit_status = EXIT_USAGE


class Interrupted(CommandFailed):
    """Ctrl+C (or the scheduler) stopped the command."""

    exit_status = EXIT_INTERRUPTED


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {PROG} --help)")


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 0 or more")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date; write it as YYYY-MM-DD"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Seth Clinic. Without a command, starts the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {app_version()}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the clinic's data folder (default: $SETH_CLINIC_DATA_DIR, else the user data folder)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    importing = commands.add_parser(
        "import-patients",
        help="import a paper register saved as CSV and print a report",
        description="Import a paper register (columns NAME, AGE, RESIDENCE, NUMBER, PHONE"
        " NUMBER) saved as CSV. Rows already imported (same NUMBER, or same name and phone"
        " without a number) are skipped, so importing a register again adds nobody twice.",
    )
    importing.add_argument("file", metavar="FILE.csv", type=Path)
    listing = commands.add_parser(
        "patients",
        help="search patients, or list them all",
        description="Search patients by OP number, phone, id or name; without QUERY, list"
        " every patient in order of registration.",
    )
    listing.add_argument("query", metavar="QUERY", nargs="?")
    listing.add_argument(
        "--limit", metavar="N", type=_non_negative, help="show at most N patients (default: all)"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON list of patients")
    login = commands.add_parser(
        "login",
        help="log in to the clinic server (tokens go to the keyring) and sync",
        description=f"Log in online; the user is --user, else {USER_ENV}; the password"
        f" comes from {PASSWORD_ENV} or a prompt. Without a secure keyring the tokens"
        " last this run only.",
    )
    login.add_argument("--server", required=True, metavar="URL")
    login.add_argument("--user", metavar="NAME", help=f"default: ${USER_ENV}")
    commands.add_parser(
        "sync",
        help="push and pull now, and print what moved",
        description="Exit 0 on success, 2 when the server could not be reached (work"
        " continues offline), 1 on any other failure. Without a secure keyring it logs"
        f" in first, as {USER_ENV} with {PASSWORD_ENV}.",
    )
    reporting = commands.add_parser(
        "report",
        help="write a report to a CSV, Excel or PDF file, offline from this PC's data",
        description=f"NAME is one of {', '.join(REPORT_NAMES)}. Dates are Nairobi days,"
        " both included; without --branch, every branch this PC holds.",
    )
    reporting.add_argument("name", metavar="NAME")
    reporting.add_argument("--from", dest="start", metavar="DATE", type=_day, required=True)
    reporting.add_argument("--to", dest="end", metavar="DATE", type=_day, required=True)
    reporting.add_argument("--out", metavar="FILE", type=Path, required=True)
    reporting.add_argument("--branch", metavar="CODE")
    backing_up = commands.add_parser(
        "backup",
        help="write a consistent copy of this PC's data to FILE, also while the app runs",
        description="FILE is written whole or not at all, readable by its owner alone,"
        f" encrypted with the store's key ({PROG} store-key prints it).",
    )
    backing_up.add_argument("file", metavar="FILE", type=Path)
    restoring = commands.add_parser(
        "restore",
        help="make this PC's data from a backup, into an empty data folder",
        description="The data folder must hold no clinic data. At its next sync the"
        " restored data sends what the backup held, then enrols as a new device. A backup"
        f" is opened with the key in {KEY_ENV} (what {PROG} store-key printed where it was"
        " made); one made before the store was encrypted needs none.",
    )
    restoring.add_argument("file", metavar="FILE", type=Path)
    commands.add_parser(
        "store-key",
        help="print the key that encrypts this PC's data and its backups",
        description="Keep it apart from the backups (on paper, in a safe): restoring a"
        f" backup on another PC or into another data folder needs it, in {KEY_ENV}.",
    )
    server = commands.add_parser(
        "server",
        help=f"the central server's commands (see {PROG} server --help)",
        add_help=False,
        prefix_chars="\0",  # no options of its own: every word goes to the server
    )
    server.add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        args = build_parser().parse_args(argv)
        if args.command == "server":
            return _server(args.data_dir, args.arguments)
        data_dir = resolve_data_dir(args.data_dir)
        if args.command == "import-patients":
            return _import_patients(data_dir, args.file)
        if args.command == "patients":
            return _patients(data_dir, args.query, limit=args.limit, as_json=args.json)
        if args.command == "login":
            return _login(data_dir, args.server, args.user)
        if args.command == "sync":
            return _sync(data_dir)
        if args.command == "report":
            return _report(data_dir, args.name, args.start, args.end, args.out, args.branch)
        if args.command == "backup":
            return _backup(data_dir, args.file)
        if args.command == "restore":
            return _restore(data_dir, args.file)
        if args.command == "store-key":
            return _store_key(data_dir)
        return _start_desktop(data_dir)
    except SystemExit as exit_:  # --help ends the parse on purpose
        return exit_.code if isinstance(exit_.code, int) else EXIT_FAILED
    except CommandFailed as error:
        _say_failure(str(error))
        return error.exit_status
    except StoreKeyRefused as error:
        _say_failure(str(error))
        return EXIT_FAILED
    except BrokenPipeError:
        _silence_stdout()  # the reader (``| head``) stopped reading: nothing to say
        return EXIT_FAILED
    except KeyboardInterrupt:
        _say_failure("interrupted; nothing more was done")
        return EXIT_INTERRUPTED
    except Exception as error:
        _say_failure(_describe(error))
        return EXIT_FAILED


def _say_failure(reason: str) -> None:
    print(f"{PROG}: {' '.join(reason.split())}", file=sys.stderr)


def _silence_stdout() -> None:
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _describe(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error  # a database error's own message
    text = str(cause).split("\n", 1)[0].strip()
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


def _open_store(data_dir: Path) -> LocalStore:
    try:
        return open_local_store(data_dir)
    except OSError as error:
        raise CommandFailed(
            f"cannot open the data folder {data_dir}: {error.strerror or error}"
        ) from None


def _import_patients(data_dir: Path, file: Path) -> int:
    try:
        register = read_paper_register(file)
    except RegisterUnreadable as error:
        raise CommandFailed(f"cannot import: {error}") from None
    store = _open_store(data_dir)
    try:
        job = RegisterImport(actor=Actor(device_id=store.device_id), today=clinic_today())
        rows = register.rows
        for start in range(0, len(rows), ROWS_PER_TRANSACTION):
            part = rows[start : start + ROWS_PER_TRANSACTION]
            try:
                with store.write() as session:
                    job.import_rows(part, session=session)
            except (Exception, KeyboardInterrupt) as error:
                stopped = Interrupted if isinstance(error, KeyboardInterrupt) else CommandFailed
                why = "interrupted" if isinstance(error, KeyboardInterrupt) else _describe(error)
                raise stopped(
                    f"the import stopped at the rows from line {part[0].line} ({why});"
                    f" the {job.report.imported} patients imported before them are kept:"
                    " run the same command again to import the rest"
                ) from None
    finally:
        store.close()
    for line in job.report.lines():
        print(line)
    return 0


def _patients(data_dir: Path, query: str | None, *, limit: int | None, as_json: bool) -> int:
    if query is not None and len(query.strip()) < MIN_QUERY_LENGTH:
        raise UsageError(f"a search needs at least {MIN_QUERY_LENGTH} characters")
    if not (data_dir / STORE_FILE).exists():
        raise CommandFailed(
            f"{data_dir} holds no clinic data (check --data-dir or {PROG} import-patients first)"
        )
    store = _open_store(data_dir)
    try:
        with store.session() as session:
            if query is None:
                found = list_patients(session=session, limit=limit)
            else:
                if limit is None:
                    limit = max(count_patients(session=session), 1)
                found = search_patients(query, session=session, limit=limit)
    finally:
        store.close()
    if as_json:
        print(json.dumps([to_jsonable(asdict(patient)) for patient in found], indent=2))
    else:
        print(format_patient_table(found, searched=query is not None))
    return 0


TABLE_COLUMNS = ("OP number", "Name", "Sex", "Born", "Phone", "Residence", "Legacy no.")


def _table_row(patient: PatientSummary) -> tuple[str, ...]:
    born = ""
    if patient.date_of_birth is not None:
        born = f"{patient.date_of_birth:%d/%m/%Y}"
        if patient.date_of_birth_estimated:
            born += " (est.)"
    return (
        patient.op_number,
        patient.full_name,
        str(to_jsonable(patient.sex)),
        born,
        format_phone_for_display(patient.phone) if patient.phone else "",
        patient.residence or "",
        patient.legacy_number or "",
    )


def format_patient_table(patients: Sequence[PatientSummary], *, searched: bool) -> str:
    """Patients as a plain-text table with a count line, for a terminal."""
    if not patients:
        return "No patient matches." if searched else "No patients yet."
    rows = [TABLE_COLUMNS, *(_table_row(p) for p in patients)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    count = len(patients)
    lines.append(f"{count} patient{'' if count == 1 else 's'}")
    return "\n".join(lines)


def _report(
    data_dir: Path, name: str, start: date, end: date, out: Path, branch: str | None
) -> int:
    """Write report ``name`` to ``out`` (its extension says the format), whole
    or not at all."""
    try:
        check_name(name)
        request = ReportRequest(start, end)
    except InvalidValue as error:
        raise UsageError(error.reason) from None
    kind = out.suffix.lower().lstrip(".")
    if kind not in (*WRITERS, "pdf"):
        raise UsageError(f"cannot write '{out.name}': name a .csv, .xlsx or .pdf file")
    if not (data_dir / STORE_FILE).exists():
        raise CommandFailed(f"{data_dir} holds no clinic data (check --data-dir)")
    store = _open_store(data_dir)
    branch_name = None
    try:
        with store.session() as session:
            if branch is not None:
                codes = {
                    c: (i, n) for c, i, n in session.execute(
                        select(Branch.code, Branch.id, Branch.name)
                    )
                }  # fmt: skip
                if branch not in codes:
                    known = ", ".join(sorted(codes)) or "none"
                    raise UsageError(f"no branch with code {branch} (this PC holds: {known})")
                branch_id, branch_name = codes[branch]
                request = ReportRequest(start, end, branch_id)
            try:
                result = run_report(
                    name, request, session=session, actor=Actor(device_id=store.device_id)
                )
            except InvalidValue as error:
                raise UsageError(error.reason) from None
        write = WRITERS.get(kind) or _pdf_writer(store, branch_name)
    finally:
        store.close()
    try:
        write(result, out)
    except OSError as error:
        raise CommandFailed(f"cannot write {out}: {error.strerror or error}") from None
    print(f"Wrote {result.title}, {start.isoformat()} to {end.isoformat()}, to {out}")
    return 0


def _backup(data_dir: Path, file: Path) -> int:
    try:
        info = backup_store(data_dir / STORE_FILE, file)
    except BackupRefused as error:
        raise CommandFailed(str(error)) from None
    except OSError as error:
        raise CommandFailed(f"cannot write {file}: {error.strerror or error}") from None
    print(f"Backed up {data_dir} to {file} ({info.pending} changes not yet synced).")
    return 0


def _restore(data_dir: Path, file: Path) -> int:
    given = os.environ.get(KEY_ENV)
    try:
        key = parse_key(given, KEY_ENV) if given else None
        info = restore_store(file, data_dir, key)
    except (BackupRefused, StoreKeyRefused) as error:
        raise CommandFailed(str(error)) from None
    except OSError as error:
        raise CommandFailed(f"cannot restore into {data_dir}: {error.strerror or error}") from None
    print(
        f"Restored {file} into {data_dir} ({info.pending} changes not yet synced). At its"
        " next sync it sends them, then enrols as a new device."
    )
    return 0


def _store_key(data_dir: Path) -> int:
    if store_state(data_dir / STORE_FILE) != StoreState.ENCRYPTED:
        _open_store(data_dir).close()  # a new or plain store is encrypted first
    print(load_key(data_dir).hex())
    return 0


def _pdf_writer(store: LocalStore, branch_name: str | None) -> Callable[[ReportResult, Path], None]:
    """The Reports screen's A4 PDF, laid out by Qt without a screen (the
    ``offscreen`` platform): Qt is loaded here, for a PDF only."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from desktop.printing import clinic_name
    from desktop.screens.reports.pdf import write_report_pdf

    name = clinic_name(store)

    def write(result: ReportResult, path: Path) -> None:
        # Qt lays text out only while an application exists: held for the PDF.
        _application = QGuiApplication.instance() or QGuiApplication([PROG])
        write_report_pdf(result, path, name, branch_name=branch_name)

    return write


def _server(data_dir: str | None, arguments: list[str]) -> int:
    """``seth-clinic-server`` ``arguments``, on the data folder given before
    ``server`` if any (else the server's own ``--data-dir`` or default)."""
    try:
        server_cli = importlib.import_module("server.cli")
    except ImportError as error:
        raise CommandFailed(
            f"the server is not installed with this program ({error}); install seth-clinic[server]"
        ) from None
    status = server_cli.main([*(["--data-dir", data_dir] if data_dir else []), *arguments])
    return status if isinstance(status, int) else EXIT_FAILED


def _start_desktop(data_dir: Path) -> int:
    app = importlib.import_module("desktop.app")  # Qt is loaded only here
    status = app.main(data_dir)
    return status if isinstance(status, int) else 0


def _transport(store: LocalStore, server: str | None) -> Transport:
    url = server or store.get_setting(SERVER_URL_KEY)
    if not url:
        raise CommandFailed(f"no clinic server is set up; run {PROG} login --server URL first")
    return Transport(url, store.device_id)


def _login(data_dir: Path, server: str, username: str | None) -> int:
    username = username or os.environ.get(USER_ENV)
    if not username:
        raise UsageError(f"name the user with --user or {USER_ENV}")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise CommandFailed(f"set {PASSWORD_ENV} or run in a terminal to type the password")
        password = getpass.getpass(f"Password for {username}: ")
    store = open_local_store(data_dir)
    transport = _transport(store, server)
    try:
        user = login_online(store, transport, username, password)
        report = SyncEngine(store, transport).sync()
    except Unreachable as error:
        raise CommandFailed(str(error), EXIT_UNREACHABLE) from None
    except ServerRefused as error:
        raise CommandFailed(str(error)) from None
    finally:
        transport.close()
        store.close()
    if transport.tokens.in_memory:
        _say_note(
            "no secure keyring on this PC, so this login lasted this run only; "
            f"{PROG} sync logs in at each run: set {USER_ENV} and {PASSWORD_ENV} for it"
        )
    print(f"Logged in as {user.full_name} ({user.role.value}) at {transport.server_url}.")
    if user.must_change_password:
        print("Your password is a one-time password: change it in the app before working.")
    print(f"First sync: pulled {report.pulled} records.")
    return 0


def _sync(data_dir: Path) -> int:
    store = _open_store(data_dir)
    transport = _transport(store, None)
    try:
        if transport.tokens.in_memory:
            _login_for_this_run(store, transport)
        report = SyncEngine(store, transport).sync()
    except Unreachable as error:
        raise CommandFailed(f"{error}; work continues offline", EXIT_UNREACHABLE) from None
    except ServerRefused as error:
        raise CommandFailed(str(error)) from None
    finally:
        transport.close()
        store.close()
    for line in describe_report(report):
        print(line)
    return 0


def _login_for_this_run(store: LocalStore, transport: Transport) -> None:
    """Log in online as ``SETH_CLINIC_USER`` with ``SETH_CLINIC_PASSWORD``,
    the tokens in memory for this run: the PC has no keyring to keep them.
    Raises CommandFailed naming the variables to set when they are missing."""
    username, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    missing = [
        name for name, value in ((USER_ENV, username), (PASSWORD_ENV, password)) if not value
    ]
    if missing:
        raise CommandFailed(
            "no secure keyring on this PC keeps the login, so sync logs in at each run:"
            f" set {' and '.join(missing)}"
        )
    assert username is not None and password is not None
    login_online(store, transport, username, password)


def _say_note(text: str) -> None:
    print(f"{PROG}: note: {text}", file=sys.stderr)


def describe_report(report: SyncReport) -> list[str]:
    """What a sync moved, one line each, for people reading a terminal or a log."""
    lines = [
        f"pushed {report.pushed} changes, pulled {report.pulled} records",
        f"conflicts: {report.conflicts}",
    ]
    if report.leased:
        lines.append(f"leased {report.leased} new block(s) of numbers")
    if report.renumbered:
        lines.append(f"replaced {report.renumbered} provisional OP number(s)")
    lines.append(f"refused by the server: {len(report.rejected)}")
    lines.extend(f"  refused: {reason}" for reason in report.rejected)
    if report.audit_problem:
        lines.append(f"audit: {report.audit_problem}")
    skew = report.clock_skew_seconds
    if skew is not None and abs(skew) > SKEW_WARNING_SECONDS:
        lines.append(f"warning: this PC's clock is {abs(skew) / 60:.0f} minutes off the server's")
    return lines


if __name__ == "__main__":
    sys.exit(main())
