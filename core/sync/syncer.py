"""Push what operators stored (settings, certificates, triggers) to the stations.

Every ``interval`` — and at once when a station connects or boots — the syncer *claims* due
items from the store. A claim is a lease (the item's ``send_after`` moves to now + retry_after in
the same statement that selects it), so with several managers each item is sent once, not once
per manager. Each push is a CSMS call record (origin ``sync``); the result handlers complete the
flows (ChangeConfiguration/SetVariables statuses, certificate statuses, trigger cleared on
Accepted). What the seed got wrong and we do not: a never-booted station is skipped (and retried
after it boots) instead of crashing the loop; nothing is retried forever — after
``max_attempts`` an item is marked Rejected and a station event says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import timedelta
from typing import Any

from core import message_limits
from core.clock import Clock
from core.config import SyncConfig
from core.events import EventBus, StationBooted, StationConnected
from core.handlers.call_maker import CallMaker, CallRejectedError
from core.ocpp.triggers import TRIGGER_MESSAGES_16
from core.ocpp.types import OcppVersion
from core.store.models import (
    CertificateStatus,
    CertificateType,
    InstallCertificate,
    Setting,
    SettingStatus,
    StationEvent,
    TriggerMessage,
    TriggerStatus,
)
from core.store.protocols import Store

log = logging.getLogger(__name__)

_NAME = r"[A-Za-z0-9*\-_=:+|@.]+"
_KEY = re.compile(
    rf"^(?P<component>{_NAME})(?:;(?P<cinst>{_NAME}))?(?:;(?P<evse>\d+))?"
    rf"/(?P<variable>{_NAME})(?:;(?P<vinst>{_NAME}))?(?:;(?P<attr>Actual|Target|MinSet|MaxSet))?$"
)
_SIGNED = {
    CertificateType.CHARGE_STATION: "ChargingStationCertificate",
    CertificateType.EVCC: "V2GCertificate",
}
_ROOT = {
    CertificateType.V2G: "V2GRootCertificate",
    CertificateType.MO: "MORootCertificate",
    CertificateType.CSMS: "CSMSRootCertificate",
    CertificateType.MF: "ManufacturerRootCertificate",
}


def parse_setting_key(key: str, value: str) -> dict[str, Any] | None:
    """``Component[;instance][;evse]/Variable[;instance][;attribute]`` → SetVariableData."""
    match = _KEY.match(key)
    if match is None:
        return None
    component: dict[str, Any] = {"name": match["component"]}
    if match["cinst"]:
        component["instance"] = match["cinst"]
    if match["evse"]:
        component["evse"] = {"id": int(match["evse"])}
    variable: dict[str, Any] = {"name": match["variable"]}
    if match["vinst"]:
        variable["instance"] = match["vinst"]
    data: dict[str, Any] = {"attributeValue": value, "component": component, "variable": variable}
    if match["attr"]:
        data["attributeType"] = match["attr"]
    return data


class Syncer:
    def __init__(
        self,
        store: Store,
        call_maker: CallMaker,
        events: EventBus,
        clock: Clock,
        config: SyncConfig,
    ) -> None:
        self.store, self.call_maker, self.events = store, call_maker, events
        self.clock, self.config = clock, config
        self._wake = asyncio.Event()
        self._attempts: dict[tuple[str, str], int] = {}

    async def run(self) -> None:
        """Tick every ``interval``, and right away when a station connects or boots."""
        # Only what wakes it: not woken for every frame of every station in between.
        sub = self.events.subscribe(maxsize=10_000, kinds=(StationBooted, StationConnected))
        watcher = asyncio.create_task(self._watch(sub), name="sync-watch")
        try:
            while True:
                try:
                    await self.tick()
                except Exception:
                    log.exception("sync tick failed; retrying at the next one")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.config.interval):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            watcher.cancel()
            sub.close()

    async def _watch(self, sub: Any) -> None:
        async for event in sub:
            if isinstance(event, StationBooted | StationConnected):
                self._wake.set()

    async def tick(self) -> int:
        """One pass over everything due; returns the number of calls sent."""
        now = self.clock.now()
        lease = now + timedelta(seconds=self.config.retry_after)
        sent = 0
        settings = await self.store.claim_due_settings(now, lease, self.config.page_size)
        for station_id, items in settings.items():
            sent += await self._push_settings(station_id, items)
        certificates = await self.store.claim_due_install_certificates(
            now, lease, self.config.page_size
        )
        for station_id, certs in certificates.items():
            for cert in certs:
                sent += await self._push_certificate(station_id, cert)
        triggers = await self.store.claim_due_triggers(now, lease, self.config.page_size)
        for station_id, trigger in triggers.items():
            sent += await self._push_trigger(station_id, trigger)
        return sent

    async def _version(self, station_id: str) -> OcppVersion | None:
        try:
            return await self.call_maker.station_version(station_id)
        except CallRejectedError:
            log.info("sync: %s has never connected; its items wait for it", station_id)
            return None

    async def _give_up(self, station_id: str, what: str, detail: dict[str, Any]) -> None:
        log.warning(
            "sync: giving up %s for %s after %d attempts",
            what,
            station_id,
            self.config.max_attempts,
        )
        await self.store.add_station_event(
            StationEvent(station_id, self.clock.now(), "SyncGaveUp", {"item": what, **detail})
        )

    def _count(self, station_id: str, key: str) -> int:
        n = self._attempts.get((station_id, key), 0) + 1
        self._attempts[(station_id, key)] = n
        return n

    async def _push_settings(self, station_id: str, items: list[Setting]) -> int:
        version = await self._version(station_id)
        if version is None:
            return 0
        live = []
        for item in items:
            if self._count(station_id, f"setting:{item.name}") > self.config.max_attempts:
                await self.store.set_setting_status(station_id, item.name, SettingStatus.REJECTED)
                await self._give_up(station_id, f"setting {item.name}", {"value": item.value})
            else:
                live.append(item)
        if not live:
            return 0
        if version is OcppVersion.V16:
            for item in live:
                await self._send(
                    station_id, "ChangeConfiguration", {"key": item.name, "value": item.value}
                )
            return len(live)
        data = []
        for item in live:
            parsed = parse_setting_key(item.name, item.value)
            if parsed is None:
                log.warning(
                    "sync: setting key %r of %s is not Component/Variable syntax",
                    item.name,
                    station_id,
                )
                await self.store.set_setting_status(station_id, item.name, SettingStatus.REJECTED)
            else:
                data.append(parsed)
        if not data:
            return 0
        # As many SetVariables as the station's per-message limits need (TC_B_08).
        max_items, max_bytes = await message_limits.per_message_limits(
            self.store, station_id, "SetVariables"
        )
        payloads = message_limits.split(
            "setVariableData", data, max_items, max_bytes, "SetVariables"
        )
        for payload in payloads:
            await self._send(station_id, "SetVariables", payload)
        return len(payloads)

    async def _push_certificate(self, station_id: str, cert: InstallCertificate) -> int:
        version = await self._version(station_id)
        if version is None:
            return 0
        if cert.attempts > self.config.max_attempts:
            cert.status = CertificateStatus.REJECTED
            await self.store.upsert_install_certificates(station_id, [cert])
            await self._give_up(
                station_id,
                f"certificate {cert.certificate_id}",
                {"type": cert.certificate_type.value},
            )
            return 0
        if cert.certificate_type in _SIGNED:
            action = "CertificateSigned"
            payload: dict[str, Any] = {
                "certificateChain": cert.certificate_data,
                "certificateType": _SIGNED[cert.certificate_type],
            }
        else:
            action = "InstallCertificate"
            payload = {
                "certificateType": _ROOT[cert.certificate_type],
                "certificate": cert.certificate_data,
            }
        if version is OcppVersion.V16:
            await self._send_pnc(station_id, action, payload)
        else:
            await self._send(station_id, action, payload)
        return 1

    async def _push_trigger(self, station_id: str, trigger: TriggerMessage) -> int:
        version = await self._version(station_id)
        if version is None:
            return 0
        if trigger.attempts > self.config.max_attempts:
            trigger.status = TriggerStatus.REJECTED
            await self.store.set_trigger(station_id, trigger)
            await self._give_up(station_id, f"trigger {trigger.message}", {})
            return 0
        if version is OcppVersion.V201 or trigger.message in TRIGGER_MESSAGES_16:
            await self._send(station_id, "TriggerMessage", {"requestedMessage": trigger.message})
        else:
            await self._send_pnc(
                station_id, "TriggerMessage", {"requestedMessage": trigger.message}
            )
        return 1

    async def _send(self, station_id: str, action: str, payload: dict[str, Any]) -> None:
        try:
            await self.call_maker.send(station_id, action, payload, origin="sync")
        except CallRejectedError as exc:
            log.warning("sync: %s for %s not sent: %s", action, station_id, exc)

    async def _send_pnc(self, station_id: str, action: str, payload: dict[str, Any]) -> None:
        try:
            await self.call_maker.send_pnc(station_id, action, payload, origin="sync")
        except CallRejectedError as exc:
            log.warning("sync: %s (PnC) for %s not sent: %s", action, station_id, exc)
