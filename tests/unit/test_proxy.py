"""Which address a forwarding header may name, and when it is believed."""

from __future__ import annotations

from core.gateway.proxy import Peer, ProxyResolver


class _Headers:
    """Repeated, case-insensitive header lines, as aiohttp hands them over."""

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self.pairs = pairs

    def getall(self, key: str, default: list[str]) -> list[str]:
        found = [value for name, value in self.pairs if name.lower() == key.lower()]
        return found or default


def _headers(*pairs: tuple[str, str]) -> _Headers:
    return _Headers(pairs)


def test_x_forwarded_for_from_trusted_proxies_only() -> None:
    resolver = ProxyResolver(["10.0.0.0/8"])
    xff = _headers(("X-Forwarded-For", "6.6.6.6, 203.0.113.5, 10.1.1.1"))
    assert resolver.resolve("10.0.0.2", xff) == Peer("203.0.113.5")  # the rightmost non-proxy
    assert resolver.resolve("192.0.2.1", xff) == Peer("192.0.2.1")  # a station's own claim
    assert ProxyResolver([]).resolve("10.0.0.2", xff) == Peer("10.0.0.2")
    # Several header lines are one list, in order.
    split = _headers(("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.6"))
    assert resolver.resolve("10.0.0.2", split) == Peer("203.0.113.6")
    assert resolver.resolve("10.0.0.2", _headers()) == Peer("10.0.0.2")


def test_unusable_hops_stop_the_walk() -> None:
    resolver = ProxyResolver(["10.0.0.1"])
    assert resolver.resolve("10.0.0.1", _headers(("X-Forwarded-For", "1.2.3.4, junk"))) == Peer(
        "10.0.0.1"
    )
    assert resolver.resolve("10.0.0.1", _headers(("X-Forwarded-For", "192.0.2.9:5555"))) == Peer(
        "192.0.2.9"
    )


def test_x_forwarded_proto() -> None:
    resolver = ProxyResolver(["10.0.0.1"])
    headers = _headers(("X-Forwarded-For", "192.0.2.9"), ("X-Forwarded-Proto", "https"))
    assert resolver.resolve("10.0.0.1", headers) == Peer("192.0.2.9", forwarded_https=True)
    assert resolver.resolve("192.0.2.1", headers) == Peer("192.0.2.1", forwarded_https=False)


def test_rfc7239_forwarded() -> None:
    resolver = ProxyResolver(["10.0.0.1", "10.0.0.2"], header="forwarded")
    headers = _headers(
        ("Forwarded", 'for=6.6.6.6;proto=https, for="[2001:db8::1]:4711";proto=https'),
        ("Forwarded", "for=10.0.0.2;proto=http"),
    )
    assert resolver.resolve("10.0.0.1", headers) == Peer("2001:db8::1", forwarded_https=True)
    obfuscated = _headers(("Forwarded", "for=_hidden;proto=https"))
    assert resolver.resolve("10.0.0.1", obfuscated) == Peer("10.0.0.1")
    # The other header is not read when this one is configured.
    xff = _headers(("X-Forwarded-For", "203.0.113.1"))
    assert resolver.resolve("10.0.0.1", xff) == Peer("10.0.0.1")
