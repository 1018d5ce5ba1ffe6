"""Energy register readings in a transaction's meter values.

The store records a transaction's meter start/stop from these and the tariff prices the energy
between them, so both read the same readings in the same order. The order depends only on the
readings themselves (timestamp, then Transaction.Begin before other contexts before
Transaction.End, then value — a register only counts up), never on the order the station's
messages arrived in: a transaction replayed out of order reads exactly as one sent in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.store.models import MeterValue, SampledValue

ENERGY = "Energy.Active.Import.Register"

_CONTEXT_ORDER = {"Transaction.Begin": 0, "Transaction.End": 2}


def energy_wh(sv: SampledValue) -> float | None:
    """The sampled value in Wh, or None when it is not an energy register reading."""
    if (sv.measurand or ENERGY) != ENERGY:  # the measurand defaults to the import register
        return None
    unit = sv.unit_of_measure.unit if sv.unit_of_measure else "Wh"
    multiplier = sv.unit_of_measure.multiplier if sv.unit_of_measure else 0
    scale = {"Wh": 1.0, "kWh": 1000.0}.get(unit)
    if scale is None:
        return None
    return sv.value * scale * 10.0**multiplier


def register_readings(meter_values: Iterable[MeterValue]) -> list[tuple[float, int, float]]:
    """(timestamp, context order, Wh) of every whole-meter register reading, earliest first."""
    readings: list[tuple[float, int, float]] = []
    for mv in meter_values:
        for sv in mv.sampled_values:
            if sv.phase:  # per-phase values would be counted three times
                continue
            wh = energy_wh(sv)
            if wh is not None:
                order = _CONTEXT_ORDER.get(sv.context or "", 1)
                readings.append((mv.timestamp.timestamp(), order, wh))
    readings.sort()
    return readings


def register_bounds(meter_values: Sequence[MeterValue]) -> tuple[float, float] | None:
    """The earliest and the latest register reading in Wh, or None when there is none."""
    readings = register_readings(meter_values)
    if not readings:
        return None
    return readings[0][2], readings[-1][2]
