"""`csms-tui` as a user starts it — the real command in a pseudo-terminal — with a real station
connected: out-of-range form values, a 70 KB paste and a console error do not cost the station an
answer; `q` asks first; SIGTERM leaves the terminal restored, the station closed with 1001 and
exit code 0."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import queue
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from websockets.typing import Subprotocol

from tests.e2e.conftest import basic_header
from tests.e2e.processes import CSMS_TUI, register_station, write_config

pytestmark = pytest.mark.e2e

BOX = re.compile(r"[\s\u2500-\u259f]+")
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


class Terminal:
    """A child process on a pseudo-terminal, its output drained continuously (a full pty would
    block the app's writes and look like a hang)."""

    def __init__(self, argv: list[str], cwd: Path, size: tuple[int, int] = (140, 40)) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = dict(
            os.environ,
            TERM=os.environ.get("XTERM", "xterm-256color"),
            COLUMNS=str(size[0]),
            LINES=str(size[1]),
        )
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self._raw = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._writer = threading.Thread(target=self._feed, daemon=True)
        self._writer.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self._raw += chunk

    @property
    def raw(self) -> str:
        with self._lock:
            return self._raw.decode("utf-8", "replace")

    def mark(self) -> int:
        with self._lock:
            return len(self._raw)

    def text_between(self, start: int, end: int) -> str:
        """What was drawn between two marks, as words: escapes, box drawing and line breaks (a
        dialog wraps its text between borders) collapsed to single spaces."""
        with self._lock:
            data = bytes(self._raw[start:end])
        return BOX.sub(" ", ANSI.sub("", data.decode("utf-8", "replace")))

    def send(self, data: str) -> None:
        """Queue keys for the terminal. A writer thread feeds them: a pty's buffer is a few KB,
        so a large paste blocks its writer until the app reads — that must not be the test's
        loop, where the probe station runs."""
        self._outbox.put(data.encode())

    def _feed(self) -> None:
        while (data := self._outbox.get()) is not None:
            view = memoryview(data)
            while view:
                try:
                    view = view[os.write(self.master, view) :]
                except OSError:
                    return

    def close(self) -> None:
        self._outbox.put(None)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        os.close(self.master)


async def drawn(term: Terminal, words: str, since: int, timeout: float) -> None:
    """Wait until ``words`` are drawn after byte ``since``. Scans only what is new each time
    (with an overlap for a sequence cut between reads): rescanning megabytes of output every
    few milliseconds would slow the reader, and a pty that is not drained throttles the app."""
    deadline = time.monotonic() + timeout
    pos = since
    while True:
        end = term.mark()
        if words in term.text_between(max(since, pos - 4096), end):
            return
        pos = end
        if time.monotonic() > deadline:
            tail = term.text_between(max(since, end - 6000), end)[-1500:]
            raise AssertionError(
                f"{words!r} not drawn in {timeout:.0f} s; the latest output:\n{tail}"
            )
        await asyncio.sleep(0.05)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, int, str]:
    site = write_config(tmp_path)
    return site.config, site.ws_port, register_station(site.config, "CSP1")


class Probe:
    """A real 1.6 station that heartbeats every 100 ms and keeps every round trip."""

    def __init__(self, cp: Cp16) -> None:
        self.cp = cp
        self.rtts: list[float] = []
        self.failures: list[str] = []
        self.paused = False

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(10):
                    await self.cp.call(call16.Heartbeat())
                self.rtts.append((time.perf_counter() - started) * 1000)
            # Any failure (a timeout, a closed socket, a CallError) is kept for the test to
            # report; one escaping would end the probe's task unseen.
            except Exception as exc:  # noqa: BLE001
                self.failures.append(f"{type(exc).__name__}: {exc}")
                return
            await asyncio.sleep(0.1)

    def answered_since(self, count: int) -> int:
        return len(self.rtts) - count


async def test_the_console_cannot_take_the_station_down(setup: tuple[Path, int, str]) -> None:
    config, ws_port, password = setup
    term = Terminal([str(CSMS_TUI), "--config", str(config)], cwd=config.parent)
    try:
        await drawn(term, "Vendor / model", 0, 60)
        async with websockets.connect(
            f"ws://127.0.0.1:{ws_port}/ws/CSP1",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": basic_header("CSP1", password)},
        ) as ws:
            cp = Cp16("CSP1", ws)
            reader = asyncio.create_task(cp.start())
            boot = await cp.call(
                call16.BootNotification(charge_point_vendor="Acme", charge_point_model="PTY")
            )
            assert boot.status == "Accepted"
            probe = Probe(cp)
            heartbeats = asyncio.create_task(probe.run())
            await drawn(term, "online", 0, 20)

            # Remote start with a connector beyond int32: the form keeps it and says why.
            mark = term.mark()
            term.send("s")
            await drawn(term, "Remote start", mark, 10)
            # Paced as a person types: a focus change (tab) takes effect after the keys
            # already queued behind it.
            for keys in ("TAG1", "\t", "\x15"):  # ctrl+u clears the connector field
                term.send(keys)
                await asyncio.sleep(0.3)
            mark = term.mark()
            term.send("99999999999999999999\r")
            await drawn(term, "must be between", mark, 10)
            # Escape closes the form (the Stations screen is drawn again); q asks first,
            # naming the station it would disconnect; escape keeps the console running.
            mark = term.mark()
            term.send("\x1b")
            await drawn(term, "Vendor / model", mark, 10)
            mark = term.mark()
            term.send("q")
            await drawn(term, "1 connected station will be disconnected", mark, 10)
            term.send("\x1b")
            await asyncio.sleep(0.5)
            assert term.proc.poll() is None, "the console is still running"

            assert not probe.failures, probe.failures
            worst = max(probe.rtts)
            assert len(probe.rtts) >= 10
            assert worst < 2000, f"a heartbeat waited {worst:.0f} ms"

            # SIGTERM: a clean exit, the terminal restored, the station closed with 1001.
            term.proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(term.proc.wait, 30)
            async with asyncio.timeout(10):
                await ws.wait_closed()
            heartbeats.cancel()
            reader.cancel()
        assert code == 0
        assert ws.close_code == 1001
        assert "\x1b[?1049l" in term.raw[-2000:], "the alternate screen was left"
        log = (config.parent / "csms.log").read_text(encoding="utf-8")
        assert "Traceback" not in log, log[-3000:]
    finally:
        term.close()
