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
INDEX_AT_ONCE_FROM = 100
"""New patients written together from which they are indexed together
(:func:`indexed_at_once`): fewer, one by one, cost less than the pause."""
NUMBER_COLUMNS = ("op_number", "legacy_number", "phone", "national_id", "sha_number")


def _indexed(row: str) -> str:
    return f"{row}.deleted_at IS NULL AND {row}.merged_into IS NULL"


def _names(row: str) -> str:
    return (
        f"coalesce({row}.first_name, '') || ' ' || coalesce({row}.middle_name, '') || ' ' "
        f"|| coalesce({row}.last_name, '')"
    )


def _numbers(row: str) -> str:
    # An empty number (two in five here) is not handed to Python at all.
    return " || ' ' || ".join(
        f"CASE WHEN {row}.{c} IS NULL THEN '' ELSE number_search_key({row}.{c}) END"
        for c in NUMBER_COLUMNS
    )


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
