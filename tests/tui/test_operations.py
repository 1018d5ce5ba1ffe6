"""The Operations tab on the real core with a real `ocpp` package station: every CSMS call with
its state (pending, answered, failed, timed out, late), latency and origin, live while shown and
read again when shown after hiding; filtered by station, action and state; a call's detail with
the request and the answer read as a table (schedule periods, configuration keys) or JSON, and
a late answer shown as what it is."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from textual.widgets import DataTable, Input, Static
from websockets.typing import Subprotocol

from core.application.service import CsmsService
from core.commands.availability import Reset
from core.commands.configuration import DataTransfer, GetConfiguration
from core.commands.smart_charging import GetCompositeSchedule
from core.config import config_from_dict
from core.runtime import Csms
from csms_tui.app import CsmsConsole
from csms_tui.history_screens import OperationDetailScreen
from csms_tui.line_table import KeyedTable
from csms_tui.panes.filters import HintedFilterScreen
from csms_tui.panes.operations import EMPTY, OperationsPane
from tests.e2e.conftest import basic_header, register
from tests.fixtures.running import service_of
from tests.tui.test_console import shown, wait_until

pytestmark = pytest.mark.tui


class Station(Cp16):
    """Answers with content; ``hold`` keeps a DataTransfer's answer back until it is set."""

    hold: asyncio.Event

    @on("GetConfiguration")
    async def on_get_configuration(self, **_: Any) -> result16.GetConfiguration:
        return result16.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
            unknown_key=["NoSuchKey"],
        )

    @on("GetCompositeSchedule")
    async def on_get_composite_schedule(self, **_: Any) -> result16.GetCompositeSchedule:
        return result16.GetCompositeSchedule(
            status="Accepted",
            connector_id=1,
            schedule_start="2026-03-14T10:00:00Z",
            charging_schedule={
                "charging_rate_unit": "W",
                "duration": 3600,
                "charging_schedule_period": [
                    {"start_period": 0, "limit": 11000},
                    {"start_period": 1800, "limit": 7400, "number_phases": 3},
                ],
            },
        )

    @on("Reset")
    async def on_reset(self, **_: Any) -> result16.Reset:
        return result16.Reset(status="Rejected")

    @on("DataTransfer")
    async def on_data_transfer(self, **_: Any) -> result16.DataTransfer:
        await self.hold.wait()
        return result16.DataTransfer(status="Accepted", data="late but here")


@contextlib.asynccontextmanager
async def booted(csms: Csms, station_id: str) -> AsyncIterator[Station]:
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": basic_header(station_id)},
    ) as ws:
        cp = Station(station_id, ws)
        cp.hold = asyncio.Event()
        task = asyncio.create_task(cp.start())
        await cp.call(call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X"))
        try:
            yield cp
        finally:
            cp.hold.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await task


def fast_timeouts(tmp_path: Path) -> Any:
    """The embedded core with a one-second call timeout, so a slow answer comes late."""
    return config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "", "call_timeout": "1s"},
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
        }
    )


def table(app: CsmsConsole) -> KeyedTable:
    return app.query_one("#operations-table", KeyedTable)


def row_of(app: CsmsConsole, action: str) -> str | None:
    t = table(app)
    return next((k for k in t.rows if t.get_cell(k, "action") == action), None)


def state(app: CsmsConsole, action: str) -> str:
    key = row_of(app, action)
    return "" if key is None else table(app).get_cell(key, "state")


def summary(app: CsmsConsole) -> str:
    return str(app.query_one("#operations-summary", Static).render())


async def open_detail(pilot: Any, app: CsmsConsole, action: str) -> OperationDetailScreen:
    key = row_of(app, action)
    assert key is not None
    table(app).move_cursor(row=table(app).get_row_index(key))
    await pilot.press("enter")
    await wait_until(pilot, lambda: shown(app, OperationDetailScreen, "#op-state"))
    screen = app.screen
    assert isinstance(screen, OperationDetailScreen)
    return screen


def text(screen: OperationDetailScreen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_operations_follow_every_call_and_read_its_answer(tmp_path: Path) -> None:
    async with Csms(fast_timeouts(tmp_path)) as csms:
        await register(csms, "CSOP")
        await register(csms, "CSQUIET")
        service: CsmsService = service_of(csms)
        app = CsmsConsole(service=service)
        async with app.run_test(size=(140, 40)) as pilot, booted(csms, "CSOP") as cp:
            await pilot.press("7")
            await wait_until(pilot, lambda: summary(app) == EMPTY)

            # Calls made while the tab is on show appear at once, from any origin.
            await service.execute(
                "CSOP", GetConfiguration(keys=["HeartbeatInterval", "NoSuchKey"]), wait=5
            )
            await service.execute(
                "CSOP", GetCompositeSchedule(evse_id=1, duration=3600), wait=5, origin="console"
            )
            await service.execute("CSOP", Reset(type="Hard"), wait=5, origin="console")
            await wait_until(pilot, lambda: state(app, "Reset") == "answered (Rejected)")
            assert state(app, "GetConfiguration") == "answered"
            key = row_of(app, "GetConfiguration")
            assert key is not None
            assert table(app).get_cell(key, "origin") == "api"
            assert table(app).get_cell(key, "station") == "CSOP"
            assert table(app).get_cell(key, "latency").endswith(" ms")

            # A call the station is slow to answer: pending, timed out, then late.
            await service.execute("CSOP", DataTransfer(vendor_id="com.acme"), origin="sync")
            await wait_until(pilot, lambda: state(app, "DataTransfer") == "pending")
            await wait_until(pilot, lambda: state(app, "DataTransfer") == "timed out", 5)
            assert "1 timed out" in summary(app)
            cp.hold.set()
            await wait_until(pilot, lambda: state(app, "DataTransfer") == "late (Accepted)", 5)
            assert "1 late" in summary(app)

            # Filtered by action, by state, by station (fields), and back.
            await pilot.press("slash")
            await wait_until(pilot, lambda: isinstance(app.screen, HintedFilterScreen))
            app.screen.query_one(Input).value = "action:composite"
            await pilot.press("enter")
            await wait_until(pilot, lambda: table(app).row_count == 1)
            assert row_of(app, "GetCompositeSchedule") is not None
            assert "filter action:composite: 1 shown" in summary(app)
            app.query_one(OperationsPane).set_filter("state:late")
            assert [table(app).get_cell(k, "action") for k in table(app).rows] == ["DataTransfer"]
            app.query_one(OperationsPane).set_filter("station:csquiet")
            assert table(app).row_count == 0
            assert "/ changes it" in summary(app)
            app.query_one(OperationsPane).set_filter("")
            assert table(app).row_count == 4

            # The detail: the schedule's periods as a table.
            screen = await open_detail(pilot, app, "GetCompositeSchedule")
            assert text(screen, "#op-state").startswith("✓ ANSWERED in ")
            assert '"connectorId": 1' in text(screen, "#op-request")
            periods = screen.query_one("#op-answer-table", DataTable)
            assert periods.display
            assert [[str(c) for c in periods.get_row_at(i)] for i in range(2)] == [
                ["0", "2026-03-14 10:00:00", "11000", "-"],
                ["1800", "2026-03-14 10:30:00", "7400", "3"],
            ]
            assert "Answer: Composite schedule of connector/EVSE 1: 2 periods" in text(
                screen, "#op-answer-title"
            )
            await pilot.press("escape")

            screen = await open_detail(pilot, app, "GetConfiguration")
            keys = screen.query_one("#op-answer-table", DataTable)
            assert [[str(c) for c in keys.get_row_at(i)] for i in range(2)] == [
                ["HeartbeatInterval", "300", ""],
                ["NoSuchKey", "-", "unknown key"],
            ]
            await pilot.press("escape")

            screen = await open_detail(pilot, app, "Reset")
            assert not screen.query_one("#op-answer-table", DataTable).display
            assert '"status": "Rejected"' in text(screen, "#op-answer")
            assert (
                text(screen, "#op-state")
                == f"✓ ANSWERED in {screen.call.latency_ms:.0f} ms: Rejected"
            )
            await pilot.press("escape")

            screen = await open_detail(pilot, app, "DataTransfer")
            assert text(screen, "#op-state").startswith("⏱ LATE: no answer within ")
            assert '"data": "late but here"' in text(screen, "#op-answer")
            assert "from sync" in text(screen, "#op-summary")
            await pilot.press("escape")

            # Hidden, the tab reads nothing; shown again, it has what happened meanwhile.
            await pilot.press("1")
            await service.execute("CSOP", Reset(type="Soft"), wait=5, origin="console")
            assert table(app).row_count == 4
            await pilot.press("7")
            await wait_until(pilot, lambda: table(app).row_count == 5)
