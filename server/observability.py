"""JSON logs with a request id on every line, Prometheus metrics, and the
request body limit: plain ASGI middleware around the app."""

from __future__ import annotations

import contextvars
import json
import logging
import time
import traceback
import uuid
from types import TracebackType
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import StatementError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
logger = logging.getLogger("seth_clinic.server")

_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _exception_line(error: BaseException) -> str:
    if isinstance(error, StatementError | psycopg.Error):
        origin = error.orig if isinstance(error, StatementError) else error
        sqlstate = getattr(origin, "sqlstate", None) or "unknown"
        name = f"{type(error).__module__}.{type(error).__qualname__}"
        return f"{name}: a database error, SQLSTATE {sqlstate} (its text is not logged)\n"
    return "".join(traceback.format_exception_only(type(error), error))


def safe_traceback(error: BaseException) -> str:
    """``error``'s traceback as Python prints it, causes first, except that
    the text of a database error is left out: it carries SQL, constraint
    names and values (a failing row with a password hash, clinical text),
    so only its class and SQLSTATE are shown."""
    parts: list[str] = []
    seen: set[int] = set()

    def add(current: BaseException) -> None:
        seen.add(id(current))
        cause, context = current.__cause__, current.__context__
        if cause is not None and id(cause) not in seen:
            add(cause)
            parts.append(_CAUSE)
        elif context is not None and not current.__suppress_context__ and id(context) not in seen:
            add(context)
            parts.append(_CONTEXT)
        if current.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(current.__traceback__))
        parts.append(_exception_line(current))

    add(error)
    return "".join(parts).rstrip("\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; an exception's traceback goes through
    :func:`safe_traceback`, whoever logged it (uvicorn logs what escapes
    the app)."""

    def formatException(
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        error = ei[1]
        return safe_traceback(error) if error is not None else ""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = name != "uvicorn.access"


class Metrics:
    """The server's Prometheus metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "seth_http_requests_total",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "seth_http_request_seconds",
            "HTTP request latency by route",
            ["route", "method"],
            registry=self.registry,
        )


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestMiddleware:
    """Gives every request an id (``X-Request-ID`` if sent, else a new one),
    logs one JSON line per request, counts it, and refuses bodies over the
    limit with 413 before the app reads them."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        cut_short: list[bool] = []

        async def send_from_app(message: Message) -> None:
            # FastAPI answers a body it could not read with a 400 of its own;
            # when the limit cut the body short, the 413 below replaces it.
            if not cut_short:
                await send_with_id(message)

        try:
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                await self._too_large(send_with_id, request_id)
                return
            await self.app(scope, self._limited(receive, cut_short), send_from_app)
            if cut_short:
                await self._too_large(send_with_id, request_id)
        except BodyTooLarge:
            await self._too_large(send_with_id, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope)
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route, scope["method"]).observe(elapsed)
            logger.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    }
                },
            )
            request_id_var.reset(token)

    def _limited(self, receive: Receive, cut_short: list[bool]) -> Receive:
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    cut_short.append(True)
                    raise BodyTooLarge
            return message

        return limited

    async def _too_large(self, send: Send, request_id: str) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "body_too_large",
                    "message": f"The request body is over {self.max_body_bytes} bytes",
                    "fields": [],
                },
                "request_id": request_id,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass
