"""The check engine against real HTTP(S) servers on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from monitor.checks import HttpChecker, Outcome, Site
from monitor.ssrf import IPAddress, SsrfGuard

from tests.support.uptime_servers import (
    LoopbackHTTPServer,
    RequestHandler,
    redirect,
    refused_port,
    reset_before_response,
    respond,
    self_signed_tls,
    serve,
    serve_tcp,
    slow,
    truncated_body,
)


class LoopbackOnlyConnector:
    """Opens real connections, but only to loopback, and records every address it was asked for."""

    def __init__(self) -> None:
        self.addresses: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], timeout: float) -> socket.socket:
        self.addresses.append(address)
        assert ipaddress.ip_address(address[0]).is_loopback, f"tried to connect to {address}"
        return socket.create_connection(address, timeout)


class FakeResolver:
    """Resolves only the names it was given; any other lookup fails the test."""

    def __init__(self, names: dict[str, Sequence[str]] | None = None) -> None:
        self.names = {
            name: [ipaddress.ip_address(a) for a in addrs] for name, addrs in (names or {}).items()
        }
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.lookups.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not known to this test")
        return self.names[host]


def make_checker(
    connector: LoopbackOnlyConnector,
    resolver: FakeResolver | None = None,
    *,
    timeout_seconds: float = 3.0,
    max_redirects: int = 5,
    allow_loopback: bool = True,
    **kwargs: object,
) -> HttpChecker:
    guard = SsrfGuard(allow_loopback=allow_loopback, resolver=resolver or FakeResolver())
    return HttpChecker(
        guard,
        timeout_seconds=timeout_seconds,
        max_redirects=max_redirects,
        connect=connector,
        **kwargs,  # type: ignore[arg-type]
    )


def trickle_body(handler: RequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "10")
    handler.end_headers()
    for digit in b"0123456789":
        handler.wfile.write(bytes([digit]))
        handler.wfile.flush()
        if handler.loopback_server.stopping.wait(0.1):
            return


def drip(handler: RequestHandler) -> None:
    """Sends a byte every 20 ms, each well within a socket timeout, for at most 5 s."""
    handler.close_connection = True
    for _ in range(250):
        if handler.loopback_server.stopping.wait(0.02):
            return
        try:
            handler.wfile.write(b"z")
            handler.wfile.flush()
        except OSError:
            handler.loopback_server.log.hung_up.set()
            return


def drip_headers(handler: RequestHandler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    drip(handler)


def drip_long_body(handler: RequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    drip(handler)


@pytest.fixture
def connector() -> LoopbackOnlyConnector:
    return LoopbackOnlyConnector()


@pytest.fixture
def server() -> Iterator[LoopbackHTTPServer]:
    routes = {
        "/ok": respond(200, b"<html>Welcome to the shop</html>"),
        "/error": respond(500, b"boom"),
        "/missing": respond(404, b"nope"),
        "/slow": slow(),
        "/trickle": trickle_body,
        "/drip-headers": drip_headers,
        "/drip-body": drip_long_body,
        "/truncated": truncated_body,
        "/reset": reset_before_response,
        "/hop1": redirect("/hop2", 301),
        "/hop2": redirect("/hop3", 307),
        "/hop3": redirect("/ok", 308),
        "/loop": redirect("/loop"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-private": redirect("http://10.0.0.7/admin"),
    }
    with serve(routes) as running:
        yield running


def url(server: LoopbackHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def test_fast_200_is_up_with_latency(server: LoopbackHTTPServer, connector: LoopbackOnlyConnector):
    result = make_checker(connector).check(Site(url(server, "/ok")))

    assert result.outcome is Outcome.UP
    assert result.up
    assert result.status_code == 200
    assert result.latency_seconds is not None and 0 < result.latency_seconds < 3.0
    assert result.latency_ms == round(result.latency_seconds * 1000, 3)


def test_response_slower_than_timeout_is_down_by_timeout(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    result = make_checker(connector, timeout_seconds=0.3).check(Site(url(server, "/slow")))

    assert result.outcome is Outcome.TIMEOUT
    assert result.latency_seconds is None


def test_body_trickling_past_the_deadline_is_down_by_timeout(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    result = make_checker(connector, timeout_seconds=0.3).check(Site(url(server, "/trickle")))

    assert result.outcome is Outcome.TIMEOUT


@pytest.mark.parametrize("path", ["/drip-headers", "/drip-body"])
def test_slow_drip_cannot_outlast_the_deadline(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector, path: str
):
    # Each byte arrives well within any socket timeout; only a deadline for the whole check
    # ends it, by hanging up while the server is still sending (which it notices).
    result = make_checker(connector, timeout_seconds=0.3).check(Site(url(server, path)))

    assert result.outcome is Outcome.TIMEOUT, result.detail
    assert server.log.hung_up.wait(timeout=5)


def drip_tls_handshake(connection: socket.socket, stopping: threading.Event) -> None:
    """Announces a 16 KiB TLS handshake record, then sends it a byte every 20 ms (at most 5 s)."""
    connection.recv(4096)
    connection.sendall(b"\x16\x03\x03\x40\x00")
    for _ in range(250):
        if stopping.wait(0.02):
            return
        connection.sendall(b"\x00")


def test_slow_tls_handshake_cannot_outlast_the_deadline(connector: LoopbackOnlyConnector):
    with serve_tcp(drip_tls_handshake) as tls_server:
        result = make_checker(connector, timeout_seconds=0.3).check(
            Site(f"https://127.0.0.1:{tls_server.port}/")
        )
        hung_up = tls_server.hung_up.wait(timeout=5)

    assert result.outcome is Outcome.TIMEOUT, result.detail
    assert hung_up


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class UnansweredConnector:
    """Every attempt takes the whole timeout it is given (on a fake clock), then times out."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.timeouts: list[float] = []

    def __call__(self, address: tuple[str, int], timeout: float) -> socket.socket:
        self.timeouts.append(timeout)
        self.clock.now += timeout
        raise TimeoutError(f"connecting to {address} timed out")


def test_connecting_to_several_unanswering_addresses_stays_within_the_deadline():
    clock = FakeClock()
    connector = UnansweredConnector(clock)
    resolver = FakeResolver({"many.test": ["127.0.0.2", "127.0.0.3", "127.0.0.4"]})
    guard = SsrfGuard(allow_loopback=True, resolver=resolver)
    checker = HttpChecker(guard, timeout_seconds=3.0, connect=connector, clock=clock)

    result = checker.check(Site("http://many.test/"))

    assert result.outcome is Outcome.TIMEOUT, result.detail
    assert connector.timeouts == [3.0]
    assert clock.now == 3.0


def test_tls_handshake_after_a_slow_connect_gets_only_what_is_left_of_the_deadline():
    clock = FakeClock()

    def slow_connect(address: tuple[str, int], timeout: float) -> socket.socket:
        clock.now += 2.9  # the connect used up 2.9 s of the 3 s deadline
        return socket.create_connection(address, timeout)

    with serve_tcp(drip_tls_handshake) as tls_server:
        checker = make_checker(slow_connect, timeout_seconds=3.0, clock=clock)  # type: ignore[arg-type]
        started = time.monotonic()
        result = checker.check(Site(f"https://127.0.0.1:{tls_server.port}/"))
        elapsed = time.monotonic() - started

    assert result.outcome is Outcome.TIMEOUT, result.detail
    assert elapsed < 1.5


def test_500_is_down_by_server_error(server: LoopbackHTTPServer, connector: LoopbackOnlyConnector):
    result = make_checker(connector).check(Site(url(server, "/error")))

    assert result.outcome is Outcome.SERVER_ERROR
    assert result.status_code == 500
    assert not result.up


def test_404_is_an_unexpected_status_unless_expected(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    checker = make_checker(connector)

    default = checker.check(Site(url(server, "/missing")))
    expected = checker.check(Site(url(server, "/missing"), expected_statuses=frozenset({404})))

    assert default.outcome is Outcome.UNEXPECTED_STATUS
    assert default.status_code == 404
    assert expected.outcome is Outcome.UP


def test_refused_port_is_down_by_refused_connection(connector: LoopbackOnlyConnector):
    result = make_checker(connector).check(Site(f"http://127.0.0.1:{refused_port()}/"))

    assert result.outcome is Outcome.CONNECTION_REFUSED


def test_connection_closed_mid_body_is_down_by_reset(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    result = make_checker(connector).check(Site(url(server, "/truncated")))

    assert result.outcome is Outcome.CONNECTION_RESET
    assert "never arrived" in result.detail


def test_connection_reset_before_response_is_down_by_reset(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    result = make_checker(connector).check(Site(url(server, "/reset")))

    assert result.outcome is Outcome.CONNECTION_RESET


def test_redirect_chain_within_limit_is_followed(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    result = make_checker(connector, max_redirects=3).check(Site(url(server, "/hop1")))

    assert result.outcome is Outcome.UP
    assert server.log.paths == ["/hop1", "/hop2", "/hop3", "/ok"]


def test_redirect_chain_longer_than_limit_is_down(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    chain = make_checker(connector, max_redirects=2).check(Site(url(server, "/hop1")))
    loop = make_checker(connector, max_redirects=4).check(Site(url(server, "/loop")))

    assert chain.outcome is Outcome.TOO_MANY_REDIRECTS
    assert loop.outcome is Outcome.TOO_MANY_REDIRECTS
    assert server.log.paths.count("/loop") == 5
    assert "/ok" not in server.log.paths


def test_keyword_in_body_is_up_and_missing_keyword_is_down(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    checker = make_checker(connector)

    found = checker.check(Site(url(server, "/ok"), keyword="Welcome"))
    missing = checker.check(Site(url(server, "/ok"), keyword="Out of stock"))

    assert found.outcome is Outcome.UP
    assert missing.outcome is Outcome.KEYWORD_MISSING
    assert missing.status_code == 200


def test_https_to_a_plain_http_port_is_down_by_tls_error(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    result = make_checker(connector).check(Site(f"https://127.0.0.1:{server.port}/ok"))

    assert result.outcome is Outcome.TLS_ERROR


def test_https_uses_the_host_name_for_sni_and_host_header_while_connecting_to_pinned_ip(
    tmp_path: Path, connector: LoopbackOnlyConnector
):
    tls = self_signed_tls("monitored.test", tmp_path)
    resolver = FakeResolver({"monitored.test": ["127.0.0.1"]})
    with serve({"/ok": respond(200)}, tls_context=tls.server_context) as tls_server:
        checker = make_checker(connector, resolver, tls_context=tls.client_context)
        result = checker.check(Site(f"https://monitored.test:{tls_server.port}/ok"))

    assert result.outcome is Outcome.UP, result.detail
    assert tls.server_names == ["monitored.test"]
    assert tls_server.log.host_headers == [f"monitored.test:{tls_server.port}"]
    assert connector.addresses == [("127.0.0.1", tls_server.port)]
    assert resolver.lookups == ["monitored.test"]


def test_untrusted_certificate_is_down_by_tls_error(
    tmp_path: Path, connector: LoopbackOnlyConnector
):
    tls = self_signed_tls("monitored.test", tmp_path)
    resolver = FakeResolver({"monitored.test": ["127.0.0.1"]})
    with serve({"/ok": respond(200)}, tls_context=tls.server_context) as tls_server:
        result = make_checker(connector, resolver).check(
            Site(f"https://monitored.test:{tls_server.port}/ok")
        )

    assert result.outcome is Outcome.TLS_ERROR
    assert "CERTIFICATE_VERIFY_FAILED" in result.detail


def test_unresolvable_host_is_down_by_dns_failure_without_connecting(
    connector: LoopbackOnlyConnector,
):
    result = make_checker(connector).check(Site("http://unknown-subdomain.example.test/"))

    assert result.outcome is Outcome.DNS_FAILURE
    assert "unknown-subdomain.example.test" in result.detail
    assert connector.addresses == []


def test_http_connects_to_the_validated_address_with_one_lookup(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    resolver = FakeResolver({"monitored.test": ["127.0.0.1"]})

    result = make_checker(connector, resolver).check(
        Site(f"http://monitored.test:{server.port}/ok")
    )

    assert result.outcome is Outcome.UP
    assert resolver.lookups == ["monitored.test"]
    assert connector.addresses == [("127.0.0.1", server.port)]
    assert server.log.host_headers == [f"monitored.test:{server.port}"]


@pytest.mark.parametrize(
    ("path", "refused_address"),
    [("/to-metadata", "169.254.169.254"), ("/to-private", "10.0.0.7")],
)
def test_redirect_to_an_internal_address_is_refused_without_connecting(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector, path: str, refused_address: str
):
    result = make_checker(connector).check(Site(url(server, path)))

    assert result.outcome is Outcome.BLOCKED
    assert refused_address in result.detail
    assert connector.addresses == [("127.0.0.1", server.port)]


def test_loopback_target_is_refused_without_connecting_when_loopback_is_not_allowed(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    result = make_checker(connector, allow_loopback=False).check(Site(url(server, "/ok")))

    assert result.outcome is Outcome.BLOCKED
    assert "loopback address 127.0.0.1" in result.detail
    assert connector.addresses == []
    assert server.log.paths == []


def test_a_resolver_that_never_answers_cannot_outlast_the_deadline():
    release = threading.Event()
    answered = threading.Event()

    def hung_resolver(host: str, port: int) -> list[IPAddress]:
        release.wait(timeout=10)
        answered.set()
        return [ipaddress.ip_address("192.0.2.10")]  # never contacted: the check has given up

    checker = HttpChecker(SsrfGuard(resolver=hung_resolver), timeout_seconds=0.2)
    try:
        result = checker.check(Site("https://hung-dns.test/"))
        # The check returned while the lookup was still hanging, and said why.
        assert not answered.is_set()
        assert result.outcome is Outcome.DNS_FAILURE
        assert "no answer within" in result.detail
    finally:
        release.set()


@pytest.mark.parametrize(
    ("site", "reason"),
    [
        (Site("/slow"), "timeout after 0.5 s"),
        (Site("/error"), "status 500"),
        (Site("/missing"), "status 404"),
        (Site("/reset"), "connection reset"),
        (Site("/truncated"), "connection reset"),
        (Site("/loop"), "more than 5 redirects"),
        (Site("/ok", keyword="Out of stock"), "keyword 'Out of stock' missing"),
        (Site("/ok", forbidden_keyword="Welcome"), "keyword 'Welcome' present"),
        (Site("/ok"), "status 200"),
        (
            Site("/to-metadata"),
            "refused: link-local address 169.254.169.254 (cloud metadata lives here)",
        ),
    ],
)
def test_every_result_says_why_in_a_few_words(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector, site: Site, reason: str
):
    checker = make_checker(connector, timeout_seconds=0.5)

    result = checker.check(replace(site, url=url(server, site.url)))

    assert result.reason == reason


def test_refused_connection_and_unresolvable_names_say_so(connector: LoopbackOnlyConnector):
    checker = make_checker(connector, FakeResolver({}))

    refused = checker.check(Site(f"http://127.0.0.1:{refused_port()}/"))
    unresolved = checker.check(Site("http://nowhere.test/"))

    assert refused.reason == "connection refused"
    assert unresolved.reason.startswith("DNS failure (cannot resolve 'nowhere.test'")


def test_a_forbidden_keyword_absent_from_the_body_is_up(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    result = make_checker(connector).check(Site(url(server, "/ok"), forbidden_keyword="Error"))

    assert result.outcome is Outcome.UP


def test_https_check_reports_when_the_certificate_expires(
    tmp_path: Path, connector: LoopbackOnlyConnector
):
    tls = self_signed_tls("monitored.test", tmp_path, valid_for=timedelta(days=3))
    resolver = FakeResolver({"monitored.test": ["127.0.0.1"]})
    with serve({"/ok": respond(200)}, tls_context=tls.server_context) as tls_server:
        checker = make_checker(connector, resolver, tls_context=tls.client_context)
        result = checker.check(Site(f"https://monitored.test:{tls_server.port}/ok"))

    assert result.up, result.detail
    # The certificate's notAfter has one-second resolution.
    assert result.cert_expires_at == tls.not_after.replace(microsecond=0)


def test_plain_http_has_no_certificate_expiry(
    server: LoopbackHTTPServer, connector: LoopbackOnlyConnector
):
    assert make_checker(connector).check(Site(url(server, "/ok"))).cert_expires_at is None
