"""The console under load, and what a station feels while the console is stressed.

Run: `python bench/bench_tui.py` (about 2¼ minutes; `--help` lists the knobs: `--seconds` per
phase, `--paste-seconds`, `--setups threaded`, `--switch-interval` …). Prints figures; not a test.

Set-up
- The stations run in a separate process (csms-tui's simulated OCPP 1.6J stations,
  `csms_tui.simulate.load`), so this process's CPU time is the CSMS's and the console's only.
  `--stations` load stations send a
  steady flow of calls (StatusNotification, MeterValues, Heartbeat in turn) at `--rate` frames/s,
  both directions counted (500 frames/s is 250 calls/s, each logged twice and shown live in the
  Messages tab). `--probes` more stations each send a Heartbeat every `--probe-period` seconds,
  one at a time, and record its round trip (CALL sent → CALLRESULT received); every station notes
  when its websocket was closed under it. 20 probes every 100 ms add 400 frames/s: the message log
  takes ~900 rows/s by default (`--rate 100` makes the total 500).
- Two set-ups of this process, one after the other in the same run, each with fresh stations:
  threaded — as `csms-tui` runs it: the core in a `CoreThread` (its own loop, its own thread),
             `CsmsConsole(core.attach, program=True)`;
  shared   — the way before: `async with Csms(config)` on the console's loop,
             `CsmsConsole(service=csms.service, program=True)`.
  The console runs under `App.run_test()` (a real Textual app, headless terminal).

Phases (`--seconds` each unless said); a probe's round trip counts in the phase it was sent in:
  no console   threaded only: the core thread alone (the daemon's share of CPU).
  (a)          console attached, idle on the Stations tab.
  key presses  threaded only: `--presses` keys (tabs, cursor), each timed from handing it to the
               terminal driver to the first frame written after its effect.
  (b1)         the Data transfer form of a station, its Data field focused (tab from the first
               field, as a user would); `--paste-chars` of base64 text posted to it as one
               `events.Paste` (a terminal with bracketed paste), then held there.
  (b2)         the same text as one key press per character, posted from a thread the way the
               terminal driver's input thread posts them, `--chunk` keys at a time, capped at
               `--paste-seconds` (the shared loop stalls for as long as the keys last).
               The form's field keeps its first 10,000 characters (its max_length).
  (c)          keys 1..6 in turn, each sent once the previous one took effect.
  (d)          the Messages tab shown while the load streams in.
The aim: station p99 < 100 ms and no station disconnected, in every phase.

Measured here (2 cores, defaults, Python 3.11), as `csms-tui` runs the console: switch interval
0.1 ms (csms_tui/embedded.py SWITCH_INTERVAL). Two runs, station heartbeat p99 in ms:
  phase                     threaded (run 1, run 2)    shared loop (run 1, run 2)
  no console                   5.0,   3.3                  -
  (a) idle                    10.7,  10.6                33.9,   20.0
  key presses                 37.3,  37.5                  -        (key→screen p99 111, 89 ms)
  (b1) 70 KB Paste event      55.9,  23.3                38.3,   28.6
  (b2) 70 KB as keys          74.2,  26.6              2131.6, 2564.6   (median 1.2 s shared)
  (c) tabs 1..6              552.2, 188.3               501.5, 1773.0
  (d) Messages, ~900 rows/s  231.3, 144.4               321.7, 1941.4
No station was disconnected in any run. With the core on its own thread, what the incident was
(text pasted into a form, as keys or at once) no longer reaches the stations: p99 under 100 ms,
where the shared loop kept every station waiting over a second. The aim is still missed by a tab
storm and by the message log at 900 rows/s with 1,000 stations: the console's reads of changed
rows (every 0.5 s, a store query per changed station) run on the core's loop and the store's one
thread, between the stations' writes, and the GIL is still shared.

Before the switch interval was set (Python's 5 ms), threaded p99 was 7.4 / 30.2 / 134 / 104 /
3,075 / 3,602 / 238 ms for the rows above (one run): the core thread and the SQLite writer give
the GIL up at every socket read and write, every loop callback and every SQLite statement, and
each time waited up to the switch interval to get it back while the console computed (per-thread
CPU in (b2)/(c): console 90-98 %, core 2-4 %, store 1-3 %). A plain asyncio loop in the core
thread starved the same way.
When a tab key has not taken effect within 5 s, the note of (c) names the tab the console was
on instead (keys posted straight to the app, as here, can bounce off the Log tab; typed in a
terminal they do not).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

PASSWORD = "bench-password-123"
AIM_MS = 100.0
TABS = ("stations", "messages", "transactions", "tokens", "certificates", "log-pane")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------------------------
# The stations (another process). Times are time.monotonic(): CLOCK_MONOTONIC, one clock for
# every process on the machine, so the CSMS process can cut the probes' samples into its phases.


def _sim_station(http: aiohttp.ClientSession, url: str, station_id: str) -> Any:
    """One of csms-tui's simulated stations (csms_tui.simulate.load): OCPP 1.6, basic auth."""
    from csms_tui.simulate.link import station_url
    from csms_tui.simulate.load import Counters, LoadStation
    from csms_tui.simulate.model import Profile

    profile = Profile(ocpp="1.6", password=PASSWORD, vendor="Bench", model="TUI")
    return LoadStation(http, station_id, station_url(url, station_id), profile, Counters())


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))


async def _station(
    http: aiohttp.ClientSession,
    url: str,
    station_id: str,
    start: asyncio.Event,
    stop: asyncio.Event,
    period: float,
    phase: float,
    closes: list[tuple[str, float]],
) -> int:
    from csms_tui.simulate.link import CallTimeout, Offline

    sent = 0
    station = _sim_station(http, url, station_id)
    if not await station.connect():
        raise RuntimeError(f"{station_id} could not connect: {station.counters.errors}")
    try:
        await start.wait()
        # Spread the stations over the period: a steady flow, not a burst every period.
        await _pause(stop, phase * period)
        n = 0
        while not stop.is_set():
            now = datetime.now(UTC).isoformat()
            kind = n % 3
            if kind == 0:
                status = ("Available", "Preparing", "Charging")[n // 3 % 3]
                action = "StatusNotification"
                payload: dict[str, Any] = {
                    "connectorId": 1,
                    "errorCode": "NoError",
                    "status": status,
                }
            elif kind == 1:
                action = "MeterValues"
                payload = {
                    "connectorId": 1,
                    "meterValue": [{"timestamp": now, "sampledValue": [{"value": str(n * 10)}]}],
                }
            else:
                action, payload = "Heartbeat", {}
            try:
                await station.link.call(action, payload)
            except (Offline, CallTimeout):  # the websocket closed under the station
                closes.append((station_id, time.monotonic()))
                return sent
            sent += 1
            n += 1
            await _pause(stop, period)
    finally:
        await station.close()
    return sent


async def _probe(
    http: aiohttp.ClientSession,
    url: str,
    station_id: str,
    start: asyncio.Event,
    stop: asyncio.Event,
    period: float,
    phase: float,
    samples: list[tuple[float, float | None]],
    closes: list[tuple[str, float]],
) -> None:
    """A Heartbeat every `period`, one at a time: (sent at, round trip, None if unanswered)."""
    from csms_tui.simulate.link import CallTimeout, Offline

    station = _sim_station(http, url, station_id)
    if not await station.connect():
        raise RuntimeError(f"{station_id} could not connect: {station.counters.errors}")
    try:
        await start.wait()
        await _pause(stop, phase * period)
        due = time.monotonic()
        while not stop.is_set():
            sent = time.monotonic()
            try:
                await station.link.call("Heartbeat", {})
            except (Offline, CallTimeout):
                samples.append((sent, None))
                closes.append((station_id, time.monotonic()))
                return
            samples.append((sent, time.monotonic() - sent))
            # The next one is due a period after the last; after a stall it goes at once.
            due = max(due + period, time.monotonic())
            await _pause(stop, due - time.monotonic())
    finally:
        await station.close()


async def _stations_main(
    url: str, stations: int, probes: int, rate: float, probe_period: float, conn: Any
) -> None:
    start, stop = asyncio.Event(), asyncio.Event()
    samples: list[tuple[float, float | None]] = []
    closes: list[tuple[str, float]] = []
    # Each call is two frames; spread the calls evenly over the stations.
    period = stations / (rate / 2)
    # One connection pool without a limit for all: each station's websocket is a connection.
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    load = [
        asyncio.create_task(
            _station(http, url, f"B{i:04d}", start, stop, period, i / stations, closes)
        )
        for i in range(stations)
    ]
    probing = [
        asyncio.create_task(
            _probe(http, url, f"P{i:03d}", start, stop, probe_period, i / probes, samples, closes)
        )
        for i in range(probes)
    ]
    conn.send("connected")
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "start":
            start.set()
            conn.send("started")
        elif command == "stop":
            stop.set()
            sent = sum(await asyncio.gather(*load))
            await asyncio.gather(*probing)
            await http.close()
            conn.send({"sent": sent, "samples": samples, "closes": closes})
            return


def _stations_process(
    url: str, stations: int, probes: int, rate: float, probe_period: float, conn: Any
) -> None:
    asyncio.run(_stations_main(url, stations, probes, rate, probe_period, conn))


class _Stations:
    """The station process, driven over a pipe."""

    def __init__(self, url: str, args: argparse.Namespace) -> None:
        self.parent, child = multiprocessing.Pipe()
        self.proc = multiprocessing.get_context("spawn").Process(
            target=_stations_process,
            args=(url, args.stations, args.probes, args.rate, args.probe_period, child),
            daemon=True,
        )

    async def _recv(self) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self.parent.recv)

    async def connect(self, connected: Callable[[], int], total: int) -> None:
        t0 = time.perf_counter()
        self.proc.start()
        assert await self._recv() == "connected"
        while connected() < total:
            if time.perf_counter() - t0 > 180:
                raise RuntimeError(f"only {connected()} of {total} stations connected in 180 s")
            await asyncio.sleep(0.2)
        print(f"  {total} stations connected and booted in {time.perf_counter() - t0:.1f} s")

    async def start(self) -> None:
        self.parent.send("start")
        assert await self._recv() == "started"

    async def stop(self) -> dict[str, Any]:
        self.parent.send("stop")
        result: dict[str, Any] = await self._recv()
        self.proc.join()
        return result

    def close(self) -> None:
        """After an error: the stations go too."""
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(10)


# --------------------------------------------------------------------------------------------
# The CSMS (this process)


def _config(tmp: Path) -> Any:
    from core.config import config_from_dict

    return config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "", "listen_backlog": 4096},
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
            "sync": {"enabled": False},
        }
    )


def _station_ids(args: argparse.Namespace) -> list[str]:
    return [f"B{i:04d}" for i in range(args.stations)] + [f"P{i:03d}" for i in range(args.probes)]


async def _register(csms: Any, station_ids: list[str]) -> None:
    from core.store.models import SecurityProfile, StationAuth

    digest = base64.b64encode(hashlib.sha256(PASSWORD.encode()).digest()).decode()
    now = datetime.now(UTC)
    await asyncio.gather(
        *(
            csms.store.register_station(
                station_id, StationAuth(SecurityProfile.BASIC, digest, False), now
            )
            for station_id in station_ids
        )
    )


@dataclass
class Phase:
    mode: str
    name: str
    start: float = 0.0  # time.monotonic(), the probes' clock
    end: float = 0.0
    cpu: float = 0.0  # this process, % of one core
    note: str = ""


class _Run:
    """One set-up of the CSMS and console: its phases, timed on the probes' clock."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.phases: list[Phase] = []
        self.latencies: list[float] = []
        self.stations: dict[str, Any] = {}
        self.console_errors: list[BaseException] = []

    @contextlib.asynccontextmanager
    async def phase(self, name: str) -> AsyncIterator[Phase]:
        ph = Phase(self.mode, name)
        print(f"  {name}…")
        cpu0, ph.start = _cpu(), time.monotonic()
        try:
            yield ph
        finally:
            ph.end = time.monotonic()
            ph.cpu = 100 * (_cpu() - cpu0) / (ph.end - ph.start)
            self.phases.append(ph)


async def _until(condition: Callable[[], bool], timeout: float, what: str = "") -> bool:
    """Wait for `condition`; past `timeout`, raise if `what` names it, else return False."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            if what:
                raise RuntimeError(f"{what}: not within {timeout:.0f} s")
            return False
        await asyncio.sleep(0.0005)
    return True


def _key(app: Any, key: str) -> None:
    """Hand `key` to the terminal driver, as a terminal would (`Pilot.press` waits for the app to
    go idle, which never happens under load)."""
    from textual import events

    app._driver.send_message(events.Key(key, key if len(key) == 1 else None))


class _Frames:
    """Records when the app hands a frame to the terminal driver: what the user sees, and when."""

    def __init__(self, app: Any) -> None:
        self.last = 0.0
        display = app._display

        def recording(screen: Any, update: Any) -> None:
            display(screen, update)
            self.last = time.perf_counter()

        app._display = recording


async def _press_and_wait(app: Any, frames: _Frames, key: str, shown: Any) -> float:
    """Send `key` as the terminal would, wait for its effect, then for the frame showing it."""
    start = time.perf_counter()
    _key(app, key)
    await _until(shown, 10, f"key {key!r}")
    changed = time.perf_counter()
    while frames.last < changed:
        await asyncio.sleep(0.0005)
    return frames.last - start


async def _key_presses(app: Any, presses: int) -> list[float]:
    from textual.widgets import TabbedContent

    from csms_tui.line_table import KeyedTable

    tabs = app.query_one(TabbedContent)
    stations = app.query_one("#stations-table", KeyedTable)
    frames = _Frames(app)
    latencies: list[float] = []
    plan: list[tuple[str, Any]] = [
        ("2", lambda: tabs.active == "messages"),
        ("1", lambda: tabs.active == "stations"),
        ("down", None),
        ("3", lambda: tabs.active == "transactions"),
        ("1", lambda: tabs.active == "stations"),
        ("up", None),
    ]
    for i in range(presses):
        key, check = plan[i % len(plan)]
        if check is None:  # a cursor move: shown when the row changed
            before = stations.cursor_row
            expected = before + 1 if key == "down" else max(0, before - 1)
            expected = min(expected, max(0, stations.row_count - 1))

            def check(expected: int = expected) -> bool:
                return bool(stations.cursor_row == expected)

        latencies.append(await _press_and_wait(app, frames, key, check))
        await asyncio.sleep(0.1)  # a fast typist, not a flood
    return latencies


async def _open_form(app: Any) -> tuple[Any, list[int]]:
    """The Data transfer form of the highlighted station, its Data field (JSON, the longest
    field a console form has) focused; and a count of the characters offered to that field, typed
    or pasted, whether it kept them or cut them at its max_length."""
    from textual.widgets import Input, TabbedContent

    from csms_tui.actions import ActionFormScreen

    tabs = app.screen_stack[0].query_one(TabbedContent)
    _key(app, "1")
    await _until(lambda: tabs.active == "stations", 30, "the Stations tab")
    station_id = app._selected_station()
    assert station_id is not None
    app.start_action(station_id, "data_transfer")
    await _until(
        lambda: isinstance(app.screen, ActionFormScreen) and bool(app.screen.query("#f-data")),
        30,
        "the data transfer form",
    )
    form = app.screen
    field = form.query_one("#f-data", Input)
    # The form focuses its first field when mounted; from there, tab to Data as a user would.
    await _until(lambda: isinstance(app.focused, Input) and app.focused.screen is form, 30)
    for _ in range(len(form.query(Input))):
        if app.focused is field:
            break
        before = app.focused
        _key(app, "tab")
        await _until(lambda before=before: app.focused is not before, 30, "tab")
    assert app.focused is field
    offered = [0]
    replace = field.replace

    def counting(text: str, start: int, end: int) -> None:
        offered[0] += len(text)
        replace(text, start, end)

    field.replace = counting  # every key and paste the field handles comes through here
    return field, offered


async def _close_form(app: Any) -> None:
    _key(app, "escape")
    await _until(lambda: len(app.screen_stack) == 1, 120, "escape from the form")


async def _paste_event(app: Any, text: str, seconds: float) -> str:
    from textual import events

    field, offered = await _open_form(app)
    start = time.perf_counter()
    app._driver.send_message(events.Paste(text))
    done = await _until(lambda: offered[0] >= len(text), seconds)
    took = time.perf_counter() - start
    # Held in the field for the rest of the phase: the cursor blinks, the field repaints.
    await asyncio.sleep(max(0.0, seconds - took))
    kept = len(field.value)
    await _close_form(app)
    if not done:
        return f"not handled within {seconds:.0f} s"
    return f"{len(text):,} chars handled in {took * 1000:.0f} ms, {kept:,} kept"


async def _paste_keys(app: Any, text: str, cap: float, chunk: int) -> str:
    from textual import events
    from textual.keys import _character_to_key

    field, offered = await _open_form(app)
    driver = app._driver

    def type_keys(keys: str) -> None:  # on a thread, as the driver's input thread posts them
        for char in keys:
            driver.process_message(events.Key(_character_to_key(char), char))

    start = time.perf_counter()
    typed = 0
    while typed < len(text) and time.perf_counter() - start < cap:
        keys = text[typed : typed + chunk]
        await asyncio.to_thread(type_keys, keys)
        typed += len(keys)
        # At most one chunk in flight, so the cap holds within a chunk's time.
        await _until(lambda typed=typed: offered[0] >= typed, 120, "typed keys")
    took = time.perf_counter() - start
    kept = len(field.value)
    await _close_form(app)
    rate = typed / took
    if typed < len(text):
        return (
            f"capped: {typed:,} of {len(text):,} keys in {took:.1f} s ({rate:,.0f}/s), "
            f"{kept:,} kept"
        )
    return f"{typed:,} keys in {took:.1f} s ({rate:,.0f}/s), {kept:,} kept"


async def _switch_tabs(app: Any, seconds: float) -> str:
    from textual.widgets import TabbedContent

    tabs = app.screen_stack[0].query_one(TabbedContent)
    start = time.perf_counter()
    n = 0
    missed: list[str] = []
    while time.perf_counter() - start < seconds:
        n += 1
        _key(app, str(n % len(TABS) + 1))
        if not await _until(lambda n=n: tabs.active == TABS[n % len(TABS)], 5):
            # The console ended on another tab: say where, and go on with the next key.
            missed.append(f"{n % len(TABS) + 1}→{tabs.active}")
    took = time.perf_counter() - start
    note = f"{n} switches ({n / took:.0f}/s)"
    return note + f"; after 5 s on another tab: {', '.join(missed)}" if missed else note


async def _console(app: Any, run: _Run, args: argparse.Namespace, text: str) -> None:
    """Attach the console and run the phases (the stations are streaming)."""
    from textual.widgets import TabbedContent

    from csms_tui.line_table import KeyedTable
    from csms_tui.message_log import MessageLog

    async with app.run_test(size=(160, 50)):
        table = app.query_one("#stations-table", KeyedTable)
        t_load = time.perf_counter()
        await _until(lambda: table.row_count >= args.stations, 60, "the stations table")
        print(
            f"  console showed {table.row_count} stations "
            f"{time.perf_counter() - t_load:.2f} s after start"
        )
        # Steady state: the message log holds its full window (it grows only at first).
        log = app.query_one("#messages-table", MessageLog)
        await _until(lambda: log.row_count >= app.window, 30)
        await asyncio.sleep(1.0)

        async with run.phase("(a) baseline, console idle"):
            await asyncio.sleep(args.seconds)
        if run.mode == "threaded" and args.presses:
            async with run.phase("key presses") as ph:
                run.latencies = await _key_presses(app, args.presses)
                ph.note = f"{args.presses} presses, 0.1 s apart"
        async with run.phase("(b1) paste, one Paste event") as ph:
            ph.note = await _paste_event(app, text, args.seconds)
        async with run.phase("(b2) paste, key by key") as ph:
            ph.note = await _paste_keys(app, text, args.paste_seconds, args.chunk)
        async with run.phase("(c) tab switching 1..6") as ph:
            ph.note = await _switch_tabs(app, args.seconds)
        async with run.phase("(d) Messages tab, live") as ph:
            tabs = app.query_one(TabbedContent)
            _key(app, "2")
            await _until(lambda: tabs.active == "messages", 30, "the Messages tab")
            seq = log._seq
            await asyncio.sleep(args.seconds)
            ph.note = f"{(log._seq - seq) / args.seconds:.0f} rows/s appended"
        run.console_errors = list(app.errors)


async def _load(
    run: _Run,
    args: argparse.Namespace,
    url: str,
    connected: Callable[[], int],
    console: Callable[[], Any],
    text: str,
) -> None:
    """Stations connected and streaming, then the console attached and stressed."""
    stations = _Stations(url, args)
    try:
        await stations.connect(connected, args.stations + args.probes)
        await stations.start()
        await asyncio.sleep(1.0)
        if run.mode == "threaded":
            async with run.phase("no console, core thread alone"):
                await asyncio.sleep(args.seconds)
        await _console(console(), run, args, text)
        run.stations = await stations.stop()
    finally:
        stations.close()


async def _threaded(args: argparse.Namespace, text: str) -> _Run:
    """As `csms-tui` runs it: the core on its own loop in its own thread."""
    from core.runtime import Csms
    from csms_tui.app import CsmsConsole
    from csms_tui.embedded import CoreThread

    run = _Run("threaded")
    print("threaded: the core in a CoreThread, CsmsConsole(core.attach, program=True)")
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp))
        core: CoreThread[Csms] = CoreThread(lambda: Csms(config))
        csms = await asyncio.to_thread(core.start)
        try:
            await core.call(_register(csms, _station_ids(args)))
            await _load(
                run,
                args,
                f"ws://127.0.0.1:{csms.ports['ws']}/ws",
                lambda: core.call_blocking(lambda: len(csms.gateway.connected())),
                lambda: CsmsConsole(core.attach, program=True),
                text,
            )
        finally:
            await asyncio.to_thread(core.stop)
    return run


async def _shared(args: argparse.Namespace, text: str) -> _Run:
    """The way before: the core on the console's loop."""
    from core.runtime import Csms
    from csms_tui.app import CsmsConsole

    run = _Run("shared")
    print("shared: the core on the console's loop, CsmsConsole(service=…, program=True)")
    with tempfile.TemporaryDirectory() as tmp:
        async with Csms(_config(Path(tmp))) as csms:
            await _register(csms, _station_ids(args))
            await _load(
                run,
                args,
                f"ws://127.0.0.1:{csms.ports['ws']}/ws",
                lambda: len(csms.gateway.connected()),
                lambda: CsmsConsole(service=csms.service, program=True),
                text,
            )
    return run


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def _report(runs: list[_Run], args: argparse.Namespace) -> None:
    print()
    probe_rate = 2 * args.probes / args.probe_period
    print(
        f"load: {args.stations} stations at {args.rate:.0f} frames/s, and {args.probes} probes "
        f"each sending a Heartbeat every {args.probe_period * 1000:.0f} ms, one at a time "
        f"(+{probe_rate:.0f} frames/s); switch interval {sys.getswitchinterval() * 1000:g} ms"
    )
    for run in runs:
        answered = run.stations["sent"]
        print(f"{run.mode}: {answered} load calls answered")
        if run.latencies:
            lat = run.latencies
            print(
                f"{run.mode}: key press → screen ({len(lat)} presses): p50 {_pct(lat, 0.5):.1f} ms, "
                f"p99 {_pct(lat, 0.99):.1f} ms, max {max(lat) * 1000:.1f} ms, "
                f"mean {statistics.fmean(lat) * 1000:.1f} ms"
            )
    print(f"aim: station p99 < {AIM_MS:.0f} ms during the stress, no station disconnected")
    header = (
        f"{'set-up':<9} {'phase':<30} {'p50 ms':>7} {'p99 ms':>8} {'max ms':>8} "
        f"{'answered':>8} {'lost':>4} {'disc':>4} {'CPU %':>6}  {'aim':<4}  note"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        samples = run.stations["samples"]
        closes = run.stations["closes"]
        for ph in run.phases:
            rtts = [r for t, r in samples if ph.start <= t < ph.end and r is not None]
            lost = sum(1 for t, r in samples if ph.start <= t < ph.end and r is None)
            disc = sum(1 for _, t in closes if ph.start <= t < ph.end)
            p50 = _pct(rtts, 0.5) if rtts else float("nan")
            p99 = _pct(rtts, 0.99) if rtts else float("nan")
            top = max(rtts) * 1000 if rtts else float("nan")
            aim = "PASS" if rtts and p99 < AIM_MS and disc == 0 and lost == 0 else "MISS"
            print(
                f"{run.mode:<9} {ph.name:<30} {p50:7.1f} {p99:8.1f} {top:8.1f} "
                f"{len(rtts):8d} {lost:4d} {disc:4d} {ph.cpu:6.1f}  {aim:<4}  {ph.note}"
            )
        print(f"{run.mode}: stations disconnected over the whole run: {len(closes)}")
        for error in run.console_errors:
            print(f"{run.mode}: the console survived {type(error).__name__}: {error}")


async def main(args: argparse.Namespace) -> None:
    from csms_tui.embedded import SWITCH_INTERVAL

    # As `csms-tui` runs the console (csms_tui/app.py run_console), unless asked otherwise.
    sys.setswitchinterval(args.switch_interval or SWITCH_INTERVAL)
    # A pasted blob: base64, one line (Input keeps the first line of a paste).
    text = base64.b64encode(bytes(range(256)) * (args.paste_chars // 256 + 1)).decode()
    text = text[: args.paste_chars]
    # Other work on the machine shows in every figure: say how busy it was.
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    runs = []
    if "threaded" in args.setups:
        runs.append(await _threaded(args, text))
    if "shared" in args.setups:
        runs.append(await _shared(args, text))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    _report(runs, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1000, help="load stations")
    parser.add_argument("--rate", type=float, default=500.0, help="frames/s, both directions")
    parser.add_argument("--probes", type=int, default=20, help="heartbeat probe stations")
    parser.add_argument("--probe-period", type=float, default=0.1, help="seconds")
    parser.add_argument("--seconds", type=float, default=8.0, help="each phase")
    parser.add_argument("--presses", type=int, default=120, help="timed key presses")
    parser.add_argument("--paste-chars", type=int, default=70_000)
    parser.add_argument("--paste-seconds", type=float, default=10.0, help="cap of a key paste")
    parser.add_argument("--chunk", type=int, default=1000, help="keys posted at a time")
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval for this process, seconds (default: the console's, 0.0001; "
        "Python's own is 0.005)",
    )
    parser.add_argument(
        "--setups",
        default="threaded,shared",
        type=lambda s: s.split(","),
        help="comma-separated: threaded, shared",
    )
    asyncio.run(main(parser.parse_args()))
