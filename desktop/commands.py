"""The command line's commands: ``desktop.cli`` parses the command line and
imports this module only when a command runs, so the desktop app starts
without what the commands need (see ``desktop.cli`` for each command). What
only some commands need (the sync engine, backups, reports) is imported by
those: ``import-patients`` starts without them."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from clinic.actor import Actor
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
from clinic.rules.phones import format_phone_for_display
from clinic.store import STORE_FILE, LocalStore, open_local_store
from clinic.store_key import KEY_ENV, StoreKeyRefused, load_key, parse_key
from desktop.cli import (
    EXIT_UNREACHABLE,
    PASSWORD_ENV,
    PROG,
    USER_ENV,
    CommandFailed,
    Interrupted,
    UsageError,
    describe_error,
)

if TYPE_CHECKING:
    from clinic.reports.base import ReportResult
    from sync.engine import SyncReport
    from sync.transport import Transport


def _open_store(data_dir: Path) -> LocalStore:
    try:
        return open_local_store(data_dir)
    except OSError as error:
        raise CommandFailed(
            f"cannot open the data folder {data_dir}: {error.strerror or error}"
        ) from None


def import_patients(data_dir: Path, file: Path) -> int:
    try:
        register = read_paper_register(file)
    except RegisterUnreadable as error:
        raise CommandFailed(f"cannot import: {error}") from None
    store = _open_store(data_dir)
    try:
        job = RegisterImport(actor=Actor(device_id=store.device_id), today=clinic_today())
        for part in register.parts():
            try:
                with store.write() as session:
                    job.import_rows(part, session=session)
            except (Exception, KeyboardInterrupt) as error:
                stopped = Interrupted if isinstance(error, KeyboardInterrupt) else CommandFailed
                why = (
                    "interrupted" if isinstance(error, KeyboardInterrupt) else describe_error(error)
                )
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


def patients(data_dir: Path, query: str | None, *, limit: int | None, as_json: bool) -> int:
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


def report(data_dir: Path, name: str, start: date, end: date, out: Path, branch: str | None) -> int:
    """Write report ``name`` to ``out`` (its extension says the format), whole
    or not at all."""
    from clinic.reports.base import ReportRequest
    from clinic.reports.catalogue import check_name, run_report
    from clinic.reports.export import WRITERS

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


def backup(data_dir: Path, file: Path) -> int:
    from clinic.backup import BackupRefused, backup_store

    try:
        info = backup_store(data_dir / STORE_FILE, file)
    except BackupRefused as error:
        raise CommandFailed(str(error)) from None
    except OSError as error:
        raise CommandFailed(f"cannot write {file}: {error.strerror or error}") from None
    print(f"Backed up {data_dir} to {file} ({info.pending} changes not yet synced).")
    return 0


def restore(data_dir: Path, file: Path) -> int:
    from clinic.backup import BackupRefused, restore_store

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


def store_key(data_dir: Path) -> int:
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


def _transport(store: LocalStore, server: str | None) -> Transport:
    from sync.auth import SERVER_URL_KEY
    from sync.transport import Transport

    url = server or store.get_setting(SERVER_URL_KEY)
    if not url:
        raise CommandFailed(f"no clinic server is set up; run {PROG} login --server URL first")
    return Transport(url, store.device_id)


def login(data_dir: Path, server: str, username: str | None) -> int:
    from sync.auth import login_online
    from sync.engine import SyncEngine
    from sync.transport import ServerRefused, Unreachable

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


def sync(data_dir: Path) -> int:
    from sync.engine import SyncEngine
    from sync.transport import ServerRefused, Unreachable

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
    from sync.auth import login_online

    login_online(store, transport, username, password)


def _say_note(text: str) -> None:
    print(f"{PROG}: note: {text}", file=sys.stderr)


def describe_report(report: SyncReport) -> list[str]:
    """What a sync moved, one line each, for people reading a terminal or a log."""
    from sync.engine import SKEW_WARNING_SECONDS

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
