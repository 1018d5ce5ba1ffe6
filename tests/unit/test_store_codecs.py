"""The stored timestamp text: fixed width, so that text order is time order, and read back as
the same instant in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from core.store.sqlite.codecs import from_ts, ts

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
# Away from the ends of datetime's range, where another zone's instant has no UTC datetime.
_INSTANTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES
)


def test_the_format_is_fixed_width_utc_with_microseconds() -> None:
    assert ts(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"
    assert ts(datetime(999, 2, 3, 4, 5, 6, 7, tzinfo=UTC)) == "0999-02-03T04:05:06.000007Z"
    plus_two = timezone(timedelta(hours=2))
    assert ts(datetime(2026, 1, 1, 1, 30, tzinfo=plus_two)) == "2025-12-31T23:30:00.000000Z"
    assert ts(None) is None
    assert from_ts(None) is None


@given(_INSTANTS)
def test_round_trip_is_the_same_instant_in_utc(at: datetime) -> None:
    text = ts(at)
    assert text is not None
    assert len(text) == 27
    back = from_ts(text)
    assert back == at
    assert back is not None
    assert back.tzinfo is UTC


@given(_INSTANTS, _INSTANTS)
def test_text_order_is_time_order(a: datetime, b: datetime) -> None:
    ta, tb = ts(a), ts(b)
    assert ta is not None
    assert tb is not None
    assert (ta < tb) == (a < b)
    assert (ta == tb) == (a == b)


def test_times_in_order_across_seconds_keep_their_own_text() -> None:
    # Written one after another, as frames are: the text up to the second is reused while the
    # second lasts and replaced when it changes (also going back, as an older time may come).
    start = datetime(2026, 3, 1, 23, 59, 58, 999_000, tzinfo=UTC)
    times = [start + timedelta(microseconds=250_000 * n) for n in range(12)]
    for at in [*times, times[0], times[-1]]:
        text = ts(at)
        assert text == at.isoformat(timespec="microseconds")[:-6] + "Z"
        assert from_ts(text) == at
