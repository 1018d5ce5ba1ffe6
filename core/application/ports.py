"""What the application service needs from the rest of the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.store.models import (
    SecurityProfile,
)
from core.store.protocols import (
    CallStore,
    CertificateStore,
    DeviceModelStore,
    LeniencyStore,
    MessageLogStore,
    MeterValueStore,
    ReservationStore,
    RuntimeStore,
    SettingsStore,
    StationEventStore,
    StationStore,
    TokenStore,
    TransactionStore,
    TriggerStore,
)


class ConnectionRegistry(Protocol):
    """Which stations have a websocket open right now (the gateway's view)."""

    def is_connected(self, station_id: str) -> bool: ...

    def connected(self) -> set[str]: ...


class ServiceStore(
    StationStore,
    RuntimeStore,
    SettingsStore,
    CertificateStore,
    TriggerStore,
    TokenStore,
    TransactionStore,
    MeterValueStore,
    DeviceModelStore,
    StationEventStore,
    MessageLogStore,
    CallStore,
    ReservationStore,
    LeniencyStore,
    Protocol,
):
    """The store roles the service reads and writes (``Store`` satisfies it)."""


@dataclass(frozen=True, slots=True)
class ConnectionUrls:
    """How stations reach the gateway, for the connect details shown on registration
    (the seed's ``api.host`` / ``api.ws_port`` / ``api.wss_port``)."""

    host: str = "localhost"
    ws_port: int = 9310
    wss_port: int = 9311

    def url_for(self, station_id: str, profile: SecurityProfile) -> str:
        tls = profile in (SecurityProfile.TLS_BASIC, SecurityProfile.TLS_CLIENT_CERT)
        scheme, port, default_port = (
            ("wss", self.wss_port, 443) if tls else ("ws", self.ws_port, 80)
        )
        # The seed compared the wss port with the ws port's default; each scheme has its own.
        authority = self.host if port == default_port else f"{self.host}:{port}"
        return f"{scheme}://{authority}/ws/{station_id}"
