"""Importing a clinic's paper register, as typed into a spreadsheet and saved as CSV.

The register has the columns NAME, AGE, RESIDENCE, NUMBER and PHONE NUMBER
(any case, in any order, other columns ignored). NAME splits into first, middle
and last names; AGE (``33yrs``, ``9mths``, ``3days``) becomes a date of birth
estimated back from the day of import; NUMBER is kept as the legacy number and is
what makes a second import of the same register add nobody twice (a row without
a number is known by its name and phone instead).

Nothing is dropped silently: a bad phone or age is reported and the patient is
imported without it, with the field named in ``flagged_fields`` for reception to
fix; a row without a usable name is reported and not imported; a row already
imported (or repeated in the file) is counted as skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.collector import collector_paused
from clinic.errors import InvalidValue, ValidationFailed
from clinic.patients.models import Patient
from clinic.patients.service import (
    CheckedDetails,
    PatientDetails,
    check_details,
    register_patients,
)
from clinic.rules.ages import estimate_date_of_birth
from clinic.rules.numbers import clean_legacy_number
from clinic.rules.phones import normalize_phone

NAME = "NAME"
AGE = "AGE"
RESIDENCE = "RESIDENCE"
NUMBER = "NUMBER"
PHONE = "PHONE NUMBER"
COLUMNS = (NAME, AGE, RESIDENCE, NUMBER, PHONE)

ENCODINGS = ("utf-8-sig", "cp1252")
"""Tried in order: spreadsheets save CSV as UTF-8 (often with a BOM) or, on
older Windows Excel, as the ANSI code page."""

_Key = tuple[str, ...]
"""("number", legacy number) or ("name", folded full name, E.164 phone or "")."""

_NAME_FIELDS = {"first_name": "name", "middle_name": "name", "last_name": "name"}


class RegisterUnreadable(ValueError):
    """The file cannot be read as a paper register (missing, not a CSV file,
    undecodable, or without the register's columns); nothing was imported."""


@dataclass(frozen=True)
class RegisterRow:
    """One row of the register: ``line`` is where it starts in the file (the
    header is line 1); ``cells`` holds the five columns, stripped."""

    line: int
    cells: dict[str, str]


ROWS_PER_PART = 2000
"""An import commits every so many rows (a fraction of a second's work), so
the rest of the app on the same PC waits that long at most to write (the
desktop's database thread, which also runs its searches, as long), never
the whole import. A part is all or nothing: a kill or a failure keeps every
part committed before it, and importing the same register again imports
the rest."""


@dataclass(frozen=True)
class PaperRegister:
    """A register read and checked for its columns, not yet imported."""

    rows: list[RegisterRow]

    def parts(self) -> list[list[RegisterRow]]:
        """The rows in parts of :data:`ROWS_PER_PART`, in file order: each
        for a transaction of its own (:meth:`RegisterImport.import_rows`)."""
        return [
            self.rows[start : start + ROWS_PER_PART]
            for start in range(0, len(self.rows), ROWS_PER_PART)
        ]


@dataclass(frozen=True)
class ImportProblem:
    """A value the import could not use, and what became of its row
    (``outcome``: the patient imported without the value, or the row left out)."""

    line: int
    field: str
    value: str
    reason: str
    outcome: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field} '{self.value}': {self.reason}; {self.outcome}"


@dataclass
class ImportReport:
    """What an import did. ``rows_read`` counts the rows with any data (blank
    lines are not rows); every one of them is imported, skipped or rejected.
    ``skipped`` rows were imported before (their legacy number, or name and
    phone, is already in the store) or repeat an earlier row of the file;
    ``flagged_values`` counts the values left blank and flagged for review."""

    rows_read: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0
    flagged_values: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{_count(self.rows_read, 'row')} read: {self.imported} imported,"
            f" {self.skipped} already imported (skipped), {self.rejected} rejected;"
            f" {_count(self.flagged_values, 'value')} flagged for review"
        )

    def lines(self) -> list[str]:
        """One line per problem, in file order, then the summary."""
        return [str(problem) for problem in self.problems] + [self.summary()]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _header_key(text: str) -> str:
    return " ".join(text.split()).upper()


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise RegisterUnreadable(
            f"{name} is a spreadsheet workbook, not a CSV file; save it as CSV first"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RegisterUnreadable(
            f'{name} is UTF-16 text (as Excel saves "Unicode Text"), not a CSV file;'
            " save it from the spreadsheet as CSV UTF-8"
        )
    if b"\x00" in data:
        raise RegisterUnreadable(f"{name} is not a CSV text file")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegisterUnreadable(
        f"{name} is neither UTF-8 nor Windows-1252 text; save it from the spreadsheet as CSV UTF-8"
    )


def _parse(lines: Iterable[str], name: str) -> PaperRegister:
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise RegisterUnreadable(f"{name} is empty: no header line with the column names")
        positions: dict[str, int] = {}
        for index, cell in enumerate(header):
            key = _header_key(cell)
            if key in COLUMNS and key in positions:
                raise RegisterUnreadable(f"{name} has the column {key} twice")
            positions.setdefault(key, index)
        missing = [column for column in COLUMNS if column not in positions]
        if missing:
            found = ", ".join(cell.strip() for cell in header if cell.strip())
            if len(found) > 80:
                found = found[:77] + "..."
            raise RegisterUnreadable(
                f"{name} has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}"
                f" (its header line has {found}; a register needs {', '.join(COLUMNS)})"
            )
        rows: list[RegisterRow] = []
        previous_end = reader.line_num
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            cells = {
                column: record[index].strip() if index < len(record) else ""
                for column, index in positions.items()
                if column in COLUMNS
            }
            if any(cells.values()):
                rows.append(RegisterRow(line=start, cells=cells))
    except csv.Error as error:
        raise RegisterUnreadable(
            f"{name} is not a readable CSV file (line {reader.line_num}: {error})"
        ) from None
    return PaperRegister(rows=rows)


def read_paper_register(source: str | os.PathLike[str] | Iterable[str]) -> PaperRegister:
    """Read a register from a CSV file (a path) or from its lines of text (an
    open text file, a list of lines).

    Raises :class:`RegisterUnreadable` with a one-line reason when the file is
    missing, is not CSV text, cannot be decoded, or lacks a register column.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise RegisterUnreadable(f"{path} does not exist") from None
        except IsADirectoryError:
            raise RegisterUnreadable(f"{path} is a folder, not a CSV file") from None
        except OSError as error:
            raise RegisterUnreadable(f"{path} cannot be read: {error.strerror}") from None
        text = _decode(data, str(path))
        return _parse(io.StringIO(text, newline=""), str(path))
    return _parse(source, "the register")


def _split_name(text: str) -> tuple[str, str | None, str | None]:
    if text.islower() or text.isupper():
        text = text.title()
    words = text.split()
    if len(words) == 1:
        return words[0], None, None
    return words[0], " ".join(words[1:-1]) or None, words[-1]


def _name_key(first: str, middle: str | None, last: str | None) -> str:
    return " ".join(n for n in (first, middle, last) if n).casefold()


class _KnownPatients:
    """The keys of the patients already in the store (not deleted) and of the
    rows imported so far, each with the line that brought it (None for the
    store). Loaded once: a look-up per row would cost a query per row, and the
    name-and-phone key has no index to look it up by."""

    def __init__(self, session: Session) -> None:
        self._keys: dict[_Key, int | None] = {
            ("number", number): None
            for number in session.scalars(
                select(Patient.legacy_number).where(
                    Patient.legacy_number.is_not(None), Patient.deleted_at.is_(None)
                )
            )
            if number is not None
        }
        self._names_loaded = False

    def _load_names(self, session: Session) -> None:
        rows = session.execute(
            select(Patient.first_name, Patient.middle_name, Patient.last_name, Patient.phone).where(
                Patient.deleted_at.is_(None)
            )
        )
        for first, middle, last, phone in rows:
            self._keys.setdefault(("name", _name_key(first, middle, last), phone or ""), None)
        self._names_loaded = True

    def find(self, key: _Key, session: Session) -> tuple[bool, int | None]:
        """Whether ``key`` is known, and the line of this file that brought it."""
        if key[0] == "name" and not self._names_loaded:
            self._load_names(session)
        return key in self._keys, self._keys.get(key)

    def add(self, key: _Key, line: int) -> None:
        self._keys[key] = line


class RegisterImport:
    """One import of a register, which may span several transactions.

    Call :meth:`import_rows` with the register's rows in file order, in as
    many parts (and transactions) as suits: a long register imported in parts
    of a few hundred rows lets the desktop app write between them instead of
    waiting on the import, and a part that fails leaves the parts before it
    imported. Importing the same register again skips what is already in, so
    running it again after a failure finishes the work. ``report`` covers the
    parts imported so far; a part that raised (its transaction to be rolled
    back by the caller) is left out of it. A part is all or nothing: its rows
    are checked one by one, then its new patients written together at its end.
    """

    def __init__(self, *, actor: Actor, today: date) -> None:
        self.actor = actor
        self.today = today
        self.report = ImportReport()
        self._known: _KnownPatients | None = None

    def import_rows(self, rows: Iterable[RegisterRow], *, session: Session) -> None:
        """Import ``rows`` in the caller's transaction."""
        if self._known is None:
            self._known = _KnownPatients(session)
        saved = replace(self.report, problems=list(self.report.problems))
        try:
            with collector_paused():
                new: list[CheckedDetails] = []
                for row in rows:
                    self.report.rows_read += 1
                    checked = _check_row(
                        row, self.report, self._known, session=session, today=self.today
                    )
                    if checked is not None:
                        new.append(checked)
                register_patients(new, session=session, actor=self.actor, today=self.today)
        except BaseException:
            self.report = saved
            self._known = None  # the keys this part added go with its rollback
            raise


def _check_row(
    row: RegisterRow,
    report: ImportReport,
    known: _KnownPatients,
    *,
    session: Session,
    today: date,
) -> CheckedDetails | None:
    """The row's new patient, checked, and counted and reported as imported
    (the caller registers it); None, and the row reported, when the row is
    left out (rejected or already imported)."""
    cells = row.cells
    problems: list[ImportProblem] = []
    kept = "patient imported without it"

    name_text = " ".join(cells[NAME].split())
    if not name_text:
        report.rejected += 1
        report.problems.append(
            ImportProblem(row.line, "name", "", "no name given", "row not imported")
        )
        return None
    first, middle, last = _split_name(name_text)

    legacy_number = clean_legacy_number(cells[NUMBER])

    phone: str | None = None
    if cells[PHONE]:
        try:
            phone = normalize_phone(cells[PHONE])
        except InvalidValue as error:
            problems.append(ImportProblem(row.line, "phone", cells[PHONE], error.reason, kept))

    age: str | None = None
    if cells[AGE]:
        try:
            estimate_date_of_birth(cells[AGE], on=today)
            age = cells[AGE]
        except InvalidValue as error:
            problems.append(ImportProblem(row.line, "age", cells[AGE], error.reason, kept))

    if legacy_number is not None:
        key: _Key = ("number", legacy_number)
    else:
        key = ("name", _name_key(first, middle, last), phone or "")
    found, first_line = known.find(key, session)
    if found:
        report.skipped += 1
        if first_line is not None:
            report.problems.append(_repeat(row.line, first_line, legacy_number, name_text))
        return None

    flags = ["phone" if problem.field == "phone" else "date_of_birth" for problem in problems]
    details = PatientDetails(
        first_name=first,
        middle_name=middle,
        last_name=last,
        age=age,
        phone=cells[PHONE] if phone is not None else None,  # checked again, as typed
        residence=_place(cells[RESIDENCE]),
        legacy_number=legacy_number,
        flagged_fields=flags,
    )
    try:
        checked = check_details(details, today=today)
    except ValidationFailed as failed:
        report.rejected += 1
        for field_error in failed.errors:
            report.problems.append(
                ImportProblem(
                    row.line,
                    _NAME_FIELDS.get(field_error.field, field_error.field),
                    name_text
                    if field_error.field in _NAME_FIELDS
                    else _cell_for(field_error.field, cells),
                    field_error.reason,
                    "row not imported",
                )
            )
        return None
    known.add(key, row.line)
    report.imported += 1
    report.flagged_values += len(flags)
    report.problems.extend(problems)
    return checked


def _repeat(line: int, first_line: int, legacy_number: str | None, name: str) -> ImportProblem:
    skipped = "row skipped as a repeat"
    if legacy_number is not None:
        reason = f"number {legacy_number} is also on line {first_line} of this file"
        return ImportProblem(line, "number", legacy_number, reason, skipped)
    reason = f"no number, and the same name and phone are on line {first_line} of this file"
    return ImportProblem(line, "name", name, reason, skipped)


def _place(text: str) -> str | None:
    cleaned = " ".join(text.split())
    if cleaned.islower() or cleaned.isupper():
        cleaned = cleaned.title()
    return cleaned or None


def _cell_for(field_name: str, cells: dict[str, str]) -> str:
    column = {
        "phone": PHONE,
        "date_of_birth": AGE,
        "age": AGE,
        "residence": RESIDENCE,
        "legacy_number": NUMBER,
    }.get(field_name)
    return cells[column] if column is not None else ""
