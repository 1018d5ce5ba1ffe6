"""A station's address and scheme behind reverse proxies the operator trusts.

Behind a TLS-terminating proxy every station's TCP peer is the proxy, so the login limits
(core/gateway/guard.py) and the logs would see one address for all. A configured proxy's
forwarding header names the real one. Only the header of a *configured* proxy counts — any
station can send one — and in a chain of proxies the address is the rightmost hop that is not
itself a trusted proxy (the hops left of it were written by the client and prove nothing).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("[^"]*"|[^;,\s]*)', re.IGNORECASE)
_PROTO = re.compile(r'(?:^|;)\s*proto\s*=\s*("[^"]*"|[^;,\s]*)', re.IGNORECASE)


class Headers(Protocol):
    """The slice of aiohttp's header multidict used here (a header may occur several times)."""

    def getall(self, key: str, default: list[str]) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Peer:
    address: str
    forwarded_https: bool = False  # a trusted proxy terminated TLS for this connection


def _host(node: str) -> str | None:
    """An RFC 7239 node or an X-Forwarded-For entry → the bare IP address, or None."""
    node = node.strip().strip('"')
    if node.startswith("["):  # "[2001:db8::1]:4711"
        node = node[1 : node.find("]")] if "]" in node else ""
    elif node.count(":") == 1:  # "192.0.2.43:1234"
        node = node.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(node))
    except ValueError:
        return None  # "unknown", an obfuscated identifier, garbage


def _unquote(value: str) -> str:
    return value.strip().strip('"').lower()


class ProxyResolver:
    def __init__(self, trusted: Sequence[str], header: str = "x-forwarded-for") -> None:
        self.trusted: list[Network] = [ipaddress.ip_network(n, strict=False) for n in trusted]
        self.header = header

    def _is_trusted(self, address: str | None) -> bool:
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def _hops(self, headers: Headers) -> tuple[list[str], list[str]]:
        """The hops left to right, and the scheme each was reached by (as far as known)."""
        if self.header == "forwarded":
            elements = [e for v in headers.getall("Forwarded", []) for e in v.split(",")]
            hops = [m.group(1) if (m := _FOR.search(e)) else "" for e in elements]
            protos = [_unquote(m.group(1)) if (m := _PROTO.search(e)) else "" for e in elements]
            return hops, protos
        hops = [h for v in headers.getall("X-Forwarded-For", []) for h in v.split(",")]
        # The TLS-terminating proxy sets it; if several wrote it, the last word is the nearest's.
        proto = ",".join(headers.getall("X-Forwarded-Proto", [])).split(",")[-1]
        return hops, [_unquote(proto)] * len(hops)

    def resolve(self, peer: str, headers: Headers) -> Peer:
        if not self.trusted or not self._is_trusted(peer):
            return Peer(peer)
        hops, protos = self._hops(headers)
        address = peer
        https = False
        for hop, proto in zip(reversed(hops), reversed(protos), strict=True):
            host = _host(hop)
            if host is None:
                break  # an unusable hop: the last trusted party is all we know
            address, https = host, proto == "https"
            if not self._is_trusted(host):
                break
        return Peer(address, https)
