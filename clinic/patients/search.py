"""Finding a patient while they stand at the desk.

Ranked in three tiers, each a cheap indexed look-up rather than a scored
full-text query (bm25 over 500,000 names is where the time would go):

1. an exact OP number (with or without its check digit), phone, national id,
   SHA or legacy number; text that is an OP number or the start of one goes
   no further than a range on the OP numbers;
2. names: whole-word matches first, then matches from the start of any name
   (every typed word must match some name), then names typed with one
   letter wrong, missing or extra, or two letters swapped, in any word of
   four letters or more (Otiyeno finds Otieno, Cheruyot Cheruiyot);
3. a fragment of any of the numbers, anywhere inside it (three characters at
   least: shorter ones would find most patients).

Deleted patients are not found. A patient merged into another is found
only by an exact number, and it finds the one they were merged into. A
query of fewer than two characters finds nothing.
"""

from __future__ import annotations

import re
import string
import threading
import time
import unicodedata
import uuid
import weakref
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from clinic.enums import Sex
from clinic.errors import InvalidValue
from clinic.patients.models import Patient
from clinic.patients.search_index import NUMBERS, SHORTEST_FRAGMENT, fragment_match
from clinic.rules.numbers import number_search_key, parse_number
from clinic.rules.phones import NATIONAL_DIGITS, normalize_phone

MIN_QUERY_LENGTH = 2
MIN_FRAGMENT_LENGTH = SHORTEST_FRAGMENT
FUZZY_MIN_LENGTH = 4
"""Words this long or longer are also matched with one letter wrong, missing
or extra; shorter ones have too many neighbours to be told apart."""
_WORD_RE = re.compile(r"[^\W_]+")
NAME_COLUMNS = (Patient.first_name, Patient.middle_name, Patient.last_name)
ACTIVE = (Patient.deleted_at.is_(None), Patient.merged_into.is_(None))


@dataclass(frozen=True)
class PatientSummary:
    """One search hit, as plain data for lists and the command line."""

    id: uuid.UUID
    op_number: str
    legacy_number: str | None
    first_name: str
    middle_name: str | None
    last_name: str | None
    sex: str
    date_of_birth: date | None
    date_of_birth_estimated: bool
    phone: str | None
    national_id: str | None
    sha_number: str | None
    residence: str | None

    @property
    def full_name(self) -> str:
        return " ".join(n for n in (self.first_name, self.middle_name, self.last_name) if n)


SUMMARY_COLUMNS = [getattr(Patient, name) for name in PatientSummary.__dataclass_fields__]


def _exact_candidates(query: str) -> list[str]:
    """The forms an exact identifier may be stored in, for one typed query."""
    forms = {query, query.upper().replace(" ", "")}
    with suppress(InvalidValue):
        forms.add(parse_number(query).text)
    if sum(c.isdigit() for c in query) >= NATIONAL_DIGITS:  # fewer is never a phone
        with suppress(InvalidValue):
            forms.add(normalize_phone(query))
    return sorted(forms)


IDENTIFIER_COLUMNS = ("op_number", "phone", "national_id", "sha_number", "legacy_number")
LIVE = "deleted_at IS NULL AND merged_into IS NULL"


def _driver(session: Session) -> Any:
    """The SQLite connection under the session's own connection and
    transaction, asked for once per search (each ``session.connection()``
    costs about as much as one of the search's statements)."""
    return session.connection().connection.driver_connection


def _rows(db: Any, statement: str, parameters: tuple[object, ...]) -> list[Any]:
    """Plain SQL with ``?`` parameters on the SQLite store's connection
    ``db`` (see :func:`_driver`): a search runs a few tiny statements, and
    compiling them through the ORM, or even passing them through
    SQLAlchemy's execution, would cost more than running them."""
    cursor = db.cursor()
    try:
        rows: list[Any] = cursor.execute(statement, parameters).fetchall()
        return rows
    finally:
        cursor.close()


def _sql(db: Any, statement: str, parameters: tuple[object, ...]) -> list[Any]:
    """The first column of :func:`_rows`."""
    return [row[0] for row in _rows(db, statement, parameters)]


def _exact_ids(session: Session, db: Any, query: str, limit: int) -> list[Any]:
    """Patients with an identifier exactly as typed, or the ones they were
    merged into (None for one not in this store); with ``db`` (SQLite's own
    connection), their rowids."""
    forms = _exact_candidates(query)
    if db is not None:
        marks = ", ".join("?" * len(forms))
        where = " OR ".join(f"{column} IN ({marks})" for column in IDENTIFIER_COLUMNS)
        return _sql(
            db,
            "SELECT CASE WHEN merged_into IS NULL THEN rowid ELSE"
            " (SELECT target.rowid FROM patients target WHERE target.id = patients.merged_into)"
            f" END FROM patients WHERE ({where}) AND deleted_at IS NULL LIMIT ?",
            (*forms * len(IDENTIFIER_COLUMNS), limit),
        )
    rows = session.execute(
        select(func.coalesce(Patient.merged_into, Patient.id))
        .where(
            or_(
                Patient.op_number.in_(forms),
                Patient.phone.in_(forms),
                Patient.national_id.in_(forms),
                Patient.sha_number.in_(forms),
                Patient.legacy_number.in_(forms),
            ),
            Patient.deleted_at.is_(None),
        )
        .limit(limit)
    )
    return [row[0].hex for row in rows]


def _fts(db: Any, table: str, match: str, limit: int) -> list[int]:
    """The patients' rowids (the index's rows take their patient's rowid)."""
    return _sql(db, f"SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?", (match, limit))


def _fragment_ids(db: Any, key: str, limit: int) -> list[int]:
    """Patients with ``key`` anywhere inside one of their numbers (see
    ``clinic.patients.search_index.fragment_match``)."""
    return _fts(db, NUMBERS, fragment_match(key), limit)


_OP_START = re.compile(r"(TMP)?(OP)?(\d{4})(\d{0,7})")
_YEAR_SERIAL = re.compile(r"\s*\d{4}\s*[-/]\s*\d+\s*")


def op_number_prefix(query: str) -> str | None:
    """The start of the stored OP number the typed text must be, when it is
    an OP number or the start of one (``op-2024-0870``, ``OP20240870``,
    ``2024-0870``, ``TMP-OP-2026-00001``); None for anything else. Digits
    alone are not taken for one: they may be a phone or an ID."""
    match = _OP_START.fullmatch(number_search_key(query))
    if match is None:
        return None
    tmp, op, year, digits = match.groups()
    if not op and not _YEAR_SERIAL.fullmatch(query):
        return None
    prefix = f"{'TMP-' if tmp else ''}OP-{year}"
    if digits:
        serial, check = digits[:6], digits[6:]
        prefix += f"-{serial}" + (f"-{check}" if check else "")
    return prefix


def _op_range_ids(db: Any, prefix: str, limit: int) -> list[int]:
    """Patients whose OP number starts with ``prefix``: a range on the index."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return _sql(
        db,
        f"SELECT rowid FROM patients WHERE op_number >= ? AND op_number < ? AND {LIVE}"
        " ORDER BY op_number LIMIT ?",
        (prefix, upper, limit),
    )


def name_terms(text: str) -> list[str]:
    """The words of a name as the names index holds them: lower case,
    accents taken off (the index's ``remove_diacritics``)."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _WORD_RE.findall(bare.lower())


def one_edit_away(word: str) -> set[str]:
    """Every spelling of ``word`` with one letter taken out, put in or
    changed, or two neighbours swapped (``word`` itself included)."""
    letters = set(string.ascii_lowercase) | set(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        word,
        *(head + tail[1:] for head, tail in splits if tail),
        *(head + tail[1] + tail[0] + tail[2:] for head, tail in splits if len(tail) > 1),
        *(head + c + tail[1:] for head, tail in splits if tail for c in letters),
        *(head + c + tail for head, tail in splits for c in letters),
    }


NEAR_WORDS_KEPT = 10_000
"""How many typed words' names one edit away each store remembers (a few
names each), until the names index gains a word."""
NAME_TERMS_REFRESH_SECONDS = 600.0
"""How often the words of the names index are read again whole. New patients
join in between at the next search; a name corrected on a patient already
indexed joins at the next full read (exact search finds it at once)."""


@dataclass
class _NameTerms:
    """Every word in one store's names index, kept in memory so that the few
    hundred spellings one edit away from a typed word can be narrowed to the
    names that exist before the index is asked (asking it for all of them
    costs 10-20 ms; reading the words whole, about 75 ms at 500,000 patients)."""

    terms: set[str] = field(default_factory=set)
    last_rowid: int = 0
    read_at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)
    near_words: dict[str, list[str]] = field(default_factory=dict)
    """Typed words and their names one edit away in :attr:`near_of`."""
    near_of: set[str] | None = None

    def current(self, db: Any) -> set[str]:
        with self.lock:
            if time.monotonic() - self.read_at > NAME_TERMS_REFRESH_SECONDS:
                self._read_all(db)
            else:
                self._read_new(db)
            return self.terms

    def near(self, word: str, terms: set[str]) -> list[str]:
        """The names in ``terms`` (what :meth:`current` gave) one edit away
        from ``word``, itself included: worked out once per word (spelling
        the few hundred neighbours of a word costs about 0.1 ms, a name
        typed again at the desk is common) until the index gains a word."""
        with self.lock:
            if self.near_of is not terms:
                self.near_words, self.near_of = {}, terms
            found = self.near_words.get(word)
        if found is None:
            found = sorted(one_edit_away(word) & terms)
            with self.lock:
                if self.near_of is terms and len(self.near_words) < NEAR_WORDS_KEPT:
                    self.near_words[word] = found
        return found

    def _read_all(self, db: Any) -> None:
        _rows(
            db,
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.patient_search_terms"
            " USING fts5vocab(main, patient_search_names, 'row')",
            (),
        )
        (self.last_rowid,) = _sql(
            db, "SELECT coalesce(max(rowid), 0) FROM patient_search_names", ()
        )
        self.terms = set(_sql(db, "SELECT term FROM temp.patient_search_terms", ()))
        self.read_at = time.monotonic()

    def _read_new(self, db: Any) -> None:
        rows = _rows(
            db, "SELECT rowid, names FROM patient_search_names WHERE rowid > ?", (self.last_rowid,)
        )
        new: set[str] = set()
        for rowid, names in rows:
            new.update(name_terms(names))
            self.last_rowid = max(self.last_rowid, rowid)
        if not new <= self.terms:
            # A new set rather than adding to it: a search on another thread
            # may be reading the one it was given.
            self.terms = self.terms | new


_name_terms: weakref.WeakKeyDictionary[Engine, _NameTerms] = weakref.WeakKeyDictionary()
_name_terms_lock = threading.Lock()


def _fuzzy_match(session: Session, db: Any, words: list[str]) -> str | None:
    """The names index query for ``words`` with one edit allowed in each
    long word; None when some long word is near no name at all, or when no
    word is near a name but itself: then the query would find only patients
    the prefix tier before it found (every one of them, as it found fewer
    than it was asked for), and asking costs 0.1-0.3 ms at 500,000 patients."""
    engine = session.get_bind().engine
    with _name_terms_lock:
        known = _name_terms.setdefault(engine, _NameTerms())
    terms = known.current(db)
    groups = []
    widened = False
    for word in words:
        typed = name_terms(word)
        if len(typed) != 1 or len(typed[0]) < FUZZY_MIN_LENGTH:
            groups.append(f'"{word}"*')
            continue
        near = known.near(typed[0], terms)
        if not near:
            return None
        widened = widened or near != typed
        groups.append("(" + " OR ".join(f'"{n}"' for n in near) + ")")
    return " AND ".join(groups) if widened else None


def _names_portable(
    session: Session, words: list[str], limit: int, *, fuzzy: bool = False
) -> list[str]:
    """Names from the start of any name, or with ``fuzzy`` whole names one
    edit away from each long word, without SQLite's index (central)."""

    def matches(word: str) -> Any:
        lower = word.lower()
        if fuzzy and len(lower) >= FUZZY_MIN_LENGTH:
            near = sorted(one_edit_away(lower))
            return or_(*(func.lower(column).in_(near) for column in NAME_COLUMNS))
        return or_(
            *(func.lower(column).startswith(lower, autoescape=True) for column in NAME_COLUMNS)
        )

    conditions = [matches(w) for w in words]
    rows = session.execute(
        select(Patient.id).where(*conditions, *ACTIVE).order_by(Patient.created_at).limit(limit)
    )
    return [row[0].hex for row in rows]


def _fragments_portable(session: Session, key: str, limit: int) -> list[str]:
    """Number fragments, without SQLite's index (central)."""
    phone_key = key[1:] if key.startswith("0") else key
    rows = session.execute(
        select(Patient.id)
        .where(
            or_(
                func.replace(Patient.op_number, "-", "").contains(key, autoescape=True),
                Patient.phone.contains(phone_key, autoescape=True),
                Patient.national_id.contains(key, autoescape=True),
                Patient.sha_number.contains(key, autoescape=True),
            ),
            *ACTIVE,
        )
        .limit(limit)
    )
    return [row[0].hex for row in rows]


def search_patient_ids(session: Session, query: str, *, limit: int = 20) -> list[str]:
    """Ids (as 32 hex digits) of the best matches, best first. On SQLite the
    name and fragment tiers use the FTS5 index; elsewhere (the central
    PostgreSQL) plain prefix and substring matches stand in."""
    db = _driver(session) if session.get_bind().dialect.name == "sqlite" else None
    found = _best(session, db, query, limit)
    if not found or db is None:
        return found
    ids = dict(_rows(db, _BY_ROWID.format("rowid, id", ", ".join("?" * len(found))), tuple(found)))
    return [ids[rowid] for rowid in found if rowid in ids]


_BY_ROWID = "SELECT {} FROM patients WHERE rowid IN ({})"


def _best(session: Session, db: Any, query: str, limit: int) -> list[Any]:
    """The best matches, best first: on SQLite (``db``, its own connection,
    see :func:`_driver`) the patients' rowids (a row is found by its rowid
    without the ids' index), elsewhere (``db`` None) their ids."""
    query = query.strip()
    if len(query) < MIN_QUERY_LENGTH or limit <= 0:
        return []
    found: dict[Any, None] = {}

    def take(keys: list[Any]) -> bool:
        for key in keys:
            if key is not None:
                found.setdefault(key)
        return len(found) >= limit

    indexed = db is not None
    exact = _exact_ids(session, db, query, limit)
    if take(exact):
        return list(found)[:limit]
    prefix = op_number_prefix(query) if indexed else None
    if prefix is not None:
        take(_op_range_ids(db, prefix, limit))
        return list(found)[:limit]
    words = [w for w in _WORD_RE.findall(query) if not w.isdigit()]
    fuzzy = any(len(w) >= FUZZY_MIN_LENGTH for w in words)
    if words and not indexed:
        if take(_names_portable(session, words, limit)):
            return list(found)[:limit]
        if fuzzy and take(_names_portable(session, words, limit, fuzzy=True)):
            return list(found)[:limit]
    if words and indexed:
        whole = " ".join(f'"{w}"' for w in words)
        prefixes = " ".join(f'"{w}"*' for w in words)
        if take(_fts(db, "patient_search_names", whole, limit)):
            return list(found)[:limit]
        if take(_fts(db, "patient_search_names", prefixes, limit)):
            return list(found)[:limit]
        near = _fuzzy_match(session, db, words) if fuzzy else None
        if near is not None and take(_fts(db, "patient_search_names", near, limit)):
            return list(found)[:limit]
    key = number_search_key(query)
    if not exact and len(key) >= MIN_FRAGMENT_LENGTH and any(c.isdigit() for c in key):
        if indexed:
            take(_fragment_ids(db, key, limit))
        else:
            take(_fragments_portable(session, key, limit))
    return list(found)[:limit]


def search_patients(query: str, *, session: Session, limit: int = 20) -> list[PatientSummary]:
    """The best matches for what was typed, best first (see the module's
    docstring for the order)."""
    db = _driver(session) if session.get_bind().dialect.name == "sqlite" else None
    ids = _best(session, db, query, limit)
    if not ids:
        return []
    if db is not None:
        return _summaries_sqlite(db, ids)
    rows = session.execute(
        select(*SUMMARY_COLUMNS).where(Patient.id.in_([uuid.UUID(hex=i) for i in ids]))
    )
    by_id = {row.id.hex: PatientSummary(*row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def _summaries_sqlite(db: Any, rowids: list[int]) -> list[PatientSummary]:
    names = ", ".join(("rowid", *PatientSummary.__dataclass_fields__))
    rows = _rows(db, _BY_ROWID.format(names, ", ".join("?" * len(rowids))), tuple(rowids))
    by_rowid = {}
    for row in rows:
        (rowid, id_, op, legacy, first, middle, last, sex, dob, estimated, *rest) = row
        by_rowid[rowid] = PatientSummary(
            uuid.UUID(hex=id_), op, legacy, first, middle, last, Sex(sex),
            date.fromisoformat(dob) if dob else None, bool(estimated), *rest,
        )  # fmt: skip
    return [by_rowid[r] for r in rowids if r in by_rowid]


def list_patients(
    *, session: Session, limit: int | None = None, offset: int = 0
) -> list[PatientSummary]:
    """Patients in order of registration (for listings and scripts)."""
    query = (
        select(*SUMMARY_COLUMNS)
        .where(*ACTIVE)
        .order_by(Patient.created_at, Patient.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [PatientSummary(*row) for row in session.execute(query)]
