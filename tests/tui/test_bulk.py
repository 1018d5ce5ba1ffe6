"""One command to many stations: marked rows (space), `c` offers what every marked station's
version has, one form, and the command reaches each — the real console on the real core, with
two `ocpp` package stations answering."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import call as call16
from textual.widgets import OptionList
from websockets.typing import Subprotocol

from core.runtime import Csms
from csms_tui.actions import BY_ID, ActionFormScreen, BulkActionMenuScreen
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.site_overview import SiteOverview
from tests.e2e.conftest import basic_header, register
from tests.fixtures.running import service_of
from tests.tui.test_actions import Station, choose, fill, notes
from tests.tui.test_console import core_config, wait_until

pytestmark = pytest.mark.tui


@contextlib.asynccontextmanager
async def booted(csms: Csms, station_id: str) -> AsyncIterator[Station]:
    """A 1.6 station connected and booted, answering ChangeAvailability in the background."""
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": basic_header(station_id)},
    ) as ws:
        cp = Station(station_id, ws)
        cp.seen = []
        task = asyncio.create_task(cp.start())
        await cp.call(call16.BootNotification(charge_point_vendor="Acme", charge_point_model="B"))
        try:
            yield cp
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await task


async def test_a_command_reaches_every_marked_station(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        for station_id in ("CSA", "CSB", "CSC"):
            await register(csms, station_id)
        app = CsmsConsole(service=service_of(csms))
        async with (
            app.run_test(size=(130, 30)) as pilot,
            contextlib.AsyncExitStack() as stack,
        ):
            a = await stack.enter_async_context(booted(csms, "CSA"))
            b = await stack.enter_async_context(booted(csms, "CSB"))
            c = await stack.enter_async_context(booted(csms, "CSC"))
            table = app.query_one("#stations-table", KeyedTable)
            await wait_until(
                pilot,
                lambda: all(
                    s in table.rows and "online" in table.get_cell(s, "state")
                    for s in ("CSA", "CSB", "CSC")
                ),
            )
            # Mark CSA and CSC (space on each), leaving CSB out; marked rows say so.
            assert table.cursor_key == "CSA"
            await pilot.press("space", "down", "down", "space")
            assert table.get_cell("CSA", "id") == "✓ CSA"
            assert table.get_cell("CSB", "id") == "CSB"
            assert table.get_cell("CSC", "id") == "✓ CSC"
            assert "2 marked" in str(app.query_one(SiteOverview).render())

            await pilot.press("c")
            menu = app.screen
            assert isinstance(menu, BulkActionMenuScreen)
            # What every 1.6 station has, and nothing that is one station's own.
            options = menu.query_one("#actions", OptionList)
            titles = {
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            }
            assert BY_ID["change_availability"].title in titles
            assert BY_ID["rotate_password"].title not in titles
            assert BY_ID["set_display_message"].title not in titles  # 2.0.1 only

            await choose(pilot, app, BY_ID["change_availability"].title)
            assert isinstance(app.screen, ActionFormScreen)
            await fill(pilot, app, evse_id="1")
            await wait_until(
                pilot,
                lambda: notes(app).count("answered ChangeAvailability: Accepted") == 2,
            )
            assert a.seen == [("ChangeAvailability", {"connector_id": 1, "type": "Operative"})]
            assert c.seen == [("ChangeAvailability", {"connector_id": 1, "type": "Operative"})]
            assert b.seen == []
            assert "CSA answered ChangeAvailability" in notes(app)
            assert "CSC answered ChangeAvailability" in notes(app)

            # Unmarked again, `c` is the highlighted station's menu.
            await pilot.press("space")
            await pilot.press("up", "up", "space")
            assert table.get_cell("CSA", "id") == "CSA"
            await pilot.press("c")
            assert not isinstance(app.screen, BulkActionMenuScreen)
