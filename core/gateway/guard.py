"""How many failed logins the gateway allows, and to whom.

Two aims pull against each other: password guessing must stay slow, and nobody may lock a real
station out by failing on purpose under its name (CVE-2026-24445 is the first; a plain
per-identity lockout is the second's bug). The rule that serves both:

- Every station has **known addresses**: where it logged in successfully in the last
  ``REMEMBER`` (kept in the store, so a restart forgets nothing). An attempt from one of them
  spends only the budget of that (station, address) pair. Failures anywhere else never touch it,
  so a correct credential from where the station lives is always checked and accepted.
- Every other address is a **stranger** to that station: all strangers together get
  ``per_identity`` failed guesses per window for it. Guessing one station's password is bounded
  whatever the number of addresses an attacker has.
- An address that fails a lot (many ids, unknown ids) is limited to ``per_address`` failures
  per window, but only for attempts where it is a stranger — stations behind the same NAT that
  have logged in before are not its neighbour's hostages.

What remains: a station's very first login (it has no known address yet) competes with
strangers for the stranger budget, and an attacker behind the station's own NAT address shares
that address's budget. Both are documented in the README. Windows slide; memory is bounded
(least recently used buckets go first, IPv6 addresses count per /64 for the address limit).
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW = 60.0
REMEMBER_DAYS = 90
_MAX_BUCKETS = 200_000


class _Buckets:
    """Failure times per key within the window; the least recently used key is dropped first."""

    def __init__(self, limit: int, window: float, now: Callable[[], float]) -> None:
        self.limit, self.window, self._now = limit, window, now
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float] | None:
        q = self._failures.get(key)
        if q is None:
            return None
        cutoff = self._now() - self.window
        while q and q[0] <= cutoff:
            q.popleft()
        if not q:
            del self._failures[key]
            return None
        return q

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        q = self._recent(key)
        if q is None or len(q) < self.limit:
            return 0.0
        return max(0.0, q[len(q) - self.limit] + self.window - self._now())

    def fail(self, key: str) -> None:
        q = self._recent(key)
        if q is None:
            q = self._failures[key] = deque(maxlen=self.limit)
        self._failures.move_to_end(key)
        q.append(self._now())
        while len(self._failures) > _MAX_BUCKETS:
            self._failures.popitem(last=False)

    def __len__(self) -> int:
        return len(self._failures)


def address_key(address: str) -> str:
    """The unit of the per-address limit: an IPv4 address, or the /64 of an IPv6 one (a single
    host usually holds a whole /64, so counting its addresses one by one would not bound it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class LoginGuard:
    def __init__(
        self,
        per_identity: int = 10,
        per_address: int = 30,
        window: float = WINDOW,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._strangers = _Buckets(per_identity, window, now)  # key: station id
        self._known = _Buckets(per_identity, window, now)  # key: station id + address
        self._addresses = _Buckets(per_address, window, now)  # key: address_key()

    def known_wait(self, station_id: str, address: str) -> float:
        """Seconds before this (station, known address) pair may try again; the pair only has
        failures if the address was known when they happened, so no lookup is needed here."""
        return self._known.wait(f"{station_id}\0{address}")

    def stranger_wait(self, station_id: str | None, address: str) -> float:
        """Seconds before a stranger to ``station_id`` (None: an id nobody has) may try again."""
        wait = self._addresses.wait(address_key(address))
        if station_id is not None:
            wait = max(wait, self._strangers.wait(station_id))
        return wait

    def failed(self, station_id: str | None, address: str, known: bool) -> None:
        if known and station_id is not None:
            self._known.fail(f"{station_id}\0{address}")
            return
        if station_id is not None:
            self._strangers.fail(station_id)
        self._addresses.fail(address_key(address))

    def buckets(self) -> int:
        return len(self._strangers) + len(self._known) + len(self._addresses)
