"""The README's first command, proved on a plain install (``pip install -e .``, no extras).

Usage: ``python .ci/first_run.py PATH/TO/csms-tui`` (run by the test venv's python, which has the
``ocpp`` and ``websockets`` packages; the ``csms-tui`` given comes from a venv without extras).

In a fresh temporary directory, each step with a timeout: ``--help``; ``config check`` of the
repository's config.toml; ``--daemon`` on free ports until ``/health`` answers; a registered
OCPP 1.6 station (the ``ocpp`` package over ``websockets``) boots and sends a heartbeat; SIGTERM
stops the daemon with exit code 0; the console, started in a pseudo-terminal, draws its Stations
screen and is then stopped with SIGTERM. One line per step with its time; exit code 1 if any
step fails.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import websockets
from ocpp.v16 import ChargePoint
from ocpp.v16 import call as call16
from websockets.typing import Subprotocol

REPO = Path(__file__).resolve().parents[1]
STATION_ID = "CI-FIRST-RUN"
ROWS, COLUMNS = 40, 120
# CSI (colours, cursor moves, private modes), OSC (titles, clipboard) and two-byte escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


class StepFailed(Exception):
    """A step did not do what the README promises; the message says what happened."""


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def tail(text: str, lines: int = 40) -> str:
    return "\n".join("    | " + line for line in text.strip().splitlines()[-lines:])


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (all held open until every one is known)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def child_env() -> dict[str, str]:
    """The environment of a user's shell: nothing that would let the plain install see the
    test venv's packages."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    env["TERM"] = "xterm-256color"
    return env


class FirstRun:
    def __init__(self, exe: str, work: Path) -> None:
        self.exe = exe
        self.work = work
        self.ws_port, self.api_port, self.status_port = free_ports(3)
        self.config = work / "first-run.toml"
        self.password = ""
        self.daemon: subprocess.Popen[bytes] | None = None
        self.daemon_log = work / "daemon.out"

    # -- helpers --------------------------------------------------------------------------

    def run(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        command = [self.exe, *args]
        try:
            done = subprocess.run(
                command,
                cwd=self.work,
                env=child_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise StepFailed(f"cannot start {self.exe}: {exc.strerror}") from exc
        except subprocess.TimeoutExpired as exc:
            raise StepFailed(
                f"`csms-tui {' '.join(args)}` still running after {timeout:.0f}s"
            ) from exc
        if done.returncode != 0:
            raise StepFailed(
                f"`csms-tui {' '.join(args)}` exited {done.returncode}:\n"
                + tail(done.stdout + done.stderr)
            )
        return done

    def health(self) -> bool:
        url = f"http://127.0.0.1:{self.api_port}/health"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200 and json.load(response) == {"status": "OK"})
        except OSError:
            return False

    def wait_for_health(self, process: subprocess.Popen[Any], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not self.health():
            if process.poll() is not None:
                raise StepFailed(f"{what} exited {process.returncode} before /health answered")
            if time.monotonic() > deadline:
                raise StepFailed(
                    f"{what}: http://127.0.0.1:{self.api_port}/health did not answer "
                    f"within {timeout:.0f}s"
                )
            time.sleep(0.1)

    def daemon_output(self) -> str:
        try:
            return self.daemon_log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    # -- steps ----------------------------------------------------------------------------

    def help(self) -> str:
        out = self.run("--help", timeout=30).stdout
        if "--daemon" not in out:
            raise StepFailed("`csms-tui --help` does not mention --daemon:\n" + tail(out))
        return ""

    def config_check(self) -> str:
        self.run("config", "check", str(REPO / "config.toml"), timeout=30)
        return ""

    def write_config(self) -> str:
        # JSON strings are valid TOML basic strings (paths with backslashes or quotes included).
        self.config.write_text(
            f"""\
[api]
addr = "127.0.0.1:{self.api_port}"
ws_port = {self.ws_port}

[gateway]
ws_addr = "127.0.0.1:{self.ws_port}"
status_addr = "127.0.0.1:{self.status_port}"

[storage.sqlite]
path = {json.dumps(str(self.work / "csms.db"))}

[observability]
log_file = {json.dumps(str(self.work / "csms.log"))}
""",
            encoding="utf-8",
        )
        self.run("config", "check", str(self.config), timeout=30)
        return f"ws {self.ws_port}, api {self.api_port}, status {self.status_port}"

    def start_daemon(self) -> str:
        with self.daemon_log.open("wb") as out:
            try:
                self.daemon = subprocess.Popen(
                    [self.exe, "--daemon", "--config", str(self.config)],
                    cwd=self.work,
                    env=child_env(),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except FileNotFoundError as exc:
                raise StepFailed(f"cannot start {self.exe}: {exc.strerror}") from exc
        try:
            self.wait_for_health(self.daemon, 30, "csms-tui --daemon")
        except StepFailed as exc:
            raise StepFailed(f"{exc}\n{tail(self.daemon_output())}") from None
        return f"pid {self.daemon.pid}"

    def register(self) -> str:
        out = self.run("station", "register", STATION_ID, "--config", str(self.config)).stdout
        match = re.search(r"^password:\s*(\S+)", out, re.MULTILINE)
        if not match:
            raise StepFailed("`csms-tui station register` printed no password:\n" + tail(out))
        self.password = match.group(1)
        return ""

    def station(self) -> str:
        try:
            return asyncio.run(asyncio.wait_for(self._station(), timeout=20))
        except TimeoutError:
            raise StepFailed("the station got no answer within 20s") from None

    async def _station(self) -> str:
        url = f"ws://127.0.0.1:{self.ws_port}/ws/{STATION_ID}"
        basic = base64.b64encode(f"{STATION_ID}:{self.password}".encode()).decode()
        try:
            ws = await websockets.connect(
                url,
                subprotocols=[Subprotocol("ocpp1.6")],
                additional_headers={"Authorization": f"Basic {basic}"},
            )
        except (OSError, websockets.InvalidHandshake) as exc:
            raise StepFailed(f"station could not connect to {url}: {exc}") from exc
        async with ws:
            if ws.subprotocol != "ocpp1.6":
                raise StepFailed(f"gateway chose subprotocol {ws.subprotocol!r}, not ocpp1.6")
            cp = ChargePoint(STATION_ID, ws)
            reader = asyncio.create_task(cp.start())
            try:
                boot = await cp.call(
                    call16.BootNotification(charge_point_vendor="CI", charge_point_model="FirstRun")
                )
                if boot.status != "Accepted":
                    raise StepFailed(f"BootNotification answered {boot.status!r}, not Accepted")
                beat = await cp.call(call16.Heartbeat())
                if not beat.current_time:
                    raise StepFailed(f"Heartbeat answer has no currentTime: {beat!r}")
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        return f"boot Accepted (interval {boot.interval}s), heartbeat {beat.current_time}"

    def stop_daemon(self) -> str:
        daemon = self.daemon
        if daemon is None or daemon.poll() is not None:
            code = None if daemon is None else daemon.returncode
            raise StepFailed(f"the daemon is not running (exit code {code})")
        daemon.send_signal(signal.SIGTERM)
        try:
            code = daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise StepFailed(
                "the daemon did not exit within 20s of SIGTERM\n" + tail(self.daemon_output())
            ) from None
        if code != 0:
            raise StepFailed(
                f"the daemon exited {code} on SIGTERM, not 0\n" + tail(self.daemon_output())
            )
        return "exit 0"

    def console(self) -> str:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        modes_before = termios.tcgetattr(slave)
        try:
            process = subprocess.Popen(
                [self.exe, "--config", str(self.config)],
                cwd=self.work,
                env=child_env(),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            os.close(master)
            os.close(slave)
            raise StepFailed(f"cannot start {self.exe}: {exc.strerror}") from exc
        screen = bytearray()
        try:
            drawn = _read_until(master, screen, process, 30, _stations_drawn)
            if not drawn:
                what = (
                    "did not draw the Stations screen within 30s"
                    if process.poll() is None
                    else f"exited {process.returncode} without drawing the Stations screen"
                )
                raise StepFailed(
                    f"the console {what}; its output, without escape sequences:\n"
                    + tail(_text(screen))
                )
            self.wait_for_health(process, 10, "the console's embedded core")
            # Reported, not required: the row of the station registered and booted above.
            listed = _read_until(master, screen, process, 10, lambda text: STATION_ID in text)
            drawn_at = len(screen)
            process.send_signal(signal.SIGTERM)
            # Read while it ends: a full terminal buffer would block its last writes.
            if not _read_until(master, screen, process, 15, lambda _: process.poll() is not None):
                raise StepFailed("the console did not exit within 15s of SIGTERM")
            code = process.wait()
            _read_until(master, screen, process, 1, lambda _: False)
            after = bytes(screen[drawn_at:])
            left_alt_screen = b"\x1b[?1049l" in after
            modes_restored = termios.tcgetattr(slave) == modes_before
        finally:
            _kill_group(process)
            os.close(master)
            os.close(slave)
        # SIGTERM ends the console like quitting does: exit 0, the operator's terminal back.
        if code != 0 or not left_alt_screen or not modes_restored:
            raise StepFailed(
                f"the console on SIGTERM: exit {code} (want 0), alternate screen left: "
                f"{left_alt_screen}, terminal modes restored: {modes_restored}"
            )
        return (
            f"Stations drawn ({'station listed' if listed else 'station not listed within 10s'}); "
            f"SIGTERM → exit {code}; alternate screen left: {'yes' if left_alt_screen else 'no'}; "
            f"terminal modes restored: {'yes' if modes_restored else 'no'}"
        )

    def cleanup(self) -> None:
        if self.daemon is not None:
            _kill_group(self.daemon)


def _text(screen: bytearray) -> str:
    return strip_ansi(screen.decode("utf-8", errors="replace"))


def _stations_drawn(text: str) -> bool:
    return "Stations" in text and "Vendor / model" in text


def _read_until(
    master: int,
    screen: bytearray,
    process: subprocess.Popen[Any],
    timeout: float,
    done: Callable[[str], bool],
) -> bool:
    """Read the pseudo-terminal into ``screen`` until ``done(text)``, the timeout, or the end
    of output; True when ``done`` was met."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([master], [], [], min(left, 0.2))
        if not ready:
            if process.poll() is not None:
                return done(_text(screen))
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal is gone
            return done(_text(screen))
        if not chunk:
            return done(_text(screen))
        screen += chunk
        if done(_text(screen[-200_000:])):
            return True
    return False


def _kill_group(process: subprocess.Popen[Any]) -> None:
    """Leave nothing behind: the process and anything it started (its own session)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def timed(name: str) -> Iterator[dict[str, str]]:
    start = time.monotonic()
    result: dict[str, str] = {}
    try:
        yield result
    except Exception as exc:
        reason = str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
        say(f"FAIL {name:<16} {time.monotonic() - start:6.2f}s  {reason}")
        raise StepFailed(reason) from exc
    say(f"ok   {name:<16} {time.monotonic() - start:6.2f}s  {result.get('detail', '')}")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(f"usage: {argv[0]} PATH/TO/csms-tui\n")
        return 2
    exe = os.path.abspath(argv[1])
    total = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="csms-first-run-") as work:
        run = FirstRun(exe, Path(work))
        steps: list[tuple[str, Callable[[], str]]] = [
            ("--help", run.help),
            ("config check", run.config_check),
            ("write config", run.write_config),
            ("start daemon", run.start_daemon),
            ("register station", run.register),
            ("ocpp1.6 station", run.station),
            ("SIGTERM daemon", run.stop_daemon),
            ("console in pty", run.console),
        ]
        try:
            for name, step in steps:
                with timed(name) as result:
                    result["detail"] = step()
        except StepFailed:
            say(f"first run FAILED after {time.monotonic() - total:.1f}s ({exe})")
            return 1
        finally:
            run.cleanup()
    say(f"first run ok in {time.monotonic() - total:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
