"""The login guard's arithmetic with a hand-driven clock (the e2e tests drive the real gateway)."""

from __future__ import annotations

import pytest

from core.gateway import guard as guard_module
from core.gateway.guard import LoginGuard, address_key


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_the_window_slides_and_says_how_long_to_wait() -> None:
    clock = Clock()
    guard = LoginGuard(per_identity=3, per_address=100, window=60, now=clock)
    for step in range(3):
        assert guard.stranger_wait("CS", "192.0.2.1") == 0
        guard.failed("CS", "192.0.2.1", known=False)
        clock.t += 10 * (step + 1)  # failures at 1000, 1010, 1030
    assert clock.t == 1060
    assert guard.stranger_wait("CS", "192.0.2.99") == pytest.approx(0.0)  # the first has aged out
    guard.failed("CS", "192.0.2.1", known=False)  # 1010, 1030, 1060
    assert guard.stranger_wait("CS", "192.0.2.99") == pytest.approx(10.0)
    clock.t += 10
    assert guard.stranger_wait("CS", "192.0.2.99") == 0


def test_known_pairs_strangers_and_addresses_are_separate_budgets() -> None:
    guard = LoginGuard(per_identity=2, per_address=5, now=Clock())
    guard.failed("CS", "192.0.2.1", known=True)
    guard.failed("CS", "192.0.2.1", known=True)
    assert guard.known_wait("CS", "192.0.2.1") > 0
    assert guard.known_wait("CS", "192.0.2.2") == 0
    assert guard.stranger_wait("CS", "192.0.2.1") == 0  # known failures spend no stranger budget
    for _ in range(5):
        guard.failed(None, "198.51.100.1", known=False)  # unknown ids: the address only
    assert guard.stranger_wait("OTHER", "198.51.100.1") > 0
    assert guard.stranger_wait("OTHER", "198.51.100.2") == 0
    assert guard.known_wait("OTHER", "198.51.100.1") == 0


def test_an_ipv6_host_counts_per_64() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("192.0.2.7") == "192.0.2.7"
    guard = LoginGuard(per_identity=100, per_address=2, now=Clock())
    guard.failed(None, "2001:db8:1:2::1", known=False)
    guard.failed(None, "2001:db8:1:2::2", known=False)
    assert guard.stranger_wait(None, "2001:db8:1:2::3") > 0


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard_module, "_MAX_BUCKETS", 50)
    guard = LoginGuard(per_identity=1, per_address=1000, now=Clock())
    for n in range(500):
        guard.failed(f"CS{n}", "192.0.2.1", known=False)
    assert guard.buckets() <= 101  # strangers (50) + the address (1) + known (50 at most)
    assert guard.stranger_wait("CS499", "192.0.2.2") > 0  # the most recent are kept
