"""iso(): the time stations are told, RFC 3339 UTC with milliseconds and a Z."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from core.clock import iso, parse_iso

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
_INSTANTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES
)


def test_the_format() -> None:
    assert iso(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"
    assert iso(datetime(999, 2, 3, 4, 5, 6, 999_999, tzinfo=UTC)) == "0999-02-03T04:05:06.999Z"
    plus_two = timezone(timedelta(hours=2))
    assert iso(datetime(2026, 1, 1, 1, 30, 0, 1_000, tzinfo=plus_two)) == "2025-12-31T23:30:00.001Z"


@given(st.lists(_INSTANTS, min_size=1, max_size=20))
def test_each_time_is_its_own_instant_to_the_millisecond(times: list[datetime]) -> None:
    # Several in a row, as answers are made: the text kept from one second never leaks into
    # the next time's.
    for at in sorted(times) + times:
        text = iso(at)
        utc = at.astimezone(UTC)
        assert text == utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert parse_iso(text) == utc.replace(microsecond=utc.microsecond // 1000 * 1000)
