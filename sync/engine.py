"""The PC's side of sync: push the outbox, pull the change feed, keep the
numbers topped up. No Qt: the desktop runs it on a worker thread and the
command line runs it as it is.

Every step is safe to interrupt: the outbox entry leaves only in the same
local transaction that records the server's answer, and the pull cursor
moves only with the page it belongs to, so a crash, a lost connection or a
killed process just means the next sync picks up where this one stopped.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Row, Table, Text, Update, bindparam, delete, func, select, type_coerce

from clinic.actor import Actor
from clinic.backup import RESTORED_KEY
from clinic.collector import collector_paused
from clinic.db import utcnow, uuid7
from clinic.enums import ChangeOperation
from clinic.journal.entities import SYNCED
from clinic.journal.models import (
    AuditEvent,
    Conflict,
    OutboxEntry,
    RejectedChange,
    StoreSetting,
    SyncRun,
)
from clinic.journal.service import move_to_new_chain
from clinic.migrate import head_revision
from clinic.numbering.service import (
    BLOCK_SIZE,
    SENT_THROUGH_KEY,
    add_lease,
    blocks_wanted,
    carries_provisional,
    numbering_due,
    replace_provisional,
)
from clinic.rules.numbers import NumberKind
from clinic.store import LocalStore, save_settings
from clinic.version import app_version
from sync.apply import (
    BULK_LOAD_KEY,
    apply_row,
    apply_tables,
    begin_bulk_load,
    end_bulk_load,
)
from sync.credentials import Tokens, TokenStore
from sync.protocol import (
    MAX_LEASE_BLOCKS,
    MAX_PULL_PAGE,
    MAX_PUSH_MUTATIONS,
    PROTOCOL_VERSION,
    Mutation,
    ProtocolError,
)
from sync.transport import ServerRefused, Transport

CURSOR_KEY = "pull_cursor"
AUDIT_PUSHED_KEY = "audit_pushed_through"
CLOCK_SKEW_KEY = "clock_skew_seconds"
FORMER_IDS_KEY = "former_device_ids"
SKEW_WARNING_SECONDS = 300
PULL_PAGE = MAX_PULL_PAGE
OUTBOX_COLUMNS = (
    OutboxEntry.sequence,
    OutboxEntry.entity,
    OutboxEntry.row_id,
    OutboxEntry.operation,
    OutboxEntry.base_version,
    OutboxEntry.user_id,
)
"""An outbox entry as settled: read as plain rows, in bulk (its changes
only for a refused one)."""
SettledEntry = Row[int, str, uuid.UUID, ChangeOperation, int, uuid.UUID | None]
OUTBOX_AS_STORED = (
    OutboxEntry.sequence,
    OutboxEntry.entity,
    type_coerce(OutboxEntry.row_id, Text),
    type_coerce(OutboxEntry.operation, Text),
    type_coerce(OutboxEntry.changes, Text),
    OutboxEntry.base_version,
    type_coerce(OutboxEntry.user_id, Text),
)
"""An outbox entry as the store holds it (ids as hex, the changes as JSON
text), to go into a push as it is."""
AUDIT_AS_STORED = (
    type_coerce(AuditEvent.id, Text),
    AuditEvent.device_sequence,
    type_coerce(AuditEvent.user_id, Text),
    AuditEvent.action,
    AuditEvent.entity,
    type_coerce(AuditEvent.entity_id, Text),
    type_coerce(AuditEvent.before, Text),
    type_coerce(AuditEvent.after, Text),
    type_coerce(AuditEvent.occurred_at, Text),
    AuditEvent.prev_hash,
    AuditEvent.hash,
)
"""An audit event as the store holds it (the time as naive UTC text)."""
PUSH_BUDGET_BYTES = 450_000
"""Bytes of mutations, and as many of audit events, in one push: with the
rest of the request, under the server's default 1 MiB body limit (1,000
new patients go in three pushes)."""


@dataclass
class SyncReport:
    """What one sync moved."""

    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: list[str] = field(default_factory=list)
    leased: int = 0
    """Blocks of numbers leased."""
    renumbered: int = 0
    store_changed: bool = False
    """Whether a pulled row changed the store: the PC's own changes pulled
    back change nothing (the push gave it the server's version and times),
    and screens have nothing to show again for them."""
    clock_skew_seconds: float | None = None
    audit_problem: str | None = None


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows."""

    pending: int
    conflicts: int
    rejected: int
    last_sync: datetime | None
    last_error: str | None
    clock_skew_seconds: float | None

    @property
    def clock_warning(self) -> bool:
        return (
            self.clock_skew_seconds is not None
            and abs(self.clock_skew_seconds) > SKEW_WARNING_SECONDS
        )


_SYNC_STATUS = select(
    select(func.count()).select_from(OutboxEntry).scalar_subquery(),
    select(func.count())
    .select_from(Conflict)
    .where(Conflict.resolved_at.is_(None))
    .scalar_subquery(),
    select(func.count())
    .select_from(RejectedChange)
    .where(RejectedChange.resolved_at.is_(None))
    .scalar_subquery(),
    select(func.max(SyncRun.finished_at)).where(SyncRun.error.is_(None)).scalar_subquery(),
    select(SyncRun.error).order_by(SyncRun.id.desc()).limit(1).scalar_subquery(),
    select(StoreSetting.value).where(StoreSetting.key == CLOCK_SKEW_KEY).scalar_subquery(),
)
"""The status bar's figures in one statement (read after every sync run)."""


def sync_status(store: LocalStore) -> SyncStatus:
    with store.session() as session:
        pending, conflicts, rejected, last_ok, last_error, skew = session.execute(
            _SYNC_STATUS
        ).one()
    return SyncStatus(
        pending=int(pending or 0),
        conflicts=int(conflicts or 0),
        rejected=int(rejected or 0),
        last_sync=last_ok,
        last_error=last_error,
        clock_skew_seconds=skew,
    )


def within_budget(items: Iterable[bytes], budget: int = PUSH_BUDGET_BYTES) -> list[bytes]:
    """The leading items (each a JSON text) that fit in ``budget`` bytes (at
    least one), so a push stays well under the server's request size limit
    however long the notes in it are; the rest are not encoded."""
    kept: list[bytes] = []
    used = 0
    for item in items:
        used += len(item)
        if kept and used > budget:
            break
        kept.append(item)
    return kept


def _fragment(json_text: str | None) -> orjson.Fragment | None:
    return None if json_text is None else orjson.Fragment(json_text)


def mutation_json(entry: Sequence[Any]) -> bytes:
    """A row of OUTBOX_AS_STORED as a push carries it (a :class:`Mutation`)."""
    sequence, entity, row_id, operation, changes, base_version, user_id = entry
    return orjson.dumps(
        {
            "sequence": sequence,
            "entity": entity,
            "row_id": row_id,
            "operation": operation,
            "changes": orjson.Fragment(changes),
            "base_version": base_version,
            "user_id": user_id,
        }
    )


def audit_event_json(event: Sequence[Any]) -> bytes:
    """A row of AUDIT_AS_STORED as a push carries it (a :class:`PushedAuditEvent`)."""
    (id_, device_sequence, user_id, action, entity, entity_id, before, after, occurred_at,
     prev_hash, hash_) = event  # fmt: skip
    return orjson.dumps(
        {
            "id": id_,
            "device_sequence": device_sequence,
            "user_id": user_id,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": _fragment(before),
            "after": _fragment(after),
            "occurred_at": f"{occurred_at}+00:00",
            "prev_hash": prev_hash,
            "hash": hash_,
        }
    )


@dataclass(frozen=True)
class Outgoing:
    """A push's mutations and audit events, each as its JSON."""

    mutations: list[bytes]
    events: list[bytes]
    sequences: list[int]
    """The mutations' sequence numbers, in order."""
    events_through: int
    """The audit events accepted through this push's last one (or, with
    none in it, as accepted before it)."""
    carrying: int
    """The last sequence of a new row in it that carries a provisional
    number (0: none)."""
    waiting: int
    """The outbox's entries from this push's first on (the whole outbox, or
    what follows the push it was read ahead of), counted in the same read."""
    everything: bool
    """Whether it holds every outbox entry and audit event that was waiting
    when it was read: none follows it."""


class SyncEngine:
    """Sync one local store with one server. One sync at a time."""

    def __init__(self, store: LocalStore, transport: Transport) -> None:
        self.store = store
        self.transport = transport
        self._pulling = threading.Lock()
        self._answering = threading.Lock()
        """Held from a push request's sending until its answer is taken."""

    def _versions(self) -> dict[str, Any]:
        return {
            "protocol": PROTOCOL_VERSION,
            "schema": head_revision("local"),
            "app_version": app_version(),
        }

    def sync(self) -> SyncReport:
        """Push, pull and top up numbers; records the run when it ends (one
        write, after the push: a change just saved is not held up by it).
        Raises the transport's errors (Unreachable, ServerRefused) after
        recording them."""
        report = SyncReport()
        started = utcnow()
        try:
            self.finish_restore(report)
            self.top_up_numbers(report)
            self.push(report)
            self.pull(report)
        except Exception as error:
            self._record_run(started, report, str(error) or type(error).__name__)
            if self._pulling.acquire(blocking=False):  # else the pull under way sees to it
                try:
                    self._end_cut_off_load()
                finally:
                    self._pulling.release()
            raise
        self._record_run(started, report, None)
        return report

    def _record_run(self, started: datetime, report: SyncReport, error: str | None) -> None:
        with self.store.write() as session:
            session.add(
                SyncRun(
                    started_at=started,
                    finished_at=utcnow(),
                    pushed=report.pushed,
                    pulled=report.pulled,
                    conflicts=report.conflicts,
                    rejected=len(report.rejected),
                    error=error,
                )
            )

    def finish_restore(self, report: SyncReport) -> None:
        """A store restored from a backup (``clinic.backup``) first pushes
        what the backup held, under the device id it held (the server
        applies each change once, and answers one it has applied with its
        row), then enrols as a new device: what was written since goes
        under the new id, so no sequence number is used twice. Nothing to
        do for any other store."""
        restored = self.store.get_setting(RESTORED_KEY)
        if restored is not None:
            self.push(report, restored["outbox_through"], restored["audit_through"])
            self.enroll_as_new_device(audit_pushed_through=restored["audit_through"])

    # --- numbers ---------------------------------------------------------

    def top_up_numbers(self, report: SyncReport) -> None:
        """Lease, for each kind, as many blocks as the rows this PC numbered
        provisionally need plus the usual reserve, then give those rows
        leased numbers, all in one pass. ``blocks`` is sent only when more
        than one is wanted, so a server that predates it answers the usual
        request; a server that gives fewer blocks is asked again. Nothing
        to do (the usual case, before every push) costs one statement."""
        device_id = self.store.device_id
        with self.store.session() as session:
            former = (
                session.scalar(select(StoreSetting.value).where(StoreSetting.key == FORMER_IDS_KEY))
                or []
            )
            made_by = [device_id, *(uuid.UUID(i) for i in former)]
            if not numbering_due(session, device_id, made_by=made_by):
                return
        for kind in NumberKind:
            while True:
                with self.store.session() as session:
                    wanted = blocks_wanted(session, device_id, kind, made_by=made_by)
                if not wanted:
                    break
                body = {**self._versions(), "kind": kind.value}
                if wanted > 1:
                    body["blocks"] = min(wanted, MAX_LEASE_BLOCKS)
                block = self.transport.call("POST", "/api/sync/lease", body)
                with self.store.write() as session:
                    add_lease(
                        session, device_id, kind, block["year"], block["first"], block["last"]
                    )
                report.leased += (block["last"] - block["first"] + 1) // BLOCK_SIZE
        # A store filled by an import renumbers thousands of rows here.
        with self.store.write() as session, collector_paused():
            report.renumbered = replace_provisional(
                session, Actor(device_id=device_id), made_by=made_by
            )

    # --- push ------------------------------------------------------------

    def push(
        self, report: SyncReport, outbox_through: int | None = None, audit_through: int = 0
    ) -> None:
        """Push the outbox and the audit events not yet accepted; with
        ``outbox_through``, only up to there (see :meth:`_next_batch`).

        The next push is read from the store while the server applies this
        one (a thread of its own), and sent if the answer settles all it
        assumed: every mutation answered, the audit events accepted through
        the last one sent; else it is read again. A push that holds all
        that was waiting when it was read (a change just saved, the usual
        case) has nothing to read ahead: no thread then, its request is
        sent alone (a change saved meanwhile wakes the next push)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push") as reader:
            outgoing = self._noted(
                self._next_batch(outbox_through, audit_through), outbox_through, audit_through
            )
            while outgoing.mutations or outgoing.events:
                body = self._push_body(outgoing)
                ahead = (
                    None
                    if outgoing.everything
                    else reader.submit(self._next_batch, outbox_through, audit_through, outgoing)
                )
                try:
                    answer = self._pushed(body, report)
                except ServerRefused as refusal:
                    if refusal.code != ProtocolError.DEVICE_REUSED:
                        raise
                    self.enroll_as_new_device()
                    if ahead is not None:
                        ahead.result()  # read under the old device's chain: read again
                    outgoing = self._noted(
                        self._next_batch(outbox_through, audit_through),
                        outbox_through,
                        audit_through,
                    )
                    continue
                if not outgoing.mutations:
                    return
                answered = {result["sequence"] for result in answer["results"]}
                following = ahead.result() if ahead is not None else None
                settled = answered.issuperset(outgoing.sequences) and (
                    answer["audit_accepted_through"] == outgoing.events_through
                )
                if not settled:
                    following = self._next_batch(outbox_through, audit_through)
                elif following is None:
                    return
                outgoing = self._noted(following, outbox_through, audit_through)

    def _pushed(self, body: bytes, report: SyncReport) -> dict[str, Any]:
        """Send one push request and take its answer. A pulled page waits
        meanwhile (:meth:`_write_page`): the server sends this PC's changes
        back to it as soon as it commits them, and a page written before
        their answer would write the rows again and refresh the screens
        for changes made here."""
        with self._answering:
            answer: dict[str, Any] = self.transport.call("POST", "/api/sync/push", body)
            self._record_push(answer, report)
        return answer

    def _push_body(self, outgoing: Outgoing) -> bytes:
        """The push request of ``outgoing``, built as text: the outbox holds
        the changes as JSON already, and the server validates the request."""
        return orjson.dumps(
            {
                **self._versions(),
                "client_time": utcnow(),
                "pending": outgoing.waiting - len(outgoing.mutations),
                "mutations": [orjson.Fragment(m) for m in outgoing.mutations],
                "audit_events": [orjson.Fragment(e) for e in outgoing.events],
            }
        )

    def _noted(
        self, outgoing: Outgoing, outbox_through: int | None, audit_through: int
    ) -> Outgoing:
        """``outgoing`` once its new rows that carry a provisional number are
        noted as sent (``SENT_THROUGH_KEY``: the top-up then never folds a
        new number into them), read again after the note, so what goes is
        what the note covers."""
        while outgoing.carrying > (self.store.get_setting(SENT_THROUGH_KEY) or 0):
            with self.store.write() as session:
                noted = session.get(StoreSetting, SENT_THROUGH_KEY)
                if noted is None or noted.value < outgoing.carrying:
                    session.merge(StoreSetting(key=SENT_THROUGH_KEY, value=outgoing.carrying))
            outgoing = self._next_batch(outbox_through, audit_through)
        return outgoing

    def _next_batch(
        self,
        outbox_through: int | None = None,
        audit_through: int = 0,
        after: Outgoing | None = None,
    ) -> Outgoing:
        """The outbox's next mutations and the audit events not yet
        accepted, as many of each as fit a push; with ``outbox_through``
        only those up to that sequence, and the audit events up to
        ``audit_through``. With ``after`` (a push under way), those that
        follow it, as if it were settled."""
        device_id = self.store.device_id
        outbox = select(*OUTBOX_AS_STORED)
        audit_limit = []
        if outbox_through is not None:
            outbox = outbox.where(OutboxEntry.sequence <= outbox_through)
            audit_limit.append(AuditEvent.device_sequence <= audit_through)
        waiting = select(func.count()).select_from(OutboxEntry)
        if after is not None and after.sequences:
            outbox = outbox.where(OutboxEntry.sequence > after.sequences[-1])
            waiting = waiting.where(OutboxEntry.sequence > after.sequences[-1])
        with self.store.session() as session:
            left = session.scalar(waiting) or 0
            entries = session.execute(
                outbox.order_by(OutboxEntry.sequence).limit(MAX_PUSH_MUTATIONS)
            ).all()
            if after is not None:
                pushed_through = after.events_through
            else:
                pushed_through = (
                    session.scalar(
                        select(StoreSetting.value).where(StoreSetting.key == AUDIT_PUSHED_KEY)
                    )
                    or 0
                )
            events = session.execute(
                select(*AUDIT_AS_STORED)
                .where(
                    AuditEvent.device_id == device_id,
                    AuditEvent.device_sequence > pushed_through,
                    *audit_limit,
                )
                .order_by(AuditEvent.device_sequence)
                .limit(MAX_PUSH_MUTATIONS)
            ).all()
        mutations = within_budget(map(mutation_json, entries))
        audit = within_budget(map(audit_event_json, events))
        going = entries[: len(mutations)]
        everything = (
            outbox_through is None
            and len(going) == left
            and len(audit) == len(events) < MAX_PUSH_MUTATIONS
        )
        return Outgoing(
            mutations,
            audit,
            [entry.sequence for entry in going],
            events[len(audit) - 1].device_sequence if audit else pushed_through,
            max(
                (
                    entry.sequence
                    for entry in going
                    if entry.operation == ChangeOperation.INSERT
                    and carries_provisional(entry.entity, orjson.loads(entry.changes))
                ),
                default=0,
            ),
            left,
            everything,
        )

    def _record_push(self, answer: dict[str, Any], report: SyncReport) -> None:
        """Take the server's answers in one transaction: the entries dealt
        with leave the outbox and the applied rows take their server
        versions, in bulk; a refused change, or a retry's answer carrying the
        server's row, is settled on its own, in order, once everything
        answered before it is."""
        results = answer["results"]
        with self.store.write() as session:
            connection = session.connection()
            entries = {
                entry.sequence: entry
                for entry in session.execute(
                    select(*OUTBOX_COLUMNS).where(
                        OutboxEntry.sequence.in_([result["sequence"] for result in results])
                    )
                )
            }
            settled: list[int] = []
            versions: dict[str, list[dict[str, Any]]] = defaultdict(list)

            def settle() -> None:
                if settled:
                    connection.execute(delete(OutboxEntry).where(OutboxEntry.sequence.in_(settled)))
                    settled.clear()
                for entity, rows in versions.items():
                    connection.execute(_take_version(entity), rows)
                versions.clear()

            for result in results:
                entry = entries.get(result["sequence"])
                if entry is None:
                    continue
                settled.append(entry.sequence)
                if result["outcome"] == "applied":
                    written_at = result.get("written_at")
                    versions[entry.entity].append(
                        {
                            "pushed_row_id": entry.row_id,
                            "pushed_row_version": result["version"],
                            "pushed_row_updated": written_at,
                            "pushed_row_created": (
                                written_at if entry.operation == ChangeOperation.INSERT else None
                            ),
                        }
                    )
                    if result.get("row") is not None:
                        # The answer to a retry: take the server's row now.
                        settle()
                        apply_row(connection, entry.entity, result["row"])
                    report.pushed += 1
                    report.conflicts += len(result.get("conflicts") or [])
                else:
                    # Out of the outbox first, so going back to the server's
                    # row does not keep the refused fields as still waiting.
                    changes = session.execute(
                        select(OutboxEntry.changes).where(OutboxEntry.sequence == entry.sequence)
                    ).scalar_one()
                    settle()
                    self._keep_refused(session, entry, changes, result)
                    report.rejected.append(f"{entry.entity} {entry.row_id}: {result['reason']}")
            settle()
            save_settings(
                session,
                {
                    AUDIT_PUSHED_KEY: answer["audit_accepted_through"],
                    CLOCK_SKEW_KEY: answer["clock_skew_seconds"],
                },
            )
        report.clock_skew_seconds = answer["clock_skew_seconds"]
        report.audit_problem = answer.get("audit_problem")

    def _keep_refused(
        self, session: Any, entry: SettledEntry, changes: dict[str, Any], result: dict[str, Any]
    ) -> None:
        """Keep the refused change (``changes``, as its outbox entry held
        them) for staff and set the row back to the server's version (a
        refused new row is tombstoned here)."""
        session.add(
            RejectedChange(
                id=uuid7(),
                sequence=entry.sequence,
                entity=entry.entity,
                row_id=entry.row_id,
                operation=entry.operation,
                changes=changes,
                reason=result["reason"],
            )
        )
        connection = session.connection()
        if result.get("row") is not None:
            apply_row(connection, entry.entity, result["row"])
        elif entry.operation == ChangeOperation.INSERT:
            table = SYNCED[entry.entity].model.__table__  # type: ignore[attr-defined]
            connection.execute(
                table.update().where(table.c.id == entry.row_id).values(deleted_at=utcnow())
            )

    def enroll_as_new_device(self, *, audit_pushed_through: int | None = None) -> None:
        """This data folder was restored or copied: take a new device id (the
        server enrols it with the same user and branch) and keep every
        queued change, to be pushed under the new id. With
        ``audit_pushed_through`` (a restored store, whose old id's events up
        to there are pushed) its later events move to the new id's chain."""
        old_id = self.store.device_id
        new_id = uuid7()
        tokens = self.transport.call(
            "POST", "/api/sync/enroll", {**self._versions(), "new_device_id": str(new_id)}
        )
        TokenStore(new_id).save(Tokens(tokens["access_token"], tokens["refresh_token"]))
        with self.store.write() as session:
            former = session.get(StoreSetting, FORMER_IDS_KEY)
            former_ids = [*(former.value if former else []), str(old_id)]
            if audit_pushed_through is not None:
                move_to_new_chain(session, old_id, audit_pushed_through, new_id)
            save_settings(session, {FORMER_IDS_KEY: former_ids, AUDIT_PUSHED_KEY: 0})
            self.store.set_device_id(session, new_id)
            session.execute(delete(StoreSetting).where(StoreSetting.key == RESTORED_KEY))
        self.transport.device_id = new_id
        self.transport.tokens = TokenStore(new_id)

    # --- pull ------------------------------------------------------------

    def pull(self, report: SyncReport, *, wait_seconds: float = 0.0) -> None:
        """Pull pages until the server has no more; with ``wait_seconds`` the
        first request waits for a change if there is none yet. One pull at a
        time: a quick pull while a long-poll is under way is left to it."""
        if not self._pulling.acquire(blocking=wait_seconds > 0):
            return
        try:
            self._pull_pages(report, wait_seconds)
        finally:
            self._pulling.release()

    def _pull_pages(self, report: SyncReport, wait_seconds: float) -> None:
        settings = self.store.get_settings(CURSOR_KEY, BULK_LOAD_KEY)
        cursor = settings.get(CURSOR_KEY)
        bulk = cursor is None or settings.get(BULK_LOAD_KEY) is not None
        try:
            with collector_paused() if bulk else nullcontext():
                self._pull_in_order(report, cursor, wait_seconds, bulk)
        except Exception:
            if bulk:
                self._end_cut_off_load()
            raise

    def _end_cut_off_load(self) -> None:
        """A first sync cut off (by an error now, or by a kill before and
        the network since): the rows held so far are indexed, to work on
        offline. The rest then comes as later pages do."""
        if self.store.get_setting(BULK_LOAD_KEY) is not None:
            with self.store.write() as session:
                end_bulk_load(session)

    def _pull_in_order(
        self, report: SyncReport, cursor: str | None, wait_seconds: float, bulk: bool
    ) -> None:
        # Pages are fetched while others are written, two at a time when the
        # server says where the next one ends: the server and the network
        # work while SQLite does. Each is written in order, from where the
        # last one written ended.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pull") as fetcher:
            coming = deque([(cursor, fetcher.submit(self._fetch_page, cursor, wait_seconds))])
            try:
                while True:
                    start, fetching = coming.popleft()
                    answer = fetching.result()
                    if start != cursor:  # the server's guess of an end was wrong: ask again
                        coming.appendleft((cursor, fetcher.submit(self._fetch_page, cursor, 0.0)))
                        continue
                    if answer["more"]:
                        queued = {start for start, _ in coming}
                        ahead = [answer["cursor"], answer.get("next_end")]
                        for start in [c for c in ahead if c and c not in queued][: 2 - len(coming)]:
                            coming.append((start, fetcher.submit(self._fetch_page, start, 0.0)))
                    self._write_page(answer, report, bulk)
                    cursor = answer["cursor"]
                    if not answer["more"]:
                        return
            finally:
                for _start, fetching in coming:
                    fetching.cancel()

    def _fetch_page(self, cursor: str | None, wait_seconds: float) -> dict[str, Any]:
        answer: dict[str, Any] = self.transport.call(
            "POST",
            "/api/sync/pull",
            {
                **self._versions(),
                "cursor": cursor,
                "limit": PULL_PAGE,
                "wait_seconds": wait_seconds,
            },
            timeout=self.transport.long_poll_timeout(wait_seconds),
        )
        return answer

    def _write_page(self, answer: dict[str, Any], report: SyncReport, bulk: bool) -> None:
        """Apply a page and move the cursor past it, in one transaction; a
        first sync is a bulk load, ended with its last page. SQLite does not
        check foreign keys here: the server's rows are consistent as a whole
        (PostgreSQL holds it to the same keys), and a page may hold a row
        naming one that comes in a later page (a patient merged into one
        registered after them), which would otherwise stop the pull for good.
        A push's answer on its way is taken first (:meth:`_pushed`)."""
        with self._answering, self.store.write(check_foreign_keys=False) as session:
            if bulk and answer["tables"] and session.get(StoreSetting, BULK_LOAD_KEY) is None:
                begin_bulk_load(session)
            connection = session.connection()
            sqlite = connection.connection.driver_connection
            changes = sqlite.total_changes  # type: ignore[union-attr]
            report.pulled += apply_tables(connection, answer["tables"], bulk=bulk)
            if sqlite.total_changes != changes:  # type: ignore[union-attr]
                report.store_changed = True
            if bulk and not answer["more"]:
                end_bulk_load(session)
            save_settings(session, {CURSOR_KEY: answer["cursor"]})


@cache
def _take_version(entity: str) -> Update:
    """The statement giving a pushed row the server's version and times
    (``MutationResult.written_at``; left as they are when the server does
    not say them), unless the row was pulled at a later version meanwhile.
    The row then holds what the server holds, so when the change comes back
    in the next pull the upsert finds it unchanged and leaves it alone: not
    written again, not indexed again (``sync.apply``)."""
    table: Table = SYNCED[entity].model.__table__  # type: ignore[attr-defined]
    updated = type_coerce(bindparam("pushed_row_updated"), Text)
    created = type_coerce(bindparam("pushed_row_created"), Text)
    return (
        table.update()
        .where(table.c.id == bindparam("pushed_row_id"))
        .where(table.c.version < bindparam("pushed_row_version"))
        .values(
            version=bindparam("pushed_row_version"),
            updated_at=func.coalesce(updated, table.c.updated_at),
            created_at=func.coalesce(created, table.c.created_at),
        )
    )


class Backoff:
    """Delays between failed attempts: 2 s doubling up to 5 min, each drawn
    at random below the cap (full jitter) so PCs don't retry in step."""

    def __init__(self, first: float = 2.0, cap: float = 300.0, rng: random.Random | None = None):
        self.first = first
        self.cap = cap
        self.failures = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        return self.rng.uniform(self.first / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0


def mutation_of(entry: OutboxEntry | Row[Any]) -> Mutation:
    """An outbox entry (or a row of its OUTBOX_COLUMNS) as a push carries it."""
    return Mutation(
        sequence=entry.sequence,
        entity=entry.entity,
        row_id=entry.row_id,
        operation=entry.operation,
        changes=entry.changes,
        base_version=entry.base_version,
        user_id=entry.user_id,
    )
