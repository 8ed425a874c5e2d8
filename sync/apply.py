"""Applying pulled rows to the local SQLite store, fast and in bulk.

A pulled page holds each table's rows as lists of values in the server's
column order, each value in the form the store keeps it (:mod:`sync.protocol`),
so a page is written table by table in dependency order, inside the
caller's transaction, and Python touches no value: each table's rows go to
SQLite as one JSON text, and one upsert reads them from it
(``jsonb_each``). SQLite runs that statement with the interpreter lock
released, while the fetching threads decode the next pages; binding the
values one by one from Python cost twice as much as all of SQLite's work
on them (the binding of SQLCipher's driver: ``bench/README.md``, Sync).

A row that still has local changes waiting in the outbox is merged instead:
the server's values for the other fields, the local values for the waiting
ones (they are pushed next and the server decides). Many new patients at
once go into the search index together (:func:`indexed_at_once`).

A first sync writes every row the clinic has. It runs as a bulk load: the
tables' secondary indexes and the patient search index are set aside when
it starts and built once, by sorting, when it ends (or when it is cut off,
so the PC works on what it has); a note in the store's settings, written
with the first page, lets a sync killed half-way finish the load when it
runs again (:func:`begin_bulk_load`, :func:`end_bulk_load`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

from clinic.journal.entities import SYNCED
from clinic.journal.models import OutboxEntry, StoreSetting
from clinic.patients.search_index import (
    INDEX_AT_ONCE_FROM,
    entries_held,
    indexed_at_once,
    indexed_if_changed,
    pause_indexing,
    resume_indexing,
)
from clinic.store import PATIENT_AGES_STATISTICS

BULK_LOAD_KEY = "bulk_load"
"""The store setting kept while a bulk load is under way."""
BULK_CACHE_KIB = 262_144
"""SQLite's page cache while a bulk load's indexes are built (256 MiB, given
back when they are): each build reads its whole table, and a table read
from the cache costs no decryption (on 100,000 patients and 300,000 visits,
the builds took 3.0 CPU seconds instead of 4.3 with the store's 64 MiB)."""


@dataclass(frozen=True)
class _Plan:
    """How one table's pulled rows are written."""

    table: str
    names: tuple[str, ...]

    @property
    def id_at(self) -> int:
        return self.names.index("id")

    def insert(self) -> str:
        names = ", ".join(f'"{n}"' for n in self.names)
        return f"INSERT INTO {self.table} ({names}) VALUES ({', '.join('?' * len(self.names))})"

    def upsert_from_json(self, sent: tuple[str, ...]) -> str:
        """The upsert of every row of a JSON array of rows with the columns
        ``sent``, in that order (the one bound value): a column the server
        does not send is left empty, one this PC does not have is left out."""
        where = {name: i for i, name in enumerate(sent)}
        names = ", ".join(f'"{n}"' for n in self.names)
        values = ", ".join(
            "NULL" if name not in where else f"value ->> {where[name]}" for name in self.names
        )
        updates = ", ".join(f'"{n}" = excluded."{n}"' for n in self.names if n != "id")
        same = " AND ".join(f'{self.table}."{n}" IS excluded."{n}"' for n in self.names)
        # "WHERE true": SQLite would read the ON CONFLICT as a join's ON. A
        # row the store holds as sent is left alone: writing it again would
        # change nothing but cost its triggers (a patient's search index
        # entries, made again), as for the rows a PC pushed coming back in
        # its next pull.
        return (
            f"INSERT INTO {self.table} ({names}) SELECT {values} FROM jsonb_each(?) WHERE true"
            f" ON CONFLICT(id) DO UPDATE SET {updates} WHERE NOT ({same})"
        )


@cache
def _plan(entity: str) -> _Plan:
    table: Table = SYNCED[entity].model.__table__  # type: ignore[attr-defined]
    return _Plan(table=table.name, names=tuple(c.name for c in table.columns))


def _in_table_order(plan: _Plan, columns: list[str], row: list[Any]) -> list[Any]:
    """The row with the local table's columns, in its order: a column the
    server does not send is left empty, one this PC does not have is left out."""
    where = {name: i for i, name in enumerate(columns)}
    return [None if name not in where else row[where[name]] for name in plan.names]


def pending_fields(connection: Connection, row_ids: Iterable[uuid.UUID]) -> dict[str, set[str]]:
    """For rows with changes still in the outbox: the fields waiting, by id hex."""
    waiting: dict[str, set[str]] = defaultdict(set)
    ids = list(row_ids)
    for start in range(0, len(ids), 500):
        for row_id, changes in connection.execute(
            select(OutboxEntry.row_id, OutboxEntry.changes).where(
                OutboxEntry.row_id.in_(ids[start : start + 500])
            )
        ):
            waiting[row_id.hex].update(changes)
    return waiting


def apply_tables(
    connection: Connection, tables: list[dict[str, Any]], *, bulk: bool = False
) -> int:
    """Write a pulled page's ``tables``; returns how many rows were written.
    ``bulk``: inside a bulk load, which indexes the patients at its end."""
    pulled = {t["entity"]: t for t in tables if t["entity"] in SYNCED}
    cursor = _raw_cursor(connection)
    has_outbox = cursor.execute("SELECT 1 FROM outbox LIMIT 1").fetchone() is not None
    written = 0
    for entity in SYNCED:  # dependency order
        table = pulled.get(entity)
        if table is None:
            continue
        sent: list[str] = table["columns"]
        rows: list[list[Any]] = table["rows"]
        plain = rows
        if has_outbox:
            plan = _plan(entity)
            id_at = sent.index("id")
            waiting = pending_fields(connection, (uuid.UUID(row[id_at]) for row in rows))
            if waiting:
                plain = []
                for row in rows:
                    fields = waiting.get(row[id_at])
                    if fields:
                        _merge(cursor, plan, _in_table_order(plan, sent, row), fields)
                    else:
                        plain.append(row)
        many_patients = entity == "patients" and len(plain) >= INDEX_AT_ONCE_FROM
        with (
            indexed_at_once(cursor) if many_patients and not bulk else nullcontext(),
            indexed_if_changed(cursor) if many_patients else nullcontext(),
        ):
            _upsert(cursor, entity, sent, plain)
        written += len(rows)
    return written


@cache
def _upsert_sql(entity: str, sent: tuple[str, ...]) -> str:
    return _plan(entity).upsert_from_json(sent)


def _upsert(cursor: Any, entity: str, sent: list[str], rows: list[list[Any]]) -> None:
    """Upsert ``rows`` (values in the order of the columns ``sent``)."""
    if rows:
        cursor.execute(_upsert_sql(entity, tuple(sent)), (orjson.dumps(rows).decode(),))


def apply_row(connection: Connection, entity: str, row: dict[str, Any]) -> None:
    """Write one row the server sent by column name (a push's answer)."""
    apply_tables(
        connection, [{"entity": entity, "columns": list(row), "rows": [list(row.values())]}]
    )


def _merge(cursor: Any, plan: _Plan, row: list[Any], waiting: set[str]) -> None:
    find_id = "WHERE id = ?"
    exists = cursor.execute(f"SELECT 1 FROM {plan.table} {find_id}", (row[plan.id_at],)).fetchone()
    if exists is None:
        cursor.execute(plan.insert(), row)
        return
    keep = [i for i, name in enumerate(plan.names) if name != "id" and name not in waiting]
    if not keep:  # a new row not pushed yet: every field is waiting
        return
    assignments = ", ".join(f'"{plan.names[i]}" = ?' for i in keep)
    cursor.execute(
        f"UPDATE {plan.table} SET {assignments} {find_id}",
        (*(row[i] for i in keep), row[plan.id_at]),
    )


def _raw_cursor(connection: Connection) -> Any:
    return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]


def begin_bulk_load(session: Session) -> None:
    """Set the synced tables' secondary indexes and the patient search index
    aside for a bulk load, in the caller's transaction."""
    cursor = _raw_cursor(session.connection())
    tables = ", ".join(f"'{_plan(entity).table}'" for entity in SYNCED)
    indexes = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
        f" AND sql LIKE 'CREATE INDEX %' AND tbl_name IN ({tables})"
    ).fetchall()
    for name, _sql in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    search = pause_indexing(cursor)
    session.add(
        StoreSetting(
            key=BULK_LOAD_KEY, value={"indexes": [sql for _name, sql in indexes], "search": search}
        )
    )


def end_bulk_load(session: Session) -> None:
    """Build what :func:`begin_bulk_load` set aside, in the caller's
    transaction: the patient search index, then each table's indexes, a
    table's one after the other, so that its pages, read once and kept
    decrypted in the page cache (up to :data:`BULK_CACHE_KIB` meanwhile),
    serve them all."""
    note = session.get(StoreSetting, BULK_LOAD_KEY)
    if note is None:
        return
    cursor = _raw_cursor(session.connection())
    (cache_size,) = cursor.execute("PRAGMA cache_size").fetchone()
    cursor.execute(f"PRAGMA cache_size = -{max(BULK_CACHE_KIB, -cache_size)}")
    try:
        with entries_held(cursor):
            resume_indexing(cursor, note.value["search"])
        for sql in sorted(note.value["indexes"], key=_indexed_table):
            cursor.execute(sql)
    finally:
        cursor.execute(f"PRAGMA cache_size = {cache_size}")
    for statement in PATIENT_AGES_STATISTICS:
        cursor.execute(statement)
    session.delete(note)


def _indexed_table(create_index: str) -> str:
    """The table of a ``CREATE INDEX name ON table (...)`` statement."""
    return create_index.split(" ON ", 1)[1].split("(", 1)[0].strip()
