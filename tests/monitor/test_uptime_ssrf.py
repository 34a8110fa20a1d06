"""The SSRF guard decides on URLs and addresses alone: nothing here opens a connection."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from monitor.ssrf import (
    IPAddress,
    ResolutionFailed,
    SsrfGuard,
    TargetRefused,
    literal_address,
    resolve_with_getaddrinfo,
    static_refusal,
)

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"

NAMES: dict[str, list[str]] = {
    "localhost": ["127.0.0.1", "::1"],
    "public.test": [PUBLIC_V4, PUBLIC_V6],
    "mixed.test": [PUBLIC_V4, "10.1.2.3"],
    "rebind-to-metadata.test": ["169.254.169.254"],
}


def fake_resolver(host: str, port: int) -> list[IPAddress]:
    if host not in NAMES:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} is not known to this test")
    return [ipaddress.ip_address(address) for address in NAMES[host]]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the guard must not touch the network: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


GUARD_REFUSALS = [
    ("http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254"),
    ("http://127.0.0.1/", "loopback address 127.0.0.1"),
    ("http://127.1/", "loopback address 127.0.0.1"),
    ("http://0x7f000001/", "loopback address 127.0.0.1"),
    ("http://2130706433/", "loopback address 127.0.0.1"),
    ("http://017700000001/", "loopback address 127.0.0.1"),
    ("http://localhost:8080/", "loopback host name localhost"),
    ("http://app.localhost/", "loopback host name app.localhost"),
    ("http://metadata.google.internal/", "cloud metadata host name metadata.google.internal"),
    ("http://[::1]/", "loopback address ::1"),
    ("http://[::ffff:127.0.0.1]/", "embeds loopback address 127.0.0.1"),
    ("http://[::ffff:169.254.169.254]/", "embeds link-local address 169.254.169.254"),
    ("http://10.0.0.1/", "private address 10.0.0.1"),
    ("http://172.16.5.4/", "private address 172.16.5.4"),
    ("http://192.168.1.1/", "private address 192.168.1.1"),
    ("http://100.64.0.1/", "shared address space (100.64.0.0/10) address 100.64.0.1"),
    ("http://[fe80::1]/", "link-local address fe80::1"),
    ("http://[fd00:ec2::254]/", "private address fd00:ec2::254"),
    ("http://0.0.0.0/", "unspecified address 0.0.0.0"),
    ("http://[::]/", "unspecified address ::"),
    ("http://224.0.0.1/", "multicast address 224.0.0.1"),
    ("http://[ff02::1]/", "multicast address ff02::1"),
    ("http://240.0.0.1/", "reserved address 240.0.0.1"),
    ("http://[64:ff9b::a9fe:a9fe]/", "embeds link-local address 169.254.169.254"),
    ("http://[2002:a00:1::1]/", "embeds private address 10.0.0.1"),
    ("http://mixed.test/", "private address 10.1.2.3"),
    ("http://rebind-to-metadata.test/", "link-local address 169.254.169.254"),
    ("ftp://example.com/file", "scheme 'ftp' is not http or https"),
    ("file:///etc/passwd", "scheme 'file' is not http or https"),
    ("gopher://public.test/", "scheme 'gopher' is not http or https"),
    ("public.test", "scheme '' is not http or https"),
    ("", "scheme '' is not http or https"),
    ("http:///path", "URL has no host"),
    ("http://user:secret@public.test/", "credentials in the URL are not allowed"),
    ("http://public.test:99999/", "invalid port"),
    ("http://127.0.0.1 x/", "whitespace or control characters"),
    ("http://exa mple.test/", "whitespace or control characters"),
]


@pytest.mark.parametrize(("url", "reason"), GUARD_REFUSALS)
def test_guard_refuses(url: str, reason: str):
    guard = SsrfGuard(resolver=fake_resolver)

    with pytest.raises(TargetRefused) as refused:
        guard.validate(url)

    assert reason in refused.value.reason
    assert repr(url) in str(refused.value) or len(url) > 80


def test_static_rules_refuse_what_the_guard_refuses_without_a_lookup():
    """The deploy-time check of monitored sites: every refusal the guard makes from the URL
    alone (syntax, names, literal addresses) is made the same way, with the same reason."""
    without_dns = [
        case
        for case in GUARD_REFUSALS
        if not case[0].split("//")[-1].startswith(("mixed.", "rebind-"))
    ]

    for url, reason in without_dns:
        refusal = static_refusal(url)
        assert refusal is not None and reason in refusal, url


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        f"http://{PUBLIC_V4}:8080/x",
        f"http://[{PUBLIC_V6}]/",
        "http://mixed.test/",
    ],
)
def test_static_rules_leave_public_and_unresolved_names_to_the_runtime_guard(url: str):
    assert static_refusal(url) is None


def test_guard_allows_public_addresses_and_pins_every_one():
    target = SsrfGuard(resolver=fake_resolver).validate("https://Public.test/status?x=1")

    assert target.host == "public.test"
    assert target.port == 443
    assert target.path == "/status?x=1"
    assert target.addresses == (ipaddress.ip_address(PUBLIC_V4), ipaddress.ip_address(PUBLIC_V6))


def test_guard_allows_public_literal_without_a_lookup():
    def no_lookup(host: str, port: int) -> list[IPAddress]:
        raise AssertionError(f"unexpected lookup of {host}")

    target = SsrfGuard(resolver=no_lookup).validate(f"http://{PUBLIC_V4}:8080/")

    assert target.addresses == (ipaddress.ip_address(PUBLIC_V4),)
    assert target.port == 8080


def test_allow_loopback_admits_only_loopback():
    guard = SsrfGuard(allow_loopback=True, resolver=fake_resolver)

    assert guard.validate("http://127.0.0.1:8000/").addresses == (
        ipaddress.ip_address("127.0.0.1"),
    )
    assert len(guard.validate("http://localhost/").addresses) == 2
    for url in ("http://169.254.169.254/", "http://10.0.0.1/", "http://[::ffff:127.0.0.1]/"):
        with pytest.raises(TargetRefused):
            guard.validate(url)


def test_loopback_is_refused_by_default():
    assert SsrfGuard().allow_loopback is False


def test_unresolvable_name_is_a_resolution_failure_not_a_refusal():
    with pytest.raises(ResolutionFailed) as failed:
        SsrfGuard(resolver=fake_resolver).validate("http://unknown.test/")

    assert "unknown.test" in str(failed.value)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("::1", "::1"),
        ("example.com", None),
        ("cafe", None),
    ],
)
def test_literal_address_reads_legacy_ipv4_forms(host: str, expected: str | None):
    address = literal_address(host)

    assert (None if address is None else str(address)) == expected


def test_system_resolver_returns_addresses_for_a_numeric_host():
    # A numeric host is answered by getaddrinfo itself: no DNS traffic.
    assert resolve_with_getaddrinfo("127.0.0.1", 80) == [ipaddress.ip_address("127.0.0.1")]
