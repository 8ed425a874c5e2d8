"""Recording a write: its outbox entry and its audit event, in the caller's
transaction, so the write, the entry and the event commit or fail together.

Call :func:`record_insert`, :func:`record_update` or :func:`record_delete`
right after changing a synced row in a service. On a PC's store they do not
flush: the row, its outbox entry and its audit event are written with the
transaction's other pending rows at the next flush (a query's autoflush, or
the commit), each table's new rows in one statement; the store checks
foreign keys at the commit. On the central database (a session whose
``info["store"]`` is ``"central"``) they flush, as PostgreSQL checks a
foreign key at each statement, and there is no outbox: the change is
already where it is going.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any

from sqlalchemy import Select, insert, select, text
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.db import SYNC_COLUMN_NAMES, SyncColumns, column_keys, column_values, utcnow, uuid7
from clinic.enums import ChangeOperation
from clinic.journal.models import AuditEvent, ChangeLogEntry, OutboxEntry

GENESIS_HASH = "0" * 64
CHANGES_CHANNEL = "seth_changes"
CHAIN_KEY = "audit_chain_ends"
OUTBOX_KEY = "outbox_pending"
CHANGED_KEY = "changes_to_announce"  # the branches of the transaction's changes
MAX_NOTIFIED_BRANCHES = 100  # more in one transaction: everyone is woken


PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
"""Values JSON holds as they are (most of a row's; not an enum made of str)."""


def to_jsonable(value: Any) -> Any:
    if type(value) in PLAIN_TYPES:
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    # A plain value inside is kept without a call (most of a row's values).
    if isinstance(value, dict):
        return {k: v if type(v) in PLAIN_TYPES else to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in PLAIN_TYPES else to_jsonable(v) for v in value]
    return value


def snapshot(row: SyncColumns) -> dict[str, Any]:
    """The row's values as JSON-ready data (the audit's before and after)."""
    return {k: to_jsonable(v) for k, v in column_values(row).items()}


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    payload = json.dumps(event, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


HASHED = ("id", "device_id", "device_sequence", "user_id", "action", "entity", "entity_id",
          "before", "after", "occurred_at")  # fmt: skip
"""The fields of an audit event its hash covers."""


def audit_payload(event: AuditEvent | Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an audit event its hash covers, from the event or
    from its values by name (a pushed one, before it is a row)."""
    values = event if isinstance(event, Mapping) else {n: getattr(event, n) for n in HASHED}
    payload: dict[str, Any] = to_jsonable({name: values[name] for name in HASHED})
    return payload


@functools.lru_cache(maxsize=64)
def _chain_end(device_id: uuid.UUID) -> Select[int, str]:
    """The statement reading the end of a device's chain (made once per
    device: it runs in every transaction that writes)."""
    return (
        select(AuditEvent.device_sequence, AuditEvent.hash)
        .where(AuditEvent.device_id == device_id)
        .order_by(AuditEvent.device_sequence.desc())
        .limit(1)
    )


def record_audit(
    session: Session,
    actor: Actor,
    *,
    action: str,
    entity: str,
    entity_id: uuid.UUID | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to this device's hash chain (reads of clinical records
    are recorded this way too). On PostgreSQL, where requests write at
    once, the device's chain is locked until the transaction ends. The end of
    the chain is read once per transaction and then kept in the session."""
    sequence, prev_hash = _chain_position(session, actor)
    event = AuditEvent(
        id=uuid7(),
        device_id=actor.device_id,
        created_by=actor.user_id,
        device_sequence=sequence,
        user_id=actor.user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        occurred_at=utcnow(),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(prev_hash, audit_payload(event))
    session.add(event)
    session.info[CHAIN_KEY][actor.device_id] = (sequence + 1, event.hash)
    return event


def _chain_position(session: Session, actor: Actor) -> tuple[int, str]:
    """The sequence of the actor's device's next event and the hash it
    follows: kept in the session once read (see :func:`record_audit`)."""
    chains = session.info.setdefault(CHAIN_KEY, {})
    if actor.device_id in chains:
        position: tuple[int, str] = chains[actor.device_id]
        return position
    if session.get_bind().dialect.name == "postgresql":
        chain_key = int.from_bytes(actor.device_id.bytes[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": chain_key})
    # Nothing pending can be on the chain (an event added in this
    # transaction keeps the chain's end in the session): no flush first.
    with session.no_autoflush:
        last = session.execute(_chain_end(actor.device_id)).first()
    position = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    chains[actor.device_id] = position
    return position


AuditedChange = tuple[uuid.UUID | None, dict[str, Any] | None, dict[str, Any] | None]
"""One row's part in :func:`record_audits`: its id, its values before and after."""


def record_audits(
    session: Session,
    actor: Actor,
    changes: Iterable[AuditedChange],
    *,
    action: str,
    entity: str,
) -> int:
    """Append an event per change to this device's chain, as
    :func:`record_audit` does one by one, in one ``INSERT`` (no ORM object
    per event): for writes of thousands of rows. Returns how many."""
    return _record_audits(
        session,
        actor,
        ((entity_id, before, after, None) for entity_id, before, after in changes),
        action=action,
        entity=entity,
    )


def _record_audits(
    session: Session,
    actor: Actor,
    changes: Iterable[tuple[uuid.UUID | None, Any, Any, str | None]],
    *,
    action: str,
    entity: str,
) -> int:
    """:func:`record_audits`, each change with its values after as the
    store holds them (JSON text) when the caller has them already (the
    same text as its outbox entry's; the values are then JSON-ready), else
    None. Each event's hash covers
    what :func:`audit_payload` gives for it: the parts every event shares
    are made JSON-ready once."""
    sequence, prev_hash = _chain_position(session, actor)
    now = utcnow()
    shared = to_jsonable({"device_id": actor.device_id, "user_id": actor.user_id,
                          "action": action, "entity": entity, "occurred_at": now})  # fmt: skip
    dialect = session.connection().dialect
    table: Any = AuditEvent.__table__
    as_json = table.c.after.type._cached_bind_processor(dialect)
    events = []
    for entity_id, before, after, after_text in changes:
        event_id = uuid7()
        payload = {
            "id": str(event_id),
            "device_sequence": sequence,
            "entity_id": None if entity_id is None else to_jsonable(entity_id),
            "before": to_jsonable(before),
            "after": to_jsonable(after) if after_text is None else after,
            **shared,
        }
        hash_ = event_hash(prev_hash, payload)
        events.append(
            {
                "id": event_id,
                "created_at": now,
                "updated_at": now,
                "created_by": actor.user_id,
                "device_id": actor.device_id,
                "version": 0,
                "deleted_at": None,
                "device_sequence": sequence,
                "user_id": actor.user_id,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "before": as_json(before),
                "after": as_json(after) if after_text is None else after_text,
                "occurred_at": now,
                "prev_hash": prev_hash,
                "hash": hash_,
            }
        )
        prev_hash = hash_
        sequence += 1
    if events:
        insert_rows(session, table, events, stored=("before", "after"))
        session.info[CHAIN_KEY][actor.device_id] = (sequence, prev_hash)
    return len(events)


def insert_rows(
    session: Session, table: Any, rows: list[dict[str, Any]], *, stored: Iterable[str] = ()
) -> None:
    """Write ``rows`` (each with the same keys, in the same order) into
    ``table`` on a PC's store, in one ``executemany`` of the DB-API
    cursor: what ``insert(table)`` with these rows writes (each value bound
    as its column binds it), without SQLAlchemy making each row's
    parameters, which cost as much as SQLite's writing in an import. A
    value that is the same object as the row before's in its column (the
    time, the author) is bound once. The columns named in ``stored`` are
    given as the store holds them (JSON as its text)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    binds = [
        (i, bind)
        for i, key in enumerate(keys)
        if key not in stored
        and (bind := table.c[key].type._cached_bind_processor(dialect)) is not None
    ]
    last: list[Any] = [_NOT_BOUND] * len(keys)
    bound: list[Any] = [None] * len(keys)
    parameters = []
    for row in rows:
        values = [row[key] for key in keys]
        for i, bind in binds:
            value = values[i]
            if value is not last[i]:
                last[i], bound[i] = value, bind(value)
            values[i] = bound[i]
        parameters.append(tuple(values))
    quote = dialect.identifier_preparer
    names = ", ".join(quote.format_column(table.c[key]) for key in keys)
    marks = ", ".join("?" * len(keys))
    connection.exec_driver_sql(
        f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({marks})", parameters
    )


_NOT_BOUND = object()


def move_to_new_chain(
    session: Session, from_device: uuid.UUID, after: int, to_device: uuid.UUID
) -> int:
    """Move ``from_device``'s events after sequence ``after`` to the end of
    ``to_device``'s chain, in order, each linked and hashed again; how many.
    For a PC's events that never left it, written under a device id it is
    giving up (a restored store's, see ``clinic.backup``): the server has,
    or may get from elsewhere, other events under those numbers."""
    moving = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.device_id == from_device, AuditEvent.device_sequence > after)
        .order_by(AuditEvent.device_sequence)
    ).all()
    last = session.execute(
        select(AuditEvent.device_sequence, AuditEvent.hash)
        .where(AuditEvent.device_id == to_device)
        .order_by(AuditEvent.device_sequence.desc())
        .limit(1)
    ).first()
    sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    for event in moving:
        event.device_id = to_device
        event.device_sequence = sequence
        event.prev_hash = prev_hash
        event.hash = event_hash(prev_hash, audit_payload(event))
        sequence, prev_hash = sequence + 1, event.hash
    session.flush()  # the next event reads the chains' ends from the database
    session.info.pop(CHAIN_KEY, None)
    return len(moving)


@sqlalchemy_event.listens_for(Session, "after_soft_rollback")
def _forget_chains(session: Session, _transaction: Any) -> None:
    """A rolled-back transaction's audit events are gone: read the chain's
    end from the database again. Its outbox entries not yet flushed go too."""
    session.info.pop(CHAIN_KEY, None)
    session.info.pop(OUTBOX_KEY, None)
    if not session.in_transaction():
        session.info.pop(CHANGED_KEY, None)


@sqlalchemy_event.listens_for(Session, "before_commit")
def _announce_changes(session: Session) -> None:
    """Wake the long-polling pulls once per transaction that changed the
    feed, however many changes it holds (a savepoint's release is not the
    end): PostgreSQL delivers the notification at commit, and drops it if
    the commit fails. A change logged in a savepoint rolled back since
    still announces: a wake-up with nothing new costs a pull that finds
    nothing."""
    if not session.in_nested_transaction():
        branches = session.info.pop(CHANGED_KEY, None)
        if branches:
            notify_change(session, branches)


@sqlalchemy_event.listens_for(Session, "after_commit")
def _chains_end_with_the_transaction(session: Session) -> None:
    """The next transaction (and its lock on the chain) starts afresh."""
    session.info.pop(CHAIN_KEY, None)


class ChainProblem(StrEnum):
    """How a device's audit chain breaks at an event."""

    EDITED = "edited"
    """The event's contents no longer match its hash."""
    MISSING = "missing"
    """Events before it are gone (deleted)."""
    REORDERED = "reordered"
    """It is whole, but was written under another number."""
    REPEATED = "repeated"
    """Another event already carries its number."""
    UNLINKED = "unlinked"
    """It is whole but does not follow the event before it: that one was
    rewritten (and hashed again) or replaced."""


@dataclass(frozen=True)
class ChainBreak:
    """Where a chain breaks: the number and id of the event found there,
    what is wrong, and a sentence saying so for the admin."""

    sequence: int
    event_id: uuid.UUID
    problem: ChainProblem
    detail: str


REORDER_WINDOW = 1000
"""How far from its place an event's original number is looked for."""


def _written_as(event: AuditEvent, payload: dict[str, Any]) -> int | None:
    """The number an event whose hash fails was written under, when only
    its number changed (events swapped); None when it was edited."""
    here = event.device_sequence
    for number in range(max(1, here - REORDER_WINDOW), here + REORDER_WINDOW + 1):
        if number != here and event.hash == event_hash(
            event.prev_hash, payload | {"device_sequence": number}
        ):
            return number
    return None


def find_break(events: Iterable[AuditEvent]) -> ChainBreak | None:
    """The first place one device's chain breaks, or None when it is whole.
    ``events`` are that device's events in sequence order (a stream is
    fine: it stops reading at the break). Deleting the last events leaves
    a whole, shorter chain: only a copy held elsewhere (the server's of a
    PC's pushed events) shows those."""
    prev_hash = GENESIS_HASH
    expected = 1
    for event in events:
        here = event.device_sequence
        payload = audit_payload(event)

        def broken(problem: ChainProblem, detail: str, event: AuditEvent = event) -> ChainBreak:
            return ChainBreak(event.device_sequence, event.id, problem, detail)

        if here < expected:
            return broken(ChainProblem.REPEATED, f"Another event already carries number {here}")
        if event.hash != event_hash(event.prev_hash, payload):
            written_as = _written_as(event, payload)
            if written_as is not None:
                return broken(
                    ChainProblem.REORDERED,
                    f"Event {here} was written as event {written_as}: events were reordered",
                )
            return broken(ChainProblem.EDITED, f"Event {here} was changed after it was written")
        if here > expected:
            gone = (
                f"Event {expected} is"
                if here == expected + 1
                else (f"Events {expected} to {here - 1} are")
            )
            return broken(ChainProblem.MISSING, f"{gone} missing (deleted) before event {here}")
        if event.prev_hash != prev_hash:
            return broken(
                ChainProblem.UNLINKED,
                f"Event {here} does not follow event {here - 1}:"
                f" event {here - 1} was rewritten or replaced",
            )
        prev_hash = event.hash
        expected += 1
    return None


def verify_chain(events: list[AuditEvent]) -> int | None:
    """The device sequence of the first event that breaks the chain (edited,
    missing or reordered), or None when the chain is whole. ``events`` are one
    device's events in sequence order, starting at sequence 1."""
    found = find_break(events)
    return found.sequence if found is not None else None


def is_central(session: Session) -> bool:
    return session.info.get("store") == "central"


def log_central_change(
    session: Session,
    row: SyncColumns,
    fields: list[str],
    *,
    device_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
) -> int:
    """On the central database: give the row its next version and put the
    change in the feed devices pull (waking long-polling pulls at commit,
    once per transaction). Neither flushes nor queries unless the entity's
    branch lives on a parent row not loaded yet. Returns the new version."""
    entry = central_change(session, row, fields, device_id=device_id, user_id=user_id)
    session.add(ChangeLogEntry(**entry))
    return int(entry["version"])


def central_change(
    session: Session,
    row: SyncColumns,
    fields: list[str],
    *,
    device_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
) -> dict[str, Any]:
    """:func:`log_central_change` without writing the entry: the row is
    given its next version and the change noted for the commit's wake-up;
    returns the change-log entry's values, for the caller to write with
    others in one statement (a push's)."""
    from clinic.journal.entities import SYNCED

    entity = SYNCED[row.__tablename__]  # type: ignore[attr-defined]
    row.version = (row.version or 0) + 1
    branch_id = entity.branch_of(session, column_values(row)) if entity.branch_of else None
    session.info.setdefault(CHANGED_KEY, set()).add(branch_id)
    return {
        "entity": entity.name,
        "row_id": row.id,
        "version": row.version,
        "fields": sorted(fields),
        "branch_id": branch_id,
        "device_id": device_id,
        "user_id": user_id,
    }


def notify_change(session: Session, branches: set[uuid.UUID | None]) -> None:
    """Wake, at commit, the pulls changes of ``branches`` concern (None: a
    clinic-wide change, such as a patient's, which concerns every device).
    The payload names the transaction and the branches, none for everyone
    (``server.notifier`` wakes the pulls once the feed's horizon has passed
    the transaction)."""
    named = (
        ""
        if None in branches or len(branches) > MAX_NOTIFIED_BRANCHES
        else ",".join(sorted(branch.hex for branch in branches if branch is not None))
    )
    session.connection().execute(
        text("SELECT pg_notify(:channel, pg_current_xact_id()::text || ':' || :branches)"),
        {"channel": CHANGES_CHANNEL, "branches": named},
    )


def _outbox(
    session: Session,
    actor: Actor,
    row: SyncColumns,
    operation: ChangeOperation,
    changes: dict[str, Any],
) -> None:
    """A PC queues the change for its next push; the central database puts it
    straight into the change feed."""
    if is_central(session):
        log_central_change(
            session, row, list(changes), device_id=actor.device_id, user_id=actor.user_id
        )
        return
    session.info.setdefault(OUTBOX_KEY, []).append(
        {
            "entity": row.__tablename__,  # type: ignore[attr-defined]
            "row_id": row.id,
            "operation": operation,
            "changes": changes,
            "base_version": row.version,
            "user_id": actor.user_id,
            "created_at": utcnow(),
        }
    )


@sqlalchemy_event.listens_for(Session, "before_flush")
def _write_outbox(session: Session, _context: Any, _instances: Any) -> None:
    """The outbox entries recorded since the last flush, in the order they
    were recorded, in one statement (as ORM objects each would be an INSERT
    of its own, to read back its sequence number)."""
    pending = session.info.pop(OUTBOX_KEY, None)
    if pending:
        session.connection().execute(insert(OutboxEntry), pending)


def _write_outbox_now(
    session: Session, entries: list[dict[str, Any]], *, stored: Iterable[str] = ()
) -> None:
    """Write ``entries`` (each with the keys :func:`_outbox` gives; the
    columns in ``stored`` as :func:`insert_rows` takes them) now, after the
    entries recorded before them and not flushed yet: their sequences
    follow the order the changes were made in."""
    pending = session.info.pop(OUTBOX_KEY, None)
    if pending:
        session.connection().execute(insert(OutboxEntry), pending)
    insert_rows(session, OutboxEntry.__table__, entries, stored=stored)


def _audited(table_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """What the audit keeps of a row's values: all but the columns that never
    leave the server (a password hash), since admins read the audit log;
    ``values`` itself when it holds none of them."""
    from clinic.journal.entities import SYNCED

    entity = SYNCED.get(table_name)
    hidden = entity.server_only if entity is not None else frozenset()
    if hidden.isdisjoint(values):
        return values
    return {k: v for k, v in values.items() if k not in hidden}


@functools.cache
def _column_defaults(table: Any) -> tuple[tuple[str, Any], ...]:
    """The columns of ``table`` the INSERT gives a value of its own when
    none is given, each with its default (looked up once per table)."""
    return tuple(
        (column.key, column.default)
        for column in table.columns
        if column.default is not None and (column.default.is_scalar or column.default.is_callable)
    )


def _defaults(table: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values an INSERT would give the columns ``values`` leaves unset
    (None or missing): its id, times, version, ..."""
    given: dict[str, Any] = {}
    for key, default in _column_defaults(table):
        if values.get(key) is None:
            given[key] = default.arg if default.is_scalar else default.arg(None)
    return given


def with_defaults(row: SyncColumns) -> None:
    """Give a new row's unset columns the defaults the INSERT would give
    them (its id, times, version, ...), as a flush does, without one."""
    table: Any = row.__table__  # type: ignore[attr-defined]
    for name, value in _defaults(table, column_values(row)).items():
        setattr(row, name, value)


def record_insert(session: Session, actor: Actor, row: SyncColumns, *, action: str) -> None:
    """Stamp a new row with its author and device, and record it."""
    row.created_by = actor.user_id
    row.device_id = actor.device_id
    with_defaults(row)
    session.add(row)
    if is_central(session):
        session.flush()
    after = snapshot(row)
    _outbox(session, actor, row, ChangeOperation.INSERT, after)
    record_audit(
        session,
        actor,
        action=action,
        entity=row.__tablename__,  # type: ignore[attr-defined]
        entity_id=row.id,
        after=_audited(row.__tablename__, after),  # type: ignore[attr-defined]
    )


def record_inserts(
    session: Session,
    actor: Actor,
    model: type[SyncColumns],
    rows: Iterable[Mapping[str, Any]],
    *,
    action: str,
) -> list[uuid.UUID]:
    """Write new ``model`` rows given as column values, each stamped and
    recorded as :func:`record_insert` records one (its outbox entry holding
    every value, its audit event), without an ORM object per row: the rows,
    their outbox entries and their audit events in one statement each, in
    the caller's transaction (the store checks foreign keys at the commit).
    Returns the rows' ids, in order. For writes of thousands of rows (an
    import); on a PC's store only: raises ValueError on the central one."""
    if is_central(session):
        raise ValueError("bulk inserts are recorded on a PC's store only")
    table: Any = model.__table__  # type: ignore[attr-defined]
    entity: str = model.__tablename__  # type: ignore[attr-defined]
    stamp = {"created_by": actor.user_id, "device_id": actor.device_id}
    outbox_table: Any = OutboxEntry.__table__
    as_json = outbox_table.c.changes.type._cached_bind_processor(session.connection().dialect)
    keys = column_keys(table)
    written: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    audited: list[tuple[uuid.UUID, None, dict[str, Any], str | None]] = []
    now = utcnow()
    for given in rows:
        values = {**given, **stamp}
        values |= _defaults(table, values)
        row: dict[str, Any] = {key: values.get(key) for key in keys}
        after: dict[str, Any] = to_jsonable(row)
        after_text = as_json(after)
        written.append(row)
        outbox.append(
            {
                "entity": entity,
                "row_id": row["id"],
                "operation": ChangeOperation.INSERT,
                "changes": after_text,
                "base_version": row["version"],
                "user_id": actor.user_id,
                "created_at": now,
            }
        )
        kept = _audited(entity, after)
        audited.append((row["id"], None, kept, after_text if kept is after else None))
    if written:
        insert_rows(session, table, written)
        _write_outbox_now(session, outbox, stored=("changes",))
        _record_audits(session, actor, audited, action=action, entity=entity)
    return [row["id"] for row in written]


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in after.items()
        if before.get(k) != v and (k not in SYNC_COLUMN_NAMES or k == "deleted_at")
    }


def record_update(
    session: Session, actor: Actor, row: SyncColumns, before: dict[str, Any], *, action: str
) -> dict[str, Any]:
    """Record what changed since ``before`` (a :func:`snapshot` taken before
    the change); returns the changed fields, empty when nothing changed (and
    then nothing is recorded)."""
    if is_central(session):
        session.flush()
    after = snapshot(row)
    changes = changed_fields(before, after)
    if changes:
        operation = ChangeOperation.DELETE if "deleted_at" in changes else ChangeOperation.UPDATE
        _outbox(session, actor, row, operation, changes)
        record_audit(
            session,
            actor,
            action=action,
            entity=row.__tablename__,  # type: ignore[attr-defined]
            entity_id=row.id,
            before=_audited(row.__tablename__, {k: before.get(k) for k in changes}),  # type: ignore[attr-defined]
            after=_audited(row.__tablename__, changes),  # type: ignore[attr-defined]
        )
    return changes


@dataclass(frozen=True)
class RowChange:
    """One row's part in a bulk update: the row, the server version its
    change is based on, and the changed fields' values before and after."""

    row_id: uuid.UUID
    base_version: int
    before: dict[str, Any]
    after: dict[str, Any]


def record_bulk_update(
    session: Session,
    actor: Actor,
    entity: str,
    changes: Iterable[RowChange],
    *,
    action: str,
    fold_after: int | None = None,
) -> int:
    """Record updates a service made to ``entity`` rows with one bulk
    ``UPDATE``, without loading them: for each, the outbox entry and the
    audit event :func:`record_update` would make, each kind in one
    statement. Returns how many rows. On a PC's store only (the central
    database logs loaded rows, see :func:`log_central_change`): raises
    ValueError on the central one.

    With ``fold_after``, the update of a row whose INSERT waits in the
    outbox with a sequence above it is written into that INSERT's values
    instead of an entry of its own: the server gets the row with its new
    values at once, one mutation instead of two; the audit event is written
    all the same. The caller vouches that no push ever carried those
    entries (a changed entry sent again would look like another device's)
    and that the server's rules take the new row as they take the update.
    """
    if is_central(session):
        raise ValueError("bulk updates are recorded on a PC's store only")
    unsent: dict[uuid.UUID, int] = {}
    if fold_after is not None:
        unsent = {
            row_id: sequence
            for row_id, sequence in session.execute(
                select(OutboxEntry.row_id, OutboxEntry.sequence).where(
                    OutboxEntry.entity == entity,
                    OutboxEntry.operation == ChangeOperation.INSERT,
                    OutboxEntry.sequence > fold_after,
                )
            )
        }
    now = utcnow()
    outbox = []
    folded: dict[tuple[str, ...], list[list[Any]]] = {}
    audited: list[AuditedChange] = []
    for change in changes:
        insert_sequence = unsent.get(change.row_id)
        if insert_sequence is not None:
            fields = tuple(change.after)
            folded.setdefault(fields, []).append(
                [insert_sequence, *(change.after[name] for name in fields)]
            )
        else:
            outbox.append(
                {
                    "entity": entity,
                    "row_id": change.row_id,
                    "operation": ChangeOperation.UPDATE,
                    "changes": change.after,
                    "base_version": change.base_version,
                    "user_id": actor.user_id,
                    "created_at": now,
                }
            )
        audited.append((change.row_id, change.before, change.after))
    _write_outbox_now(session, outbox)
    for fields, entries in folded.items():
        session.connection().execute(_fold_statement(fields), {"folded": json.dumps(entries)})
    record_audits(session, actor, audited, action=action, entity=entity)
    return len(audited)


@functools.lru_cache(maxsize=16)
def _fold_statement(fields: tuple[str, ...]) -> Any:
    """The statement laying new values of ``fields`` over outbox entries'
    values, all in one: ``folded`` is a JSON array of ``[sequence, value
    of each field...]`` (each value keeps its JSON type)."""
    if not all(name.isidentifier() for name in fields):
        raise ValueError(f"not column names: {fields}")
    paths = ", ".join(
        f"'$.\"{name}\"', json(folded.value -> {i})" for i, name in enumerate(fields, 1)
    )
    return text(
        f"UPDATE outbox SET changes = json_set(outbox.changes, {paths})"
        " FROM json_each(:folded) AS folded WHERE outbox.sequence = folded.value ->> 0"
    )


def record_delete(session: Session, actor: Actor, row: SyncColumns, *, action: str) -> None:
    """Tombstone a row: it stays, with ``deleted_at`` set, so the delete syncs."""
    before = snapshot(row)
    row.deleted_at = utcnow()
    record_update(session, actor, row, before, action=action)
