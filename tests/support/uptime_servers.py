"""Loopback HTTP(S) servers for the uptime monitor tests: fast, slow, failing and gated routes."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import socketserver
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast

LOOPBACK = "127.0.0.1"
HOLD_LIMIT_SECONDS = 5.0

Route = Callable[["RequestHandler"], None]


@dataclass
class RequestLog:
    host_headers: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    # Bodies of POST requests, in order.
    bodies: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set when a client closed its connection while a route was still sending.
    hung_up: threading.Event = field(default_factory=threading.Event)

    def record(self, host: str, path: str) -> None:
        with self.lock:
            self.host_headers.append(host)
            self.paths.append(path)


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, routes: dict[str, Route]) -> None:
        super().__init__((LOOPBACK, 0), RequestHandler)
        self.routes = routes
        self.log = RequestLog()
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return self.server_address[1]


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def loopback_server(self) -> LoopbackHTTPServer:
        return cast(LoopbackHTTPServer, self.server)

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.loopback_server.log.record(self.headers.get("Host", ""), self.path)
        route = self.loopback_server.routes.get(self.path.split("?", 1)[0], not_found)
        route(self)

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.loopback_server.log.lock:
            self.loopback_server.log.bodies.append(body)
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        pass

    def send_body(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True


def not_found(handler: RequestHandler) -> None:
    handler.send_body(404, b"not found")


def respond(status: int, body: bytes = b"ok") -> Route:
    return lambda handler: handler.send_body(status, body)


def redirect(location: str, status: int = 302) -> Route:
    def route(handler: RequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        handler.close_connection = True

    return route


def slow(hold_seconds: float = HOLD_LIMIT_SECONDS) -> Route:
    """Answers only after hold_seconds, or when the server stops, whichever is first."""

    def route(handler: RequestHandler) -> None:
        handler.loopback_server.stopping.wait(hold_seconds)
        handler.send_body(200, b"late")

    return route


def truncated_body(handler: RequestHandler) -> None:
    """Promises 100 bytes, sends 10, closes."""
    handler.send_response(200)
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    handler.wfile.write(b"0123456789")
    handler.wfile.flush()
    handler.close_connection = True


def reset_before_response(handler: RequestHandler) -> None:
    """Aborts the connection with a TCP reset before any response byte."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True


class ConcurrencyGate:
    """A route that holds each request until `release_at` are in flight at once.

    It records the peak number in flight. Once released, requests pass at once; the first
    released ones wait up to `overflow_grace` seconds for an extra request to show up, so an
    unbounded client is caught even though a bounded one never waits on timing to pass.
    """

    def __init__(
        self,
        release_at: int,
        hold_limit: float = HOLD_LIMIT_SECONDS,
        overflow_grace: float = 0.1,
    ) -> None:
        self.release_at = release_at
        self.hold_limit = hold_limit
        self.overflow_grace = overflow_grace
        self.in_flight = 0
        self.peak = 0
        self.released = False
        self._condition = threading.Condition()

    def __call__(self, handler: RequestHandler) -> None:
        with self._condition:
            held = not self.released
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if self.in_flight >= self.release_at:
                self.released = True
            self._condition.notify_all()
            self._condition.wait_for(lambda: self.released, timeout=self.hold_limit)
            if held:
                self._condition.wait_for(
                    lambda: self.in_flight > self.release_at, timeout=self.overflow_grace
                )
        try:
            handler.send_body(200, b"gate")
        finally:
            with self._condition:
                self.in_flight -= 1
                self._condition.notify_all()


@contextmanager
def serve(
    routes: dict[str, Route], tls_context: ssl.SSLContext | None = None
) -> Iterator[LoopbackHTTPServer]:
    server = LoopbackHTTPServer(routes)
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    with _running(server):
        yield server


class LoopbackTCPServer(socketserver.ThreadingTCPServer):
    """Hands each raw connection to `behaviour(connection, stopping)`; records hang-ups."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, behaviour: Callable[[socket.socket, threading.Event], None]) -> None:
        self.behaviour = behaviour
        self.stopping = threading.Event()
        self.hung_up = threading.Event()
        super().__init__((LOOPBACK, 0), _RawHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]


class _RawHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server = cast(LoopbackTCPServer, self.server)
        try:
            server.behaviour(self.request, server.stopping)
        except OSError:
            server.hung_up.set()


@contextmanager
def serve_tcp(
    behaviour: Callable[[socket.socket, threading.Event], None],
) -> Iterator[LoopbackTCPServer]:
    server = LoopbackTCPServer(behaviour)
    with _running(server):
        yield server


@contextmanager
def _running(server: LoopbackHTTPServer | LoopbackTCPServer) -> Iterator[None]:
    """Serve on a background thread until the block ends, then stop and wait for it."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def refused_port() -> int:
    """A loopback port with nothing listening: bound, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class TlsMaterial:
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext
    server_names: list[str]
    not_after: datetime.datetime


def self_signed_tls(
    hostname: str, directory: Path, valid_for: datetime.timedelta = datetime.timedelta(hours=1)
) -> TlsMaterial:
    """A certificate for `hostname` valid from 5 minutes ago for `valid_for`, a server context
    presenting it and a client trusting it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    not_after = now + valid_for
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_names: list[str] = []
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)

    def remember_sni(_socket: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        server_names.append(server_name or "")

    server_context.sni_callback = remember_sni  # type: ignore[assignment]
    client_context = ssl.create_default_context(cafile=str(cert_path))
    return TlsMaterial(server_context, client_context, server_names, not_after)
