"""kWh tariff: a price per kWh of energy delivered, reading units and multipliers correctly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.services.protocols import Cost
from core.store.energy import register_readings
from core.store.models import MeterValue


class TariffConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["kwh"] = "kwh"
    price_per_kwh: float = 0.55
    currency: str = "EUR"


def delivered_wh(meter_values: Sequence[MeterValue]) -> float | None:
    """Energy delivered: the last register reading minus the first (both chronological).

    A single reading is taken as the total (a station that reports energy since the start),
    except a Transaction.Begin reading alone: that is where the register stood when charging
    began, so nothing has been delivered yet (the running cost right after Started is 0)."""
    readings = register_readings(meter_values)
    if not readings:
        return None
    if len(readings) == 1:
        _, order, wh = readings[0]
        return 0.0 if order == 0 else wh
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
