"""Wakes long-polling pulls when a change is committed.

One background thread LISTENs on the change channel over a connection of its
own and bumps a generation counter on every notification; a waiting pull
remembers the generation before it looks for changes and sleeps until it
moves, so a change committed in between is never slept through.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from clinic.journal.service import CHANGES_CHANNEL

logger = logging.getLogger("seth_clinic.server.notifier")


class ChangeNotifier:
    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._generation = 0
        self._condition = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def generation(self) -> int:
        with self._condition:
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

    def wait(self, seen: int, timeout: float) -> bool:
        """Sleep until the generation moves past ``seen`` or ``timeout``
        seconds pass; whether it moved."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._generation == seen:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True

    def _bump(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

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
