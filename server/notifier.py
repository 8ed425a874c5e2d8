"""Wakes long-polling pulls when a change is committed.

One background thread LISTENs on the change channel over a connection of its
own (one LISTEN per server process). Each notification names the
transaction that wrote changes and the branches they belong to (none when
one is clinic-wide, such as a patient; see
:func:`clinic.journal.service.notify_change`). A change is pulled only
once every transaction before it has ended (the feed's horizon,
:mod:`server.sync.feed`), so the listener holds a notification until the
horizon has passed its transaction, then bumps the generation of its branch
(of every branch for a clinic-wide change) and wakes the pulls waiting on
it. A waiting pull remembers its branch's generation before it looks for
changes and awaits its moving, so a change committed in between is never
slept through, and a pull is woken only by a change it may pull.

Waiting pulls are futures on the event loop, not threads: thousands of PCs
waiting hold no worker thread, and the API stays free for pushes and logins.
They are woken :data:`WAKE_AT_ONCE` at a time every :data:`WAKE_TICK_SECONDS`
(a patient's registration concerns every PC of the clinic: thousands of
answers at once would keep health checks and pushes waiting behind them);
each is woken once, none is dropped.

The same connection LISTENs on :data:`AUTH_CHANNEL` (a user's row, or a
device's revocation, roles or branch changed; migration 0015) and makes the
process forget the callers it names (``server.callers``), which it trusts
only while it listens.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections import defaultdict, deque

import psycopg

from clinic.journal.service import CHANGES_CHANNEL
from server.callers import KnownCallers

logger = logging.getLogger("seth_clinic.server.notifier")

HORIZON_RECHECK_SECONDS = 0.005
"""How often the listener looks whether an older transaction still open
has ended, while a notified change waits behind it."""

AUTH_CHANNEL = "auth_changes"
"""Where the database says a user or device changed (``u:<id>``, ``d:<id>``)."""
WAKE_AT_ONCE = 50
"""How many waiting pulls are woken together, at most (the same 2,000 a
second as 100 every 50 ms, in halves: a health check or a push that
arrives meanwhile waits behind 50 answers, not 100)."""
WAKE_TICK_SECONDS = 0.025
"""How long before the next ones are woken."""

Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]


class ChangeNotifier:
    def __init__(self, conninfo: str, callers: KnownCallers | None = None) -> None:
        self._conninfo = conninfo
        self._callers = callers
        self._to_wake: dict[asyncio.AbstractEventLoop, deque[asyncio.Future[None]]] = {}
        self._everyone = 0  # clinic-wide changes and reconnections
        self._branches: dict[uuid.UUID, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._waiting: dict[uuid.UUID, set[Waiter]] = defaultdict(set)
        self._held: dict[int, set[uuid.UUID | None]] = {}  # xid: branches, behind the horizon
        self._stopping = threading.Event()
        self._ending = False
        self._thread: threading.Thread | None = None

    def generation(self, branch_id: uuid.UUID) -> int:
        """A number that moves whenever a change a device of ``branch_id``
        pulls has passed the horizon."""
        with self._lock:
            return self._everyone + self._branches.get(branch_id, 0)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._listen, name="change-notifier", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._callers is not None:
            self._callers.distrust()

    async def wait(self, branch_id: uuid.UUID, seen: int, timeout: float) -> bool:
        """Await ``branch_id``'s generation moving past ``seen``, for at most
        ``timeout`` seconds; whether it moved."""
        loop = asyncio.get_running_loop()
        moved: asyncio.Future[None] = loop.create_future()
        waiter = (loop, moved)
        with self._lock:
            if self._ending or self._everyone + self._branches.get(branch_id, 0) != seen:
                return True
            self._waiting[branch_id].add(waiter)
        try:
            await asyncio.wait_for(moved, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                waiting = self._waiting.get(branch_id)
                if waiting is not None:
                    waiting.discard(waiter)
                    if not waiting:
                        del self._waiting[branch_id]

    @property
    def ending(self) -> bool:
        """Whether the server is stopping (:meth:`release_waiting`): a pull
        answers with what there is, and waits no more."""
        return self._ending

    def release_waiting(self) -> None:
        """Wake every waiting pull now, and let none wait from here on: the
        server is stopping, and each answers with what there is rather than
        holding its request through the shutdown (its PC asks again, of
        the other instance or of this one started again)."""
        with self._lock:
            self._ending = True
            woken = [w for waiting in self._waiting.values() for w in waiting]
            self._waiting.clear()
        for loop, moved in woken:
            loop.call_soon_threadsafe(_settle, moved)

    def _bump(self, branches: set[uuid.UUID | None]) -> None:
        """Move the generations of ``branches`` (None: every branch) and wake
        their waiting pulls."""
        with self._lock:
            if None in branches:
                self._everyone += 1
                woken = [w for waiting in self._waiting.values() for w in waiting]
                self._waiting.clear()
            else:
                woken = []
                for branch_id in branches:
                    assert branch_id is not None
                    self._branches[branch_id] += 1
                    woken.extend(self._waiting.pop(branch_id, ()))
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = defaultdict(list)
        for loop, moved in woken:
            by_loop[loop].append(moved)
        for loop, futures in by_loop.items():
            loop.call_soon_threadsafe(self._queue_wakes, loop, futures)

    def _queue_wakes(
        self, loop: asyncio.AbstractEventLoop, futures: list[asyncio.Future[None]]
    ) -> None:
        """On ``loop``: queue ``futures`` to be woken, starting the paced
        waking unless it is under way."""
        queued = self._to_wake.get(loop)
        if queued is not None:
            queued.extend(futures)
            return
        self._to_wake[loop] = deque(futures)
        self._wake_some(loop)

    def _wake_some(self, loop: asyncio.AbstractEventLoop) -> None:
        """On ``loop``: wake the next :data:`WAKE_AT_ONCE` queued pulls, and
        the next ones a tick later while any are queued."""
        queued = self._to_wake[loop]
        for _ in range(min(WAKE_AT_ONCE, len(queued))):
            _settle(queued.popleft())
        if queued:
            loop.call_later(WAKE_TICK_SECONDS, self._wake_some, loop)
        else:
            del self._to_wake[loop]

    def _forget_caller(self, payload: str) -> None:
        """Forget the callers of the user or device ``payload`` names."""
        if self._callers is None:
            return
        kind, _, row = payload.partition(":")
        try:
            self._callers.forget(kind, uuid.UUID(row))
        except ValueError:  # not one of ours: forget everyone, to be safe
            self._callers.forget_everyone()

    def _note(self, payload: str) -> None:
        """Hold a notification (``xid:branch,branch``; no branch: everyone's)
        until the horizon passes it."""
        xid, _, named = payload.partition(":")
        try:
            key = int(xid)
            branches: set[uuid.UUID | None] = (
                {uuid.UUID(branch) for branch in named.split(",")} if named else {None}
            )
        except ValueError:  # not one of ours: wake everyone, to be safe
            key, branches = 0, {None}
        self._held.setdefault(key, set()).update(branches)

    def _release(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        """Wake the pulls of the held changes the horizon has passed."""
        if not self._held:
            return
        found = connection.execute(
            "SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint"
        ).fetchone()
        horizon = int(found[0]) if found else 0  # type: ignore[call-overload]
        passed = [xid for xid in self._held if xid < horizon]
        if passed:
            branches: set[uuid.UUID | None] = set()
            for xid in passed:
                branches |= self._held.pop(xid)
            self._bump(branches)

    def _take(self, notify: psycopg.Notify) -> None:
        if notify.channel == AUTH_CHANNEL:
            self._forget_caller(notify.payload)
        else:
            self._note(notify.payload)

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANGES_CHANNEL}")
                    connection.execute(f"LISTEN {AUTH_CHANNEL}")
                    if self._callers is not None:
                        self._callers.trust()
                    self._held.clear()
                    self._bump({None})
                    while not self._stopping.is_set():
                        timeout = HORIZON_RECHECK_SECONDS if self._held else 1.0
                        for notify in connection.notifies(timeout=timeout, stop_after=1):
                            self._take(notify)
                        # Whatever else came meanwhile, at once (no wait).
                        for notify in connection.notifies(timeout=0):
                            self._take(notify)
                        self._release(connection)
            except psycopg.Error:
                logger.warning("change listener lost its connection; reconnecting")
                if self._callers is not None:
                    self._callers.distrust()
                self._held.clear()
                self._bump({None})
                self._stopping.wait(1.0)


def _settle(moved: asyncio.Future[None]) -> None:
    if not moved.done():  # not timed out meanwhile
        moved.set_result(None)
