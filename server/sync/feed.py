"""Pages of the change feed, written as JSON by PostgreSQL.

A first sync moves hundreds of thousands of rows; building a Python object
per value and validating it again on the way out cost more than everything
else together. Here one statement finds the page of change-log entries and
returns each entity's rows already as a JSON array of arrays (columns in
table order), so the server only joins a few strings into the answer.

Each value goes on the wire in the form a PC's store keeps it (see
:mod:`sync.protocol`), so the PC hands the rows to SQLite as they come.

A device pulls only its scope (DESIGN.md, Sync 10): the tables its roles
may read, with the fields they may not read sent empty, and of the tables
that belong to a branch only its own branch's rows. The cursor carries the
scope it was given in; a device whose scope changed (an admin widened its
roles) pulls again from the start what it may now hold.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from sqlalchemy import JSON, TextClause, Uuid, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

from clinic.db import UTCDateTime, column_values
from clinic.enums import Role
from clinic.journal.entities import SYNCED
from clinic.permissions import CLINICAL_DATA

WIRE_TIME = "YYYY-MM-DD HH24:MI:SS.US"  # PostgreSQL's to_char pattern of a UTC time
JSON_ARGUMENT_LIMIT = 100  # PostgreSQL's most arguments to one function call


@dataclass(frozen=True)
class Shape:
    """What an entity's rows look like on the wire."""

    columns: tuple[str, ...]
    values: str  # SQL of a json_build_array over the row ``t``
    times: frozenset[str]
    json_columns: frozenset[str]


@dataclass(frozen=True)
class Scope:
    """What a device pulls: its branch's rows and the whole clinic's, of
    the tables and fields its roles may read."""

    branch_id: uuid.UUID
    roles: frozenset[Role]

    @classmethod
    def of(cls, branch_id: uuid.UUID, roles: Iterable[str]) -> Scope:
        known = {role.value for role in Role}
        return cls(branch_id, frozenset(Role(r) for r in roles if r in known))

    @property
    def entities(self) -> tuple[str, ...]:
        return tuple(name for name, e in SYNCED.items() if e.readable_by(self.roles))

    def hidden(self, entity: str) -> frozenset[str]:
        return SYNCED[entity].hidden_from(self.roles)

    def clinical(self, entity: str) -> bool:
        """Whether the device pulls clinical data with this entity's rows."""
        synced = SYNCED[entity]
        hidden = self.hidden(entity)
        shown = {synced.data} | {d for f, d in synced.field_data.items() if f not in hidden}
        return bool(shown & CLINICAL_DATA)

    @cached_property
    def tag(self) -> str:
        """A short mark of the scope, kept in the cursors it gives (a hash,
        made once per scope: every page's cursor carries it)."""
        key = f"{self.branch_id.hex}:{','.join(sorted(self.roles))}"
        return hashlib.sha256(key.encode()).hexdigest()[:8]


def encode_cursor(scope: Scope, xid: int, change_id: int) -> str:
    return f"{xid}.{change_id}.{scope.tag}"


def decode_cursor(scope: Scope, cursor: str | None) -> tuple[int, int]:
    """``(xid, change id)`` of a cursor; (0, 0) before the first pull and
    after the device's scope changed. Raises ValueError for a malformed one."""
    if not cursor:
        return (0, 0)
    xid, change_id, *tag = cursor.split(".")
    if len(tag) > 1:
        raise ValueError("not a cursor")
    if tag and tag[0] != scope.tag:
        return (0, 0)
    return (int(xid), int(change_id))


@cache
def shape(entity: str, hidden: frozenset[str] = frozenset()) -> Shape:
    """An entity's wire form, the ``hidden`` fields sent empty."""
    synced = SYNCED[entity]
    table: Table = synced.model.__table__  # type: ignore[attr-defined]
    columns = tuple(c.name for c in table.columns if c.name not in synced.server_only)
    if len(columns) > JSON_ARGUMENT_LIMIT:
        raise RuntimeError(f"{entity} has more columns than one json_build_array takes")
    sent = [c for c in table.columns if c.name in columns]
    values = ", ".join("NULL" if c.name in hidden else _wire_value(c.name, c.type) for c in sent)
    return Shape(
        columns,
        f"json_build_array({values})",
        times=frozenset(c.name for c in sent if isinstance(c.type, UTCDateTime)),
        json_columns=frozenset(c.name for c in sent if isinstance(c.type, JSON)),
    )


def _wire_value(name: str, kind: Any) -> str:
    """SQL of column ``name`` of row ``t`` as the wire has it."""
    if isinstance(kind, Uuid):
        # 32 hex digits, from its 16 bytes: 15% less of PostgreSQL's time
        # writing a page than taking the dashes out of its text.
        return f"encode(uuid_send(t.{name}), 'hex')"
    if isinstance(kind, UTCDateTime):
        return f"to_char(timezone('UTC', t.{name}), '{WIRE_TIME}')"
    if isinstance(kind, JSON):
        return f"t.{name}::text"  # the JSON as text
    return f"t.{name}"


@cache
def _page_statement(scope: Scope) -> TextClause:
    """The page query of ``scope``, made once: ``text()`` reads the whole
    statement for its parameters, a third of a millisecond for every page."""
    return text(_page_sql(scope))


def _page_sql(scope: Scope) -> str:
    rows = ",\n".join(
        f"(SELECT json_agg({shape(name, scope.hidden(name)).values})::text FROM {name} AS t"
        f" WHERE t.id = ANY((SELECT ids FROM by_entity WHERE entity = '{name}')::uuid[]))"
        f" AS {name}"
        for name in scope.entities
    )
    # The ids as an array, so each table is read by its primary key: a join
    # would let the planner scan a whole table for a page of it. Gathered
    # by entity once: each of the scope's tables looking for its own in the
    # whole page cost 0.4 ms of a full page each, mostly for tables not in it.
    in_scope = (
        "xid < horizon.xmin AND (branch_id IS NULL OR branch_id = :branch_id)"
        " AND entity = ANY(:entities)"
    )
    # Only changes of transactions below the snapshot's xmin: every
    # transaction before them has ended, so none can commit behind the cursor.
    # A page shorter than the limit holds every change in scope below the
    # horizon, so only a full one asks what comes after it; that question
    # is ordered by the cursor's index (as an EXISTS, the planner scanned
    # the whole change log for it: 14 ms of a one-change page at 14,000
    # changes, and growing with the log).
    return f"""
        WITH horizon AS (SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint AS xmin),
        page AS MATERIALIZED (
            SELECT xid, id, entity, row_id FROM change_log, horizon
            WHERE (xid, id) > (:xid, :change_id) AND {in_scope}
            ORDER BY xid, id LIMIT :limit
        ),
        by_entity AS (SELECT entity, array_agg(row_id) AS ids FROM page GROUP BY entity),
        last AS (SELECT xid, id, (SELECT count(*) FROM page) AS n
                 FROM page ORDER BY xid DESC, id DESC LIMIT 1)
        SELECT last.xid, last.id,
            (SELECT json_object_agg(entity, cardinality(ids))::text FROM by_entity) AS counts,
            CASE WHEN last.n < :limit THEN false ELSE
                (SELECT 1 FROM change_log, horizon
                 WHERE (xid, id) > (last.xid, last.id) AND {in_scope}
                 ORDER BY xid, id LIMIT 1) IS NOT NULL END AS more,
            CASE WHEN last.n = :limit THEN
                (SELECT ARRAY[xid, id] FROM change_log, horizon
                 WHERE (xid, id) > (last.xid, last.id) AND {in_scope}
                 ORDER BY xid, id OFFSET :limit - 1 LIMIT 1) END AS next_end,
            {rows}
        FROM last
    """


@dataclass(frozen=True)
class Page:
    """A page of the feed: each entity's rows as JSON text, in dependency order."""

    tables: list[tuple[str, str]]
    counts: dict[str, int]
    """Changes in the page per entity."""
    cursor: str
    more: bool
    next_end: str | None
    """Where the page after this one ends, when it is full: every change up
    to there is below the horizon already, so that page is settled and a
    second request may ask for the one after it at once."""

    def body(self) -> str:
        """The ``tables`` member of a pull answer, as JSON text."""
        return "[{}]".format(
            ",".join(
                f'{{"entity":"{name}","columns":{json.dumps(shape(name).columns)},"rows":{rows}}}'
                for name, rows in self.tables
            )
        )


def read_page(session: Session, scope: Scope, cursor: tuple[int, int], limit: int) -> Page | None:
    """The changes after ``cursor`` in a device's scope, at most ``limit``;
    None when there are none yet."""
    entities = scope.entities
    found = (
        session.execute(
            _page_statement(scope),
            {
                "xid": cursor[0],
                "change_id": cursor[1],
                "branch_id": scope.branch_id,
                "entities": list(entities),
                "limit": limit,
            },
        )
        .mappings()
        .first()
    )
    if found is None:
        return None
    tables = [(name, found[name]) for name in entities if found[name] is not None]
    next_end = encode_cursor(scope, *found["next_end"]) if found["next_end"] else None
    return Page(
        tables,
        json.loads(found["counts"]),
        encode_cursor(scope, found["xid"], found["id"]),
        bool(found["more"]),
        next_end,
    )


def wire_row(
    session: Session, scope: Scope, entity: str, row_id: uuid.UUID
) -> dict[str, Any] | None:
    """One row as the device would pull it, by column name; None if there
    is none, or it is not in the device's scope."""
    synced = SYNCED.get(entity)
    if synced is None or entity not in scope.entities:
        return None
    entity_shape = shape(entity, scope.hidden(entity))
    branch = synced.branch_of
    row: Any = session.get(synced.model, row_id) if branch is not None else None
    if branch is not None and (
        row is None or branch(session, column_values(row)) != scope.branch_id
    ):
        return None
    found = session.scalar(
        text(f"SELECT {entity_shape.values}::text FROM {entity} AS t WHERE t.id = :id"),
        {"id": row_id},
    )
    if found is None:
        return None
    return dict(zip(entity_shape.columns, json.loads(found), strict=True))
