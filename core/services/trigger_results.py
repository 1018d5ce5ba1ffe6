"""The TriggerMessage result, the same in 1.6 and 2.0.1 (and through the PnC tunnel): Accepted
clears the stored trigger (the seed never cleared 1.6 triggers); a refusal is kept as
Rejected/NotImplemented and not re-sent."""

from __future__ import annotations

from typing import Any

from core.store.models import TriggerStatus
from core.store.protocols import TriggerStore


class TriggerMessageResult:
    """Accepted clears the stored trigger (the seed never cleared 1.6 triggers); a refusal is
    kept as Rejected/NotImplemented and not re-sent."""

    def __init__(self, triggers: TriggerStore) -> None:
        self.triggers = triggers

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        trigger = await self.triggers.lookup_trigger(station_id)
        if trigger is None or trigger.message != request["requestedMessage"]:
            return
        if response["status"] == "Accepted":
            await self.triggers.delete_trigger(station_id)
        else:
            trigger.status = TriggerStatus(response["status"])
            await self.triggers.set_trigger(station_id, trigger)
