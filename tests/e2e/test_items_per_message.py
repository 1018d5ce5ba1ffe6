"""TC_B_08: GetVariables and SetVariables never exceed what the station says it takes in one
message (DeviceDataCtrlr ItemsPerMessage / BytesPerMessage from its NotifyReport) — from the
API's commands and from the sync loop — with a real `ocpp` 2.0.1 station."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import websockets
from ocpp.routing import on
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

from core.commands.configuration import GetConfiguration, SetConfiguration
from core.runtime import Csms
from tests.e2e.conftest import basic_header, eventually, register
from tests.fixtures.running import service_of

pytestmark = pytest.mark.e2e


class Station(Cp201):
    gets: list[int]
    sets: list[tuple[int, int]]  # (items, bytes of the payload)

    @on("GetVariables")
    async def on_get(self, get_variable_data: list[dict[str, Any]]) -> Any:
        self.gets.append(len(get_variable_data))
        return result201.GetVariables(
            get_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "attribute_value": "v-" + d["variable"]["name"],
                    "component": d["component"],
                    "variable": d["variable"],
                }
                for d in get_variable_data
            ]
        )

    @on("SetVariables")
    async def on_set(self, set_variable_data: list[dict[str, Any]]) -> Any:
        self.sets.append((len(set_variable_data), len(orjson.dumps(set_variable_data))))
        return result201.SetVariables(
            set_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "component": d["component"],
                    "variable": d["variable"],
                }
                for d in set_variable_data
            ]
        )


@asynccontextmanager
async def station(csms: Csms, station_id: str) -> AsyncIterator[Station]:
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol("ocpp2.0.1")],
        additional_headers={"Authorization": basic_header(station_id)},
    ) as ws:
        cp = Station(station_id, ws)
        cp.gets, cp.sets = [], []
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


def _limit(variable: str, instance: str, value: int) -> dict[str, Any]:
    return {
        "component": {"name": "DeviceDataCtrlr"},
        "variable": {"name": variable, "instance": instance},
        "variable_attribute": [{"type": "Actual", "value": str(value), "mutability": "ReadOnly"}],
    }


async def _boot_and_report(cp: Station, *limits: dict[str, Any]) -> None:
    boot = await cp.call(
        call201.BootNotification(
            charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
        )
    )
    assert boot.status == "Accepted"
    await cp.call(
        call201.NotifyReport(
            request_id=1,
            generated_at=datetime.now(UTC).isoformat(),
            seq_no=0,
            report_data=list(limits),
        )
    )


async def test_tc_b_08_get_variables_in_parts(csms: Csms) -> None:
    await register(csms, "B08")
    async with station(csms, "B08") as cp:
        await _boot_and_report(cp, _limit("ItemsPerMessage", "GetVariables", 2))
        keys = [f"Ctrlr.Var{n}" for n in range(5)]
        view = await service_of(csms).execute("B08", GetConfiguration(keys=keys), wait=5)
        assert cp.gets == [2, 2, 1]
        assert len(view.call_ids) == 3
        assert view.state == "answered"
        assert view.response is not None
        values = [r["attributeValue"] for r in view.response["getVariableResult"]]
        assert values == [f"v-Var{n}" for n in range(5)]  # every part, in order


async def test_set_variables_by_bytes_from_the_api_and_the_sync_loop(csms: Csms) -> None:
    await register(csms, "B08S")
    async with station(csms, "B08S") as cp:
        await _boot_and_report(
            cp,
            _limit("ItemsPerMessage", "SetVariables", 10),
            _limit("BytesPerMessage", "SetVariables", 400),
        )
        values = {f"Ctrlr.Variable{n}": "x" * 60 for n in range(6)}
        view = await service_of(csms).execute("B08S", SetConfiguration(values=values), wait=5)
        assert view.state == "answered"
        assert len(view.call_ids) >= 2
        assert sum(items for items, _ in cp.sets) == 6
        assert all(size + 100 <= 400 for _, size in cp.sets)  # the frame fits as well
        cp.sets.clear()
        await service_of(csms).reconfigure(
            "B08S", {f"Sync/Variable{n}": "y" * 60 for n in range(6)}
        )
        assert csms.syncer is not None
        await csms.syncer.tick()

        async def pushed() -> bool:
            return sum(items for items, _ in cp.sets) == 6

        await eventually(pushed, timeout=10)
        assert len(cp.sets) >= 2
