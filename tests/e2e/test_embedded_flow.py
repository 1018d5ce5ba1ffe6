"""Real stations (the `ocpp` package's ChargePoint, an independent implementation) drive the
embedded CSMS over websockets: boot → status → authorize → start → meter values → stop, and
CSMS-initiated calls reach them and are recorded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

from core.config import config_from_dict
from core.runtime import Csms
from core.store.models import CallState
from tests.e2e.conftest import add_token, basic_header, eventually, register
from tests.fixtures.running import gateway_of

pytestmark = pytest.mark.e2e


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Station16(Cp16):
    resets: list[str]
    remote_starts: list[str]

    @on("Reset")
    async def on_reset(self, type: str, **_: Any) -> result16.Reset:
        self.resets.append(type)
        return result16.Reset(status="Accepted")

    @on("RemoteStartTransaction")
    async def on_remote_start(self, id_tag: str, **_: Any) -> result16.RemoteStartTransaction:
        self.remote_starts.append(id_tag)
        return result16.RemoteStartTransaction(status="Accepted")


class Station201(Cp201):
    resets: list[str]
    starts: list[str]

    @on("Reset")
    async def on_reset(self, type: str, **_: Any) -> result201.Reset:
        self.resets.append(type)
        return result201.Reset(status="Accepted")

    @on("RequestStartTransaction")
    async def on_start(
        self, id_token: dict[str, Any], remote_start_id: int, **_: Any
    ) -> result201.RequestStartTransaction:
        self.starts.append(id_token["id_token"])
        return result201.RequestStartTransaction(status="Accepted")


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
        cp.resets, cp.remote_starts, cp.starts = [], [], []
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


async def test_ocpp16_station_full_session(csms: Csms) -> None:
    await register(csms, "CS16")
    await add_token(csms, "TAG1")
    async with connect(csms, "CS16", Station16, "ocpp1.6") as cp:
        boot = await cp.call(
            call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X1")
        )
        assert boot.status == "Accepted"
        assert boot.interval == 300
        await cp.call(
            call16.StatusNotification(connector_id=1, error_code="NoError", status="Available")
        )
        auth = await cp.call(call16.Authorize(id_tag="TAG1"))
        assert auth.id_tag_info["status"] == "Accepted"
        unknown = await cp.call(call16.Authorize(id_tag="NOPE"))
        assert unknown.id_tag_info["status"] == "Invalid"
        stamp = now()
        start = await cp.call(
            call16.StartTransaction(
                connector_id=1, id_tag="TAG1", meter_start=1000, timestamp=stamp
            )
        )
        assert start.id_tag_info["status"] == "Accepted"
        retry = await cp.call(
            call16.StartTransaction(
                connector_id=1, id_tag="TAG1", meter_start=1000, timestamp=stamp
            )
        )
        assert retry.transaction_id == start.transaction_id
        tx_id = start.transaction_id
        await cp.call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=tx_id,
                meter_value=[
                    {
                        "timestamp": now(),
                        "sampledValue": [
                            {
                                "value": "2.5",
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "kWh",
                            }
                        ],
                    }
                ],
            )
        )
        stop = await cp.call(
            call16.StopTransaction(
                meter_stop=4000,
                timestamp=now(),
                transaction_id=tx_id,
                id_tag="TAG1",
                reason="Local",
            )
        )
        assert stop.id_tag_info["status"] == "Accepted"

        tx = await csms.store.find_transaction("CS16", str(tx_id))
        assert tx is not None
        assert not tx.active
        assert tx.meter_start_wh == 1000
        assert tx.meter_stop_wh == 4000
        assert tx.cost == pytest.approx(3.0 * 0.55)  # 3 kWh at the default tariff
        assert any(
            sv.unit_of_measure and sv.unit_of_measure.unit == "kWh"
            for mv in tx.meter_values
            for sv in mv.sampled_values
        )
        runtime = await csms.store.lookup_runtime_details("CS16")
        assert runtime is not None
        assert (runtime.ocpp_version, runtime.vendor, runtime.model) == (
            "1.6",
            "Acme",
            "X1",
        )
        statuses = await csms.store.list_connector_statuses("CS16")
        assert [(s.connector_id, s.status) for s in statuses] == [(1, "Available")]

        record = await csms.call_maker.call("CS16", "Reset", {"type": "Soft"}, timeout=5)
        assert record.state is CallState.ANSWERED
        assert record.response == {"status": "Accepted"}
        assert cp.resets == ["Soft"]
        record = await csms.call_maker.call(
            "CS16", "RemoteStartTransaction", {"idTag": "TAG1", "connectorId": 1}, timeout=5
        )
        assert record.state is CallState.ANSWERED
        assert cp.remote_starts == ["TAG1"]

    async def logged() -> bool:
        messages = await csms.store.list_messages(station_id="CS16", limit=100)
        resets = {(m.direction, m.message_type) for m in messages if m.action == "Reset"}
        # the station's answer is logged with the action it answers
        return resets == {("out", 2), ("in", 3)} and any(
            m.action == "StopTransaction" and m.direction == "in" for m in messages
        )

    assert await eventually(logged)


async def test_ocpp201_station_full_session(csms: Csms) -> None:
    await register(csms, "CS201")
    await add_token(csms, "TOK2")
    async with connect(csms, "CS201", Station201, "ocpp2.0.1") as cp:
        boot = await cp.call(
            call201.BootNotification(
                charging_station={"model": "Y2", "vendor_name": "Acme", "serial_number": "S-1"},
                reason="PowerUp",
            )
        )
        assert boot.status == "Accepted"
        await cp.call(
            call201.StatusNotification(
                timestamp=now(), connector_status="Available", evse_id=1, connector_id=1
            )
        )
        auth = await cp.call(call201.Authorize(id_token={"id_token": "TOK2", "type": "ISO14443"}))
        assert auth.id_token_info["status"] == "Accepted"
        info = {"transaction_id": "tx-1", "charging_state": "Charging"}
        token = {"id_token": "TOK2", "type": "ISO14443"}

        def mv(wh: float) -> list[dict[str, Any]]:
            return [
                {
                    "timestamp": now(),
                    "sampled_value": [
                        {
                            "value": wh,
                            "measurand": "Energy.Active.Import.Register",
                            "unit_of_measure": {"unit": "Wh"},
                        }
                    ],
                }
            ]

        started = await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=now(),
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info=info,
                id_token=token,
                evse={"id": 1, "connector_id": 1},
                meter_value=mv(0),
            )
        )
        assert started.id_token_info["status"] == "Accepted"
        await cp.call(
            call201.TransactionEvent(
                event_type="Updated",
                timestamp=now(),
                trigger_reason="MeterValuePeriodic",
                seq_no=1,
                transaction_info=info,
                meter_value=mv(1000),
            )
        )
        ended = await cp.call(
            call201.TransactionEvent(
                event_type="Ended",
                timestamp=now(),
                trigger_reason="EVDeparted",
                seq_no=2,
                transaction_info={**info, "stopped_reason": "EVDisconnected"},
                meter_value=mv(2000),
            )
        )
        assert ended.total_cost == pytest.approx(2.0 * 0.55)
        tx = await csms.store.find_transaction("CS201", "tx-1")
        assert tx is not None
        assert not tx.active
        assert (tx.evse_id, tx.stopped_reason, tx.start_seq_no, tx.ended_seq_no) == (
            1,
            "EVDisconnected",
            0,
            2,
        )
        assert len(tx.meter_values) == 3

        record = await csms.call_maker.call("CS201", "Reset", {"type": "Immediate"}, timeout=5)
        assert record.state is CallState.ANSWERED
        assert cp.resets == ["Immediate"]
        record = await csms.call_maker.call(
            "CS201",
            "RequestStartTransaction",
            {"idToken": {"idToken": "TOK2", "type": "ISO14443"}, "remoteStartId": 7},
            timeout=5,
        )
        assert record.state is CallState.ANSWERED
        assert cp.starts == ["TOK2"]


async def test_call_to_offline_station_fails_fast(csms: Csms) -> None:
    await register(csms, "CSOFF")
    async with connect(csms, "CSOFF", Station16, "ocpp1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X1"))
    await eventually(lambda: _disconnected(csms, "CSOFF"))
    record = await csms.call_maker.call("CSOFF", "Reset", {"type": "Hard"}, timeout=5)
    assert record.state is CallState.ERROR
    assert "not connected" in record.error_description


async def _disconnected(csms: Csms, station_id: str) -> bool:
    return not gateway_of(csms).is_connected(station_id)


async def test_unanswered_call_times_out_and_queued_calls_follow(tmp_path: Path) -> None:
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "", "call_timeout": "0.3s"},
            "api": {"enabled": False},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(config) as csms:
        await register(csms, "SILENT")
        async with websockets.connect(
            f"ws://127.0.0.1:{csms.ports['ws']}/ws/SILENT",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": basic_header("SILENT")},
        ) as ws:
            await ws.send(
                '[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]'
            )
            await ws.recv()
            first = await csms.call_maker.send("SILENT", "Reset", {"type": "Soft"})
            second = await csms.call_maker.send("SILENT", "ClearCache", {})
            frame = json.loads(await ws.recv())
            assert frame[:3] == [2, first.call_id, "Reset"]  # one outstanding call at a time
            timed_out = await csms.call_maker.wait(first.call_id, timeout=5)
            assert timed_out.state is CallState.TIMED_OUT
            frame = json.loads(await ws.recv())  # the queued call goes out after the timeout
            assert frame[:3] == [2, second.call_id, "ClearCache"]
            await ws.send(json.dumps([3, second.call_id, {"status": "Accepted"}]))
            answered = await csms.call_maker.wait(second.call_id, timeout=5)
            assert answered.state is CallState.ANSWERED
            assert answered.response == {"status": "Accepted"}
            await ws.send(
                json.dumps([3, first.call_id, {"status": "Accepted"}])
            )  # a late answer is handled, not fatal
            await ws.send('[2,"h","Heartbeat",{}]')
            assert json.loads(await ws.recv())[:2] == [3, "h"]
