"""SSRF guard: decides whether a URL may be fetched, and pins the addresses it may be fetched from.

Callers connect only to `Target.addresses`, the addresses that were validated, so a second DNS
lookup (and DNS rebinding between check and use) cannot send the request elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[IPAddress]]

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048

_HOSTNAME = re.compile(r"^[a-z0-9_.-]+$")
_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64_PREFIXES = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# Names that mean this machine (RFC 6761) or a cloud metadata service, whatever DNS says.
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")
_METADATA_NAMES = ("metadata.google.internal", "instance-data", "instance-data.ec2.internal")


class TargetRefused(ValueError):
    """The URL, or an address its host resolves to, must not be fetched."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused {url!r}: {reason}")
        self.url = url
        self.reason = reason


class ResolutionFailed(Exception):
    """The host name did not resolve: the site is unreachable, not forbidden."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"cannot resolve {host!r}: {reason}")
        self.host = host


@dataclass(frozen=True)
class ParsedUrl:
    url: str
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class Target(ParsedUrl):
    """A URL that passed the guard, with the only addresses it may be fetched from."""

    addresses: tuple[IPAddress, ...]


def parse_target_url(url: str) -> ParsedUrl:
    """Checks the URL's syntax (no DNS): http or https, a host, no credentials, a valid port."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(url[:80] + "...", f"URL longer than {MAX_URL_LENGTH} characters")
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise TargetRefused(url, "URL contains whitespace or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise TargetRefused(url, f"scheme {parts.scheme!r} is not http or https")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(url, "credentials in the URL are not allowed")
    host = _normalized_host(url, parts)
    port = _port(url, parts, scheme)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return ParsedUrl(url=url, scheme=scheme, host=host, port=port, path=path)


def _normalized_host(url: str, parts: SplitResult) -> str:
    host = parts.hostname
    if not host:
        raise TargetRefused(url, "URL has no host")
    if ":" in host:
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise TargetRefused(url, f"host {host!r} is not a valid name: {error}") from error
    if not _HOSTNAME.match(ascii_host):
        raise TargetRefused(url, f"host {host!r} is not a valid name")
    return ascii_host


def _port(url: str, parts: SplitResult, scheme: str) -> int:
    try:
        port = parts.port
    except ValueError as error:
        raise TargetRefused(url, f"invalid port: {error}") from error
    if port == 0:
        raise TargetRefused(url, "port 0 is not a valid port")
    return port if port is not None else DEFAULT_PORTS[scheme]


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, including legacy IPv4 forms (127.1, 0x7f000001)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host or not re.fullmatch(r"[0-9a-fx.]+", host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def name_refusal(host: str, *, allow_loopback: bool = False) -> str | None:
    """Why a host name must not be contacted whatever it resolves to, or None."""
    if host in _METADATA_NAMES:
        return f"cloud metadata host name {host}"
    if (host in _LOOPBACK_NAMES or host.endswith(".localhost")) and not allow_loopback:
        return f"loopback host name {host}"
    return None


def static_refusal(url: str) -> str | None:
    """Why the URL is refused before any DNS lookup: its syntax, a refused host name or a
    refused literal address. None when only the runtime lookup can tell. Deploy-time
    validation of monitored sites and the runtime guard share these rules."""
    try:
        parsed = parse_target_url(url)
    except TargetRefused as error:
        return error.reason
    literal = literal_address(parsed.host)
    if literal is not None:
        return refusal_reason(literal)
    return name_refusal(parsed.host)


def resolve_with_getaddrinfo(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver returns for the host, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64) and may reach."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    embedded: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if any(address in prefix for prefix in _NAT64_PREFIXES):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def refusal_reason(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why the address must not be contacted, or None when it is a public address."""
    for inner in embedded_ipv4(address):
        inner_reason = refusal_reason(inner, allow_loopback=False)
        if inner_reason is not None:
            return f"{address} embeds {inner_reason}"
    if address.is_loopback:
        return None if allow_loopback else f"loopback address {address}"
    if address.is_unspecified:
        return f"unspecified address {address}"
    if address.is_link_local:
        return f"link-local address {address} (cloud metadata lives here)"
    if address.is_multicast:
        return f"multicast address {address}"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE:
        return f"shared address space (100.64.0.0/10) address {address}"
    if address.is_reserved:
        return f"reserved address {address}"
    if address.is_private:
        return f"private address {address}"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return f"site-local address {address}"
    if not address.is_global:
        return f"non-global address {address}"
    return None


# getaddrinfo has no timeout of its own: a lookup that must respect a deadline runs here and is
# abandoned (left to finish in the background) when the deadline comes first.
_LOOKUPS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="dns-lookup")


class SsrfGuard:
    """Validates a URL and every address its host resolves to; refuses internal targets."""

    def __init__(
        self, *, allow_loopback: bool = False, resolver: Resolver = resolve_with_getaddrinfo
    ) -> None:
        # allow_loopback exists for tests that run target servers on 127.0.0.1; never in Lambda.
        self.allow_loopback = allow_loopback
        self._resolver = resolver

    def validate(self, url: str, timeout: float | None = None) -> Target:
        """The target, its host resolved within `timeout` seconds (None: no limit)."""
        parsed = parse_target_url(url)
        name_reason = name_refusal(parsed.host, allow_loopback=self.allow_loopback)
        if name_reason is not None:
            raise TargetRefused(url, name_reason)
        addresses = self._addresses(parsed, timeout)
        for address in addresses:
            reason = refusal_reason(address, allow_loopback=self.allow_loopback)
            if reason is not None:
                raise TargetRefused(url, reason)
        return Target(**asdict(parsed), addresses=addresses)

    def _addresses(self, parsed: ParsedUrl, timeout: float | None) -> tuple[IPAddress, ...]:
        literal = literal_address(parsed.host)
        if literal is not None:
            return (literal,)
        try:
            resolved = tuple(self._resolve(parsed, timeout))
        except (OSError, UnicodeError) as error:
            raise ResolutionFailed(parsed.host, str(error)) from error
        if not resolved:
            raise ResolutionFailed(parsed.host, "no addresses")
        return resolved

    def _resolve(self, parsed: ParsedUrl, timeout: float | None) -> Sequence[IPAddress]:
        if timeout is None:
            return self._resolver(parsed.host, parsed.port)
        lookup = _LOOKUPS.submit(self._resolver, parsed.host, parsed.port)
        if not wait([lookup], timeout=timeout).done:
            raise ResolutionFailed(parsed.host, f"no answer within {timeout:g} s")
        return lookup.result()
