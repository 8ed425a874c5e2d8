"""The sync transport's HTTP: through the proxy the environment names, and
its requests in flight cut when the app closes, over TLS as over plain
HTTP (the plain case with a real server: tests/sync/test_desktop.py)."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import socketserver
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from sync.transport import ServerRefused, Transport, Unreachable

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class _Proxy(socketserver.StreamRequestHandler):
    """Answers every request with ``answer`` (an HTTP response as bytes),
    keeping its request line: a proxy, or whatever stands between the PC
    and the clinic server."""

    seen: list[str]
    answer: bytes

    def handle(self) -> None:
        self.seen.append(self.rfile.readline().decode().strip())
        while self.rfile.readline() not in (b"\r\n", b""):
            pass
        self.wfile.write(self.answer)


def _response(status: str, body: bytes = b"", *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


BAD_GATEWAY = _response("502 Bad Gateway")


@contextlib.contextmanager
def _answering(answer: bytes) -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Proxy", (_Proxy,), {"seen": seen, "answer": answer})
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
        server.shutdown()


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    with _answering(BAD_GATEWAY) as answering:
        yield answering


def test_requests_go_through_the_proxy_the_environment_names(
    no_proxy: None, proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    transport = Transport("http://central.clinic.example", uuid.uuid4())
    with pytest.raises(Unreachable, match="answered HTTP 502"):
        transport.call("GET", "/api/health", authenticated=False)
    assert seen == ["GET http://central.clinic.example/api/health HTTP/1.1"]


NGINX_PAGE = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>\r\n"
SIGN_IN_PAGE = b"<html><body><form>Buy Wi-Fi bundles: enter your M-Pesa number</form></html>"


@pytest.mark.parametrize(
    ("status", "body", "header"),
    [
        # nginx while the API restarts behind it
        ("502 Bad Gateway", NGINX_PAGE, "Content-Type: text/html"),
        # uvicorn cutting a request its shutdown grace did not cover
        ("500 Internal Server Error", b"Internal Server Error", "Content-Type: text/plain"),
        # a Wi-Fi hotspot's sign-in page, as a redirect and in place of the answer
        ("302 Found", b"", "Location: http://hotspot.example/login"),
        ("200 OK", SIGN_IN_PAGE, "Content-Type: text/html"),
        # a proxy's own refusal (a body larger than it lets through)
        ("413 Request Entity Too Large", NGINX_PAGE, "Content-Type: text/html"),
    ],
    ids=["nginx-502", "uvicorn-cut-500", "hotspot-redirect", "hotspot-page", "proxy-413"],
)
def test_an_answer_not_the_servers_is_the_server_unreachable(
    no_proxy: None, status: str, body: bytes, header: str
) -> None:
    """Not a refusal shown with a page's HTML, nor a crash on its text: the
    PC works on offline and tries again, as when the network is down."""
    with _answering(_response(status, body, header)) as (url, seen):
        transport = Transport(url, uuid.uuid4())
        with pytest.raises(Unreachable) as unreachable:
            transport.call("POST", "/api/sync/pull", {"cursor": None}, authenticated=False)
        transport.close()
    code = status.split()[0]
    assert str(unreachable.value) == (
        f"The server at {url} did not answer (a proxy or hotspot on the way answered HTTP {code})"
    )
    assert unreachable.value.status == int(code)
    # A proxy's 502 and uvicorn's 500 say the server is down; the others
    # came from something else.
    assert unreachable.value.answered_instead == (code not in {"500", "502"})
    assert seen == ["POST /api/sync/pull HTTP/1.1"]


def test_the_servers_own_error_is_its_refusal(no_proxy: None) -> None:
    """A 5xx in the server's own shape is the server's answer: its words."""
    error = {"code": "internal", "message": "Something went wrong on the server", "fields": []}
    body = orjson.dumps({"error": error, "request_id": "r"})
    answer = _response("500 Internal Server Error", body, "Content-Type: application/json")
    with _answering(answer) as (url, _seen):
        transport = Transport(url, uuid.uuid4())
        with pytest.raises(ServerRefused) as refused:
            transport.call("GET", "/api/health", authenticated=False)
        transport.close()
    assert (refused.value.status, refused.value.code, refused.value.message) == (
        500,
        "internal",
        "Something went wrong on the server",
    )


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_abort_cuts_a_request_waiting_over_tls(
    no_proxy: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that takes the request and never answers (a long-poll):
    ``abort`` ends it at once, as Unreachable, where it would wait 30 s."""
    cert_file, key_file = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    asked = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        connection, _ = listener.accept()
        tls = context.wrap_socket(connection, server_side=True)
        held.append(tls)
        tls.recv(4096)
        asked.set()  # and no answer

    threading.Thread(target=serve, daemon=True).start()
    transport = Transport(f"https://127.0.0.1:{listener.getsockname()[1]}", uuid.uuid4())
    ended: list[BaseException] = []

    def request() -> None:
        try:
            transport.call("GET", "/api/sync/pull", authenticated=False)
        except Unreachable as gone:
            ended.append(gone)

    waiting = threading.Thread(target=request)
    waiting.start()
    assert asked.wait(10)
    cut_at = time.monotonic()
    transport.abort()
    waiting.join(10)
    assert len(ended) == 1
    assert time.monotonic() - cut_at < 5
    listener.close()
