"""Result handlers for CSMS-initiated 1.6 calls whose answers change stored state.

Every other result is recorded by the router on the call record (request, response, timings),
which is what the console and the API show."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from core.handlers.call_maker import PNC_VENDOR_ID, CallMaker, CallRejectedError
from core.handlers.types import ResultHandler
from core.ocpp.secrets import redact
from core.store.models import Setting, SettingStatus
from core.store.protocols import SettingsStore

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
        value = redact("ChangeConfiguration", request)["value"]  # a rotated password is not kept
        await self.settings.set_setting_status(station_id, request["key"], status, value)
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


class DataTransferResult:
    """Answers to PnC messages tunnelled to 1.6 stations (CertificateSigned, InstallCertificate,
    TriggerMessage) go to the 2.0.1 result handlers with the inner request and response."""

    def __init__(self, pnc_results: dict[str, ResultHandler]) -> None:
        self.pnc_results = pnc_results

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        if request.get("vendorId") != PNC_VENDOR_ID:
            return
        handler = self.pnc_results.get(request.get("messageId", ""))
        if handler is None:
            log.info(
                "%s answered DataTransfer %s: no result handler",
                station_id,
                request.get("messageId"),
            )
            return
        try:
            inner_request = orjson.loads(request.get("data") or "{}")
            # A station that only says "Accepted" without data answered the inner message too.
            inner_response = (
                orjson.loads(response["data"])
                if response.get("data")
                else {"status": response["status"]}
            )
        except orjson.JSONDecodeError:
            log.warning(
                "%s answered DataTransfer %s with invalid data",
                station_id,
                request.get("messageId"),
            )
            return
        await handler(station_id, inner_request, inner_response, state)
