"""HTTP to the central server: JSON in and out, the access token on every
request, one refresh on a 401, and errors a PC can act on.

Raises :class:`Unreachable` when the server cannot be reached, or
something else answers for it (the PC works on offline), and
:class:`ServerRefused` when it answered no (the message is the server's,
meant for staff).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import urllib.request
import uuid
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore
import httpx
import orjson

from sync.credentials import Tokens, TokenStore

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
LONG_POLL_MARGIN = 10.0
SERVER_DOWN = frozenset({500, 502, 503, 504})
"""What a proxy answers while the server behind it is down or slow, and the
server itself (as plain text) for a request its stopping cut off."""


class Unreachable(ConnectionError):
    """The server did not answer (no network, server down, timeout).
    ``status`` is the HTTP status of what answered in its place, if
    anything did."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def answered_instead(self) -> bool:
        """Something other than the clinic server answered, and not to say
        the server is down (:data:`SERVER_DOWN`): a Wi-Fi sign-in page, or
        another web server at a wrong address."""
        return self.status is not None and self.status not in SERVER_DOWN


class ServerRefused(Exception):
    """The server answered with an error; ``code`` is its machine-readable
    code (``unauthorized``, ``update_required``, ``device_reused`` ...)."""

    def __init__(self, status: int, code: str, message: str, fields: list[Any] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []


def _answer(response: httpx.Response, server_url: str) -> Any:
    """The clinic server's answer in ``response``: its JSON (None for an
    empty one), or :class:`ServerRefused` raised with its error. An answer
    in any other shape came from something else on the way (a proxy's
    error page while the server restarts, a Wi-Fi sign-in page or its
    redirect, a request cut off by a stopping server): the server was not
    reached, :class:`Unreachable` says so, and the PC works on offline and
    tries again as it does when the network is down."""
    try:
        answer: Any = orjson.loads(response.content) if response.content else None
        if response.is_success:
            return answer
        error = answer["error"]
        refusal = ServerRefused(
            response.status_code, error["code"], error["message"], error["fields"]
        )
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise Unreachable(
            f"The server at {server_url} did not answer (a proxy or hotspot on the way"
            f" answered HTTP {response.status_code})",
            response.status_code,
        ) from None
    raise refusal


class _CuttableSockets(httpcore.NetworkBackend):
    """httpcore's own sockets, each kept (weakly, the plain one and then its
    TLS one) so that :meth:`cut` can shut them down: a request waiting on
    one (a long-poll, for up to 25 s) then ends at once. Closing the client
    would not do it: a thread blocked reading a socket is not woken by
    another thread closing it. Once cut, a socket opened later is shut down
    as it is made."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._cut = False

    def keep(self, stream: httpcore.NetworkStream) -> httpcore.NetworkStream:
        sock = stream.get_extra_info("socket")
        if sock is not None:
            with self._lock:
                self._sockets.add(sock)
                cut = self._cut
            if cut:
                _shut(sock)
        return _KeptStream(stream, self)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return self.keep(
            self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Shut ``sock`` down both ways, waking a thread reading it. A TLS
    socket's own ``shutdown`` would also drop its TLS state under that
    thread: the plain socket's is called."""
    with contextlib.suppress(OSError):  # closed already
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _KeptStream(httpcore.NetworkStream):
    """A stream of :class:`_CuttableSockets`: its TLS stream, when it
    starts TLS, is kept too (the plain socket is then given up to it)."""

    def __init__(self, stream: httpcore.NetworkStream, sockets: _CuttableSockets) -> None:
        self._stream = stream
        self._sockets = sockets

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return self._sockets.keep(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _cuttable_transport(sockets: _CuttableSockets) -> httpx.HTTPTransport:
    """httpx's own transport (its limits, certificates as it checks them)
    over ``sockets``: httpx takes no network backend of its own, so its
    connection pool is given one."""
    http = httpx.HTTPTransport()
    http._pool._network_backend = sockets
    return http


class Transport:
    """One server, one device. Threads may share it (a pushing and a
    long-polling one); token refreshes are serialised."""

    def __init__(
        self,
        server_url: str,
        device_id: uuid.UUID,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.device_id = device_id
        self.tokens = TokenStore(device_id)
        self._refreshing = threading.Lock()
        # Behind a proxy the environment names (HTTPS_PROXY, NO_PROXY, the
        # system's), httpx's own transports as it chooses them (a transport
        # given turns them off), uncut.
        cuttable = transport is None and not urllib.request.getproxies()
        self._sockets = _CuttableSockets() if cuttable else None
        if self._sockets is not None:
            transport = _cuttable_transport(self._sockets)
        self._client = httpx.Client(base_url=self.server_url, timeout=TIMEOUT, transport=transport)

    def close(self) -> None:
        self._client.close()

    def abort(self) -> None:
        """End the requests in flight now, each raising :class:`Unreachable`
        (the app closing: its long-poll need not run its course). A request
        cut before its answer arrived changed nothing the PC has
        acknowledged: a push is applied once however often it is sent, a
        pull's page is written only once it has all arrived."""
        if self._sockets is not None:
            self._sockets.cut()

    def _send(
        self, method: str, path: str, body: Any, token: str | None, timeout: float | None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if isinstance(body, bytes):  # JSON already
            headers["Content-Type"] = "application/json"
            content, body = body, None
        else:
            content = None
        try:
            return self._client.request(
                method,
                path,
                content=content,
                json=body,
                headers=headers,
                timeout=TIMEOUT if timeout is None else httpx.Timeout(timeout, connect=5.0),
            )
        except httpx.TransportError as error:
            raise Unreachable(f"The server at {self.server_url} did not answer ({error})") from None

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        authenticated: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Send a request (``body`` as JSON, or bytes of JSON as they are)
        and return its JSON; with ``authenticated`` the device's access token
        goes along, refreshed once if it has expired."""
        tokens = self.tokens.load() if authenticated else None
        if authenticated and tokens is None:
            raise ServerRefused(401, "unauthorized", "Log in to the server on this PC first")
        response = self._send(method, path, body, tokens.access_token if tokens else None, timeout)
        if response.status_code == 401 and tokens is not None:
            tokens = self.refresh(tokens)
            response = self._send(method, path, body, tokens.access_token, timeout)
        # orjson: a first sync decodes some 190 MB of pages, three times as
        # fast as the json module and with shorter holds of the GIL.
        return _answer(response, self.server_url)

    def refresh(self, tokens: Tokens) -> Tokens:
        """New tokens for expired ``tokens``. Refresh tokens work once, so
        threads sharing this transport refresh one at a time, and one that
        finds the tokens already refreshed by another uses those."""
        with self._refreshing:
            current = self.tokens.reload()  # another process may have refreshed them
            if current is not None and current.access_token != tokens.access_token:
                return current
            response = self._send(
                "POST", "/api/auth/refresh", {"refresh_token": tokens.refresh_token}, None, None
            )
            answer = _answer(response, self.server_url)
            fresh = Tokens(**{k: answer[k] for k in ("access_token", "refresh_token")})
            self.tokens.save(fresh)
            return fresh

    def login(
        self,
        username: str,
        password: str,
        device_name: str | None = None,
        *,
        device_roles: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Log in online; the tokens go to the keyring. ``device_roles`` (an
        admin, at this device's first login) are the roles it is to serve.
        Returns the answer of ``/api/auth/me`` (the user, the device's branch)."""
        body: dict[str, Any] = {
            "username": username,
            "password": password,
            "device_id": str(self.device_id),
            "device_name": device_name,
        }
        if device_roles is not None:
            body["device_roles"] = list(device_roles)
        answer = self.call("POST", "/api/auth/login", body, authenticated=False)
        self.tokens.save(Tokens(answer["access_token"], answer["refresh_token"]))
        me: dict[str, Any] = self.call("GET", "/api/auth/me")
        me["must_change_password"] = answer["must_change_password"]
        return me

    def long_poll_timeout(self, wait_seconds: float) -> float:
        return wait_seconds + LONG_POLL_MARGIN
