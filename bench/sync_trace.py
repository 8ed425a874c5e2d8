"""The central server with stage timestamps on its sync answers, for
``bench.run_sync``'s A-to-B breakdown.

    python -m bench.sync_trace serve --port P     (as ``python -m server serve``)

Runs the server's own ``serve`` command after hooking, in this process only,
the points a change passes on its way from one PC to another: each
``/api/sync/`` answer carries a ``X-Bench-Trace`` header, a JSON object of
``time.perf_counter()`` readings (CLOCK_MONOTONIC, the same clock in every
process of the machine, so the bench lines them up with its own):

- ``received``: the request reached the app (before authentication);
  ``authenticated``: its authentication's commit returned (a push: its
  caller known and its worker thread started);
- push: ``locked`` (the device's lock taken), ``applying`` (the first
  mutation applied), ``commit_start``,
  ``committed`` (the transaction's commit returned: the change is in the
  feed and PostgreSQL sends its NOTIFY);
- pull: ``notified`` (the process's LISTEN connection got the NOTIFY that
  woke this pull), ``woke`` (the waiting pull resumed on the event loop),
  ``read_start`` and ``read_end`` (the last read of the change feed, on
  its worker thread), ``feed_query_start`` and ``feed_query_end`` (its
  statement alone);
- ``sent``: the answer's headers left the app.

Nothing here changes what the server does; the hooks only read the clock.
"""

from __future__ import annotations

import contextvars
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRACE_HEADER = "x-bench-trace"
LOCK_STATEMENT = "SELECT pg_advisory_xact_lock("  # the push's device lock
FEED_STATEMENT = "page AS MATERIALIZED"  # the change feed's page query

_marks: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "bench_trace_marks", default=None
)


def mark(name: str) -> None:
    """Record ``name`` at this moment in the current request's marks (the
    request's context reaches the worker threads FastAPI runs it on)."""
    marks = _marks.get()
    if marks is not None:
        marks[name] = time.perf_counter()


class TraceMiddleware:
    """Outermost: gives each sync request its marks and sends them back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/sync/"):
            await self.app(scope, receive, send)
            return
        marks = {"received": time.perf_counter()}
        token = _marks.set(marks)

        async def traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                marks["sent"] = time.perf_counter()
                header = (TRACE_HEADER.encode(), json.dumps(marks).encode())
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, traced)
        finally:
            _marks.reset(token)


def _timed(function: Callable[..., Any], before: str | None, after: str | None) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if before:
            mark(before)
        try:
            return function(*args, **kwargs)
        finally:
            if after:
                mark(after)

    return wrapper


def install() -> None:
    """Hook the server's modules (before ``serve`` imports the app)."""
    import server.app
    import server.notifier
    import server.sync.routes as routes

    create_app = server.app.create_app

    def traced_app(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        app.add_middleware(TraceMiddleware)
        return app

    server.app.create_app = traced_app  # type: ignore[assignment]

    notifier_class = server.notifier.ChangeNotifier
    bump, wait = notifier_class._bump, notifier_class.wait
    last_bump = [0.0]

    def traced_bump(self: Any, *args: Any) -> None:
        last_bump[0] = time.perf_counter()
        bump(self, *args)

    async def traced_wait(self: Any, *args: Any) -> bool:
        moved = await wait(self, *args)
        marks = _marks.get()
        if marks is not None and moved:
            marks["notified"] = last_bump[0]
            marks["woke"] = time.perf_counter()
        return moved

    notifier_class._bump = traced_bump  # type: ignore[method-assign]
    notifier_class.wait = traced_wait  # type: ignore[method-assign]

    routes._push = _timed(routes._push, "authenticated", None)  # type: ignore[attr-defined]
    routes._read_page_alone = _timed(routes._read_page_alone, "read_start", "read_end")  # type: ignore[attr-defined]
    push_batch = routes.push_batch

    def traced_push_batch(*args: Any, **kwargs: Any) -> Any:
        marks = _marks.get()
        if marks is not None and "applying" not in marks:
            marks["applying"] = time.perf_counter()
        return push_batch(*args, **kwargs)

    routes.push_batch = traced_push_batch
    event.listen(Session, "before_commit", lambda _session: mark("commit_start"))
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Engine, "before_cursor_execute", _before_statement)
    event.listen(Engine, "after_cursor_execute", _after_statement)


def _after_commit(_session: Session) -> None:
    marks = _marks.get()
    if marks is not None:
        # The first commit of a request is its authentication's.
        marks.setdefault("authenticated", time.perf_counter())
    mark("committed")


def _before_statement(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if FEED_STATEMENT in statement:
        mark("feed_query_start")


def _after_statement(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if statement.startswith(LOCK_STATEMENT):
        mark("locked")
    elif FEED_STATEMENT in statement:
        mark("feed_query_end")


def main(argv: list[str] | None = None) -> int:
    install()
    from server.cli import main as server_main

    return server_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
