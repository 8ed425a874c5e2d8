"""The central API application: routes, error shape, logs, metrics, health."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import uvicorn
from fastapi import Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from clinic.version import app_version
from server.callers import KnownCallers
from server.config import Settings
from server.database import Database
from server.deps import refuse_nul_in_url
from server.errors import install_error_handlers
from server.notifier import ChangeNotifier
from server.observability import Metrics, RequestMiddleware
from server.ratelimit import SlidingWindowLimiter
from server.routes import (
    admin,
    auth,
    billing,
    claims,
    conflicts,
    lab,
    patients,
    pharmacy,
    reports,
    visits,
)
from server.schemas import ErrorOut, HealthOut
from server.sync import routes as sync_routes
from server.sync.shared import AnswerSpacing, SharedPages


def create_app(settings: Settings, database: Database, *, notify: bool = True) -> FastAPI:
    """The API on a migrated database (see ``server.database``). With
    ``notify`` a background listener wakes long-polling pulls."""
    callers = KnownCallers(database)
    callers.watch(database.sessions)
    notifier = ChangeNotifier(database.conninfo(), callers) if notify else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if notifier is not None:
            notifier.start()
        yield
        if notifier is not None:
            notifier.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Seth Clinic central API",
        version=app_version(),
        responses={"default": {"model": ErrorOut, "description": "An error"}},
        dependencies=[Depends(refuse_nul_in_url)],
    )
    metrics = Metrics()
    app.state.settings = settings
    app.state.database = database
    app.state.metrics = metrics
    app.state.notifier = notifier
    app.state.callers = callers
    app.state.shared_pages = SharedPages()
    app.state.answer_spacing = AnswerSpacing(
        settings.answer_spacing_ms / 1000,
        settings.busy_answers_per_second,
        settings.most_answers_per_second,
    )
    app.state.started = time.monotonic()
    app.state.login_limiter = SlidingWindowLimiter(settings.login_rate_per_minute)
    install_error_handlers(app)
    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
    )
    routers = (
        auth.router,
        patients.router,
        visits.router,
        billing.router,
        claims.router,
        lab.router,
        pharmacy.router,
        reports.router,
        admin.router,
        conflicts.router,
    )
    # Sync first: the routes are tried in order, and the PCs' pushes and
    # pulls are most of the requests (matched past every other router, a
    # sync request cost 130 us of the server's CPU; first, 7 us).
    for router in (sync_routes.router, *routers):
        app.include_router(router)

    health_threads = anyio.CapacityLimiter(2)

    @app.get("/api/health", response_model=HealthOut, tags=["operations"])
    async def health(request: Request) -> HealthOut:
        """Whether the server and its database answer (no token needed). Its
        look at the database takes a thread of its own, not one of the
        requests' (thousands of PCs syncing do not hold it up)."""
        reachable = await anyio.to_thread.run_sync(
            _database_answers, request.app.state.database, limiter=health_threads
        )
        return HealthOut(
            status="ok" if reachable else "degraded",
            database=reachable,
            uptime_seconds=round(time.monotonic() - request.app.state.started, 3),
            version=app_version(),
        )

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _database_answers(database: Database) -> bool:
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


class ApiServer(uvicorn.Server):
    """uvicorn's server, for an app of :func:`create_app`: as it stops, the
    pulls waiting for a change are answered at once, before it waits for
    the requests in flight (``SHUTDOWN_GRACE_SECONDS``): a long-poll would
    otherwise run out its 25 s, or be cut off by the grace with a 500."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        notifier = getattr(getattr(self.config.app, "state", None), "notifier", None)
        if notifier is not None:
            notifier.release_waiting()
        await super().shutdown(sockets)
