"""One HTTP(S) availability check: fetch a URL within a deadline and classify what happened."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol
from urllib.parse import urljoin

from monitor.ssrf import IPAddress, ResolutionFailed, SsrfGuard, Target, TargetRefused

Connector = Callable[[tuple[str, int], float], socket.socket]
Clock = Callable[[], float]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = "uptime-monitor/1.0"
_READ_CHUNK_BYTES = 64 * 1024


class Outcome(StrEnum):
    UP = "up"
    TIMEOUT = "timeout"
    DNS_FAILURE = "dns_failure"
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_RESET = "connection_reset"
    CONNECTION_ERROR = "connection_error"
    TLS_ERROR = "tls_error"
    INVALID_RESPONSE = "invalid_response"
    SERVER_ERROR = "server_error"
    UNEXPECTED_STATUS = "unexpected_status"
    KEYWORD_MISSING = "keyword_missing"
    KEYWORD_FOUND = "keyword_found"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Site:
    """What to check: a URL; optionally a keyword the body must contain, one it must not
    contain, and the accepted statuses (default: any 2xx)."""

    url: str
    keyword: str | None = None
    expected_statuses: frozenset[int] | None = None
    forbidden_keyword: str | None = None

    def accepts_status(self, status: int) -> bool:
        if self.expected_statuses is not None:
            return status in self.expected_statuses
        return 200 <= status < 300


@dataclass(frozen=True)
class CheckResult:
    url: str
    outcome: Outcome
    detail: str
    # Seconds from the start of the check to the final response's headers (as requests'
    # `elapsed`, but over all redirect hops); None when no response arrived.
    latency_seconds: float | None = None
    status_code: int | None = None
    # What a person reads in an alert: "timeout after 10 s", "status 503", "DNS failure".
    reason: str = ""
    # When the final hop's TLS certificate expires (https only).
    cert_expires_at: datetime | None = None

    @property
    def up(self) -> bool:
        return self.outcome is Outcome.UP

    @property
    def latency_ms(self) -> float | None:
        return None if self.latency_seconds is None else round(self.latency_seconds * 1000, 3)


class Checker(Protocol):
    def check(self, site: Site) -> CheckResult: ...


class ClosedMidResponse(http.client.HTTPException):
    """The server closed the connection before sending the whole body."""


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to a pre-validated address; Host header and SNI name the host."""

    def __init__(
        self,
        target: Target,
        deadline: _Deadline,
        open_socket: Callable[[tuple[IPAddress, ...], int, _Deadline], socket.socket],
        tls_context: ssl.SSLContext | None,
    ) -> None:
        super().__init__(target.host, target.port, timeout=deadline.remaining())
        self._deadline = deadline
        self._target = target
        self._open_socket = open_socket
        self._tls_context = tls_context
        self.cert_expires_at: datetime | None = None
        if tls_context is not None:
            self.default_port = 443

    def connect(self) -> None:
        # The watchdog cannot reach a socket before it is set on the connection, so connecting
        # and the TLS handshake are each bounded by what is left of the deadline.
        sock = self._open_socket(self._target.addresses, self._target.port, self._deadline)
        if self._tls_context is not None:
            try:
                # The handshake is bounded by the socket timeout as a whole (CPython's ssl module).
                sock.settimeout(self._deadline.remaining())
                sock = self._tls_context.wrap_socket(sock, server_hostname=self._target.host)
            except BaseException:
                sock.close()
                raise
            self.cert_expires_at = certificate_expiry(sock)
        self.sock = sock


def certificate_expiry(sock: ssl.SSLSocket) -> datetime | None:
    """When the peer's certificate expires; None when it was not verified (no details given)."""
    not_after = (sock.getpeercert() or {}).get("notAfter")
    if not isinstance(not_after, str):
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)


class _Watchdog:
    """Shuts the connection down at the deadline: a server dripping one byte at a time stays
    within every socket timeout, so only this bounds a whole check (the SSRF guard bounds the DNS
    lookup)."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.fired = False
        self._connection = connection
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self._connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown: it wakes a reader blocked in another thread,
                # TLS or not, without touching the TLS object that reader is using.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


@dataclass
class _Deadline:
    ends_at: float
    clock: Clock

    def remaining(self) -> float:
        left = self.ends_at - self.clock()
        if left <= 0:
            raise TimeoutError("check deadline exceeded")
        return left


@dataclass(frozen=True)
class _Response:
    status: int
    location: str | None
    latency_seconds: float
    body: bytes
    cert_expires_at: datetime | None = None


class HttpChecker:
    """Checks sites over http.client, following redirects; every hop passes the SSRF guard."""

    def __init__(
        self,
        guard: SsrfGuard,
        *,
        timeout_seconds: float,
        max_redirects: int = 5,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        tls_context: ssl.SSLContext | None = None,
        connect: Connector = socket.create_connection,
        clock: Clock = time.perf_counter,
    ) -> None:
        self._guard = guard
        self._timeout_seconds = timeout_seconds
        self._max_redirects = max_redirects
        self._max_body_bytes = max_body_bytes
        self._tls_context = tls_context or ssl.create_default_context()
        self._connect = connect
        self._clock = clock

    def check(self, site: Site) -> CheckResult:
        started = self._clock()
        deadline = _Deadline(started + self._timeout_seconds, self._clock)
        url = site.url
        for _hop in range(self._max_redirects + 1):
            try:
                target = self._guard.validate(url, timeout=deadline.remaining())
                response = self._fetch(target, deadline, started)
            except TargetRefused as error:
                return CheckResult(
                    site.url, Outcome.BLOCKED, str(error), reason=f"refused: {error.reason}"
                )
            except ResolutionFailed as error:
                return CheckResult(
                    site.url, Outcome.DNS_FAILURE, str(error), reason=f"DNS failure ({error})"
                )
            except (OSError, http.client.HTTPException) as error:
                outcome, detail = classify_error(error, url)
                reason = error_reason(outcome, error, self._timeout_seconds)
                return CheckResult(site.url, outcome, detail, reason=reason)
            if response.status in REDIRECT_STATUSES and response.location:
                url = urljoin(url, response.location)
                continue
            result = classify_response(
                site, response.status, response.body, response.latency_seconds
            )
            return replace(result, cert_expires_at=response.cert_expires_at)
        return CheckResult(
            site.url,
            Outcome.TOO_MANY_REDIRECTS,
            f"more than {self._max_redirects} redirects, last to {url!r}",
            reason=f"more than {self._max_redirects} redirects",
        )

    def post(self, url: str, body: bytes, content_type: str) -> int:
        """POSTs `body` to `url` through the same guard and deadline (no redirects followed);
        the response's status. Raises what a check would classify."""
        started = self._clock()
        deadline = _Deadline(started + self._timeout_seconds, self._clock)
        target = self._guard.validate(url, timeout=deadline.remaining())
        return self._fetch(target, deadline, started, body=body, content_type=content_type).status

    def _fetch(
        self,
        target: Target,
        deadline: _Deadline,
        started: float,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> _Response:
        tls_context = self._tls_context if target.scheme == "https" else None
        connection = _PinnedConnection(target, deadline, self._open_pinned_socket, tls_context)
        watchdog = _Watchdog(connection, deadline.remaining())
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            connection.request("GET" if body is None else "POST", target.path, body, headers)
            _set_socket_timeout(connection, deadline.remaining())
            response = connection.getresponse()
            latency = self._clock() - started
            location = response.getheader("Location")
            if response.status in REDIRECT_STATUSES and location:
                return _Response(response.status, location, latency, b"")
            content = self._read_body(connection, response, deadline)
            return _Response(
                response.status, location, latency, content, connection.cert_expires_at
            )
        except (OSError, http.client.HTTPException) as error:
            if watchdog.fired:
                raise TimeoutError("check deadline exceeded") from error
            raise
        finally:
            watchdog.cancel()
            connection.close()

    def _open_pinned_socket(
        self, addresses: tuple[IPAddress, ...], port: int, deadline: _Deadline
    ) -> socket.socket:
        """The first address that accepts; together the attempts stay within the deadline."""
        last_error: OSError = OSError("no address to connect to")
        for address in addresses:
            timeout = deadline.remaining()
            try:
                return self._connect((str(address), port), timeout)
            except OSError as error:
                last_error = error
        raise last_error

    def _read_body(
        self,
        connection: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        deadline: _Deadline,
    ) -> bytes:
        chunks: list[bytes] = []
        received = 0
        while received < self._max_body_bytes:
            _set_socket_timeout(connection, deadline.remaining())
            chunk = response.read1(min(_READ_CHUNK_BYTES, self._max_body_bytes - received))
            if not chunk:
                # read1 reports a premature close as end of body; the length left says so.
                if response.length:
                    raise ClosedMidResponse(f"{response.length} body bytes never arrived")
                break
            chunks.append(chunk)
            received += len(chunk)
        return b"".join(chunks)


def _set_socket_timeout(connection: http.client.HTTPConnection, seconds: float) -> None:
    if connection.sock is not None:
        connection.sock.settimeout(seconds)


def classify_error(error: BaseException, url: str) -> tuple[Outcome, str]:
    """The down outcome for an exception raised while fetching `url`, and a readable detail."""
    detail = f"{type(error).__name__} fetching {url!r}: {error}"
    if isinstance(error, TimeoutError):
        return Outcome.TIMEOUT, detail
    if isinstance(error, ssl.SSLError):
        return Outcome.TLS_ERROR, detail
    if isinstance(error, ConnectionRefusedError):
        return Outcome.CONNECTION_REFUSED, detail
    if isinstance(
        error,
        ConnectionResetError
        | ConnectionAbortedError
        | BrokenPipeError
        | http.client.IncompleteRead
        | ClosedMidResponse,
    ):
        return Outcome.CONNECTION_RESET, detail
    if isinstance(error, http.client.HTTPException):
        return Outcome.INVALID_RESPONSE, detail
    return Outcome.CONNECTION_ERROR, detail


_ERROR_REASONS = {
    Outcome.CONNECTION_REFUSED: "connection refused",
    Outcome.CONNECTION_RESET: "connection reset",
    Outcome.INVALID_RESPONSE: "invalid HTTP response",
}


def error_reason(outcome: Outcome, error: BaseException, timeout_seconds: float) -> str:
    """The short reason an alert gives for a check that raised `error`."""
    if outcome is Outcome.TIMEOUT:
        return f"timeout after {timeout_seconds:g} s"
    if outcome is Outcome.TLS_ERROR:
        return f"TLS error ({getattr(error, 'reason', None) or error})"
    return _ERROR_REASONS.get(outcome, f"connection error ({error})")


def classify_response(site: Site, status: int, body: bytes, latency_seconds: float) -> CheckResult:
    """Up only when the status is accepted, the keyword (if set) is in the body and the
    forbidden keyword (if set) is not."""

    def result(outcome: Outcome, detail: str, reason: str) -> CheckResult:
        return CheckResult(site.url, outcome, detail, latency_seconds, status, reason)

    if not site.accepts_status(status):
        outcome = Outcome.SERVER_ERROR if 500 <= status < 600 else Outcome.UNEXPECTED_STATUS
        return result(outcome, f"HTTP {status}", f"status {status}")
    searched = f"the first {len(body)} bytes"
    if site.keyword is not None and site.keyword.encode("utf-8") not in body:
        detail = f"keyword {site.keyword!r} not found in {searched}"
        return result(Outcome.KEYWORD_MISSING, detail, f"keyword {site.keyword!r} missing")
    forbidden = site.forbidden_keyword
    if forbidden is not None and forbidden.encode("utf-8") in body:
        detail = f"forbidden keyword {forbidden!r} found in {searched}"
        return result(Outcome.KEYWORD_FOUND, detail, f"keyword {forbidden!r} present")
    return result(Outcome.UP, f"HTTP {status}", f"status {status}")
