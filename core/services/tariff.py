"""kWh tariff: a price per kWh of energy delivered, reading units and multipliers correctly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.services.protocols import Cost
from core.store.energy import delivered_wh
from core.store.models import MeterValue

# delivered_wh is the store's rule (core.store.energy), the one meter start/stop are recorded by;
# named here too for the OCPI mapping, which prices with it.
__all__ = ["KwhTariff", "TariffConfig", "delivered_wh"]


class TariffConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["kwh"] = "kwh"
    price_per_kwh: float = 0.55
    currency: str = "EUR"


class KwhTariff:
    def __init__(self, price_per_kwh: float = 0.55, currency: str = "EUR") -> None:
        self.price_per_kwh = price_per_kwh
        self.currency = currency

    def cost(self, meter_values: Sequence[MeterValue]) -> Cost | None:
        wh = delivered_wh(meter_values)
        return None if wh is None else self.price(wh)

    def price(self, energy_wh: float) -> Cost:
        return Cost(round(energy_wh / 1000.0 * self.price_per_kwh, 4), self.currency, energy_wh)
