"""Result handlers for CSMS-initiated 1.6 calls whose answers change stored state.

Every other result is recorded by the router on the call record (request, response, timings),
which is what the console and the API show."""

from __future__ import annotations

import logging
from typing import Any

from core.handlers.call_maker import CallMaker, CallRejectedError
from core.store.models import Setting, SettingStatus, TriggerStatus
from core.store.protocols import SettingsStore, TriggerStore

log = logging.getLogger(__name__)


class ChangeConfigurationResult:
    """Store the key's status; once nothing is pending and something needs a reboot, ask the
    station to boot again (TriggerMessage BootNotification, as the seed does)."""

    def __init__(self, settings: SettingsStore, call_maker: CallMaker) -> None:
        self.settings, self.call_maker = settings, call_maker

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        status = SettingStatus(response["status"])
        await self.settings.set_setting_status(station_id, request["key"], status, request["value"])
        settings = await self.settings.lookup_settings(station_id)
        if any(s.status is SettingStatus.PENDING for s in settings):
            return
        if any(s.status is SettingStatus.REBOOT_REQUIRED for s in settings):
            try:
                await self.call_maker.send(
                    station_id,
                    "TriggerMessage",
                    {"requestedMessage": "BootNotification"},
                    origin="sync",
                )
            except CallRejectedError as exc:
                log.warning("cannot ask %s to reboot: %s", station_id, exc)


class ChangeConfigurationError:
    """A CALLERROR answer marks the key Rejected, so it is not retried forever."""

    def __init__(self, settings: SettingsStore) -> None:
        self.settings = settings

    async def __call__(
        self, station_id: str, request: dict[str, Any], code: str, description: str
    ) -> None:
        if "key" in request:
            await self.settings.set_setting_status(
                station_id, request["key"], SettingStatus.REJECTED
            )


class GetConfigurationResult:
    """Keep the station's configuration so the console can show it (status Accepted = current)."""

    def __init__(self, settings: SettingsStore) -> None:
        self.settings = settings

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        current = {s.name: s for s in await self.settings.lookup_settings(station_id)}
        updates = [
            Setting(item["key"], item.get("value", ""), SettingStatus.ACCEPTED)
            for item in response.get("configurationKey", [])
            # a key still waiting to be pushed keeps its pending value
            if item["key"] not in current
            or current[item["key"]].status is not SettingStatus.PENDING
        ]
        if updates:
            await self.settings.update_settings(station_id, updates)


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
