"""Snapshot tests of each console screen, with fixed data and a fixed clock.

The console's boundary is the service it is given; here a fixed, in-memory one. Update the
snapshots after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from core.application.leniency import LeniencyCountView, LeniencyView
from core.application.views import (
    CertificateOverview,
    ConnectorView,
    DeviceVariableView,
    MessageView,
    MeterValueView,
    OwnCertificateView,
    SampledValueView,
    SettingView,
    StationCertificateView,
    StationDetail,
    StationEventView,
    StationPage,
    StationSummary,
    TokenView,
    TransactionDetail,
    TransactionSummary,
)
from core.events import Event, MessageLogged
from csms_tui.app import CsmsConsole

pytestmark = pytest.mark.snapshot

T0 = datetime(2026, 3, 14, 9, 30, 0, tzinfo=UTC)


class FixedSubscription:
    def __init__(self, events: list[Event]) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        for e in events:
            self.queue.put_nowait(e)

    async def get(self) -> Event:
        return await self.queue.get()

    def get_nowait(self) -> Event | None:
        return None if self.queue.empty() else self.queue.get_nowait()

    def close(self) -> None:
        pass


def _tx(
    station: str, tx: str, active: bool, energy: float, cost: float | None
) -> TransactionSummary:
    return TransactionSummary(
        station_id=station,
        transaction_id=tx,
        active=active,
        id_token="04A2B3C4D5",
        evse_id=1,
        connector_id=1,
        started_at=T0,
        ended_at=None if active else T0 + timedelta(hours=1),
        energy_wh=energy,
        cost=cost,
        currency="EUR" if cost is not None else "",
        stopped_reason="" if active else "EVDisconnected",
    )


STATIONS = [
    StationSummary(
        station_id="CS-ALPHA",
        connected=True,
        security_profile=1,
        pending_boot=False,
        registered_at=T0,
        ocpp_version="2.0.1",
        vendor="Acme",
        model="FastDC 150",
        last_seen_at=T0 + timedelta(minutes=5),
        connectors=[
            ConnectorView(evse_id=1, connector_id=1, status="Occupied"),
            ConnectorView(evse_id=2, connector_id=1, status="Available"),
        ],
        active_transactions=[_tx("CS-ALPHA", "tx-0042", True, 12_500.0, None)],
    ),
    StationSummary(
        station_id="CS-BRAVO",
        connected=False,
        security_profile=0,
        pending_boot=False,
        registered_at=T0,
        ocpp_version="1.6",
        vendor="Volt",
        model="Wallbox 22",
        last_seen_at=T0,
    ),
    StationSummary(
        station_id="CS-CHARLIE",
        connected=True,
        security_profile=2,
        pending_boot=True,
        registered_at=T0,
        ocpp_version="1.6",
        vendor="Volt",
        model="Wallbox 11",
        connectors=[
            ConnectorView(evse_id=1, connector_id=1, status="Faulted", error_code="GroundFailure")
        ],
    ),
]
TRANSACTIONS = [
    _tx("CS-ALPHA", "tx-0042", True, 12_500.0, None),
    _tx("CS-BRAVO", "1187", False, 31_200.0, 17.16),
]
TOKENS = [
    TokenView(
        country_code="GB",
        party_id="TWK",
        type="RFID",
        uid="04A2B3C4D5",
        contract_id="GBTWKC12345678",
        issuer="csms",
        valid=True,
        cache_mode="ALWAYS",
    ),
    TokenView(
        country_code="GB",
        party_id="TWK",
        type="RFID",
        uid="DEADBEEF",
        contract_id="GBTWK0DEADBEEF",
        issuer="csms",
        valid=True,
        cache_mode="ALWAYS",
        status="Blocked",
        group_id="staff",
    ),
]
PAYLOADS: dict[tuple[str, int], Any] = {
    ("BootNotification", 2): {
        "reason": "PowerUp",
        "chargingStation": {"vendorName": "Acme", "model": "FastDC 150"},
    },
    ("BootNotification", 3): {
        "currentTime": "2026-03-14T09:30:01Z",
        "interval": 300,
        "status": "Accepted",
    },
}
MESSAGES: list[Event] = [
    MessageLogged(
        station_id="CS-ALPHA",
        at=T0 + timedelta(seconds=i),
        seq=i + 1,
        direction=d,
        message_type=t,
        message_id=f"m-{i // 2}",
        action=a,
        error_code=e,
        payload=PAYLOADS.get((a, t), {}),
    )
    for i, (d, t, a, e) in enumerate(
        [
            ("in", 2, "BootNotification", ""),
            ("out", 3, "BootNotification", ""),
            ("in", 2, "StatusNotification", ""),
            ("out", 3, "StatusNotification", ""),
            ("in", 2, "TransactionEvent", ""),
            ("out", 3, "TransactionEvent", ""),
            ("out", 2, "Reset", ""),
            ("in", 4, "Reset", "NotSupported"),
        ]
    )
]


class FixedService:
    def subscribe(self, maxsize: int | None = None) -> FixedSubscription:
        return FixedSubscription(MESSAGES)

    async def list_stations(self, limit: int = 50, **_: Any) -> StationPage:
        return StationPage(stations=STATIONS)

    async def station_summary(self, station_id: str) -> StationSummary:
        return next(s for s in STATIONS if s.station_id == station_id)

    async def list_transactions(
        self, station_id: str | None = None, limit: int = 50, **_: Any
    ) -> list[TransactionSummary]:
        return [t for t in TRANSACTIONS if station_id in (None, t.station_id)]

    async def list_tokens(self, offset: int = 0, limit: int = 20) -> list[TokenView]:
        return TOKENS

    async def list_certificates(self) -> CertificateOverview:
        return CERTIFICATES

    async def station_detail(self, station_id: str) -> StationDetail:
        return DETAIL

    async def station_leniency(self, station_id: str) -> LeniencyView:
        return LENIENCY

    async def transaction_detail(
        self, transaction_id: str, station_id: str | None = None
    ) -> TransactionDetail:
        return TX_DETAIL

    async def list_messages(self, **_: Any) -> list[MessageView]:
        return [
            MessageView(
                id=100 - i,
                station_id="CS-BRAVO",
                at=T0 - timedelta(minutes=i),
                direction="in" if i % 2 == 0 else "out",
                message_type=2 if i % 2 == 0 else 3,
                message_id=f"old-{i // 2}",
                action="Heartbeat",
            )
            for i in range(6)
        ]


CERTIFICATES = CertificateOverview(
    stations=[
        StationCertificateView(
            station_id="CS-ALPHA",
            certificate_id="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            certificate_type="CSMS",
            status="Accepted",
            subject="CN=csms.example.com,O=Example CPO",
            not_after=T0 + timedelta(days=365),
        ),
        StationCertificateView(
            station_id="CS-CHARLIE",
            certificate_id="60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
            certificate_type="V2G",
            status="Pending",
            attempts=2,
            subject="CN=V2G Root CA,O=Hubject",
            not_after=T0 + timedelta(days=3650),
        ),
    ],
    own=[
        OwnCertificateView(
            role="gateway TLS server",
            path="certs/server.pem",
            subject="CN=csms.example.com",
            issuer="CN=Example CPO Root",
            not_after=T0 + timedelta(days=90),
        ),
        OwnCertificateView(
            role="trusted station CA", path="certs/missing.pem", error="No such file"
        ),
    ],
)
# A station granted enum-case by the configuration, its firmware spelling statuses its own way.
LENIENCY = LeniencyView(
    station_id="CS-0001",
    granted=["enum-case"],
    from_config=["enum-case"],
    counts=[
        LeniencyCountView(
            name="enum-case",
            count=14,
            last_at=T0 - timedelta(minutes=3),
            last_detail="StatusNotification request /status: 'charging' read as 'Charging'",
        )
    ],
)


DETAIL = StationDetail(
    **STATIONS[0].model_dump(),
    has_password=True,
    boot_reason="PowerUp",
    settings=[SettingView(name="HeartbeatInterval", value="300", status="Accepted")],
    device_model=[
        DeviceVariableView(component="OCPPCommCtrlr", variable="HeartbeatInterval", value="300"),
        DeviceVariableView(component="EVSE", evse_id=1, variable="Power", value="150000"),
    ],
    certificates=CERTIFICATES.stations[:1],
    recent_events=[
        StationEventView(
            id=1,
            station_id="CS-ALPHA",
            at=T0,
            event_type="SecurityEventNotification",
            detail={"type": "StartupOfTheDevice"},
        )
    ],
)
TX_DETAIL = TransactionDetail(
    **_tx("CS-BRAVO", "1187", False, 31_200.0, 17.16).model_dump(),
    meter_values=[
        MeterValueView(
            timestamp=T0 + timedelta(minutes=5 * i),
            sampled_values=[
                SampledValueView(
                    value=i * 2600.0, measurand="Energy.Active.Import.Register", unit="Wh"
                ),
                SampledValueView(
                    value=22000.0 - i * 900, measurand="Power.Active.Import", unit="W"
                ),
            ],
        )
        for i in range(13)
    ],
)


def app() -> CsmsConsole:
    console = CsmsConsole(service=FixedService())  # type: ignore[arg-type]
    console.follow = False
    return console


def settle(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        for _ in range(5):
            await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()

    return run_before


SCREENS = [
    ("stations", ()),
    ("messages", ("2",)),
    ("transactions", ("3",)),
    ("tokens", ("4",)),
    ("certificates", ("5",)),
    ("log", ("6",)),
    ("station-detail", ("enter",)),
    ("station-actions", ("c",)),
    ("action-form", ("c", "down", "down", "down", "enter")),
    ("confirm-reset", ("x", "enter")),
    ("register", ("G",)),  # a new station: the form is empty
    ("rotate-password", ("g",)),  # g on a registered station offers its rotation
    ("transaction-detail", ("3", "down", "enter")),
    ("token-form", ("4", "a")),
    ("token-edit", ("4", "enter")),  # type, group and expiry of an existing token
    ("bulk-actions", ("space", "down", "space", "c")),  # one command to two marked stations
    ("message-history", ("2", "o")),
    ("filter", ("2", "slash")),
]


@pytest.mark.parametrize(("name", "keys"), SCREENS, ids=[n for n, _ in SCREENS])
def test_screen_snapshot(snap_compare: Any, name: str, keys: tuple[str, ...]) -> None:
    assert snap_compare(app(), terminal_size=(130, 30), run_before=settle(*keys))
