"""The real console on the real core: an `ocpp` package station connects, boots, starts and stops
a transaction; the console shows it; a remote start from the console reaches the station."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable
from websockets.typing import Subprotocol

from core.config import config_from_dict
from core.runtime import Csms
from core.services.certificates import create_ca
from csms_tui.actions import ActionFormScreen
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.message_log import MessageLog
from tests.e2e.conftest import add_token, basic_header, register
from tests.fixtures.running import gateway_of, service_of

pytestmark = pytest.mark.tui


class Station(Cp16):
    starts: list[tuple[str, int]]

    @on("RemoteStartTransaction")
    async def on_remote_start(
        self, id_tag: str, connector_id: int = 0, **_: Any
    ) -> result16.RemoteStartTransaction:
        self.starts.append((id_tag, connector_id))
        return result16.RemoteStartTransaction(status="Accepted")


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def core_config(tmp_path: Path) -> Any:
    """The embedded core on free ports, with its store in ``tmp_path``."""
    return config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": ""},
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
        }
    )


def station_socket(csms: Csms, station_id: str) -> Any:
    """A basic-auth OCPP 1.6 websocket to the core's gateway."""
    return websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": basic_header(station_id)},
    )


def shown(app: App[Any], screen: type[Screen[Any]], selector: str) -> bool:
    """The screen is on top and composed (its widgets exist): a query right after the push
    can run before its compose did."""
    return isinstance(app.screen, screen) and bool(app.screen.query(selector))


async def wait_until(pilot: Pilot[Any], check: Callable[[], object], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await pilot.pause(0.05)


async def test_console_shows_a_live_session_and_starts_remotely(tmp_path: Path) -> None:
    config = core_config(tmp_path)
    async with Csms(config) as csms:
        await register(csms, "CSTUI")
        await add_token(csms, "TAG9")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "CSTUI" in stations.rows)
            assert "offline" in str(stations.get_cell("CSTUI", "state"))
            async with station_socket(csms, "CSTUI") as ws:
                cp = Station("CSTUI", ws)
                cp.starts = []
                task = asyncio.create_task(cp.start())
                await cp.call(
                    call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X1")
                )
                await cp.call(
                    call16.StatusNotification(
                        connector_id=1, error_code="NoError", status="Charging"
                    )
                )
                start = await cp.call(
                    call16.StartTransaction(
                        connector_id=1, id_tag="TAG9", meter_start=0, timestamp=now()
                    )
                )
                await wait_until(
                    pilot, lambda: "online" in str(stations.get_cell("CSTUI", "state"))
                )
                await wait_until(
                    pilot,
                    lambda: str(start.transaction_id) in str(stations.get_cell("CSTUI", "tx")),
                )
                assert "1:Charging" in str(stations.get_cell("CSTUI", "connectors"))
                await cp.call(
                    call16.StopTransaction(
                        meter_stop=2500, timestamp=now(), transaction_id=start.transaction_id
                    )
                )

                await pilot.press("3")
                txs = app.query_one("#transactions-table", KeyedTable)
                key = f"CSTUI/{start.transaction_id}"
                await wait_until(
                    pilot, lambda: key in txs.rows and txs.get_cell(key, "state") == "ended"
                )
                assert txs.get_cell(key, "energy") == "2.500"
                txs.move_cursor(row=txs.get_row_index(key))
                await pilot.press("enter")
                from csms_tui.transaction_screen import TransactionDetailScreen

                assert isinstance(app.screen, TransactionDetailScreen)
                summary = app.screen.query_one("#tx-summary")
                await wait_until(pilot, lambda: "2.500 kWh" in str(summary.render()))
                assert "cost 1.38 EUR" in str(summary.render())
                assert [v for _, v in app.screen.query_one("#energy").points] == [0.0, 2500.0]  # type: ignore[attr-defined]
                await pilot.press("escape")

                await pilot.press("2")
                messages = app.query_one("#messages-table", MessageLog)
                await wait_until(pilot, lambda: messages.row_count >= 8)
                await pilot.press("slash")
                await pilot.press(*"stoptrans", "enter")
                assert messages.row_count == 2  # the StopTransaction call and its result
                await pilot.press("slash")
                for _ in range(9):
                    await pilot.press("backspace")
                await pilot.press("enter")
                assert messages.row_count >= 8

                await pilot.press("1")
                await pilot.press("s")
                assert isinstance(app.screen, ActionFormScreen)
                await pilot.click("#send")  # empty token: refused inline
                assert app.screen.errors == {"id_token": "Id token is required"}
                await pilot.click("#f-id_token")
                await pilot.press(*"TAG9", "enter")
                await wait_until(pilot, lambda: cp.starts == [("TAG9", 1)])
                task.cancel()
            await wait_until(pilot, lambda: not gateway_of(csms).is_connected("CSTUI"))
            await wait_until(pilot, lambda: "offline" in str(stations.get_cell("CSTUI", "state")))


async def test_station_detail_and_tokens(tmp_path: Path) -> None:
    from csms_tui.modals import TokenFormScreen
    from csms_tui.screens import StationDetailScreen

    config = core_config(tmp_path)
    async with Csms(config) as csms:
        await register(csms, "CSD")
        async with station_socket(csms, "CSD") as ws:
            cp = Station("CSD", ws)
            cp.starts = []
            task = asyncio.create_task(cp.start())
            await cp.call(
                call16.BootNotification(
                    charge_point_vendor="Acme",
                    charge_point_model="X9",
                    charge_point_serial_number="SN-42",
                )
            )
            await cp.call(
                call16.StatusNotification(connector_id=1, error_code="NoError", status="Available")
            )
            app = CsmsConsole(service=csms.service)
            async with app.run_test(size=(140, 40)) as pilot:
                stations = app.query_one("#stations-table", KeyedTable)
                await wait_until(pilot, lambda: "CSD" in stations.rows)
                await pilot.press("enter")
                assert isinstance(app.screen, StationDetailScreen)
                identity = app.screen.query_one("#identity")
                await wait_until(pilot, lambda: "SN-42" in str(identity.render()))
                assert app.screen.query_one("#connectors", DataTable).row_count == 1
                assert app.screen.query_one("#messages", DataTable).row_count >= 4
                from core.services.certificates import create_ca

                root_pem, _ = create_ca("Lab CSMS Root", "Thoughtworks")
                (tmp_path / "root.pem").write_text(root_pem)
                await pilot.press("i")
                await pilot.click("#path")
                await pilot.press(*str(tmp_path / "root.pem"), "enter")
                certs = app.screen.query_one("#certificates", DataTable)
                await wait_until(pilot, lambda: certs.row_count == 1)
                [pending] = await csms.store.lookup_install_certificates("CSD")
                assert pending.certificate_type.value == "CSMS"
                assert pending.status.value == "Pending"
                await pilot.press("n")

                async def renewal() -> bool:
                    trigger = await csms.store.lookup_trigger("CSD")
                    return (
                        trigger is not None and trigger.message == "SignChargingStationCertificate"
                    )

                async with asyncio.timeout(5):
                    while not await renewal():
                        await pilot.pause(0.05)
                await pilot.press("escape")
                assert not isinstance(app.screen, StationDetailScreen)

                await pilot.press("4")
                await pilot.press("a")
                assert isinstance(app.screen, TokenFormScreen)
                await pilot.click("#uid")
                await pilot.press(*"CARD1")
                await pilot.click("#contract")
                await pilot.press(*"gb-twk-c12345678", "enter")
                tokens = app.query_one("#tokens-table", DataTable)
                await wait_until(pilot, lambda: "CARD1" in tokens.rows)
                assert str(tokens.get_cell("CARD1", "contract")) == "GBTWKC12345678I"
                await pilot.press("b", "y")  # blocking asks first
                await wait_until(
                    pilot, lambda: str(tokens.get_cell("CARD1", "status")) == "Blocked"
                )
                auth = await cp.call(call16.Authorize(id_tag="CARD1"))
                assert auth.id_tag_info["status"] == "Blocked"  # the console's change reaches OCPP
                await pilot.press("d")
                await pilot.click("#yes")
                await wait_until(pilot, lambda: "CARD1" not in tokens.rows)
                assert await csms.store.lookup_token("CARD1") is None
            task.cancel()


_ROOT_PEM = create_ca("Remote Root", "Example")[0]


async def test_remote_console_follows_a_daemon(tmp_path: Path) -> None:
    """`csms-tui --connect URL`: the console over the REST API and its event stream."""
    from csms_tui.remote import connect as remote

    config = core_config(tmp_path)
    async with Csms(config) as csms:
        await register(csms, "CSR")
        url = f"http://127.0.0.1:{csms.ports['api']}"
        app = CsmsConsole(lambda: remote(url, None))
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "CSR" in stations.rows)
            assert "offline" in str(stations.get_cell("CSR", "state"))
            async with station_socket(csms, "CSR") as ws:
                cp = Station("CSR", ws)
                cp.starts = []
                task = asyncio.create_task(cp.start())
                await cp.call(
                    call16.BootNotification(charge_point_vendor="Acme", charge_point_model="R1")
                )
                await wait_until(
                    pilot, lambda: "online" in str(stations.get_cell("CSR", "state"))
                )  # via SSE
                assert "Acme R1" in str(stations.get_cell("CSR", "model"))
                messages = app.query_one("#messages-table", MessageLog)
                await wait_until(pilot, lambda: messages.row_count >= 2)
                await pilot.press("s")
                await pilot.click("#f-id_token")
                await pilot.press(*"REMOTE1", "enter")
                await wait_until(
                    pilot, lambda: cp.starts == [("REMOTE1", 1)]
                )  # through the REST API
                await pilot.press("c")
                await pilot.press("enter")  # the menu's first entry: remote start
                await pilot.press("escape")
                await pilot.press("x")
                await pilot.press("enter")  # Send (Soft), then confirm
                await pilot.click("#yes")
                # The `ocpp` station has no Reset handler: the console says what it answered.
                await wait_until(
                    pilot,
                    lambda: any(
                        "Reset on CSR: refused with an error (NotImplemented" in n.message
                        for n in app._notifications
                    ),
                )
                await pilot.press("5")
                certificates = app.query_one("#certificates-table", DataTable)
                await service_of(csms).install_root_certificate("CSR", _ROOT_PEM, "CSMS")
                await pilot.press("5")
                await pilot.press("1")
                await pilot.press("5")
                await wait_until(pilot, lambda: certificates.row_count == 1)
                task.cancel()
