"""The console as a field engineer runs it: the real `csms-tui` in tmux (200×50) with real
stations on its gateway — a 1.6 station heartbeating every second and a 2.0.1 station with two
EVSEs. What is on the screen is what tmux shows: last-seen moves while the station heartbeats,
the two EVSEs read apart, `g` on the live registered station offers a password rotation whose
default answer (No) leaves its password working, and a refusal from the core keeps the form open
with the typed input and the reason. And a console attached to a `csms-tui --daemon` process
(`--connect`) says so when the daemon dies, and recovers once it is back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from websockets.typing import Subprotocol

from tests.e2e.conftest import basic_header
from tests.e2e.processes import CSMS_TUI, Daemon, Site, register_station, write_config

pytestmark = pytest.mark.e2e


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Tmux:
    """One detached tmux session of its own (a private socket), running one command."""

    def __init__(self, argv: list[str], cwd: Path, size: tuple[int, int] = (200, 50)) -> None:
        self.socket = f"csms-test-{uuid.uuid4().hex[:8]}"
        self.session = "console"
        width, height = size
        self._tmux(
            "new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height),
            "-c", str(cwd), *argv,
        )  # fmt: skip

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.session, "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session)

    async def shows(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.screen())
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never shown; the screen:\n{self.screen()}")
            await asyncio.sleep(0.2)

    def close(self) -> None:
        self._tmux("kill-server")

    async def hang_up(self, timeout: float = 15.0) -> None:
        """Kill the tmux server, as a dropped SSH session does: the console's terminal is gone
        and it gets SIGHUP. The console must end (its embedded core stopped), not hang on the
        dead terminal with the stations' port held."""
        pid = int(self._tmux("list-panes", "-t", self.session, "-F", "#{pane_pid}").split()[0])
        self.close()
        deadline = time.monotonic() + timeout
        while _running(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"the console ({pid}) still runs {timeout:.0f} s after SIGHUP")
            await asyncio.sleep(0.2)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; whoever adopted it may not reap it here


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Site, dict[str, str]]:
    """The configuration file with its ports, and the two stations registered with their
    passwords."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is needed (.ci/run installs it)")
    site = write_config(tmp_path)
    return site, {
        station: register_station(site.config, station) for station in ("TMX16", "TMX201")
    }


@contextlib.asynccontextmanager
async def socket(
    ws_port: int, station: str, password: str, protocol: str
) -> AsyncIterator[websockets.ClientConnection]:
    async with websockets.connect(
        f"ws://127.0.0.1:{ws_port}/ws/{station}",
        subprotocols=[Subprotocol(protocol)],
        additional_headers={"Authorization": basic_header(station, password)},
    ) as ws:
        yield ws


async def test_a_field_engineer_s_console_in_tmux(
    setup: tuple[Site, dict[str, str]],
) -> None:
    site, passwords = setup
    ws_port = site.ws_port
    term = Tmux([str(CSMS_TUI), "--config", str(site.config)], cwd=site.config.parent)
    try:
        await term.shows(r"TMX16", timeout=30)
        async with (
            socket(ws_port, "TMX16", passwords["TMX16"], "ocpp1.6") as ws16,
            socket(ws_port, "TMX201", passwords["TMX201"], "ocpp2.0.1") as ws201,
        ):
            cp16, cp201 = Cp16("TMX16", ws16), Cp201("TMX201", ws201)
            tasks = [asyncio.create_task(cp16.start()), asyncio.create_task(cp201.start())]
            await cp16.call(
                call16.BootNotification(charge_point_vendor="Acme", charge_point_model="A")
            )
            await cp201.call(
                call201.BootNotification(
                    charging_station={"vendor_name": "Volt", "model": "Two"}, reason="PowerUp"
                )
            )
            for evse, status in ((1, "Occupied"), (2, "Available")):
                await cp201.call(
                    call201.StatusNotification(
                        timestamp=_now(), connector_status=status, evse_id=evse, connector_id=1
                    )
                )

            async def heartbeat() -> None:
                while True:
                    await cp16.call(call16.Heartbeat())
                    await asyncio.sleep(1.0)

            tasks.append(asyncio.create_task(heartbeat()))

            # Two EVSEs of one 2.0.1 station read apart (EVSE/connector:status).
            await term.shows(r"TMX201.*1/1:Occupied\s+2/1:Available")
            # Last seen moves while the 1.6 station heartbeats.
            first = (await term.shows(r"TMX16 .*?(\d\d:\d\d:\d\d)")).group(1)
            await asyncio.sleep(3.0)
            later = (await term.shows(r"TMX16 .*?(\d\d:\d\d:\d\d)")).group(1)
            assert later != first, term.screen()

            # `g` on the live registered station: the rotation is offered and asked about;
            # Enter takes the default (No) and nothing changes.
            term.keys("Home")  # the first row: TMX16 (ids sort)
            term.keys("g")
            await term.shows(r"Rotate password on TMX16")  # its form: a password, or generated
            term.keys("Enter")
            # … then the question, saying what it changes.
            await term.shows(r"Rotate password on TMX16\?[\s\S]*old\s[\s█]*password")
            term.keys("Enter")  # the default answer: No — back to the form, nothing sent
            await asyncio.sleep(0.5)
            assert "Rotate password on TMX16?" not in term.screen()
            term.keys("Escape")
            await asyncio.sleep(1.0)
            assert "Rotate password on TMX16" not in term.screen()
            # A refusal from the core keeps the form, the input and the reason beside it: a
            # 1.6 transaction id is a number, which only the station's version tells.
            term.keys("c")
            await term.shows(r"Actions for TMX16")
            term.keys("Down", "Enter")  # Remote stop, after Remote start
            await term.shows(r"Remote stop on TMX16")
            term.type("abc")
            term.keys("Enter")
            await term.shows(r"Remote stop on TMX16 \(Transaction id abc\)\?")
            term.keys("y")
            refused = await term.shows(r"whole number")
            assert "abc" in refused.string
            assert "Remote stop on TMX16" in refused.string
            term.keys("Escape")
            for task in tasks:
                task.cancel()
        # The station comes back with the password it had: still accepted.
        async with socket(ws_port, "TMX16", passwords["TMX16"], "ocpp1.6") as again:
            probe = Cp16("TMX16", again)
            task = asyncio.create_task(probe.start())
            boot = await probe.call(
                call16.BootNotification(charge_point_vendor="Acme", charge_point_model="A")
            )
            assert boot.status == "Accepted"
            task.cancel()
        await term.hang_up()
        # The embedded core went with it: its port no longer takes stations.
        with pytest.raises(ConnectionRefusedError):
            async with socket(ws_port, "TMX16", passwords["TMX16"], "ocpp1.6"):
                pass
    finally:
        term.close()


async def test_a_remote_console_notices_a_daemon_restart_and_recovers(
    setup: tuple[Site, dict[str, str]],
) -> None:
    site, passwords = setup
    ws_port = site.ws_port
    daemon = Daemon(site)
    await daemon.start()
    term = Tmux([str(CSMS_TUI), "--connect", site.api], cwd=site.config.parent)
    try:
        await term.shows(r"TMX16", timeout=30)
        async with socket(ws_port, "TMX16", passwords["TMX16"], "ocpp1.6") as ws:
            cp = Cp16("TMX16", ws)
            task = asyncio.create_task(cp.start())
            await cp.call(
                call16.BootNotification(charge_point_vendor="Acme", charge_point_model="A")
            )
            await term.shows(r"TMX16 .*online")
            daemon.kill()
            # At once, and on the screen: what is shown is a snapshot, and since when.
            await term.shows(r"daemon unreachable since")
            task.cancel()
        await daemon.start()
        # Back: reloaded, the banner gone, and the station whose connection died with the
        # daemon is offline now, not online for ever.
        await term.shows(r"the daemon is back", timeout=30)
        await term.shows(r"TMX16 .*offline")
        assert "daemon unreachable" not in term.screen()
        # …and live again: a station connecting now shows up online.
        async with socket(ws_port, "TMX201", passwords["TMX201"], "ocpp2.0.1") as ws:
            cp201 = Cp201("TMX201", ws)
            task = asyncio.create_task(cp201.start())
            await cp201.call(
                call201.BootNotification(
                    charging_station={"vendor_name": "Volt", "model": "Two"}, reason="PowerUp"
                )
            )
            await term.shows(r"TMX201 .*online")
            task.cancel()
        await term.hang_up()  # a remote console ends too; the daemon serves on
        assert daemon.proc is not None
        assert daemon.proc.poll() is None
    finally:
        term.close()
        daemon.kill()
