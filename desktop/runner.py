"""Database work off the GUI thread.

One worker thread runs every local-store call the screens make, one at a
time (SQLite has one writer); the result comes back to the GUI thread by a
queued signal and is handed to the callback there. Callbacks receive plain
data: the work function must not return ORM objects bound to a session.

The callbacks, and the work function itself, are kept on the GUI thread
until the answer is delivered: only a ticket number crosses to the worker
and back, so a widget a closure holds is never released on the worker
thread (Qt objects must die on the thread that owns them).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

Work = Callable[[], Any]
Handler = Callable[[Any], None]


class DbRunner(QObject):
    sig_finished = Signal(int, object, object)
    """(ticket, result, error): a submitted call ended; delivered on the GUI
    thread, where its callback or error handler runs."""

    def __init__(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        super().__init__()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clinic-db")
        self._on_error = on_error
        self._tickets: dict[int, tuple[Work, Handler, Handler | None]] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._closed = False
        self.sig_finished.connect(self._deliver)

    def submit(self, work: Work, on_done: Handler, on_error: Handler | None = None) -> None:
        """Run ``work`` on the database thread; then ``on_done(result)`` (or
        ``on_error(exception)``) on the GUI thread. After :meth:`shutdown`
        (the app is closing) nothing more runs."""
        if self._closed:
            return
        ticket = next(self._numbers)
        with self._lock:
            self._tickets[ticket] = (work, on_done, on_error or self._on_error)
        self._executor.submit(self._run, ticket)

    def _run(self, ticket: int) -> None:
        with self._lock:
            work = self._tickets[ticket][0]
        try:
            result = work()
        except BaseException as error:  # delivered to the GUI thread
            del work
            self.sig_finished.emit(ticket, None, error)
        else:
            del work
            self.sig_finished.emit(ticket, result, None)

    def _deliver(self, ticket: int, result: Any, error: BaseException | None) -> None:
        with self._lock:
            _work, on_done, on_error = self._tickets.pop(ticket)
        if error is None:
            on_done(result)
        elif on_error is not None:
            on_error(error)
        else:
            raise error

    def shutdown(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=True)
