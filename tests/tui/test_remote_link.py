"""A console attached to a daemon (`--connect`) that restarts: it says at once that what it
shows is a snapshot, keeps running, and once the daemon is back reloads — a station whose
connection went with the daemon is shown offline, not online for ever."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from ocpp.v16 import call as call16
from textual.widgets import Static

from core.config import config_from_dict
from core.runtime import Csms
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.remote import connect as remote
from tests.e2e.conftest import register
from tests.tui.test_actions import Station
from tests.tui.test_console import station_socket, wait_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _notes(app: CsmsConsole) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_the_remote_console_notices_a_daemon_restart_and_recovers(tmp_path: Path) -> None:
    port = _free_port()
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": ""},
            "api": {"addr": f"127.0.0.1:{port}"},
            "observability": {"log_file": ""},
        }
    )
    daemon = Csms(config)
    await daemon.__aenter__()
    try:
        await register(daemon, "CSL")
        app = CsmsConsole(lambda: remote(f"http://127.0.0.1:{port}", None))
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            summary = app.query_one("#summary", Static)
            await wait_until(pilot, lambda: "CSL" in stations.rows)
            async with station_socket(daemon, "CSL") as ws:
                cp = Station("CSL", ws)
                task = asyncio.create_task(cp.start())
                await cp.call(
                    call16.BootNotification(charge_point_vendor="A", charge_point_model="B")
                )
                await wait_until(pilot, lambda: "online" in str(stations.get_cell("CSL", "state")))

                await daemon.__aexit__(None, None, None)  # the daemon stops
                await wait_until(pilot, lambda: "daemon unreachable" in str(summary.render()))
                assert "lost the daemon" in _notes(app)
                task.cancel()
            assert app.is_running
            assert not app.errors

            daemon = Csms(config)  # … and comes back on the same address
            await daemon.__aenter__()
            await wait_until(pilot, lambda: "the daemon is back" in _notes(app), timeout=15)
            assert "daemon unreachable" not in str(summary.render())
            # Its station's connection went with the old process: offline now, not "online".
            await wait_until(pilot, lambda: "offline" in str(stations.get_cell("CSL", "state")))
            assert not app.errors
    finally:
        await daemon.__aexit__(None, None, None)
