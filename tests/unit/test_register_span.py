"""A transaction's register span (core.store.energy.RegisterSpan) gives the bounds that sorting
every reading gives, however its readings are grouped and in whatever order they are added: the
store adds each event's readings to the span it keeps, and must end where reading them all would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.store.energy import RegisterSpan, register_bounds, register_readings
from core.store.models import MeterValue, SampledValue, UnitOfMeasure

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def sorted_bounds(meter_values: list[MeterValue]) -> tuple[float, float] | None:
    """The rule written out over every reading, sorted: what the span must agree with."""
    readings = sorted(register_readings(meter_values))
    if not readings:
        return None
    if len(readings) == 1:
        _, order, wh = readings[0]
        return (wh, wh) if order == 0 else (0.0, wh)
    begins = [wh for _, order, wh in readings if order == 0]
    ends = [wh for _, order, wh in readings if order == 2]
    return (begins[0] if begins else readings[0][2]), (ends[-1] if ends else readings[-1][2])


# Few distinct minutes and values, so that readings often tie on time or on value, and the span
# must break ties as the sort does.
sampled = st.builds(
    SampledValue,
    value=st.sampled_from([0.0, 10.0, 10.0, 250.5, 1000.0]),
    context=st.sampled_from([None, "Transaction.Begin", "Sample.Periodic", "Transaction.End"]),
    measurand=st.sampled_from([None, "Energy.Active.Import.Register", "Power.Active.Import"]),
    phase=st.sampled_from([None, None, "L1"]),
    unit_of_measure=st.sampled_from([None, UnitOfMeasure("kWh", 0), UnitOfMeasure("Wh", 0)]),
)
reading = st.builds(
    lambda minutes, values: MeterValue(T0 + timedelta(minutes=minutes), values),
    st.integers(0, 3),
    st.lists(sampled, max_size=3),
)


@settings(max_examples=400)
@given(st.lists(reading, max_size=8), st.data())
def test_a_span_built_event_by_event_bounds_as_all_the_readings_sorted(
    readings: list[MeterValue], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(readings))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arrival)), max_size=4)))
    span = RegisterSpan()
    for start, end in zip([0, *cuts], [*cuts, len(arrival)], strict=True):
        span = span.add(arrival[start:end])  # one event's readings (possibly none)
    assert span == RegisterSpan.of(readings)
    assert span.bounds() == sorted_bounds(readings) == register_bounds(readings)
    assert RegisterSpan.from_text(span.to_text()) == span  # as the store keeps it


def test_the_earliest_begin_and_the_latest_end_bound_it_whatever_came_first() -> None:
    """A station's offline queue replayed newest first: the span must still start at the
    earliest Transaction.Begin reading and stop at the latest Transaction.End one."""

    def at(minutes: int, wh: float, context: str) -> MeterValue:
        return MeterValue(T0 + timedelta(minutes=minutes), [SampledValue(wh, context)])

    arrival = [
        at(30, 900.0, "Transaction.End"),
        at(5, 200.0, "Transaction.Begin"),
        at(0, 100.0, "Transaction.Begin"),
        at(20, 800.0, "Transaction.End"),
        at(10, 500.0, "Sample.Periodic"),
    ]
    span = RegisterSpan()
    for mv in arrival:
        span = span.add([mv])
    assert span.bounds() == (100.0, 900.0) == sorted_bounds(arrival)


def test_two_equal_readings_are_two_readings_not_one() -> None:
    """A lone reading that is not a Transaction.Begin counts from 0; the same reading twice is
    a start and a stop, nothing delivered. The span counts them, as the sort does."""
    once = [MeterValue(T0, [SampledValue(500.0, "Sample.Periodic")])]
    assert RegisterSpan.of(once).bounds() == (0.0, 500.0)
    assert RegisterSpan.of(once).add(once).bounds() == (500.0, 500.0) == sorted_bounds(once * 2)


def test_no_reading_has_no_bounds_and_keeps_as_text() -> None:
    span = RegisterSpan.of([MeterValue(T0, [SampledValue(230.0, measurand="Voltage")])])
    assert span.bounds() is None
    assert RegisterSpan.from_text(span.to_text()) == span == RegisterSpan()
