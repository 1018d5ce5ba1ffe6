"""The Stations tab's site overview (counts, power, the faulted-only view) and its alerts (bell
and notification) — the real console on the real core, with `ocpp` package stations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call as call16

from core.config import config_from_dict
from core.runtime import Csms
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.site_overview import SiteOverview
from tests.e2e.conftest import register
from tests.fixtures.running import service_of
from tests.tui.test_console import core_config, now, wait_until
from tests.tui.test_field_day import booted
from tests.tui.test_snapshots import app as fixed_app
from tests.tui.test_snapshots import settle

pytestmark = pytest.mark.tui


def overview(app: CsmsConsole) -> str:
    return str(app.query_one(SiteOverview).render())


def notes(app: CsmsConsole) -> str:
    return "\n".join(n.message for n in app._notifications)


class Bells:
    """Counts the console's bells (the terminal's is not observable from a test)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


async def test_counts_follow_stations_that_connect_fault_charge_and_drop(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSA")
        await register(csms, "CSB")
        app = CsmsConsole(service=service_of(csms))
        bells = Bells()
        async with app.run_test(size=(130, 30)) as pilot:
            app.bell = bells  # type: ignore[method-assign]
            table = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: {"CSA", "CSB"} <= set(table.rows))
            await wait_until(pilot, lambda: "0 online · 2 offline · 0 faulted" in overview(app))
            assert "power –" in overview(app)

            async with booted(csms, "CSA") as cp:
                await wait_until(pilot, lambda: "1 online · 1 offline" in overview(app))
                assert bells.count == 0  # connecting is no alert

                await cp.call(
                    call16.StartTransaction(
                        connector_id=1, id_tag="TAG1", meter_start=1000, timestamp=now()
                    )
                )
                await wait_until(pilot, lambda: "1 charging" in overview(app))
                tx = str(table.get_cell("CSA", "tx"))
                await cp.call(
                    call16.MeterValues(
                        connector_id=1,
                        transaction_id=int(tx),
                        meter_value=[
                            {
                                "timestamp": now(),
                                "sampledValue": [
                                    {
                                        "value": "7400",
                                        "measurand": "Power.Active.Import",
                                        "unit": "W",
                                    }
                                ],
                            }
                        ],
                    )
                )
                await wait_until(pilot, lambda: "power 7.4 kW" in overview(app))

                await cp.call(
                    call16.StatusNotification(
                        connector_id=2, error_code="GroundFailure", status="Faulted"
                    )
                )
                await wait_until(pilot, lambda: "1 faulted" in overview(app))
                await wait_until(pilot, lambda: bells.count == 1)
                assert "CSA: connector 2 faulted (GroundFailure)" in notes(app)
                # The same fault said again is not a new alert.
                await cp.call(
                    call16.StatusNotification(
                        connector_id=2, error_code="GroundFailure", status="Faulted"
                    )
                )
                await pilot.pause(0.6)
                assert bells.count == 1

                # The fault list is one key away, and the same key shows every station again.
                await pilot.press("f")
                assert list(table._order) == ["CSA"]
                assert "faulted only" in overview(app)
                await pilot.press("f")
                assert set(table._order) == {"CSA", "CSB"}

                await cp.call(
                    call16.StopTransaction(meter_stop=2000, timestamp=now(), transaction_id=int(tx))
                )
                await wait_until(pilot, lambda: "0 charging" in overview(app))
                assert "power –" in overview(app)

            # The station drops: counted offline, and an alert.
            await wait_until(pilot, lambda: "0 online · 2 offline" in overview(app))
            await wait_until(pilot, lambda: bells.count == 2)
            assert "CSA dropped (offline)" in notes(app)


async def test_bell_can_be_turned_off_the_notification_stays(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSA")
        app = CsmsConsole(service=service_of(csms))
        app.bell_on_alert = False  # tui.bell = false
        bells = Bells()
        async with app.run_test(size=(130, 30)) as pilot:
            app.bell = bells  # type: ignore[method-assign]
            async with booted(csms, "CSA") as cp:
                await wait_until(pilot, lambda: "1 online" in overview(app))
                await cp.call(
                    call16.StatusNotification(
                        connector_id=0, error_code="OtherError", status="Faulted"
                    )
                )
                await wait_until(
                    pilot, lambda: "CSA: the station faulted (OtherError)" in notes(app)
                )
            await wait_until(pilot, lambda: "CSA dropped (offline)" in notes(app))
            assert bells.count == 0


@pytest.mark.snapshot
@pytest.mark.parametrize("size", [(130, 30), (80, 24)], ids=["130x30", "80x24"])
def test_overview_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(fixed_app(), terminal_size=size, run_before=settle())


def test_the_bell_is_a_tui_setting_on_by_default() -> None:
    assert config_from_dict({}).tui.bell is True
    assert config_from_dict({"tui": {"bell": False}}).tui.bell is False
