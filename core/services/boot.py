"""The BootNotification rule shared by both versions.

A station is answered **Pending** when an operator asked for it (``pending_boot``), or when it has
settings or certificates waiting to be pushed — the CSMS configures it before normal operation
(OCPP-J 1.6 §6.2.2 "Setting the key over OCPP"; 2.0.1 B02). It is answered **Accepted** otherwise.
Unknown stations never get here: the gateway refuses them before the websocket upgrade. The
interval of a Pending answer is short so the station boots again soon after the push.
"""

from __future__ import annotations

from core.store.models import CertificateStatus, SettingStatus
from core.store.protocols import CertificateStore, SettingsStore, StationStore


class BootRule:
    def __init__(
        self, stations: StationStore, settings: SettingsStore, certificates: CertificateStore
    ) -> None:
        self._stations = stations
        self._settings = settings
        self._certificates = certificates

    async def status(self, station_id: str) -> str:
        station = await self._stations.lookup_station(station_id)
        if station is not None and station.pending_boot:
            return "Pending"
        if any(
            s.status is SettingStatus.PENDING
            for s in await self._settings.lookup_settings(station_id)
        ):
            return "Pending"
        certificates = await self._certificates.lookup_install_certificates(station_id)
        if any(c.status is CertificateStatus.PENDING for c in certificates):
            return "Pending"
        return "Accepted"
