"""The product as a user starts it, for the tests that run its processes: the installed
``csms-tui`` console script, a configuration file on free ports, stations registered with the
command line, and ``csms-tui --daemon`` started, killed and stopped like a real one."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.fixtures.services import free_port

CSMS_TUI = Path(sys.executable).with_name("csms-tui")


@dataclass(frozen=True)
class Site:
    """A configuration file in a directory of its own, and the ports it names."""

    config: Path
    ws_port: int
    api_port: int

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"


def write_config(directory: Path, name: str = "csms.toml") -> Site:
    """``name`` in ``directory``: gateway and API on free loopback ports, the store and the log
    beside it."""
    site = Site(directory / name, free_port(), free_port())
    site.config.write_text(
        f"""
[gateway]
ws_addr = "127.0.0.1:{site.ws_port}"
status_addr = ""

[api]
addr = "127.0.0.1:{site.api_port}"

[storage.sqlite]
path = "{directory / "csms.db"}"

[observability]
log_file = "{directory / "csms.log"}"
""",
        encoding="utf-8",
    )
    return site


def register_station(config: Path, station_id: str) -> str:
    """``csms-tui station register``; the generated password it prints once."""
    out = subprocess.run(
        [str(CSMS_TUI), "station", "register", station_id, "--config", str(config)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    found = re.search(r"password:\s*(\S+)", out)
    assert found is not None, out
    return found.group(1)


class Daemon:
    """``csms-tui --daemon`` as a process of its own; its stderr goes to ``daemon.err``."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.err = site.config.parent / "daemon.err"
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        """Start it and wait until its API answers."""
        self.proc = subprocess.Popen(
            [str(CSMS_TUI), "--daemon", "--config", str(self.site.config)],
            stdout=subprocess.DEVNULL,
            stderr=self.err.open("ab"),
        )
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as http:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.site.api}/health") as resp:
                        if resp.status == 200:
                            return
                assert self.proc.poll() is None, self.err.read_text()
                assert time.monotonic() < deadline, "the daemon never answered"
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        """As a crash or a power cut does it: no goodbye to anybody."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """As an operator does it: SIGTERM, then a kill if it does not end."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
