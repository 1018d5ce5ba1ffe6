"""A simulated station's state, and the effects an answer to the CSMS asks for.

The per-version modules (:mod:`.ocpp16`, :mod:`.ocpp201`) read this state to word messages and
answers; they change only settings. What an answer sets in motion (a reboot, a remote start,
a triggered message) they return as an :data:`Effect` for the station to carry out after the
answer has gone — the order OCPP asks for (answer first, then act)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from csms_tui.simulate.model import Profile

# Connector states, in 1.6's words; 2.0.1 folds Preparing/Charging/Finishing into Occupied.
AVAILABLE, PREPARING, CHARGING, FINISHING = "Available", "Preparing", "Charging", "Finishing"
FAULTED, UNAVAILABLE = "Faulted", "Unavailable"


@dataclass(eq=False)
class Session:
    connector: Connector
    token: str
    duration: float
    stop_reason: str = "Local"
    token_type: str = "ISO14443"
    remote_start_id: int | None = None
    # 2.0.1: the station names its transactions.
    local_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # 1.6: the CSMS numbers them in its StartTransaction answer (None until it has).
    tx_id: int | None = None
    seq_no: int = 0
    start_wh: float = 0.0
    started: bool = False
    refused: bool = False
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def next_seq(self) -> int:
        seq, self.seq_no = self.seq_no, self.seq_no + 1
        return seq

    def request_stop(self, reason: str) -> None:
        if not self.stop_requested.is_set():
            self.stop_reason = reason
            self.stop_requested.set()


@dataclass(eq=False)
class Connector:
    evse: int
    connector: int
    # 1.6's connectorId: connectors numbered 1, 2, … across the EVSEs.
    number: int
    register_wh: float = 0.0
    status: str = AVAILABLE
    error_code: str = "NoError"
    operative: bool = True
    session: Session | None = None
    # When the register was last brought up to date (the event loop's clock).
    metered_at: float = 0.0


@dataclass
class Reading:
    """One meter reading, taken when it happened (a queued message carries the old one)."""

    at: datetime
    wh: float
    power_w: float


@dataclass(eq=False)
class StationState:
    station_id: str
    profile: Profile
    connectors: list[Connector]
    password: str | None
    heartbeat_interval: float = 300.0
    meter_interval: float = 60.0
    # 1.6 configuration keys / 2.0.1 "Component/Variable" → value.
    settings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, station_id: str, profile: Profile) -> StationState:
        connectors: list[Connector] = []
        for evse, count in enumerate(profile.evses, start=1):
            for connector in range(1, count + 1):
                connectors.append(
                    Connector(evse, connector, len(connectors) + 1, profile.meter_start)
                )
        password = None if profile.security_profile in (-1, 2) else profile.password
        return cls(station_id, profile, connectors, password, meter_interval=profile.meter_interval)

    def connector_at(self, evse: int, connector: int = 1) -> Connector | None:
        for c in self.connectors:
            if c.evse == evse and c.connector == connector:
                return c
        return None

    def by_number(self, number: int) -> Connector | None:
        return self.connectors[number - 1] if 0 < number <= len(self.connectors) else None

    def free_connector(self) -> Connector | None:
        for c in self.connectors:
            if c.session is None and c.status == AVAILABLE and c.operative:
                return c
        return None

    def sessions(self) -> list[Session]:
        return [c.session for c in self.connectors if c.session is not None]

    def session_by_tx(self, tx: object) -> Session | None:
        for s in self.sessions():
            if tx in (s.tx_id, s.local_id):
                return s
        return None


@dataclass(frozen=True)
class Reboot:
    # Why the sessions stop: 1.6 HardReset/SoftReset, 2.0.1 ImmediateReset, or Reboot.
    stop_reason: str
    # 2.0.1 BootNotification reason after it.
    boot_reason: str = "RemoteReset"
    # 2.0.1 OnIdle: once the running sessions have ended, not now.
    when_idle: bool = False


@dataclass(frozen=True)
class RemoteStart:
    connector: Connector
    token: str
    remote_start_id: int | None = None
    token_type: str = "ISO14443"


@dataclass(frozen=True)
class RemoteStop:
    session: Session


@dataclass(frozen=True)
class Trigger:
    message: str
    connector: Connector | None = None


@dataclass(frozen=True)
class Availability:
    connectors: tuple[Connector, ...]
    operative: bool


@dataclass(frozen=True)
class Report:
    """2.0.1 GetBaseReport/GetReport accepted: a NotifyReport with the station's variables."""

    request_id: int


Effect = Reboot | RemoteStart | RemoteStop | Trigger | Availability | Report
