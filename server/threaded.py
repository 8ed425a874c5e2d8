"""The API served by a real uvicorn on 127.0.0.1 in a thread of this
process: for the sync tests, the benchmarks and the screenshot script,
which need a real HTTP server next to the code that drives it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn

from server.app import ApiServer
from server.config import uvicorn_options

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ThreadedServer:
    """An ASGI app made by ``make_app`` on a free port; ``stop`` then
    ``start`` again is a server restart on the same port. Forwarded headers
    are believed only from ``trusted_proxies``, as in ``serve``."""

    def __init__(self, make_app: Callable[[], Any], trusted_proxies: tuple[str, ...] = ()) -> None:
        self.make_app = make_app
        self.trusted_proxies = trusted_proxies
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            self.make_app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            **uvicorn_options(self.trusted_proxies),
        )
        self._server = ApiServer(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=START_TIMEOUT)
        self._server = None
