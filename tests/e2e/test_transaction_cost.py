"""Transactions and their cost, driven by real stations (the `ocpp` package's ChargePoint) over
websockets against the embedded CSMS at the default tariff (0.55 EUR per kWh):

- TC_I_01 (I02): the running cost reaches the station in CostUpdated calls during charging, at
  most once per tariff_service.running_cost_interval per transaction (or after every reading);
- offline replay: a 2.0.1 transaction's events in any order give the in-order cost and energy;
- a 1.6 start the CSMS refuses is still recorded, with its meter values, stop and energy."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

from core.runtime import Csms
from core.store.models import CallState
from tests.e2e.conftest import add_token, basic_header, eventually, register

pytestmark = pytest.mark.e2e

PRICE = 0.55  # EUR per kWh, the default tariff


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


class Station201(Cp201):
    """A 2.0.1 station with a display: it shows (here: queues) every running cost it is sent."""

    costs: asyncio.Queue[dict[str, Any]]

    @on("CostUpdated")
    async def on_cost_updated(
        self, total_cost: float, transaction_id: str, **_: Any
    ) -> result201.CostUpdated:
        self.costs.put_nowait({"totalCost": total_cost, "transactionId": transaction_id})
        return result201.CostUpdated()


@asynccontextmanager
async def connect(
    csms: Csms, station_id: str, cls: type[Any], subprotocol: str
) -> AsyncIterator[Any]:
    url = f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}"
    async with websockets.connect(
        url,
        subprotocols=[Subprotocol(subprotocol)],
        additional_headers={"Authorization": basic_header(station_id)},
    ) as ws:
        cp = cls(station_id, ws)
        cp.costs = asyncio.Queue()
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


async def boot201(cp: Station201) -> None:
    boot = await cp.call(
        call201.BootNotification(
            charging_station={"model": "Y2", "vendor_name": "Acme"}, reason="PowerUp"
        )
    )
    assert boot.status == "Accepted"


def energy(at: datetime, wh: float, context: str | None = None) -> list[dict[str, Any]]:
    """One Energy.Active.Import.Register reading (the measurand left to its default)."""
    sampled: dict[str, Any] = {"value": wh}
    if context is not None:
        sampled["context"] = context
    return [{"timestamp": iso(at), "sampled_value": [sampled]}]


@pytest.mark.parametrize(
    "csms_settings",
    [{}, {"tariff_service": {"running_cost_interval": 0}}],
    ids=["default-interval", "every-reading"],
)
async def test_tc_i_01_running_cost_is_sent_in_cost_updated(
    csms: Csms, csms_settings: dict[str, Any]
) -> None:
    """TC_I_01: during charging the CSMS sends CostUpdated with the running cost: with the first
    live reading at once, then at most once per running_cost_interval (30 s by default, so the
    readings of the next few seconds get none), or after every reading with 0. totalCost stays
    out of the answers to Updated (the schema allows it only once charging has ended) and is in
    the answer to Ended."""
    every_reading = bool(csms_settings)
    await register(csms, "CSI01")
    await add_token(csms, "DRIVER1")
    token = {"id_token": "DRIVER1", "type": "ISO14443"}
    evse = {"id": 1, "connector_id": 1}
    t0 = datetime.now(UTC)
    async with connect(csms, "CSI01", Station201, "ocpp2.0.1") as cp:
        await boot201(cp)
        auth = await cp.call(call201.Authorize(id_token=token))
        assert auth.id_token_info["status"] == "Accepted"

        async def event(
            event_type: str, seq_no: int, trigger: str, **extra: Any
        ) -> result201.TransactionEvent:
            return await cp.call(
                call201.TransactionEvent(
                    event_type=event_type,
                    timestamp=iso(t0 + timedelta(seconds=seq_no)),
                    trigger_reason=trigger,
                    seq_no=seq_no,
                    transaction_info={
                        "transaction_id": "I01",
                        "charging_state": extra.pop("state", "Charging"),
                        **extra.pop("info", {}),
                    },
                    evse=evse,
                    **extra,
                )
            )

        async def next_cost() -> dict[str, Any]:
            return await asyncio.wait_for(cp.costs.get(), timeout=5)

        started = await event(
            "Started",
            0,
            "Authorized",
            state="Idle",
            id_token=token,
            meter_value=energy(t0, 1000, "Transaction.Begin"),
        )
        assert started.id_token_info["status"] == "Accepted"
        assert started.total_cost is None
        assert await next_cost() == {"totalCost": 0.0, "transactionId": "I01"}
        # EVConnectedPreSession, EnergyTransferStarted: no new reading, no new cost
        await event("Updated", 1, "CablePluggedIn", state="EVConnected")
        await event("Updated", 2, "ChargingStateChanged")
        for seq_no, wh, cost in ((3, 2000, 1.0 * PRICE), (4, 3500, 2.5 * PRICE)):
            periodic = await event(
                "Updated",
                seq_no,
                "MeterValuePeriodic",
                meter_value=energy(t0 + timedelta(seconds=seq_no), wh, "Sample.Periodic"),
            )
            assert periodic.total_cost is None
            if every_reading or seq_no == 3:  # the first Updated reading gets one at once
                update = await next_cost()
                assert update["transactionId"] == "I01"
                assert update["totalCost"] == pytest.approx(cost)
        ended = await event(
            "Ended",
            5,
            "EVDeparted",
            state="Idle",
            info={"stopped_reason": "EVDisconnected"},
            meter_value=energy(t0 + timedelta(seconds=5), 4000, "Transaction.End"),
        )
        assert ended.total_cost == pytest.approx(3.0 * PRICE)
        assert cp.costs.empty()  # the final cost came in the answer, not in another CostUpdated

    # A CostUpdated is made before the answer to its event: no more than these will come.
    expected = 3 if every_reading else 2

    async def answered() -> list[Any] | None:
        calls = [c for c in await csms.store.list_calls("CSI01") if c.action == "CostUpdated"]
        assert len(calls) <= expected
        done = len(calls) == expected and all(c.state is CallState.ANSWERED for c in calls)
        return calls if done else None

    calls = await eventually(answered)
    assert {c.origin for c in calls} == {"tariff"}
    tx = await csms.store.find_transaction("CSI01", "I01")
    assert tx is not None
    assert not tx.active
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.currency) == (1000, 4000, "EUR")
    assert tx.cost == pytest.approx(3.0 * PRICE)


def _events(tx_id: str, t0: datetime) -> list[dict[str, Any]]:
    """A whole transaction queued while offline: Started, two periodic readings, Ended."""
    common = {"evse": {"id": 1, "connector_id": 1}, "offline": True}

    def at(seconds: int) -> datetime:
        return t0 + timedelta(seconds=seconds)

    return [
        {
            **common,
            "event_type": "Started",
            "timestamp": iso(at(0)),
            "trigger_reason": "Authorized",
            "seq_no": 0,
            "transaction_info": {"transaction_id": tx_id, "charging_state": "Charging"},
            "id_token": {"id_token": "DRIVER2", "type": "ISO14443"},
            "meter_value": energy(at(0), 1000, "Transaction.Begin"),
        },
        {
            **common,
            "event_type": "Updated",
            "timestamp": iso(at(600)),
            "trigger_reason": "MeterValuePeriodic",
            "seq_no": 1,
            "transaction_info": {"transaction_id": tx_id, "charging_state": "Charging"},
            "meter_value": energy(at(600), 2000, "Sample.Periodic"),
        },
        {
            **common,
            "event_type": "Updated",
            "timestamp": iso(at(1200)),
            "trigger_reason": "MeterValuePeriodic",
            "seq_no": 2,
            "transaction_info": {"transaction_id": tx_id, "charging_state": "SuspendedEV"},
            "meter_value": energy(at(1200), 3000, "Sample.Periodic"),
        },
        {
            **common,
            "event_type": "Ended",
            "timestamp": iso(at(1800)),
            "trigger_reason": "EVDeparted",
            "seq_no": 3,
            "transaction_info": {
                "transaction_id": tx_id,
                "charging_state": "Idle",
                "stopped_reason": "EVDisconnected",
            },
            "meter_value": energy(at(1800), 4000, "Transaction.End"),
        },
    ]


async def test_offline_replay_in_any_order_gives_the_in_order_cost_and_energy(
    csms: Csms,
) -> None:
    """Every order of the same four events (24) ends as the in-order transaction: 3 kWh,
    1.65 EUR, meter 1000 → 4000 Wh, the same start, end and final state — in the store and in
    the API. Replayed events get no running cost (it would be stale)."""
    await register(csms, "CSREPLAY")
    await add_token(csms, "DRIVER2")
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    orders = list(itertools.permutations(range(4)))
    async with connect(csms, "CSREPLAY", Station201, "ocpp2.0.1") as cp:
        await boot201(cp)
        for n, order in enumerate(orders):
            events = _events(f"replay-{n}", t0)
            for i in order:
                await cp.call(call201.TransactionEvent(**events[i]))
        assert cp.costs.empty()
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{csms.ports['api']}") as api:
        for n, order in enumerate(orders):
            tx = await csms.store.find_transaction("CSREPLAY", f"replay-{n}")
            assert tx is not None, order
            assert tx.cost == pytest.approx(3.0 * PRICE), order
            assert (
                tx.currency,
                tx.meter_start_wh,
                tx.meter_stop_wh,
                tx.started_at,
                tx.ended_at,
                tx.charging_state,
                tx.stopped_reason,
                tx.seq_no_gaps,
            ) == (
                "EUR",
                1000,
                4000,
                t0,
                t0 + timedelta(seconds=1800),
                "Idle",
                "EVDisconnected",
                [],
            ), order
            async with api.get(
                f"/api/v0/transactions/replay-{n}", params={"station": "CSREPLAY"}
            ) as response:
                assert response.status == 200
                body = await response.json()
            assert (body["energyWh"], body["cost"], body["active"]) == (
                3000,
                pytest.approx(3.0 * PRICE),
                False,
            ), order


async def test_refused_16_start_is_recorded_with_its_energy(csms: Csms) -> None:
    """A station that starts a transaction the CSMS refuses (offline start, or
    StopTransactionOnInvalidId false) keeps charging: the transaction is stored, not authorised,
    under a real id; its MeterValues and StopTransaction attach to it and its energy is priced."""
    await register(csms, "CS16REF")
    async with connect(csms, "CS16REF", Cp16, "ocpp1.6") as cp:
        boot = await cp.call(
            call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X1")
        )
        assert boot.status == "Accepted"
        t0 = datetime.now(UTC) - timedelta(hours=1)
        start = call16.StartTransaction(
            connector_id=1, id_tag="STRANGER", meter_start=5000, timestamp=iso(t0)
        )
        started = await cp.call(start)
        assert started.id_tag_info["status"] == "Invalid"
        assert started.transaction_id > 0
        assert (await cp.call(start)).transaction_id == started.transaction_id  # a retry
        tx_id = started.transaction_id
        await cp.call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=tx_id,
                meter_value=[
                    {
                        "timestamp": iso(t0 + timedelta(minutes=30)),
                        "sampledValue": [
                            {"value": "6500", "measurand": "Energy.Active.Import.Register"}
                        ],
                    }
                ],
            )
        )
        stop = await cp.call(
            call16.StopTransaction(
                meter_stop=8000,
                timestamp=iso(t0 + timedelta(hours=1)),
                transaction_id=tx_id,
                reason="DeAuthorized",
            )
        )
        assert stop.id_tag_info is None  # no idTag in the stop: none to answer for

    [tx] = await csms.store.list_transactions(station_id="CS16REF")
    assert tx.transaction_id == str(tx_id)
    assert (tx.auth_status, tx.authorized, tx.active) == ("Invalid", False, False)
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.stopped_reason) == (5000, 8000, "DeAuthorized")
    assert tx.cost == pytest.approx(3.0 * PRICE)
    attached = await csms.store.list_meter_values("CS16REF", str(tx_id))
    assert [sv.value for v in attached for sv in v.meter_value.sampled_values] == [
        5000,
        6500,
        8000,
    ]
    unknown = [
        e
        for e in await csms.store.list_station_events("CS16REF")
        if e.event_type == "UnknownTransaction"
    ]
    assert unknown == []
