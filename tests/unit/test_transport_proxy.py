"""A clinic behind a web proxy: the sync transport sends through the proxy
its environment names (``HTTP_PROXY``), as httpx does by default."""

from __future__ import annotations

import socketserver
import threading
import uuid
from collections.abc import Iterator

import pytest

from sync.transport import ServerRefused, Transport


class _Proxy(socketserver.StreamRequestHandler):
    """Answers every request 502, keeping its request line."""

    seen: list[str]

    def handle(self) -> None:
        self.seen.append(self.rfile.readline().decode().strip())
        while self.rfile.readline() not in (b"\r\n", b""):
            pass
        self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Proxy", (_Proxy,), {"seen": seen})
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
        server.shutdown()


def test_requests_go_through_the_proxy_the_environment_names(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    transport = Transport("http://central.clinic.example", uuid.uuid4())
    with pytest.raises(ServerRefused) as refused:
        transport.call("GET", "/api/health", authenticated=False)
    assert refused.value.status == 502
    assert seen == ["GET http://central.clinic.example/api/health HTTP/1.1"]
