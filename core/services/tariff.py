"""kWh tariff: a price per kWh of energy delivered, reading units and multipliers correctly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.services.protocols import Cost
from core.store.models import MeterValue, SampledValue

ENERGY = "Energy.Active.Import.Register"


class TariffConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["kwh"] = "kwh"
    price_per_kwh: float = 0.55
    currency: str = "EUR"


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


def delivered_wh(meter_values: Sequence[MeterValue]) -> float | None:
    """Energy delivered: the last register reading minus the first (both chronological).

    A single reading is taken as the total (a station that reports energy since the start)."""
    readings: list[tuple[float, int, float]] = []
    for mv in meter_values:
        for sv in mv.sampled_values:
            if sv.phase:  # per-phase values would be counted three times
                continue
            wh = energy_wh(sv)
            if wh is not None:
                order = {"Transaction.Begin": 0, "Transaction.End": 2}.get(sv.context or "", 1)
                readings.append((mv.timestamp.timestamp(), order, wh))
    if not readings:
        return None
    readings.sort()
    if len(readings) == 1:
        return readings[0][2]
    return max(0.0, readings[-1][2] - readings[0][2])


class KwhTariff:
    def __init__(self, price_per_kwh: float = 0.55, currency: str = "EUR") -> None:
        self.price_per_kwh = price_per_kwh
        self.currency = currency

    def cost(self, meter_values: Sequence[MeterValue]) -> Cost | None:
        wh = delivered_wh(meter_values)
        if wh is None:
            return None
        return Cost(round(wh / 1000.0 * self.price_per_kwh, 4), self.currency, wh)
