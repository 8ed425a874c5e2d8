"""The patient search index: two SQLite FTS5 tables kept by triggers.

Names (prefix search from the start of any name) and numbers (trigram: any
fragment of an OP, legacy, phone, national id or SHA number). Rows that are
deleted or merged into another patient stay out of it. The local migration
0002 made the tables and triggers from these statements; the
``number_search_key`` SQL function is registered on every connection by
``clinic.store.create_sqlite_engine``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

NAMES = "patient_search_names"
NUMBERS = "patient_search_numbers"
INSERT_TRIGGER = "patients_search_insert"
NUMBER_COLUMNS = ("op_number", "legacy_number", "phone", "national_id", "sha_number")
HELD_SEGMENTS = 1000  # the most segments a level holds while merges are held


def _indexed(row: str) -> str:
    return f"{row}.deleted_at IS NULL AND {row}.merged_into IS NULL"


def _names(row: str) -> str:
    return (
        f"coalesce({row}.first_name, '') || ' ' || coalesce({row}.middle_name, '') || ' ' "
        f"|| coalesce({row}.last_name, '')"
    )


def _numbers(row: str) -> str:
    return " || ' ' || ".join(f"coalesce(number_search_key({row}.{c}), '')" for c in NUMBER_COLUMNS)


def inserts(row: str, source: str = "", where: str = "") -> list[str]:
    """The statements that index ``row`` (``new`` in a trigger; ``patients``
    with ``source`` "FROM patients" for many), ``where`` narrowing them."""
    condition = f"{where} AND {_indexed(row)}" if where else _indexed(row)
    return [
        f"INSERT INTO {NAMES} (rowid, patient_id, names) "
        f"SELECT {row}.rowid, {row}.id, {_names(row)} {source} WHERE {condition};",
        f"INSERT INTO {NUMBERS} (rowid, patient_id, numbers) "
        f"SELECT {row}.rowid, {row}.id, {_numbers(row)} {source} WHERE {condition};",
    ]


def deletes(row: str) -> str:
    """The statements that take ``row`` out of the index."""
    return (
        f"DELETE FROM {NAMES} WHERE rowid = {row}.rowid;\n"
        f"DELETE FROM {NUMBERS} WHERE rowid = {row}.rowid;"
    )


@contextmanager
def indexed_at_once(cursor: Any) -> Iterator[None]:
    """New patients written inside are indexed together on leaving, not one
    by one: five times faster for thousands of rows. The insert trigger is
    out meanwhile and put back unchanged, so run it inside the caller's
    transaction, where a failure rolls all of it back."""
    (trigger_sql,) = cursor.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (INSERT_TRIGGER,)
    ).fetchone()
    (before,) = cursor.execute("SELECT coalesce(max(rowid), 0) FROM patients").fetchone()
    cursor.execute(f"DROP TRIGGER {INSERT_TRIGGER}")
    yield
    # New rows take rowids above the largest there was (the table has no
    # AUTOINCREMENT, and SQLite reuses rowids only once the largest is taken).
    for statement in inserts("patients", "FROM patients", f"patients.rowid > {int(before)}"):
        cursor.execute(statement)
    cursor.execute(trigger_sql)


def hold_merges(cursor: Any) -> None:
    """Let the index's segments pile up instead of merging them as they
    come, until :func:`merge_all`: cheaper when many pages are indexed in a
    row. Persistent (FTS5 keeps it in its config table)."""
    for table in (NAMES, NUMBERS):
        cursor.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 0)")
        cursor.execute(
            f"INSERT INTO {table} ({table}, rank) VALUES ('crisismerge', {HELD_SEGMENTS})"
        )


def merge_all(cursor: Any) -> None:
    """Merge the segments into one and go back to FTS5's merge settings."""
    for table in (NAMES, NUMBERS):
        cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
        cursor.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 4)")
        cursor.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('crisismerge', 16)")
