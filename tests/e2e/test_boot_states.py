"""What a station may send before its boot is accepted (TC_B_30, TC_B_31) and calls to a station
that is connected but has not booted (TC_074), with real `ocpp` package stations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import websockets
from ocpp.exceptions import SecurityError
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

from core.commands.authorization import ClearCache
from core.commands.configuration import TriggerMessage
from core.runtime import Csms
from tests.e2e.conftest import basic_header, register
from tests.fixtures.running import service_of

pytestmark = pytest.mark.e2e


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Station201(Cp201):
    triggered: list[str]

    @on("TriggerMessage")
    async def on_trigger(self, requested_message: str, **_: Any) -> result201.TriggerMessage:
        self.triggered.append(requested_message)
        return result201.TriggerMessage(status="Accepted")


class Station16(Cp16):
    cleared: int = 0

    @on("ClearCache")
    async def on_clear_cache(self, **_: Any) -> result16.ClearCache:
        self.cleared += 1
        return result16.ClearCache(status="Accepted")


@asynccontextmanager
async def station(csms: Csms, station_id: str, cls: type[Any], proto: str) -> AsyncIterator[Any]:
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol(proto)],
        additional_headers={"Authorization": basic_header(station_id)},
    ) as ws:
        cp = cls(station_id, ws)
        cp.triggered = []
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


def _boot201() -> call201.BootNotification:
    return call201.BootNotification(
        charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
    )


def _started(tx_id: str) -> call201.TransactionEvent:
    return call201.TransactionEvent(
        event_type="Started",
        timestamp=_now(),
        trigger_reason="Authorized",
        seq_no=0,
        transaction_info={"transaction_id": tx_id},
        evse={"id": 1, "connector_id": 1},
    )


async def test_tc_b_30_pending_station_gets_security_error_and_nothing_is_stored(
    csms: Csms,
) -> None:
    await register(csms, "B30")
    await service_of(csms).set_pending_boot("B30", True)
    async with station(csms, "B30", Station201, "ocpp2.0.1") as cp:
        assert (await cp.call(_boot201())).status == "Pending"
        with pytest.raises(SecurityError):
            await cp.call(call201.Heartbeat(), suppress=False)
        with pytest.raises(SecurityError):
            await cp.call(_started("tx-while-pending"), suppress=False)
        assert await csms.store.find_transaction("B30", "tx-while-pending") is None
        # Accepted once the operator lets it: then everything is served again.
        await service_of(csms).set_pending_boot("B30", False)
        assert (await cp.call(_boot201())).status == "Accepted"
        await cp.call(call201.Heartbeat(), suppress=False)
        await cp.call(_started("tx-accepted"), suppress=False)
        assert await csms.store.find_transaction("B30", "tx-accepted") is not None


async def test_tc_b_31_what_the_csms_triggers_passes_while_pending(csms: Csms) -> None:
    await register(csms, "B31")
    await service_of(csms).set_pending_boot("B31", True)
    async with station(csms, "B31", Station201, "ocpp2.0.1") as cp:
        assert (await cp.call(_boot201())).status == "Pending"
        view = await service_of(csms).execute(
            "B31",
            TriggerMessage(requested_message="StatusNotification", evse_id=1, connector_id=1),
            wait=5,
        )
        assert view.state == "answered"
        assert cp.triggered == ["StatusNotification"]
        await cp.call(
            call201.StatusNotification(
                timestamp=_now(), connector_status="Available", evse_id=1, connector_id=1
            ),
            suppress=False,
        )
        with pytest.raises(SecurityError):  # asked for one kind of message, not any
            await cp.call(call201.Heartbeat(), suppress=False)


async def test_ocpp16_pending_station_gets_security_error(csms: Csms) -> None:
    await register(csms, "P16")
    await service_of(csms).set_pending_boot("P16", True)
    async with station(csms, "P16", Station16, "ocpp1.6") as cp:
        boot = await cp.call(
            call16.BootNotification(charge_point_vendor="V", charge_point_model="M")
        )
        assert boot.status == "Pending"
        with pytest.raises(SecurityError):
            await cp.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="TAG", meter_start=0, timestamp=_now()
                ),
                suppress=False,
            )
        assert await csms.store.list_transactions(station_id="P16") == []


async def test_a_station_never_answered_is_served(csms: Csms) -> None:
    """It reconnected without booting (2.0.1 Part 4 §5.4), or came from another CSMS."""
    await register(csms, "NOBOOT")
    async with station(csms, "NOBOOT", Station201, "ocpp2.0.1") as cp:
        await cp.call(call201.Heartbeat(), suppress=False)


async def test_tc_074_calls_reach_a_connected_station_that_has_not_booted(csms: Csms) -> None:
    await register(csms, "C074")
    async with station(csms, "C074", Station16, "ocpp1.6") as cp:
        view = await service_of(csms).execute("C074", ClearCache(), wait=5)
        assert view.state == "answered"
        assert view.ocpp_version == "1.6"
        assert cp.cleared == 1
