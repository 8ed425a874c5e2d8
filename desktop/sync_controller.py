"""Sync in the background while staff work.

Two worker threads share the PC's transport: one pushes (as soon as a
screen saves something, every minute, and when "Sync now" is pressed) and
one long-polls the server for other PCs' changes. When the server cannot be
reached they retry with backoff (2 s up to 5 min), so sync resumes by itself
when the network comes back. The GUI thread never waits on them: they report
by signals carrying plain data.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Signal

from clinic.store import LocalStore
from desktop.display import translate
from sync.engine import Backoff, SyncEngine, SyncReport, SyncStatus, sync_status
from sync.transport import ServerRefused, Unreachable

PERIODIC_SYNC_SECONDS = 60.0
LONG_POLL_SECONDS = 25.0


@dataclass(frozen=True)
class SyncState:
    """What the status bar shows."""

    online: bool
    status: SyncStatus
    message: str | None = None
    last_report: SyncReport | None = None


class SyncController(QObject):
    sig_state_changed = Signal(object)
    """A new :class:`SyncState` (online or not, counts, last sync, errors)."""

    sig_rows_pulled = Signal(int)
    """Rows from other PCs arrived and changed the store (the count of rows
    pulled): screens refresh what they show. Not for this PC's own changes
    coming back, which change nothing."""

    def __init__(self, store: LocalStore, engine: SyncEngine) -> None:
        super().__init__()
        self.store = store
        self.engine = engine
        self._wake_push = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._online = False

    def start(self) -> None:
        for target, name in ((self._push_loop, "sync-push"), (self._pull_loop, "sync-pull")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Ask both threads to end and wait for them: the requests in
        flight are cut (a long-poll would otherwise keep the closing app
        waiting up to its 25 s)."""
        self._stopping.set()
        self._wake_push.set()
        self.engine.transport.abort()
        for thread in self._threads:
            thread.join(timeout=LONG_POLL_SECONDS + 15)
        self._threads.clear()

    def sync_now(self) -> None:
        self._wake_push.set()

    def local_change_saved(self) -> None:
        """A screen saved something: push it now."""
        self._wake_push.set()

    def _report(self, online: bool, message: str | None, report: SyncReport | None = None) -> None:
        self._online = online
        try:
            status = sync_status(self.store)
        except Exception:  # the store is closing
            return
        self.sig_state_changed.emit(SyncState(online, status, message, report))

    def _push_loop(self) -> None:
        backoff = Backoff()
        delay = 0.0
        while not self._stopping.is_set():
            self._wake_push.wait(timeout=delay)
            self._wake_push.clear()
            if self._stopping.is_set():
                return
            try:
                report = self.engine.sync()
            except Unreachable as error:
                delay = backoff.next_delay()
                self._report(
                    False,
                    translate("Sync", "%1; retrying in %2 s")
                    .replace("%1", str(error))
                    .replace("%2", f"{delay:.0f}"),
                )
                continue
            except ServerRefused as refusal:
                delay = max(backoff.next_delay(), 30.0)
                self._report(False, refusal.message)
                continue
            except Exception as error:  # a worker never dies silently
                delay = backoff.next_delay()
                self._report(
                    self._online, translate("Sync", "Sync failed: %1").replace("%1", str(error))
                )
                continue
            backoff.reset()
            delay = PERIODIC_SYNC_SECONDS
            self._report(True, None, report)
            if report.store_changed:
                self.sig_rows_pulled.emit(report.pulled)

    def _pull_loop(self) -> None:
        backoff = Backoff()
        while not self._stopping.is_set():
            report = SyncReport()
            try:
                self.engine.pull(report, wait_seconds=LONG_POLL_SECONDS)
            except Unreachable:
                self._stopping.wait(backoff.next_delay())
                continue
            except ServerRefused as refusal:
                # Said, not swallowed: a sync with nothing to push leaves the
                # pull to this loop, and a revoked PC must hear why.
                self._report(False, refusal.message)
                self._stopping.wait(backoff.next_delay())
                continue
            except Exception:
                self._stopping.wait(backoff.next_delay())
                continue
            backoff.reset()
            if report.store_changed:
                self.sig_rows_pulled.emit(report.pulled)
            if not self._online:
                # Back online. Otherwise a pull changes nothing the status
                # bar counts (pulled rows add no outbox entry, conflict or
                # sync run), and reading the counts would compete with the
                # screens' refresh for the store.
                self._report(True, None)


def describe_last_sync(moment: datetime | None) -> str:
    if moment is None:
        return translate("Sync", "never")
    from clinic.clock import NAIROBI

    return moment.astimezone(NAIROBI).strftime("%H:%M")
