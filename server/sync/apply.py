"""Pushed changes, applied exactly once and checked against the one registry.

The server trusts no pushed field it can know itself (DESIGN.md, Sync 13):
the device, its branch and the row's times come from the server; the author
a change names must be an active user who has logged in online on that
device, and the change is checked field by field against that user's role,
new rows as much as edits. A change that breaks a rule, or whose values the
database cannot hold, is refused alone with its reason; the rest of the
batch goes on.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import ColumnElement, Uuid, any_, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.models import Invoice
from clinic.claims.models import Claim
from clinic.db import SYNC_COLUMN_NAMES, SyncColumns, column_keys, utcnow, uuid7
from clinic.enums import ChangeOperation, Role
from clinic.journal.entities import SYNCED, Refused, SyncedEntity, meaningful
from clinic.journal.models import AppliedMutation, ChangeLogEntry, Conflict
from clinic.journal.service import _defaults, central_change, log_central_change, to_jsonable
from clinic.journal.wire import BadValue, decode_values
from clinic.org.models import Device, User
from clinic.visits.models import LabRequest, Visit
from server.database import SERVER_DEVICE_ID
from server.models import DeviceUser
from server.observability import safe_traceback
from server.sync.feed import Scope, wire_row
from sync.protocol import ConflictNote, Mutation, MutationResult, Outcome, wire_time

logger = logging.getLogger(__name__)

MANAGED_COLUMNS = SYNC_COLUMN_NAMES - {"deleted_at"}
"""Set by the server whatever a mutation says (``deleted_at`` is the tombstone)."""


def among(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values`` written as PostgreSQL's ``column = ANY(array)``:
    one parameter however many values. psycopg rewrites a query's
    placeholders in Python, afresh for each long query: the thousand ids of
    a push's audit events cost more that way than the look-up itself."""
    condition: ColumnElement[bool] = column == any_(literal(list(values), ARRAY(column.type)))
    return condition


def device_user(session: Session, device: Device, user_id: uuid.UUID) -> User:
    """The user, if active and known to have logged in online on ``device``;
    raises Refused otherwise."""
    known = session.get(DeviceUser, (device.id, user_id))
    user = session.get(User, user_id) if known is not None else None
    if user is None:
        raise Refused("The user who made this change has never logged in online on this PC")
    if not user.active or user.deleted_at is not None:
        raise Refused("The user who made this change is no longer active")
    return user


def _check_branch(entity: SyncedEntity, session: Session, author: User, device: Device,
                  values: dict[str, Any], row: Any | None) -> None:  # fmt: skip
    if author.role == Role.ADMIN and author.branch_id is None:
        return
    entity.check_branch(session, device.branch_id, values, row)


def _other_devices_fields(
    session: Session, entity: str, row_id: uuid.UUID, since: int, device_id: uuid.UUID
) -> dict[str, ChangeLogEntry]:
    """The fields other devices (or the server) changed since version
    ``since``, each with the last feed entry that changed it: who and when,
    for a conflict's losing side."""
    entries = session.scalars(
        select(ChangeLogEntry)
        .where(
            ChangeLogEntry.entity == entity,
            ChangeLogEntry.row_id == row_id,
            ChangeLogEntry.version > since,
            or_(ChangeLogEntry.device_id.is_(None), ChangeLogEntry.device_id != device_id),
        )
        .order_by(ChangeLogEntry.version)
    )
    return {name: entry for entry in entries for name in entry.fields}


def _author(session: Session, pusher: User, device: Device, user_id: uuid.UUID | None) -> User:
    """Who made a change: the user it names, or, for work the PC did
    itself (an import), the user pushing it."""
    if user_id is None or user_id == pusher.id:
        return pusher
    return device_user(session, device, user_id)


@dataclass(frozen=True)
class _Checked:
    """A mutation that keeps every rule, ready to write: its entity, its
    author, its decoded values and the row as it is (None: a new row)."""

    entity: SyncedEntity
    author: User
    values: dict[str, Any]
    row: Any | None


AuthorOf = Callable[[uuid.UUID | None], User]
RowOf = Callable[[SyncedEntity, uuid.UUID, bool], Any | None]
"""The row a mutation changes as it is now (``inserting``: looked for
without a lock), or None."""


def _check(
    mutation: Mutation, session: Session, device: Device, author_of: AuthorOf, row_of: RowOf
) -> _Checked:
    """Every rule of the registry for one mutation, in the order their
    refusals take precedence; raises Refused. Reads only."""
    entity = SYNCED.get(mutation.entity)
    if entity is None:
        raise Refused("There is no such table to change")
    if not entity.pushable:
        raise Refused(f"{entity.name} cannot be changed from a device")
    author = author_of(mutation.user_id)
    table = entity.model.__table__  # type: ignore[attr-defined]
    changes = {k: v for k, v in mutation.changes.items() if k not in MANAGED_COLUMNS}
    try:
        values = decode_values(table, changes)
    except BadValue as error:
        raise Refused(str(error)) from None
    inserting = mutation.operation == ChangeOperation.INSERT
    row = row_of(entity, mutation.row_id, inserting)
    if inserting and row is not None:
        raise Refused(f"A {entity.noun} with this id already exists")
    if not inserting and row is None:
        raise Refused(f"No such {entity.noun} on the server")
    entity.check_writer(author.role, meaningful(entity.model, values) if inserting else values, row)
    entity.check_authored(author.id, values)
    if entity.check_values is not None:
        entity.check_values(values)
    _check_branch(entity, session, author, device, values, row)
    entity.check_change(session, values, row)
    return _Checked(entity, author, values, row)


def _write(
    session: Session,
    device: Device,
    mutation: Mutation,
    change: _Checked,
    changed_elsewhere: dict[str, ChangeLogEntry],
    *,
    logged: list[dict[str, Any]] | None,
) -> tuple[MutationResult, Any]:
    """Write a checked mutation: the row, its change-log entry, what the
    server derives from it and its conflicts (with both sides); returns
    the answer and the row. Without ``logged``, the row is flushed before
    it is logged (one mutation in a savepoint); else everything waits for
    the batch's one flush, and the change-log entries join ``logged``,
    written with the batch's in one statement, in the feed's order."""
    entity, author, values, row = change.entity, change.author, change.values, change.row

    def log(row: Any, fields: list[str], user_id: uuid.UUID | None) -> int:
        if logged is None:
            return log_central_change(session, row, fields, device_id=device.id, user_id=user_id)
        entry = central_change(session, row, fields, device_id=device.id, user_id=user_id)
        logged.append(entry)
        return int(entry["version"])

    conflicts: list[ConflictNote] = []
    written_at = utcnow()  # set here, not at the flush: the answer says it
    if row is None and logged is not None and entity.on_applied is None:
        row = _NewRow(entity, {**values, "id": mutation.row_id, "device_id": device.id,
                               "created_by": author.id, "created_at": written_at,
                               "updated_at": written_at})  # fmt: skip
    elif row is None:
        row = entity.model(**values)
        row.id = mutation.row_id
        row.device_id = device.id
        row.created_by = author.id
        row.created_at = row.updated_at = written_at
        session.add(row)
    else:
        row.updated_at = written_at
        for name, value in values.items():
            current = getattr(row, name)
            if name in changed_elsewhere and current != value:
                conflicts.append(
                    ConflictNote(
                        field=name,
                        winning_value=to_jsonable(value),
                        losing_value=to_jsonable(current),
                    )
                )
            setattr(row, name, value)
    if logged is None:
        session.flush()
    version = log(row, list(values), author.id)
    if entity.on_applied is not None:
        if logged is not None:  # the feed keeps its order: this row's entry, then what derives
            _write_logged(session, logged)
        entity.on_applied(
            session,
            row,
            Actor(
                SERVER_DEVICE_ID, user_id=author.id, role=author.role, branch_id=device.branch_id
            ),
        )
    for note in conflicts:
        conflict = Conflict(
            id=uuid7(),
            entity=entity.name,
            row_id=row.id,
            field=note.field,
            winning_value=note.winning_value,
            losing_value=note.losing_value,
            winning_device_id=device.id,
            winning_user_id=author.id,
            losing_device_id=changed_elsewhere[note.field].device_id,
            losing_user_id=changed_elsewhere[note.field].user_id,
            losing_at=changed_elsewhere[note.field].received_at,
            device_id=device.id,
        )
        session.add(conflict)
        log(conflict, ["entity", "row_id", "field"], None)
    result = MutationResult(
        sequence=mutation.sequence,
        outcome=Outcome.APPLIED,
        version=version,
        written_at=wire_time(written_at),
        conflicts=conflicts,
    )
    return result, row


class _NewRow:
    """A row a batch inserts, as plain values (an ORM object sets every
    attribute through its instrumentation, then is flushed one by one): what
    :func:`central_change` reads of it, then its values for the batch's
    ``COPY`` (:func:`copy_rows` gives them the defaults a flush would)."""

    def __init__(self, entity: SyncedEntity, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self.__tablename__ = entity.name
        self.__table__: Any = entity.model.__table__  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        if name in column_keys(self.__table__):
            return None  # a column not given (an unset ORM attribute reads None too)
        raise AttributeError(name)

    def values(self) -> dict[str, Any]:
        return {key: self.__dict__.get(key) for key in column_keys(self.__table__)}


def copy_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` (each with the same keys) into ``table`` with one
    ``COPY``, after what the session holds: what a multi-row ``INSERT``
    writes (the columns' defaults, each value bound as the column binds it),
    without psycopg binding each row's parameters. The database refusing a
    row fails the batch (:class:`_BatchFailed`; the push, for audit events)."""
    if not rows:
        return
    session.flush()
    connection = session.connection()
    rows = [row | _defaults(table, row) for row in rows]
    columns = [c for c in table.columns if c.key in rows[0]]
    binds = [(c.key, c.type._cached_bind_processor(connection.dialect)) for c in columns]
    quote = connection.dialect.identifier_preparer
    names = ", ".join(quote.format_column(c) for c in columns)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {quote.format_table(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[k] if bind is None else bind(row[k]) for k, bind in binds])
    except psycopg.Error as error:
        raise _BatchFailed from error
    finally:
        cursor.close()


def _write_logged(session: Session, logged: list[dict[str, Any]]) -> None:
    """The change-log entries ``logged`` so far, in one ``COPY`` (after
    the rows and entries the session holds, so the feed keeps its order)."""
    if logged:
        copy_rows(session, ChangeLogEntry.__table__, logged)
        logged.clear()


def _refusal(
    session: Session, device: Device, scope: Scope, mutation: Mutation, error: Exception
) -> MutationResult:
    """A refused mutation's answer: its reason (a broken rule, values the
    database cannot hold, or a fault of the server's own, which is logged)
    and the row as the device may pull it."""
    if isinstance(error, Refused):
        reason = str(error)
    elif isinstance(error, SQLAlchemyError):
        logger.warning("pushed change %s of %s did not fit", mutation.sequence, device.id)
        reason = "The change does not fit the server's data (a missing or duplicate row)"
    else:
        logger.error(
            "pushed change %s of %s failed\n%s",
            mutation.sequence,
            device.id,
            safe_traceback(error),
        )
        reason = "The server could not apply this change; the error is logged for the admin"
    return MutationResult(
        sequence=mutation.sequence,
        outcome=Outcome.REFUSED,
        reason=reason,
        row=wire_row(session, scope, mutation.entity, mutation.row_id),
    )


def _dealt_with(device: Device, mutation: Mutation, result: MutationResult) -> dict[str, Any]:
    """The record that ``mutation`` was dealt with, and how (an
    :class:`AppliedMutation`'s values)."""
    return {
        "device_id": device.id,
        "sequence": mutation.sequence,
        "digest": mutation.digest(),
        "outcome": result.model_dump(mode="json"),
    }


def push_mutation(
    session: Session, pusher: User, device: Device, scope: Scope, mutation: Mutation
) -> MutationResult:
    """Apply one mutation in a savepoint and record it as dealt with; a
    refused one (a broken rule, values the database cannot hold, or a fault
    of the server's own, which is logged) comes back with its reason and the
    row as the device may pull it."""
    savepoint = session.begin_nested()
    try:
        change = _check(
            mutation,
            session,
            device,
            lambda user_id: _author(session, pusher, device, user_id),
            lambda entity, row_id, inserting: session.get(
                entity.model, row_id, with_for_update=not inserting
            ),
        )
        row = change.row
        changed_elsewhere = (
            _other_devices_fields(
                session, change.entity.name, row.id, mutation.base_version, device.id
            )
            if row is not None
            else {}
        )
        result, _row = _write(session, device, mutation, change, changed_elsewhere, logged=None)
        savepoint.commit()
    except Exception as error:  # a bad change refuses itself, never the batch
        savepoint.rollback()
        result = _refusal(session, device, scope, mutation, error)
    session.add(AppliedMutation(**_dealt_with(device, mutation, result)))
    return result


PARENTS: dict[str, type[SyncColumns]] = {
    "visit_id": Visit,
    "invoice_id": Invoice,
    "claim_id": Claim,
    "lab_request_id": LabRequest,
}
"""Fields naming a parent row the registry's rules read (branch, signature,
claim state), loaded with a batch. Only a matter of speed: a parent not
loaded is read when a rule asks for it."""


@functools.cache
def _id_columns(name: str) -> tuple[str, ...]:
    """The columns of a synced table that name a row (its parent's id...)."""
    table: Any = SYNCED[name].model.__table__  # type: ignore[attr-defined]
    return tuple(
        c.key for c in table.columns if isinstance(c.type, Uuid) and c.key not in SYNC_COLUMN_NAMES
    )


def _names_one(value: Any, ids: set[uuid.UUID]) -> bool:
    """Whether a pushed value is the id of one of ``ids``."""
    if not isinstance(value, str) or len(value) not in (32, 36):
        return False
    try:
        return uuid.UUID(value) in ids
    except ValueError:
        return False


class _BatchFailed(Exception):
    """The batch cannot be written in one go (the database refused a row,
    or a write raised): it is applied again a mutation at a time."""


class _Batch:
    """What a batch's checks read, loaded at once: the rows its mutations
    change (locked, in id order, so pushes touching the same rows queue
    rather than deadlock), their authors and the changes other devices
    made to them. Rows the batch inserts join as they are written."""

    def __init__(
        self, session: Session, pusher: User, device: Device, mutations: list[Mutation]
    ) -> None:
        self.session, self.pusher, self.device = session, pusher, device
        self.rows: dict[tuple[str, uuid.UUID], Any] = {}
        self.new: list[_NewRow] = []
        """New rows not written yet, all of one table (:meth:`write_new`)."""
        self.new_ids: set[uuid.UUID] = set()
        self.written: set[tuple[str, uuid.UUID]] = set()
        """New rows written by :meth:`write_new`, read again when asked for."""
        self.derived = False
        """A change the server derived (``on_applied``) may be another
        device's edit of a row changed later in the batch: from then on,
        other devices' changes are read per mutation, as they stand."""
        ids: dict[str, set[uuid.UUID]] = defaultdict(set)
        for mutation in mutations:
            entity = SYNCED.get(mutation.entity)
            if entity is not None and entity.pushable:
                ids[entity.name].add(mutation.row_id)
        for name, row_ids in ids.items():
            model: Any = SYNCED[name].model
            for row in session.scalars(
                select(model).where(among(model.id, row_ids)).order_by(model.id).with_for_update()
            ):
                self.rows[name, row.id] = row
        self.edits: dict[tuple[str, uuid.UUID], list[ChangeLogEntry]] = defaultdict(list)
        edited = [
            m.row_id
            for m in mutations
            if m.operation != ChangeOperation.INSERT and (m.entity, m.row_id) in self.rows
        ]
        if edited:
            for entry in session.scalars(
                select(ChangeLogEntry)
                .where(
                    among(ChangeLogEntry.row_id, edited),
                    or_(ChangeLogEntry.device_id.is_(None), ChangeLogEntry.device_id != device.id),
                )
                .order_by(ChangeLogEntry.version)
            ):
                self.edits[entry.entity, entry.row_id].append(entry)
        self._authors: dict[uuid.UUID | None, User | Refused] = {}
        self.parents: list[Any] = []
        for user_id in {m.user_id for m in mutations}:
            self._remember_author(user_id)
        self._load_parents(mutations)

    def _remember_author(self, user_id: uuid.UUID | None) -> None:
        try:
            self._authors[user_id] = _author(self.session, self.pusher, self.device, user_id)
        except Refused as refusal:
            self._authors[user_id] = refusal

    def _load_parents(self, mutations: list[Mutation]) -> None:
        """The parent rows the rules look up (a row's visit for its branch
        and signature), loaded at once into the session, where the rules'
        ``session.get`` finds them without a query each."""
        wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
        for mutation in mutations:
            row = self.rows.get((mutation.entity, mutation.row_id))
            for key in PARENTS:
                for value in (mutation.changes.get(key), getattr(row, key, None)):
                    if value is None:
                        continue  # most rows have no such parent: no exception each
                    try:
                        parent_id = uuid.UUID(str(value))
                    except ValueError:
                        continue  # a bad value its check refuses
                    wanted[key].add(parent_id)
        for key, ids in wanted.items():
            model: Any = PARENTS[key]
            # Held here: the session keeps only the rows something refers to.
            self.parents.extend(self.session.scalars(select(model).where(among(model.id, ids))))

    def before_check(self, mutation: Mutation) -> None:
        """Write the new rows held back before a mutation whose checks or
        write may read them: any but another new row of their table, one
        naming a held row (its parent, the row itself) included. So the
        rows reach the database in the order they came, as the rules and
        the foreign keys see them one at a time."""
        if not self.new:
            return
        entity = SYNCED.get(mutation.entity)
        if (
            mutation.operation != ChangeOperation.INSERT
            or entity is None
            or entity.on_applied is not None
            or entity.name != self.new[0].__tablename__
            or mutation.row_id in self.new_ids
            or any(
                _names_one(mutation.changes.get(name), self.new_ids)
                for name in _id_columns(entity.name)
            )
        ):
            self.write_new()

    def hold_new(self, row: _NewRow) -> None:
        self.new.append(row)
        self.new_ids.add(row.id)
        self.rows[row.__tablename__, row.id] = row

    def write_new(self) -> None:
        """The new rows held back, in one ``COPY``, after what the session
        holds from the mutations before them."""
        if not self.new:
            return
        copy_rows(self.session, self.new[0].__table__, [row.values() for row in self.new])
        for row in self.new:  # read again as rows, should a later mutation name one
            del self.rows[row.__tablename__, row.id]
            self.written.add((row.__tablename__, row.id))
        self.new.clear()
        self.new_ids.clear()

    def author(self, user_id: uuid.UUID | None) -> User:
        found = self._authors[user_id]
        if isinstance(found, Refused):
            raise Refused(str(found))
        return found

    def row(self, entity: SyncedEntity, row_id: uuid.UUID, _inserting: bool) -> Any | None:
        found = self.rows.get((entity.name, row_id))
        if found is None and (entity.name, row_id) in self.written:
            found = self.rows[entity.name, row_id] = self.session.get(entity.model, row_id)
        return found

    def changed_elsewhere(self, mutation: Mutation, row: Any) -> dict[str, ChangeLogEntry]:
        """As :func:`_other_devices_fields`, from what was loaded."""
        if self.derived:
            return _other_devices_fields(
                self.session, mutation.entity, row.id, mutation.base_version, self.device.id
            )
        entries = self.edits.get((mutation.entity, row.id), [])
        return {
            name: entry
            for entry in entries
            if entry.version > mutation.base_version
            for name in entry.fields
        }


def replayed(
    session: Session, scope: Scope, mutation: Mutation, earlier: AppliedMutation
) -> MutationResult:
    """The answer to a mutation dealt with before, with the row as it is
    now: the PC missed the first answer and may have pulled the row since,
    keeping its own values for the fields still waiting; the row lets it
    go back to the server's."""
    answer = MutationResult.model_validate(earlier.outcome)
    answer.row = wire_row(session, scope, mutation.entity, mutation.row_id)
    return answer


def push_batch(
    session: Session,
    pusher: User,
    device: Device,
    scope: Scope,
    mutations: list[Mutation],
    seen: dict[int, AppliedMutation],
) -> list[MutationResult]:
    """Apply a push's mutations in order, each exactly once, and record each
    as dealt with; one in ``seen`` (by sequence) was dealt with before, and
    is answered as it was (:func:`replayed`).

    Set-based: the rows, their authors and other devices' changes are read
    for the whole batch at once, each mutation is checked against every
    rule of the registry in Python, and the accepted rows, their change-log
    entries and the record of what was dealt with are written together in
    one flush. A mutation that breaks a rule is refused alone there. Should
    the database refuse the batch's writes (a row it cannot hold) or a
    write fail, the batch is rolled back and applied again a mutation at a
    time, each in its savepoint (:func:`push_mutation`), so that only the
    mutation at fault is refused; the answers are the same either way."""
    savepoint = session.begin_nested()
    try:
        results = _push_together(session, pusher, device, scope, mutations, seen)
        savepoint.commit()
        return results
    except (_BatchFailed, SQLAlchemyError):
        savepoint.rollback()
    return push_one_at_a_time(session, pusher, device, scope, mutations, seen)


def push_one_at_a_time(
    session: Session,
    pusher: User,
    device: Device,
    scope: Scope,
    mutations: list[Mutation],
    seen: dict[int, AppliedMutation],
) -> list[MutationResult]:
    """:func:`push_batch`'s way when the database refuses the batch: each
    mutation in its own savepoint (:func:`push_mutation`), or answered as it
    was (:func:`replayed`)."""
    return [
        replayed(session, scope, mutation, seen[mutation.sequence])
        if mutation.sequence in seen
        else push_mutation(session, pusher, device, scope, mutation)
        for mutation in mutations
    ]


def _push_together(
    session: Session,
    pusher: User,
    device: Device,
    scope: Scope,
    mutations: list[Mutation],
    seen: dict[int, AppliedMutation],
) -> list[MutationResult]:
    batch = _Batch(session, pusher, device, [m for m in mutations if m.sequence not in seen])
    results = []
    dealt_with = []
    logged: list[dict[str, Any]] = []
    for mutation in mutations:
        if mutation.sequence in seen:
            results.append(replayed(session, scope, mutation, seen[mutation.sequence]))
            continue
        batch.before_check(mutation)
        try:
            change = _check(mutation, session, device, batch.author, batch.row)
        except SQLAlchemyError:
            raise
        except Exception as error:  # a bad change refuses itself, never the batch
            result = _refusal(session, device, scope, mutation, error)
        else:
            changed_elsewhere = (
                batch.changed_elsewhere(mutation, change.row) if change.row is not None else {}
            )
            try:
                result, row = _write(
                    session, device, mutation, change, changed_elsewhere, logged=logged
                )
            except SQLAlchemyError:
                raise
            except Exception as error:
                raise _BatchFailed from error
            if isinstance(row, _NewRow):
                batch.hold_new(row)
            else:
                batch.rows[change.entity.name, mutation.row_id] = row
            if change.entity.on_applied is not None:
                batch.derived = True
        dealt_with.append(_dealt_with(device, mutation, result))
        results.append(result)
    batch.write_new()
    _write_logged(session, logged)
    copy_rows(session, AppliedMutation.__table__, dealt_with)
    return results
