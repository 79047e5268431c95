"""Which URLs and addresses a harvester may reach (server-side request forgery).

A harvest source is named by an administrator, but the provider it names answers with
redirects and DNS answers of its own choosing, and a run log that says "connection refused"
or "timed out" would map an internal network. So only http(s) URLs without credentials,
whitespace, control characters or odd IP notations (decimal, octal, hex, IPv4-mapped IPv6)
pass, and every address a host resolves to must be public: loopback, private, link-local,
shared, multicast, reserved and unspecified addresses are refused unless the operator
allows their network (``CATALOGUE_HARVEST_ALLOW_NETWORKS``). `harvest.transport` applies
the same policy to the address each connection actually dials and to every redirect.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from catalogue.errors import CatalogueError

from .errors import UnsafeURL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("http", "https")
SETTING = "CATALOGUE_HARVEST_ALLOW_NETWORKS"
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
#: Unicode categories refused anywhere in a URL: controls, invisible format characters, separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zs", "Zl", "Zp"})


def parse_networks(value: str | Iterable[str] | None) -> tuple[Network, ...]:
    """The networks of a setting: CIDRs separated by commas (or a list of them)."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    networks = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as error:
            raise CatalogueError(f"{SETTING}: {text!r} is not a network (write CIDRs such as 127.0.0.0/8 or "
                                 "10.1.2.3/32, separated by commas)") from error
    return tuple(networks)


def _embedded(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, Teredo or NAT64 address leads to."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def not_public(address: IPAddress) -> str | None:
    """What makes an address not public ("a loopback address" ...), None for a public one."""
    for kind, flag in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                       ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                       ("reserved", address.is_reserved), ("private", address.is_private)):
        if flag:
            return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return "a site-local address"
        inner = _embedded(address)
        if inner is not None and not_public(inner):
            return f"an IPv6 address leading to {inner}, {not_public(inner)}"
    if not address.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class NetworkPolicy:
    """The networks the operator allows beyond the public Internet (none by default)."""

    allowed: tuple[Network, ...] = ()

    @classmethod
    def from_setting(cls, value: str | Iterable[str] | None) -> NetworkPolicy:
        return cls(parse_networks(value))

    def check_address(self, address: str | IPAddress, host: str | None = None) -> IPAddress:
        """The address (of `host`, for the message), if a harvest may connect to it; UnsafeURL otherwise."""
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            raise UnsafeURL(f"{ip} is an IPv4-mapped IPv6 address; write the IPv4 address itself")
        if any(ip in network for network in self.allowed):
            return ip
        kind = not_public(ip)
        if kind:
            what = f"{host} resolves to {ip}, {kind}" if host else f"{ip} is {kind}"
            raise UnsafeURL(f"{what}; harvesting from it is refused (an operator can allow "
                            f"its network with {SETTING})")
        return ip

    def check_url(self, url: str) -> tuple[str, int]:
        """(host, port) of a URL a harvest may request; UnsafeURL says what is wrong with it.

        The host is checked as written: an IP literal must be allowed here, a name is
        resolved and checked later (`resolve`), when it is connected to.
        """
        if not isinstance(url, str) or not url:
            raise UnsafeURL("the URL is empty")
        if any(unicodedata.category(ch) in _INVISIBLE for ch in url):
            raise UnsafeURL(f"{url!r} contains whitespace or control characters")
        parts = urlsplit(url)
        if parts.scheme.lower() not in SCHEMES:
            raise UnsafeURL(f"{url!r} is not an http(s) URL")
        if "@" in parts.netloc:
            raise UnsafeURL(f"{url!r} carries credentials (user@host); they are not accepted in a harvest URL")
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError as error:
            raise UnsafeURL(f"{url!r} has an invalid port") from error
        host = parts.hostname or ""
        if not host:
            raise UnsafeURL(f"{url!r} has no host")
        if parts.netloc.startswith("["):
            self._check_ipv6_literal(host, url)
        else:
            self._check_host_name(host, url)
        return host, port

    def _check_ipv6_literal(self, host: str, url: str) -> None:
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError as error:
            raise UnsafeURL(f"{url!r}: [{host}] is not an IPv6 address") from error
        if address.scope_id:
            raise UnsafeURL(f"{url!r}: an IPv6 zone (%{address.scope_id}) is not accepted")
        self.check_address(address)

    def _check_host_name(self, host: str, url: str) -> None:
        try:
            ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError as error:
            raise UnsafeURL(f"{url!r}: {host!r} is not a valid host name") from error
        labels = ascii_host.removesuffix(".").split(".")
        if _NUMERIC.match(labels[-1]):  # an IPv4 address: only the plain dotted form
            try:
                address = ipaddress.IPv4Address(ascii_host)
            except ValueError:
                raise UnsafeURL(f"{url!r}: {host!r} is an IP address in an odd notation (decimal, octal, hex or "
                                "shortened); write it as four decimal numbers") from None
            self.check_address(address)
            return
        if not all(_LABEL.match(label) for label in labels):
            raise UnsafeURL(f"{url!r}: {host!r} is not a valid host name")

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host` a harvest may connect to; UnsafeURL (naming one refused) when
        there is none, socket.gaierror when the name does not resolve. Only these are dialled."""
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        allowed, refused = [], None
        for address in dict.fromkeys(str(info[4][0]) for info in infos):
            try:
                allowed.append(str(self.check_address(address, host)))
            except UnsafeURL as error:
                refused = refused or error
        if not allowed:
            raise refused or UnsafeURL(f"{host} has no address")
        return allowed

    def check_source(self, url: str, *, require_resolution: bool = True) -> None:
        """Check a source URL when it is registered: its form, then every address its host has
        now. A name that does not resolve is refused unless `require_resolution` is false."""
        host, port = self.check_url(url)
        try:
            self.resolve(host.strip("[]"), port)
        except socket.gaierror as error:
            if require_resolution:
                raise UnsafeURL(f"the host {host} could not be resolved ({error.strerror or error})") from error
