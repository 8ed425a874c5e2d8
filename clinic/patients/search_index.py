"""The patient search index: two SQLite FTS5 tables kept by triggers.

Names (prefix search from the start of any name) and numbers (any fragment
of an OP, legacy, phone, national id or SHA number: each number is indexed
as its pieces of four characters, and a fragment is a phrase of them).
Rows that are deleted or merged into another patient stay out of it. The
local migration 0002 made the tables and triggers from these statements in
their first shape (:data:`FIRST_NAMES_TABLE`, the numbers as
:attr:`Numbers.TRIGRAMS`), 0015 made both again (the numbers as
:attr:`Numbers.ENDINGS`), and 0016 the numbers' table as it is now
(:attr:`Numbers.PIECES`). The SQL functions each shape's triggers call are
registered on every connection by ``clinic.store.create_sqlite_engine``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from enum import Enum
from typing import Any

from clinic.rules.numbers import number_search_key

NAMES = "patient_search_names"
NUMBERS = "patient_search_numbers"
INSERT_TRIGGER = "patients_search_insert"
UPDATE_TRIGGER = "patients_search_update"
SWAPPED_TRIGGER = "patients_search_update_swapped"
INDEX_AT_ONCE_FROM = 100
"""New patients written together from which they are indexed together
(:func:`indexed_at_once`): fewer, one by one, cost less than the pause."""
NUMBER_COLUMNS = ("op_number", "legacy_number", "phone", "national_id", "sha_number")
INDEXED_COLUMNS = ("first_name", "middle_name", "last_name", *NUMBER_COLUMNS, "deleted_at",
                   "merged_into")  # fmt: skip
"""The columns whose update indexes a patient again."""
HASH_BYTES = 1_048_576
"""The new entries FTS5 holds in memory before writing them to its table
as a segment: its default, 1 MiB."""
HASH_BYTES_HELD = 67_108_864
"""What :func:`entries_held` lets FTS5 hold: 64 MiB, so that 100,000
patients' entries go to each table as one segment. In segments of 1 MiB,
FTS5 merged them again and again as they came: filling both tables with
100,000 patients took 2.4-2.7 s (their commit included) instead of
2.1-2.3, for tables of the same size; 43 MB more memory meanwhile."""
SHORTEST_FRAGMENT = 3
"""The fewest characters of a number that find it (shorter ones would find
most patients)."""
NAMES_TABLE = (
    f"CREATE VIRTUAL TABLE {NAMES} USING fts5(patient_id UNINDEXED, names,"
    " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6 7 8')"
)
"""The names' table: the start of a name typed with up to eight letters is
one entry of the prefix index, read only as far as the hits asked for; a
longer start, the names that begin with it merged whole."""
PIECE = SHORTEST_FRAGMENT + 1
"""The characters of one piece of a number in the numbers' table: one more
than the shortest fragment, so that a number's last piece (a character
shorter) is as long as the table's prefix index, and a fragment that long
is the start of a piece anywhere in the number."""
FIRST_NAMES_TABLE = (
    f"CREATE VIRTUAL TABLE {NAMES} USING fts5(patient_id UNINDEXED, names,"
    " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')"
)
"""The names' table as local migrations 0002-0014 leave it: a prefix index
for 2-4 letters."""


def _search_keys(numbers: tuple[str | None, ...]) -> list[str]:
    """The search keys (``number_search_key``) of a patient's numbers that
    are there."""
    return [number_search_key(number) for number in numbers if number]


def number_pieces(*numbers: str | None) -> str:
    """The numbers' index text for one patient: the piece of
    :data:`PIECE` characters starting at each character of each number's
    search key (``number_search_key``), the last one a character shorter
    (``0757143067`` gives ``0757 7571 5714 ... 3067 067``). A fragment found
    anywhere inside a number is then a phrase of those pieces, or the start
    of one (:func:`fragment_match`); a number shorter than
    :data:`SHORTEST_FRAGMENT` has none."""
    return " ".join(
        key[i : i + PIECE]
        for key in _search_keys(numbers)
        for i in range(len(key) - SHORTEST_FRAGMENT + 1)
    )


def number_suffixes(*numbers: str | None) -> str:
    """The numbers' index text of :attr:`Numbers.ENDINGS`: every ending of
    each number's search key at least :data:`SHORTEST_FRAGMENT` long
    (``0757143067`` gives ``0757143067 757143067 ... 067``)."""
    return " ".join(
        key[i:] for key in _search_keys(numbers) for i in range(len(key) - SHORTEST_FRAGMENT + 1)
    )


def fragment_match(key: str) -> str:
    """The MATCH expression that finds the patients with ``key`` (a search
    key, :data:`SHORTEST_FRAGMENT` characters or more) inside one of their
    numbers: the start of a piece when it is shorter than one (the
    table's prefix index), else the phrase of its own pieces. A fragment
    running from one number into the next is not found: a piece of it
    would hold characters of both, and no piece in the table does."""
    if len(key) < PIECE:
        return f'"{key}"*'
    return '"' + " ".join(key[i : i + PIECE] for i in range(len(key) - PIECE + 1)) + '"'


class Numbers(Enum):
    """How the numbers' table holds the numbers: its statement, and the SQL
    function its triggers call with a patient's five numbers, with the
    Python function registered under that name (None: each number's
    ``number_search_key``, as the first shape called it)."""

    TRIGRAMS = (
        f"CREATE VIRTUAL TABLE {NUMBERS} USING fts5(patient_id UNINDEXED, numbers,"
        " tokenize = 'trigram')",
        None,
        None,
    )
    """Local migrations 0002-0014: each number's search key whole in a
    trigram index; a fragment is a phrase of trigrams (0.2-1.3 ms to look
    up at 500,000 patients)."""
    ENDINGS = (
        f"CREATE VIRTUAL TABLE {NUMBERS} USING fts5(patient_id UNINDEXED, numbers,"
        " tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4 5')",
        "number_search_suffixes",
        number_suffixes,
    )
    """Local migration 0015: every ending of each number
    (:func:`number_suffixes`) with a prefix index for 3-5 characters; a
    fragment is the start of an ending (0.04 ms at p95, but the index cost
    a first sync of 100,000 patients 6.8 CPU seconds to fill: each ending is
    a term of its own, and so are its starts of five)."""
    PIECES = (
        f"CREATE VIRTUAL TABLE {NUMBERS} USING fts5(patient_id UNINDEXED, numbers,"
        " tokenize = 'unicode61 remove_diacritics 0', prefix = '3')",
        "number_search_pieces",
        number_pieces,
    )
    """Local migration 0016 on: the pieces of :func:`number_pieces`, with a
    prefix index for 3 characters; a fragment is :func:`fragment_match`.
    At 500,000 patients a third of the endings' cost to fill (9.2 CPU
    seconds against 29.2), and a fragment's look-up p95 0.11-0.16 ms
    (0.04 for the endings; 0.9 for a phone's fragment by trigrams)."""

    def __init__(self, table: str, function: str | None, text: Callable[..., str] | None) -> None:
        self.table = table
        self.function = function
        self.text = text


NUMBERS_SHAPE = Numbers.PIECES
"""The numbers' table's shape of the newest local migration."""


def _indexed(row: str) -> str:
    return f"{row}.deleted_at IS NULL AND {row}.merged_into IS NULL"


def _names(row: str) -> str:
    return (
        f"coalesce({row}.first_name, '') || ' ' || coalesce({row}.middle_name, '') || ' ' "
        f"|| coalesce({row}.last_name, '')"
    )


def _numbers(row: str, numbers: Numbers) -> str:
    if numbers.function is not None:
        return f"{numbers.function}({', '.join(f'{row}.{c}' for c in NUMBER_COLUMNS)})"
    # An empty number (two in five here) is not handed to Python at all.
    return " || ' ' || ".join(
        f"CASE WHEN {row}.{c} IS NULL THEN '' ELSE number_search_key({row}.{c}) END"
        for c in NUMBER_COLUMNS
    )


def _condition(row: str, where: str) -> str:
    return f"{where} AND {_indexed(row)}" if where else _indexed(row)


def names_insert(row: str, source: str = "", where: str = "") -> str:
    """The statement that puts ``row`` in the names' table (``new`` in a
    trigger; ``patients`` with ``source`` "FROM patients" for many),
    ``where`` narrowing it."""
    return (
        f"INSERT INTO {NAMES} (rowid, patient_id, names) "
        f"SELECT {row}.rowid, {row}.id, {_names(row)} {source} WHERE {_condition(row, where)};"
    )


def numbers_insert(
    row: str, source: str = "", where: str = "", *, numbers: Numbers = NUMBERS_SHAPE
) -> str:
    """The statement that puts ``row`` in the numbers' table of the shape
    ``numbers`` (the rest as :func:`names_insert`)."""
    return (
        f"INSERT INTO {NUMBERS} (rowid, patient_id, numbers) "
        f"SELECT {row}.rowid, {row}.id, {_numbers(row, numbers)} {source}"
        f" WHERE {_condition(row, where)};"
    )


def inserts(
    row: str, source: str = "", where: str = "", *, numbers: Numbers = NUMBERS_SHAPE
) -> list[str]:
    """The statements that index ``row`` in both tables (see
    :func:`names_insert` and :func:`numbers_insert`)."""
    return [names_insert(row, source, where), numbers_insert(row, source, where, numbers=numbers)]


def merge(table: str) -> str:
    """The statement that merges ``table``'s index into one b-tree (FTS5's
    ``optimize``). Rows written in many transactions leave the index in many
    segments, and a look-up seeks every term in each: the 500,000-patient
    data set had 9 (numbers) and 6 (names), and a number fragment's look-up
    took a quarter less once they were one. The same rows are found, in the
    same order. Local migrations 0015 and 0016 run it after filling the
    tables again, and ``bench.generate`` after building the index (1-10 s
    a table at 500,000 patients)."""
    return f"INSERT INTO {table} ({table}) VALUES ('optimize')"


MERGES = (merge(NAMES), merge(NUMBERS))


def deletes(row: str) -> str:
    """The statements that take ``row`` out of the index."""
    return (
        f"DELETE FROM {NAMES} WHERE rowid = {row}.rowid;\n"
        f"DELETE FROM {NUMBERS} WHERE rowid = {row}.rowid;"
    )


TRIGGERS = (UPDATE_TRIGGER, "patients_search_delete", INSERT_TRIGGER)


def remake(numbers: Numbers, names_table: str | None = None) -> list[str]:
    """The statements that make the numbers' table again in the shape
    ``numbers``, and the names' table from ``names_table`` (its CREATE
    VIRTUAL TABLE statement; None keeps it as it is), with the triggers of
    that shape; fill each table made again from the patients and merge it
    into one segment (filled by one statement, the 20,000-patient data
    set's were in 2 and 11; ``optimize`` costs about a seventh of the rest,
    nothing on a table already in one)."""
    names = [] if names_table is None else [
        f"DROP TABLE {NAMES}", names_table, names_insert("patients", "FROM patients"), merge(NAMES)
    ]  # fmt: skip
    return [
        *(f"DROP TRIGGER {trigger}" for trigger in TRIGGERS),
        f"DROP TABLE {NUMBERS}",
        numbers.table,
        numbers_insert("patients", "FROM patients", numbers=numbers),
        merge(NUMBERS),
        *names,
        *triggers(numbers),
    ]


def triggers(numbers: Numbers = NUMBERS_SHAPE) -> list[str]:
    """The statements that make the triggers keeping both tables up to date
    (named in :data:`TRIGGERS`; the numbers' table of the shape
    ``numbers``)."""
    new = " ".join(inserts("new", numbers=numbers))
    return [
        f"CREATE TRIGGER {UPDATE_TRIGGER} AFTER UPDATE OF {', '.join(INDEXED_COLUMNS)}"
        f" ON patients BEGIN\n{deletes('old')}\n{new}\nEND",
        "CREATE TRIGGER patients_search_delete AFTER DELETE ON patients BEGIN\n"
        f"{deletes('old')}\nEND",
        f"CREATE TRIGGER {INSERT_TRIGGER} AFTER INSERT ON patients BEGIN\n{new}\nEND",
    ]


def pause_indexing(cursor: Any) -> dict[str, Any]:
    """Stop indexing new patients one by one (their insert trigger goes)
    until :func:`resume_indexing` indexes them together: five times faster
    for thousands of rows. Keep what this returns in the same transaction,
    for the one that resumes."""
    (trigger_sql,) = cursor.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (INSERT_TRIGGER,)
    ).fetchone()
    (last,) = cursor.execute("SELECT coalesce(max(rowid), 0) FROM patients").fetchone()
    cursor.execute(f"DROP TRIGGER {INSERT_TRIGGER}")
    return {"trigger": trigger_sql, "after_rowid": last}


def resume_indexing(cursor: Any, paused: dict[str, Any]) -> None:
    """Index the patients added since :func:`pause_indexing` and put the
    insert trigger back unchanged."""
    # New rows take rowids above the largest there was (the table has no
    # AUTOINCREMENT, and SQLite reuses rowids only once the largest is taken).
    # One edited meanwhile was indexed by the update trigger: it goes first.
    after = int(paused["after_rowid"])
    for table in (NAMES, NUMBERS):
        cursor.execute(f"DELETE FROM {table} WHERE rowid > {after}")
    for statement in inserts("patients", "FROM patients", f"patients.rowid > {after}"):
        cursor.execute(statement)
    cursor.execute(paused["trigger"])


@contextmanager
def entries_held(cursor: Any) -> Iterator[None]:
    """The index entries of the patients indexed inside are held in memory
    (up to :data:`HASH_BYTES_HELD` a table) and written on leaving, each
    table's as one segment, in the caller's transaction: for the many
    patients of a bulk load."""
    for table in (NAMES, NUMBERS):
        cursor.execute(_hash_size(table, HASH_BYTES_HELD))
    yield
    for table in (NAMES, NUMBERS):
        cursor.execute(_hash_size(table, HASH_BYTES))  # writes the entries held


def _hash_size(table: str, size: int) -> str:
    """The statement that lets FTS5 hold ``size`` bytes of new entries in
    memory before it writes them to ``table`` as a segment (its option
    ``hashsize``, kept in the table's settings)."""
    return f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', {size})"


@contextmanager
def indexed_at_once(cursor: Any) -> Iterator[None]:
    """New patients written inside are indexed together on leaving, inside
    the caller's transaction (see :func:`pause_indexing`)."""
    paused = pause_indexing(cursor)
    yield
    resume_indexing(cursor, paused)


@contextmanager
def _update_trigger_dropped(cursor: Any) -> Iterator[None]:
    """No update trigger until leaving, then the same one again, all in the
    caller's transaction (as :func:`pause_indexing`)."""
    (trigger_sql,) = cursor.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (UPDATE_TRIGGER,)
    ).fetchone()
    cursor.execute(f"DROP TRIGGER {UPDATE_TRIGGER}")
    yield
    cursor.execute(trigger_sql)


@contextmanager
def _update_trigger_swapped(cursor: Any, replacement: str) -> Iterator[None]:
    """The update trigger replaced by the trigger :data:`SWAPPED_TRIGGER`
    ``replacement`` makes until leaving, then back unchanged."""
    with _update_trigger_dropped(cursor):
        cursor.execute(replacement)
        yield
        cursor.execute(f"DROP TRIGGER {SWAPPED_TRIGGER}")


@contextmanager
def numbers_indexed_again(cursor: Any, rowids: Sequence[int]) -> Iterator[None]:
    """The patients ``rowids`` (their rowids) have their numbers indexed
    again on leaving, all in two statements (their entries in the numbers'
    table taken out, then made again), and no update is indexed inside: for
    a bulk update that changes those patients' numbers alone (leased OP
    numbers for provisional ones), which the update trigger would take out
    of both tables and index again row by row, names and their prefixes
    included. The caller vouches that nothing inside changes a name, a
    deletion or a merge, nor another patient's numbers.

    When they are half the patients or more (the first sync after a paper
    register's import), the numbers' table is made again from all the
    patients instead: taking an entry out costs about what making it does,
    so this is cheaper (20,000 of 20,000 patients: 1.0 s against 1.7)."""
    with _update_trigger_dropped(cursor):
        yield
        # The largest rowid counts every patient ever written, at least.
        (patients,) = cursor.execute("SELECT coalesce(max(rowid), 0) FROM patients").fetchone()
        if 2 * len(rowids) >= patients:
            cursor.execute(f"DROP TABLE {NUMBERS}")
            cursor.execute(NUMBERS_SHAPE.table)
            cursor.execute(numbers_insert("patients", "FROM patients"))
            cursor.execute(merge(NUMBERS))
            return
        listed = (json.dumps(list(rowids)),)
        renumbered = "rowid IN (SELECT value FROM json_each(?))"
        cursor.execute(f"DELETE FROM {NUMBERS} WHERE {renumbered}", listed)
        cursor.execute(
            numbers_insert("patients", "FROM patients", f"patients.{renumbered}"), listed
        )


def indexed_if_changed(cursor: Any) -> AbstractContextManager[None]:
    """Patients updated inside are indexed again only if a value the index
    reads changed, not whenever an update names the column: for the
    upserts of a pull, which set every column (the rows a PC pushed come
    back with only the server's times and author different)."""
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in INDEXED_COLUMNS)
    return _update_trigger_swapped(
        cursor,
        f"CREATE TRIGGER {SWAPPED_TRIGGER} AFTER UPDATE OF {', '.join(INDEXED_COLUMNS)}"
        f" ON patients WHEN {changed} BEGIN\n{deletes('old')}\n{' '.join(inserts('new'))}\nEND",
    )
