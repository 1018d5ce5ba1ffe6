"""A transaction its station will never end, closed from the console: a real 1.6 station starts
one and reports readings; the detail shows them as charts with axes and values; `x` asks for a
reason (none is refused in the form, input kept), closes it, and the detail says who ended it
and why. The station's own stop, arriving afterwards, still counts. Ended, `x` is not offered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ocpp.v16 import call as call16
from textual.widgets import Static

from core.runtime import Csms
from csms_tui.app import CsmsConsole
from csms_tui.close_transaction import CloseTransactionScreen
from csms_tui.line_table import KeyedTable
from csms_tui.transaction_screen import TransactionDetailScreen
from tests.e2e.conftest import add_token, register
from tests.fixtures.running import service_of
from tests.tui.test_console import Station, core_config, shown, station_socket, wait_until

pytestmark = pytest.mark.tui

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def test_close_a_stale_transaction_from_its_detail(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSOLD")
        await add_token(csms, "TAG7")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=(120, 50)) as pilot, station_socket(csms, "CSOLD") as ws:
            cp = Station("CSOLD", ws)
            cp.starts = []
            task = asyncio.create_task(cp.start())
            await cp.call(
                call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X")
            )
            start = await cp.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="TAG7", meter_start=1000, timestamp=iso(T0)
                )
            )
            tx_id = start.transaction_id
            for minutes, wh, watts in ((30, 6000, 11000), (60, 12000, 7000)):
                await cp.call(
                    call16.MeterValues(
                        connector_id=1,
                        transaction_id=tx_id,
                        meter_value=[
                            {
                                "timestamp": iso(T0 + timedelta(minutes=minutes)),
                                "sampled_value": [
                                    {"value": str(wh)},
                                    {
                                        "value": str(watts),
                                        "measurand": "Power.Active.Import",
                                        "unit": "W",
                                    },
                                ],
                            }
                        ],
                    )
                )

            await pilot.press("3")
            txs = app.query_one("#transactions-table", KeyedTable)
            key = f"CSOLD/{tx_id}"
            await wait_until(pilot, lambda: key in txs.rows)
            txs.move_cursor(row=txs.get_row_index(key))
            await pilot.press("enter")
            await wait_until(pilot, lambda: shown(app, TransactionDetailScreen, "#tx-state"))
            screen = app.screen
            assert isinstance(screen, TransactionDetailScreen)
            await wait_until(pilot, lambda: screen.detail is not None and screen.detail.active)
            # Charts with axes and values: a title with the unit, minutes along the bottom, the
            # register's scale up the side (1 → 12 kWh), the power's (7 → 11 kW).
            energy = str(screen.query_one("#energy").render())
            assert "Energy register (kWh)" in energy
            assert "minutes since the first reading" in energy
            assert "12" in energy
            assert "60" in energy
            power = str(screen.query_one("#power").render())
            assert "Power (kW)" in power
            assert "11" in power
            assert "7" in power
            assert "x" in {
                k for k, b in screen.active_bindings.items() if b.enabled and b.binding.show
            }

            await pilot.press("x")
            await wait_until(pilot, lambda: shown(app, CloseTransactionScreen, "#reason"))
            form = app.screen
            await pilot.press("space", "enter")  # only a blank: refused in the form
            assert isinstance(app.screen, CloseTransactionScreen)
            assert "reason" in str(form.query_one("#error", Static).render())
            await pilot.press(*"replaced")
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, TransactionDetailScreen))
            await wait_until(
                pilot, lambda: "■ ENDED" in str(screen.query_one("#tx-state").render())
            )
            state = str(screen.query_one("#tx-state").render())
            assert "Other" in state
            assert "closed by an operator: replaced" in state
            summary = str(screen.query_one("#tx-summary").render())
            assert "energy 11.000 kWh" in summary  # the energy known when it was closed
            # Ended: closing again is not offered.
            assert "x" not in {
                k for k, b in screen.active_bindings.items() if b.enabled and b.binding.show
            }
            stored = await service_of(csms).transaction_detail(str(tx_id), "CSOLD")
            assert (stored.active, stored.close_reason) == (False, "replaced")
            assert stored.stopped_reason == "Other"

            # The station comes back with its stop: its figures replace the operator's close.
            await cp.call(
                call16.StopTransaction(
                    meter_stop=15000,
                    timestamp=iso(T0 + timedelta(minutes=80)),
                    transaction_id=tx_id,
                    reason="PowerLoss",
                )
            )
            stored = await service_of(csms).transaction_detail(str(tx_id), "CSOLD")
            assert (stored.stopped_reason, stored.meter_stop_wh) == ("PowerLoss", 15000.0)
            assert stored.energy_wh == 14000.0
            assert stored.close_reason == "replaced"
            task.cancel()
