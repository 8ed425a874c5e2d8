"""Applying pulled rows to the local SQLite store, fast and in bulk.

Rows arrive as JSON; each table gets a converter list built once from its
columns, and a page is written with one ``executemany`` upsert per table,
in dependency order, inside the caller's transaction. A row that still has
local changes waiting in the outbox is merged instead: the server's values
for the other fields, the local values for the waiting ones (they are pushed
next and the server decides).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Enum, Float, Integer, Uuid, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import Table

from clinic.db import UTCDateTime
from clinic.journal.entities import SYNCED
from clinic.journal.models import OutboxEntry

Converter = Callable[[Any], Any]


def _uuid(value: Any) -> Any:
    return None if value is None else uuid.UUID(value).hex


def _moment(value: Any) -> Any:
    if value is None:
        return None
    moment = datetime.fromisoformat(value).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _day(value: Any) -> Any:
    return None if value is None else date.fromisoformat(value).isoformat()


def _flag(value: Any) -> Any:
    return None if value is None else int(bool(value))


def _json(value: Any) -> Any:
    # As SQLAlchemy's JSON type stores it: None is the JSON text null, so a
    # NOT NULL JSON column (a conflict's losing value) can hold it.
    return json.dumps(value)


def _plain(value: Any) -> Any:
    return value


def _converter(column_type: Any) -> Converter:
    """How SQLAlchemy stores a value of this column type in SQLite."""
    if isinstance(column_type, Uuid):
        return _uuid
    if isinstance(column_type, UTCDateTime):
        return _moment
    if isinstance(column_type, Date):
        return _day
    if isinstance(column_type, Boolean):
        return _flag
    if isinstance(column_type, JSON):
        return _json
    if isinstance(column_type, Enum | Integer | Float):
        return _plain
    return _plain


@cache
def _plan(entity: str) -> tuple[Table, list[str], list[Converter], str]:
    table: Table = SYNCED[entity].model.__table__  # type: ignore[attr-defined]
    names = [c.name for c in table.columns]
    converters = [_converter(c.type) for c in table.columns]
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != "id")
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        f"ON CONFLICT(id) DO UPDATE SET {updates}"
    )
    return table, names, converters, sql


def storage_row(entity: str, row: dict[str, Any]) -> tuple[Any, ...]:
    """A pulled row as the SQLite store keeps it (columns in table order);
    raises ValueError for a malformed value."""
    _table, names, converters, _sql = _plan(entity)
    return tuple(convert(row.get(name)) for name, convert in zip(names, converters, strict=True))


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


def apply_rows(connection: Connection, rows: list[tuple[str, dict[str, Any]]]) -> int:
    """Write pulled ``(entity, row)`` pairs; returns how many were written."""
    by_entity: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entity, row in rows:
        if entity in SYNCED:
            by_entity[entity].append(row)
    has_outbox = connection.exec_driver_sql("SELECT 1 FROM outbox LIMIT 1").first() is not None
    waiting = (
        pending_fields(connection, (uuid.UUID(r["id"]) for _, r in rows)) if has_outbox else {}
    )
    written = 0
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for entity in SYNCED:
        entity_rows = by_entity.get(entity)
        if not entity_rows:
            continue
        sql = _plan(entity)[3]
        plain = []
        for row in entity_rows:
            fields = waiting.get(uuid.UUID(row["id"]).hex) if waiting else None
            if fields:
                _merge(cursor, entity, row, fields)
            else:
                plain.append(storage_row(entity, row))
        cursor.executemany(sql, plain)
        written += len(entity_rows)
    return written


def _merge(cursor: Any, entity: str, row: dict[str, Any], waiting: set[str]) -> None:
    table, names, _converters, _sql = _plan(entity)
    values = dict(zip(names, storage_row(entity, row), strict=True))
    keep = [n for n in names if n != "id" and n not in waiting]
    exists = cursor.execute(f"SELECT 1 FROM {table.name} WHERE id = ?", (values["id"],)).fetchone()
    if exists is None:
        cursor.execute(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            tuple(values[n] for n in names),
        )
        return
    if not keep:  # a new row not pushed yet: every field is waiting
        return
    assignments = ", ".join(f"{n} = ?" for n in keep)
    cursor.execute(
        f"UPDATE {table.name} SET {assignments} WHERE id = ?",
        (*(values[n] for n in keep), values["id"]),
    )
