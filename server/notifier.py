"""Wakes long-polling pulls when a change is committed.

One background thread LISTENs on the change channel over a connection of its
own (one LISTEN per server process) and bumps a generation counter on every
notification; a waiting pull remembers the generation before it looks for
changes and awaits its moving, so a change committed in between is never
slept through. Waiting pulls are futures on the event loop, not threads: a
thousand PCs waiting hold no worker thread, and the API stays free for
pushes and logins.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import psycopg

from clinic.journal.service import CHANGES_CHANNEL

logger = logging.getLogger("seth_clinic.server.notifier")


class ChangeNotifier:
    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._generation = 0
        self._lock = threading.Lock()
        self._waiting: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def generation(self) -> int:
        with self._lock:
            return self._generation

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

    async def wait(self, seen: int, timeout: float) -> bool:
        """Await the generation moving past ``seen``, for at most ``timeout``
        seconds; whether it moved."""
        loop = asyncio.get_running_loop()
        moved: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._generation != seen:
                return True
            self._waiting.add((loop, moved))
        try:
            await asyncio.wait_for(moved, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiting.discard((loop, moved))

    def _bump(self) -> None:
        with self._lock:
            self._generation += 1
            woken, self._waiting = self._waiting, set()
        for loop, moved in woken:
            loop.call_soon_threadsafe(_settle, moved)

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANGES_CHANNEL}")
                    self._bump()
                    while not self._stopping.is_set():
                        for _ in connection.notifies(timeout=1.0, stop_after=1):
                            self._bump()
            except psycopg.Error:
                logger.warning("change listener lost its connection; reconnecting")
                self._bump()
                self._stopping.wait(1.0)


def _settle(moved: asyncio.Future[None]) -> None:
    if not moved.done():  # not timed out meanwhile
        moved.set_result(None)
