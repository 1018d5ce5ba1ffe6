"""A start the CSMS refused and the station ran anyway is shown as such: in the API's view, in
the console's transactions table and in its detail (a real 1.6 station, the real app)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16

from core.runtime import Csms
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.transaction_screen import TransactionDetailScreen
from tests.e2e.conftest import register
from tests.fixtures.running import service_of
from tests.tui.test_console import core_config, station_socket, wait_until


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def test_a_refused_start_that_ran_is_marked(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSREF")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot, station_socket(csms, "CSREF") as ws:
            cp = Cp16("CSREF", ws)
            task = asyncio.create_task(cp.start())
            await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
            start = await cp.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="UNKNOWN", meter_start=100, timestamp=_now()
                )
            )
            assert start.id_tag_info["status"] == "Invalid"
            assert start.transaction_id > 0
            await cp.call(
                call16.StopTransaction(
                    meter_stop=1100, timestamp=_now(), transaction_id=start.transaction_id
                )
            )
            task.cancel()
            (view,) = await service_of(csms).list_transactions(station_id="CSREF")
            assert view.authorized is False
            assert view.auth_status == "Invalid"
            assert view.to_json()["authorized"] is False
            assert view.energy_wh == 1000

            await pilot.press("3")
            txs = app.query_one("#transactions-table", KeyedTable)
            key = f"CSREF/{start.transaction_id}"
            await wait_until(pilot, lambda: key in txs.rows)
            await wait_until(pilot, lambda: "refused (Invalid)" in str(txs.get_cell(key, "state")))
            txs.move_cursor(row=txs.get_row_index(key))
            await pilot.press("enter")
            assert isinstance(app.screen, TransactionDetailScreen)
            summary = app.screen.query_one("#tx-summary")
            await wait_until(pilot, lambda: "start refused (Invalid)" in str(summary.render()))
