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


# The last second formatted and its text up to the fraction: times are formatted in order, mostly
# many within one second. One tuple, replaced whole, so the store's thread and the event loop's
# may both read it.
_last_second: tuple[tuple[int, ...], str] = ((), "")


def second_prefix(utc: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.`` of a UTC time, the year always four digits (strftime's %Y is
    not, below 1000, on glibc). Made once per second: every Heartbeat and boot answer and every
    stored timestamp (each frame's message-log row) is formatted, at a third of strftime's cost."""
    global _last_second
    second = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
    cached, prefix = _last_second
    if second != cached:
        prefix = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.".format(*second)
        _last_second = (second, prefix)
    return prefix


def iso(dt: datetime) -> str:
    """RFC 3339 UTC with millisecond precision and a ``Z`` suffix (what stations parse best)."""
    # No conversion when the time is UTC already (the clock's always is): half the cost of
    # isoformat, which formats and then drops the offset each time.
    utc = dt if dt.tzinfo is UTC else dt.astimezone(UTC)
    return f"{second_prefix(utc)}{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an OCPP timestamp; a naive one is taken as UTC."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
