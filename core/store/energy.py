"""Energy register readings in a transaction's meter values.

The store records a transaction's meter start/stop from these and the tariff prices the energy
between them, so both read the same readings in the same order. The order depends only on the
readings themselves (timestamp, then Transaction.Begin before other contexts before
Transaction.End, then value — a register only counts up), never on the order the station's
messages arrived in: a transaction replayed out of order reads exactly as one sent in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson

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


Reading = tuple[float, int, float]
"""(timestamp, context order, Wh) of one whole-meter register reading."""


def register_readings(meter_values: Iterable[MeterValue]) -> Iterator[Reading]:
    """Every whole-meter register reading, in the order given (sorted, they are in time order:
    the order :func:`register_bounds` reads them in)."""
    for mv in meter_values:
        for sv in mv.sampled_values:
            if sv.phase:  # per-phase values would be counted three times
                continue
            wh = energy_wh(sv)
            if wh is not None:
                yield mv.timestamp.timestamp(), _CONTEXT_ORDER.get(sv.context or "", 1), wh


@dataclass(frozen=True, slots=True)
class RegisterSpan:
    """What :func:`register_bounds` reads of a transaction's readings, and nothing more: how
    many there are, the earliest and the latest, the earliest Transaction.Begin one and the
    latest Transaction.End one. Readings added in any order and in any grouping give the same
    span as all of them at once, so the store keeps a transaction's span beside it and adds each
    event's readings to it: an event late in a long session costs what the first one did,
    instead of reading every reading so far again (at one reading a minute, 480 of them eight
    hours in)."""

    count: int = 0
    first: Reading | None = None
    last: Reading | None = None
    first_begin: Reading | None = None
    last_end: Reading | None = None

    @classmethod
    def of(cls, meter_values: Iterable[MeterValue]) -> RegisterSpan:
        return cls().add(meter_values)

    def add(self, meter_values: Iterable[MeterValue]) -> RegisterSpan:
        count, first, last = self.count, self.first, self.last
        first_begin, last_end = self.first_begin, self.last_end
        for reading in register_readings(meter_values):  # min and max: no order needed
            count += 1
            first = reading if first is None else min(first, reading)
            last = reading if last is None else max(last, reading)
            if reading[1] == 0:
                first_begin = reading if first_begin is None else min(first_begin, reading)
            elif reading[1] == 2:
                last_end = reading if last_end is None else max(last_end, reading)
        return RegisterSpan(count, first, last, first_begin, last_end)

    def bounds(self) -> tuple[float, float] | None:
        """See :func:`register_bounds`."""
        if self.first is None or self.last is None:
            return None
        if self.count == 1:
            _, order, wh = self.first
            return (wh, wh) if order == 0 else (0.0, wh)
        start = self.first_begin if self.first_begin is not None else self.first
        stop = self.last_end if self.last_end is not None else self.last
        return start[2], stop[2]

    def to_text(self) -> str:
        return orjson.dumps(
            [self.count, self.first, self.last, self.first_begin, self.last_end]
        ).decode()

    @classmethod
    def from_text(cls, text: str) -> RegisterSpan:
        count, *readings = orjson.loads(text)
        first, last, first_begin, last_end = (
            None if r is None else (float(r[0]), int(r[1]), float(r[2])) for r in readings
        )
        return cls(int(count), first, last, first_begin, last_end)


def register_bounds(meter_values: Iterable[MeterValue]) -> tuple[float, float] | None:
    """Where the register stood when the transaction began and where it stands last, in Wh, or
    None when there is no reading. The start is the Transaction.Begin reading and the stop the
    Transaction.End reading where the station sent them (what they are, whatever a station's
    clock said); otherwise the earliest and the latest reading.

    A lone reading is read as the tariff prices it. A Transaction.Begin reading is where the
    register stood when charging began, so nothing is delivered yet; any other lone reading is
    taken as energy since the start (a station whose register counts each transaction from 0;
    OCPI prices it so), so the start is 0. The stored meter start/stop, the energy shown and the
    cost are then one reading of the same values: never 0 kWh beside a price."""
    return RegisterSpan.of(meter_values).bounds()


def energy_between(bounds: tuple[float, float] | None) -> float | None:
    """Energy delivered in Wh between register bounds (a register only counts up, so never
    below 0), or None when there is no reading."""
    return None if bounds is None else max(0.0, bounds[1] - bounds[0])


def delivered_wh(meter_values: Iterable[MeterValue]) -> float | None:
    """Energy delivered in Wh (the latest register reading minus where it began), or None when
    there is no reading."""
    return energy_between(register_bounds(meter_values))
