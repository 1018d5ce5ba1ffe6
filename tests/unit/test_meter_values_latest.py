"""``latest``: the newest reading of a measurand, whole-meter only, scaled to Wh/W, in one pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.services.meter_values import latest
from core.store.models import MeterValue, SampledValue, UnitOfMeasure

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ENERGY, POWER = "Energy.Active.Import.Register", "Power.Active.Import"


def _sv(
    value: float, measurand: str | None = ENERGY, phase: str | None = None, **unit: int
) -> SampledValue:
    uom = UnitOfMeasure("kWh", unit["k"]) if "k" in unit else None
    return SampledValue(value, None, None, measurand, phase, None, uom)


def test_the_newest_whole_meter_value_wins_whatever_the_order() -> None:
    values = [
        MeterValue(T0 + timedelta(seconds=2), [_sv(7, phase="L1"), _sv(5)]),
        MeterValue(T0 + timedelta(seconds=3), [_sv(9, POWER)]),
        MeterValue(T0, [_sv(1)]),
    ]
    assert latest(values, ENERGY) == 5.0  # the newest with energy; its L1 value is not it
    assert latest(values, POWER) == 9.0
    assert latest(values, "Voltage") is None
    assert latest([MeterValue(T0, [_sv(2.5, k=0)])], ENERGY) == 2500.0  # kWh → Wh
    # No measurand means the energy register (the OCPP default).
    assert latest([MeterValue(T0, [_sv(4, measurand=None)])], ENERGY) == 4.0


def test_of_two_meter_values_at_the_same_time_the_first_listed_wins() -> None:
    values = [MeterValue(T0, [_sv(1)]), MeterValue(T0, [_sv(2)])]
    assert latest(values, ENERGY) == 1.0


def _by_sorting(values: list[MeterValue], measurand: str) -> float | None:
    """The definition: newest first (a stable sort), the first whole-meter match."""
    for mv in sorted(values, key=lambda m: m.timestamp, reverse=True):
        for sv in mv.sampled_values:
            if (sv.measurand or ENERGY) == measurand and not sv.phase:
                scale = 1000.0 if sv.unit_of_measure else 1.0
                mult = sv.unit_of_measure.multiplier if sv.unit_of_measure else 0
                return sv.value * scale * 10.0**mult
    return None


_values = st.lists(
    st.builds(
        MeterValue,
        st.integers(0, 3).map(lambda s: T0 + timedelta(seconds=s)),
        st.lists(
            st.builds(
                _sv,
                st.integers(0, 99).map(float),
                st.sampled_from([None, ENERGY, POWER]),
                st.sampled_from([None, None, "L1"]),
            ),
            max_size=3,
        ),
    ),
    max_size=6,
)


@given(_values, st.sampled_from([ENERGY, POWER]))
def test_one_pass_agrees_with_newest_first(values: list[MeterValue], measurand: str) -> None:
    assert latest(values, measurand) == _by_sorting(values, measurand)
