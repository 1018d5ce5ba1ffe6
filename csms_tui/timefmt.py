"""How the console writes a moment: always UTC — the zone stations, logs and the API use — and
always labelled, in a column title or beside the value, so nobody reads it as local time."""

from __future__ import annotations

from datetime import UTC, datetime

ZONE = "UTC"


def clock(at: datetime | None) -> str:
    """``09:35:00`` (in a column whose title says UTC), ``-`` for none."""
    return "-" if at is None else f"{at.astimezone(UTC):%H:%M:%S}"


def clock_ms(at: datetime) -> str:
    """``09:35:00.123`` for message times."""
    return f"{at.astimezone(UTC):%H:%M:%S.%f}"[:-3]


def moment(at: datetime | None) -> str:
    """``2026-03-14 09:35:00 UTC`` where no column title carries the zone."""
    return "-" if at is None else f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} {ZONE}"


def day_minute(at: datetime) -> str:
    """``2026-03-14 09:35`` (in a column whose title says UTC)."""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M}"


def day_ms(at: datetime) -> str:
    """``2026-03-14 09:35:00.123`` for stored messages (in a column whose title says UTC)."""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"[:-3]


def moment_ms(at: datetime) -> str:
    """``2026-03-14 09:35:00.123 UTC``: a message's time where no column title says the zone."""
    return f"{day_ms(at)} {ZONE}"
