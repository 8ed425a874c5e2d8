"""The patient search index: two SQLite FTS5 tables kept by triggers.

Names (prefix search from the start of any name) and numbers (any fragment
of an OP, legacy, phone, national id or SHA number: every ending of each
number is indexed, and a fragment is the start of an ending). Rows that are
deleted or merged into another patient stay out of it. The local migration
0002 made the tables and triggers from these statements in their first shape
(:data:`FIRST_NAMES_TABLE`, :data:`TRIGRAM_NUMBERS_TABLE`, each number's
search key whole), and 0015 made both again as they are now; the
``number_search_suffixes`` SQL function (:func:`number_suffixes`) and the
first shape's ``number_search_key`` are registered on every connection by
``clinic.store.create_sqlite_engine``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
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
NUMBERS_TABLE = (
    f"CREATE VIRTUAL TABLE {NUMBERS} USING fts5(patient_id UNINDEXED, numbers,"
    " tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4 5')"
)
"""The numbers' table: a fragment of 3, 4 or 5 characters is one entry of
the prefix index; a longer one, the few endings that start with it."""
FIRST_NAMES_TABLE = (
    f"CREATE VIRTUAL TABLE {NAMES} USING fts5(patient_id UNINDEXED, names,"
    " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')"
)
TRIGRAM_NUMBERS_TABLE = (
    f"CREATE VIRTUAL TABLE {NUMBERS} USING fts5(patient_id UNINDEXED, numbers,"
    " tokenize = 'trigram')"
)
"""The tables as local migrations 0002-0014 leave them: names with a prefix
index for 2-4 letters, and each number's search key whole in a trigram
index (``endings=False`` below)."""


def number_suffixes(*numbers: str | None) -> str:
    """The numbers' index text for one patient: every ending of each number's
    search key (``number_search_key``) at least :data:`SHORTEST_FRAGMENT`
    long, so that a fragment found anywhere inside a number is the start of
    one of them (``0757143067`` gives ``0757143067 757143067 ... 067``).
    Looked up as a prefix, a fragment reads the few endings that start with
    it rather than intersecting trigram lists each tens of thousands long
    (0.02 ms instead of 0.2-1.3 at 500,000 patients)."""
    keys = [number_search_key(number) for number in numbers if number]
    return " ".join(key[i:] for key in keys for i in range(len(key) - SHORTEST_FRAGMENT + 1))


def _indexed(row: str) -> str:
    return f"{row}.deleted_at IS NULL AND {row}.merged_into IS NULL"


def _names(row: str) -> str:
    return (
        f"coalesce({row}.first_name, '') || ' ' || coalesce({row}.middle_name, '') || ' ' "
        f"|| coalesce({row}.last_name, '')"
    )


def _numbers(row: str, endings: bool) -> str:
    if endings:
        return f"number_search_suffixes({', '.join(f'{row}.{c}' for c in NUMBER_COLUMNS)})"
    # An empty number (two in five here) is not handed to Python at all.
    return " || ' ' || ".join(
        f"CASE WHEN {row}.{c} IS NULL THEN '' ELSE number_search_key({row}.{c}) END"
        for c in NUMBER_COLUMNS
    )


def inserts(row: str, source: str = "", where: str = "", *, endings: bool = True) -> list[str]:
    """The statements that index ``row`` (``new`` in a trigger; ``patients``
    with ``source`` "FROM patients" for many), ``where`` narrowing them;
    the numbers as their endings, or (``endings=False``, the trigram table)
    each number's search key whole."""
    condition = f"{where} AND {_indexed(row)}" if where else _indexed(row)
    return [
        f"INSERT INTO {NAMES} (rowid, patient_id, names) "
        f"SELECT {row}.rowid, {row}.id, {_names(row)} {source} WHERE {condition};",
        f"INSERT INTO {NUMBERS} (rowid, patient_id, numbers) "
        f"SELECT {row}.rowid, {row}.id, {_numbers(row, endings)} {source} WHERE {condition};",
    ]


def merge(table: str) -> str:
    """The statement that merges ``table``'s index into one b-tree (FTS5's
    ``optimize``). Rows written in many transactions leave the index in many
    segments, and a look-up seeks every term in each: the 500,000-patient
    data set had 9 (numbers) and 6 (names), and a number fragment's look-up
    took a quarter less once they were one. The same rows are found, in the
    same order. Local migration 0015 runs it after filling the tables again,
    and ``bench.generate`` after building the index (1-10 s a table at
    500,000 patients)."""
    return f"INSERT INTO {table} ({table}) VALUES ('optimize')"


MERGES = (merge(NAMES), merge(NUMBERS))


def deletes(row: str) -> str:
    """The statements that take ``row`` out of the index."""
    return (
        f"DELETE FROM {NAMES} WHERE rowid = {row}.rowid;\n"
        f"DELETE FROM {NUMBERS} WHERE rowid = {row}.rowid;"
    )


TRIGGERS = (UPDATE_TRIGGER, "patients_search_delete", INSERT_TRIGGER)


def remake(names_table: str, numbers_table: str, *, endings: bool) -> list[str]:
    """The statements that make both tables again from their CREATE VIRTUAL
    TABLE statements, with the triggers of that shape (``endings`` as in
    :func:`inserts`), fill them from the patients and merge each into one
    segment (filled by one statement, the 20,000-patient data set's were in
    2 and 11; ``optimize`` costs about a seventh of the rest, nothing on a table
    already in one)."""
    return [
        *(f"DROP TRIGGER {trigger}" for trigger in TRIGGERS),
        f"DROP TABLE {NAMES}",
        f"DROP TABLE {NUMBERS}",
        names_table,
        numbers_table,
        *triggers(endings=endings),
        *inserts("patients", source="FROM patients", endings=endings),
        *MERGES,
    ]


def triggers(*, endings: bool = True) -> list[str]:
    """The statements that make the triggers keeping both tables up to date
    (named in :data:`TRIGGERS`; ``endings`` as in :func:`inserts`)."""
    new = " ".join(inserts("new", endings=endings))
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
            cursor.execute(NUMBERS_TABLE)
            cursor.execute(inserts("patients", "FROM patients")[1])
            cursor.execute(merge(NUMBERS))
            return
        listed = (json.dumps(list(rowids)),)
        renumbered = "rowid IN (SELECT value FROM json_each(?))"
        cursor.execute(f"DELETE FROM {NUMBERS} WHERE {renumbered}", listed)
        cursor.execute(inserts("patients", "FROM patients", f"patients.{renumbered}")[1], listed)


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
