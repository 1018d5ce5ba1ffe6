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
    """Where the register stood when the transaction began and where it stands last, in Wh, or
    None when there is no reading. The start is the Transaction.Begin reading and the stop the
    Transaction.End reading where the station sent them (what they are, whatever a station's
    clock said); otherwise the earliest and the latest reading.

    A lone reading is read as the tariff prices it. A Transaction.Begin reading is where the
    register stood when charging began, so nothing is delivered yet; any other lone reading is
    taken as energy since the start (a station whose register counts each transaction from 0;
    OCPI prices it so), so the start is 0. The stored meter start/stop, the energy shown and the
    cost are then one reading of the same values: never 0 kWh beside a price."""
    readings = register_readings(meter_values)
    if not readings:
        return None
    if len(readings) == 1:
        _, order, wh = readings[0]
        return (wh, wh) if order == 0 else (0.0, wh)
    begins = [wh for _, order, wh in readings if order == 0]
    ends = [wh for _, order, wh in readings if order == 2]
    return (begins[0] if begins else readings[0][2]), (ends[-1] if ends else readings[-1][2])


def delivered_wh(meter_values: Sequence[MeterValue]) -> float | None:
    """Energy delivered in Wh (the latest register reading minus where it began; a register only
    counts up, so never below 0), or None when there is no reading."""
    bounds = register_bounds(meter_values)
    return None if bounds is None else max(0.0, bounds[1] - bounds[0])
