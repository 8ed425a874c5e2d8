"""Database work off the GUI thread.

One worker thread runs every local-store call the screens make, one at a
time (SQLite has one writer); the result comes back to the GUI thread by a
queued signal and is handed to the callback there. Callbacks receive plain
data: the work function must not return ORM objects bound to a session.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal


class DbRunner(QObject):
    sig_finished = Signal(object, object, object)
    """(callback, result, error): a submitted call ended; delivered on the
    GUI thread, where the callback or the error handler runs."""

    def __init__(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        super().__init__()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clinic-db")
        self._on_error = on_error
        self.sig_finished.connect(self._deliver)

    def submit(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run ``work`` on the database thread; then ``on_done(result)`` (or
        ``on_error(exception)``) on the GUI thread."""
        future = self._executor.submit(work)

        def finished(done: Future[Any]) -> None:
            error = done.exception()
            handler = (on_error or self._on_error) if error is not None else on_done
            self.sig_finished.emit(handler, None if error else done.result(), error)

        future.add_done_callback(finished)

    def _deliver(self, handler: Any, result: Any, error: BaseException | None) -> None:
        if handler is None:
            if error is not None:
                raise error
            return
        handler(error if error is not None else result)

    def call_now(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` on the database thread and wait for it (for start-up
        and tests only: it blocks the caller)."""
        return self._executor.submit(work).result()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
