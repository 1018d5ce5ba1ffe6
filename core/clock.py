"""Injected time and id sources, so handlers and snapshots are deterministic under test."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: starts at ``start`` and only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


IdFactory = Callable[[], str]


def uuid4_str() -> str:
    return str(uuid.uuid4())


# The last second formatted by iso() and its text up to the fraction (one tuple, replaced whole).
_last_second: tuple[tuple[int, ...], str] = ((), "")


def iso(dt: datetime) -> str:
    """RFC 3339 UTC with millisecond precision and a ``Z`` suffix (what stations parse best)."""
    # Every Heartbeat and boot answer carries one: no conversion when the time is UTC already
    # (the clock's always is), and the text up to the second made once per second — half the
    # cost of isoformat, which formats and then drops the offset each time.
    global _last_second
    utc = dt if dt.tzinfo is UTC else dt.astimezone(UTC)
    second = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
    cached, prefix = _last_second
    if second != cached:
        prefix = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.".format(*second)
        _last_second = (second, prefix)
    return f"{prefix}{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an OCPP timestamp; a naive one is taken as UTC."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
