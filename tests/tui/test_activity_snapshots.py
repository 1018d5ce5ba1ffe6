"""Snapshots of the activity screens — a running transaction's detail, the message detail and
history, the Transactions tab's filter, the Operations tab and a call's detail, empty and not —
with the fixed data of ``test_snapshots`` and a fixed clock, at 130×30 and at 80×24 (a laptop at
a site). Update after an intended change with
`pytest tests/tui/test_activity_snapshots.py --snapshot-update`, then read the new SVG's text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.application.views import (
    CallView,
    MessageView,
    MeterValueView,
    SampledValueView,
    TransactionDetail,
)
from csms_tui import transaction_screen
from csms_tui.app import CsmsConsole
from tests.tui.test_snapshots import T0, FixedService, FixedSubscription, _tx, settle

pytestmark = pytest.mark.snapshot

LIVE_DETAIL = TransactionDetail(
    **{
        **_tx("CS-ALPHA", "tx-0042", True, 12_500.0, 6.88).model_dump(),
        "meter_start_wh": 40_000.0,
        "charging_state": "SuspendedEV",
    },
    trigger_reason="MeterValuePeriodic",
    meter_values=[
        MeterValueView(
            timestamp=T0 + timedelta(minutes=5 * i),
            sampled_values=[
                SampledValueView(
                    value=40_000.0 + i * 2500.0,
                    measurand="Energy.Active.Import.Register",
                    unit="Wh",
                    context="Transaction.Begin" if i == 0 else "Sample.Periodic",
                ),
                SampledValueView(
                    value=30_000.0,
                    measurand="Power.Active.Import",
                    unit="W",
                    context="Sample.Periodic",
                ),
            ],
        )
        for i in range(6)
    ],
)


def _call(minute: int, action: str, state: str, **extra: Any) -> CallView:
    created = T0 + timedelta(minutes=minute)
    latency = extra.pop("latency_ms", None)
    done = None if latency is None else created + timedelta(milliseconds=latency)
    return CallView(
        call_id=f"c-{minute:03}",
        station_id=extra.pop("station_id", "CS-ALPHA"),
        action=action,
        ocpp_version=extra.pop("ocpp_version", "2.0.1"),
        state=state,
        created_at=created,
        completed_at=done,
        latency_ms=latency,
        **extra,
    )


SCHEDULE = {
    "status": "Accepted",
    "schedule": {
        "evseId": 1,
        "duration": 3600,
        "scheduleStart": "2026-03-14T10:00:00Z",
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 32.0, "numberPhases": 3},
            {"startPeriod": 900, "limit": 16.0, "numberPhases": 3},
            {"startPeriod": 2700, "limit": 6.0, "numberPhases": 1},
        ],
    },
}
# Newest first, as the service lists them.
CALLS = [
    _call(
        9,
        "TriggerMessage",
        "pending",
        origin="console",
        request={"requestedMessage": "StatusNotification"},
    ),
    _call(
        8,
        "DataTransfer",
        "timed-out",
        station_id="CS-CHARLIE",
        ocpp_version="1.6",
        origin="sync",
        request={"vendorId": "com.acme", "data": "diag"},
        latency_ms=30_000.0,
        error_description="no answer from the station within 30 s",
    ),
    _call(
        7,
        "Reset",
        "error",
        station_id="CS-CHARLIE",
        ocpp_version="1.6",
        origin="console",
        request={"type": "Hard"},
        latency_ms=84.0,
        error_code="NotSupported",
        error_description="Reset is not supported",
    ),
    _call(
        6,
        "CostUpdated",
        "answered",
        origin="tariff",
        request={"totalCost": 6.88, "transactionId": "tx-0042"},
        response={},
        latency_ms=41.0,
    ),
    _call(
        5,
        "GetVariables",
        "answered",
        origin="api",
        request={
            "getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
            ]
        },
        response={
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "attributeValue": "300",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                {
                    "attributeStatus": "UnknownVariable",
                    "component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "Nope"},
                },
            ]
        },
        latency_ms=122.0,
    ),
    _call(
        4,
        "GetCompositeSchedule",
        "answered",
        origin="console",
        request={"evseId": 1, "duration": 3600},
        response=SCHEDULE,
        latency_ms=230.0,
    ),
]
LATE_ANSWER = MessageView(
    id=900,
    station_id="CS-CHARLIE",
    at=T0 + timedelta(minutes=8, seconds=42),
    direction="in",
    message_type=3,
    message_id="c-008",
    action="DataTransfer",
    payload={"status": "Accepted", "data": "fw 2.4.1 ok"},
)


class ActivityService(FixedService):
    async def list_calls(self, station_id: str | None = None, limit: int = 100) -> list[CallView]:
        return [c for c in CALLS if station_id in (None, c.station_id)][:limit]

    async def get_call(self, call_id: str) -> CallView:
        return next(c for c in CALLS if c.call_id == call_id)

    async def list_messages(self, **kw: Any) -> list[MessageView]:
        if kw.get("action") == "DataTransfer":
            return [LATE_ANSWER]
        return await super().list_messages(**kw)

    async def transaction_detail(
        self, transaction_id: str, station_id: str | None = None
    ) -> TransactionDetail:
        if transaction_id == LIVE_DETAIL.transaction_id:
            return LIVE_DETAIL
        return await super().transaction_detail(transaction_id, station_id)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """A running transaction's duration counts from now: now is fixed."""
    monkeypatch.setattr(
        transaction_screen, "utc_now", lambda: T0 + timedelta(minutes=27, seconds=5)
    )


class QuietService(ActivityService):
    """A site where nothing has happened yet: no messages, live or stored, no calls."""

    async def list_calls(self, station_id: str | None = None, limit: int = 100) -> list[CallView]:
        return []

    def subscribe(self, maxsize: int | None = None) -> FixedSubscription:
        return FixedSubscription([])

    async def list_messages(self, **_: Any) -> list[MessageView]:
        return []


def app(service: FixedService | None = None) -> CsmsConsole:
    console = CsmsConsole(service=service or ActivityService())  # type: ignore[arg-type]
    console.follow = False
    return console


# (name, keys, terminal size, service): the ended detail at 130×30 is test_snapshots'
# transaction-detail, the message log and history at 130×30 are there too.
CASES: list[tuple[str, tuple[str, ...], tuple[int, int], type[FixedService]]] = [
    ("transaction-live", ("3", "enter"), (130, 30), ActivityService),
    ("transaction-live", ("3", "enter"), (80, 24), ActivityService),
    ("transaction-ended", ("3", "down", "enter"), (80, 24), ActivityService),
    # A transaction its station will never end: the close form says what closing does.
    ("transaction-close", ("3", "enter", "x"), (80, 24), ActivityService),
    ("messages", ("2",), (80, 24), ActivityService),
    ("messages-empty", ("2",), (80, 24), QuietService),
    ("message-history", ("2", "o"), (80, 24), ActivityService),
    ("message-history-empty", ("2", "o"), (130, 30), QuietService),
    ("transactions-filter", ("3", "slash"), (80, 24), ActivityService),
    ("transactions-ended", ("3", "slash", *"state:ended", "enter"), (80, 24), ActivityService),
    ("transactions-none", ("3", "slash", *"token:nobody", "enter"), (130, 30), ActivityService),
    ("operations", ("7",), (130, 30), ActivityService),
    ("operations", ("7",), (80, 24), ActivityService),
    ("operations-empty", ("7",), (80, 24), QuietService),
    ("operation-schedule", ("7", "home", "enter"), (130, 30), ActivityService),
    ("operation-schedule", ("7", "home", "enter"), (80, 24), ActivityService),
    ("operation-variables", ("7", "home", "down", "enter"), (130, 30), ActivityService),
    ("operation-late", ("7", "end", "up", "enter"), (130, 30), ActivityService),
    ("operation-late", ("7", "end", "up", "enter"), (80, 24), ActivityService),
]


@pytest.mark.parametrize(
    ("name", "keys", "size", "service"),
    CASES,
    ids=[f"{n}-{w}x{h}" for n, _, (w, h), _ in CASES],
)
def test_activity_snapshot(
    snap_compare: Any,
    name: str,
    keys: tuple[str, ...],
    size: tuple[int, int],
    service: type[FixedService],
) -> None:
    assert snap_compare(app(service()), terminal_size=size, run_before=settle(*keys))
