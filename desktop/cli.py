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
import importlib
import io
import os
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

from clinic.reports.names import REPORT_NAMES
from clinic.store import resolve_data_dir
from clinic.store_key import KEY_ENV, StoreKeyRefused
from clinic.version import app_version

PROG = "seth-clinic"
PASSWORD_ENV = "SETH_CLINIC_PASSWORD"
USER_ENV = "SETH_CLINIC_USER"
EXIT_UNREACHABLE = 2
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


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
        if args.command is None:
            return _start_desktop(data_dir)
        # The commands' imports are loaded only for a command: the desktop app
        # starts without them.
        from desktop import commands

        if args.command == "import-patients":
            return commands.import_patients(data_dir, args.file)
        if args.command == "patients":
            return commands.patients(data_dir, args.query, limit=args.limit, as_json=args.json)
        if args.command == "login":
            return commands.login(data_dir, args.server, args.user)
        if args.command == "sync":
            return commands.sync(data_dir)
        if args.command == "report":
            return commands.report(data_dir, args.name, args.start, args.end, args.out, args.branch)
        if args.command == "backup":
            return commands.backup(data_dir, args.file)
        if args.command == "restore":
            return commands.restore(data_dir, args.file)
        return commands.store_key(data_dir)
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
        _say_failure(describe_error(error))
        return EXIT_FAILED


def _say_failure(reason: str) -> None:
    print(f"{PROG}: {' '.join(reason.split())}", file=sys.stderr)


def _silence_stdout() -> None:
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def describe_error(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error  # a database error's own message
    text = str(cause).split("\n", 1)[0].strip()
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


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


LOGIN_MODULES = ("sync.auth", "desktop.local_server")
"""What the login window needs besides Qt. Once Qt is loaded, PySide6 reads
the source of every module imported after it (for its ``__feature__``
switches), so these load before Qt: a tenth of a second less to the login."""


def _start_desktop(data_dir: Path) -> int:
    for module in LOGIN_MODULES:
        importlib.import_module(module)
    app = importlib.import_module("desktop.app")  # Qt is loaded only here
    status = app.main(data_dir)
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())
