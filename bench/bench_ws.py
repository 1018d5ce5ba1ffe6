"""OCPP round trips over real websockets with the load generator in processes of its own.

Measured in ONE run, under the same conditions (each server in a process of its own on uvloop,
the load generator in ``--clients`` other processes with an event loop each, all on the same
cores):

* ``echo``  – a raw aiohttp websocket server that sends every frame back: the ceiling, and the
  base of every ratio to it;
* ``wsecho`` – the same echo on the ``websockets`` library's asyncio server (compression off,
  no keepalive pings: as aiohttp's echo): a second ceiling, whether another websocket library
  would lift ours;
* ``csms``  – csms-tui embedded, as ``csms-tui --daemon`` runs it (the real ``Csms`` from
  core.runtime, SQLite store, API and sync loops on, the daemon's collector policy from
  core/collector.py), its stations registered with basic auth (security profile 0) and booted
  before the measurement;
* ``ocpp``  – a plain CSMS on the ``ocpp`` package (its ``ChargePoint`` class, one per
  connection, on the ``websockets`` library), written as its documentation shows: the peer.
  It stores nothing, so the comparison flatters the peer, not us;
* ``scaleout`` (only when named in ``--servers``) – the scale-out shape: one gateway and two
  manager processes (``csms-tui gateway`` / ``manager``) around mosquitto and PostgreSQL, all
  on the same cores; its CPU per call counts every one of those processes.

The stations are csms-tui's own simulated ones (``csms_tui.simulate.load``: the simulator's
websocket link, boot and answers). Every station keeps exactly one CALL outstanding (the OCPP-J
rule), so throughput = stations / round-trip time. A call counts when it was sent after the warm-up and answered before the end
of the window. The ``tx`` scenario (the CSMSs only) runs OCPP 2.0.1 TransactionEvents — Started,
Updated with 10 sampled values, Ended — and answers the CostUpdated calls the CSMS sends while
charging; afterwards the store is read to check that every answered event was stored.

Run: ``python bench/bench_ws.py`` or ``--quick`` (well under a minute); the README's figures come
from ``python bench/figures.py``, which runs this and bench_storm.py together. Prints figures;
not a test. ``--profile DIR`` records each server with py-spy into DIR.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import base64
import contextlib
import gc
import hashlib
import logging
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from pathlib import Path
from queue import Empty
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection
    from websockets.http11 import Request, Response

PASSWORD = "bench-password-1234"
TOKEN = "BENCHTOKEN01"
# Ten sampled values: what a three-phase AC station typically reports per interval.
_SAMPLED = [
    {"value": 0.0, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}},
    {"value": 11000.0, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
    {"value": 11000.0, "measurand": "Power.Offered", "unitOfMeasure": {"unit": "W"}},
    {"value": 16.0, "measurand": "Current.Import", "phase": "L1", "unitOfMeasure": {"unit": "A"}},
    {"value": 16.0, "measurand": "Current.Import", "phase": "L2", "unitOfMeasure": {"unit": "A"}},
    {"value": 16.0, "measurand": "Current.Import", "phase": "L3", "unitOfMeasure": {"unit": "A"}},
    {"value": 230.0, "measurand": "Voltage", "phase": "L1-N", "unitOfMeasure": {"unit": "V"}},
    {"value": 230.0, "measurand": "Voltage", "phase": "L2-N", "unitOfMeasure": {"unit": "V"}},
    {"value": 230.0, "measurand": "Voltage", "phase": "L3-N", "unitOfMeasure": {"unit": "V"}},
    {"value": 50.0, "measurand": "SoC", "location": "EV", "unitOfMeasure": {"unit": "Percent"}},
]
UPDATES_PER_TX = 8  # Started, 8 × Updated, Ended: ten events per transaction
# The servers that send every frame back (no boot, no CSMS: a station's call returns as its
# answer), and those that store nothing (no station registered, no store to read afterwards).
ECHOES = ("echo", "wsecho")
STORELESS = (*ECHOES, "ocpp")


def _daemon_collector() -> Any:
    """The collector policy the daemon starts once it serves (core/collector.py, started as in
    csms_tui/cli.py). A source tree from before that policy (``--base``) freezes once, as its
    daemon did."""
    try:
        from core.collector import CollectorPolicy
    except ImportError:
        gc.collect()
        gc.freeze()
        return None
    collector = CollectorPolicy()
    collector.start()
    return collector


def _uvloop_run(main: Coroutine[Any, Any, Any]) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


# --- servers (each runs in a process of its own) -------------------------------------------------


async def _echo_server(ready: Queue[Any], stop: Any) -> None:
    from aiohttp import WSMsgType, web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("ocpp1.6", "ocpp2.0.1"))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws/{id}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    ready.put({"port": runner.addresses[0][1]})
    await asyncio.get_running_loop().run_in_executor(None, stop.wait)
    await runner.cleanup()


def only_ws_paths(connection: ServerConnection, request: Request) -> Response | None:
    """The `websockets` servers' route, as aiohttp's /ws/{id}: one non-empty segment after /ws/,
    else 404 (a ``process_request`` hook: None lets the handshake go on)."""
    from http import HTTPStatus

    station = request.path.partition("?")[0].removeprefix("/ws/")
    if request.path.startswith("/ws/") and station and "/" not in station:
        return None
    return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")


async def _wsecho_server(ready: Queue[Any], stop: Any) -> None:
    from websockets.asyncio.server import serve
    from websockets.typing import Subprotocol

    async def handler(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):  # the station went away
            async for frame in ws:
                if isinstance(frame, str):
                    await ws.send(frame)

    async with serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")],
        process_request=only_ws_paths,
        compression=None,
        ping_interval=None,
        backlog=4096,
    ) as server:
        ready.put({"port": next(iter(server.sockets)).getsockname()[1]})
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)


async def _ocpp_server(ready: Queue[Any], stop: Any) -> None:
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint as Cp16
    from ocpp.v16 import call_result
    from websockets.asyncio.server import serve

    class ChargePoint(Cp16):
        @on("BootNotification")
        def on_boot(self, **kwargs: Any) -> Any:
            return call_result.BootNotification(
                current_time=datetime.now(UTC).isoformat(), interval=300, status="Accepted"
            )

        @on("Heartbeat")
        def on_heartbeat(self) -> Any:
            return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())

    async def on_connect(websocket: ServerConnection) -> None:
        assert websocket.request is not None
        cp = ChargePoint(websocket.request.path.rsplit("/", 1)[-1], websocket)
        with contextlib.suppress(Exception):  # the station went away
            await cp.start()

    from websockets.typing import Subprotocol

    offered = [Subprotocol("ocpp1.6")]
    async with serve(on_connect, "127.0.0.1", 0, subprotocols=offered, backlog=4096) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        ready.put({"port": port})
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)


async def _csms_server(ready: Queue[Any], stop: Any, stations: list[str], tmp: str) -> None:
    from core.config import config_from_dict
    from core.runtime import Csms
    from core.store.models import CacheMode, SecurityProfile, StationAuth, Token

    # As the daemon logs (INFO), to a file rather than a terminal.
    logging.basicConfig(
        filename=str(Path(tmp) / "csms.log"),
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(Path(tmp) / "bench.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "127.0.0.1:0"},
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(config) as running:
        store: Any = running.store
        digest = base64.b64encode(hashlib.sha256(PASSWORD.encode()).digest()).decode()
        now = datetime.now(UTC)
        auth = StationAuth(SecurityProfile.BASIC, digest)
        await asyncio.gather(*(store.register_station(s, auth, now) for s in stations))
        await store.set_token(
            Token("DE", "BEN", "RFID", TOKEN, TOKEN, "bench", True, CacheMode.ALWAYS)
        )
        collector = _daemon_collector()
        ready.put({"port": running.ports["ws"]})
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        if collector is not None:
            collector.stop()
        stats = {
            "batches": getattr(store, "batches", 0),
            "jobs": getattr(store, "jobs", 0),
        }
    ready.put(stats)


async def _register(dsn: str, stations: list[str]) -> None:
    from core.store.models import CacheMode, SecurityProfile, StationAuth, Token
    from core.store.postgres import PostgresStore

    store = PostgresStore(dsn)
    await store.open()
    try:
        digest = base64.b64encode(hashlib.sha256(PASSWORD.encode()).digest()).decode()
        auth, now = StationAuth(SecurityProfile.BASIC, digest), datetime.now(UTC)
        await asyncio.gather(*(store.register_station(s, auth, now) for s in stations))
        await store.set_token(
            Token("DE", "BEN", "RFID", TOKEN, TOKEN, "bench", True, CacheMode.ALWAYS)
        )
    finally:
        await store.close()


def _scale_out_server(ready: Queue[Any], stop: Any, stations: list[str], tmp: str) -> None:
    """One gateway and two managers (``csms-tui gateway`` / ``manager`` processes) around
    mosquitto and PostgreSQL, as tests/e2e/test_scale_out.py starts them."""
    import uuid

    import psycopg

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository's tests/
    from tests.fixtures.services import free_port, run_mosquitto, run_postgres, wait_for_port

    base = Path(tmp)
    with run_postgres(base) as cluster, run_mosquitto(base) as mqtt_port:
        name = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(cluster, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        dsn = cluster.rsplit("/", 1)[0] + f"/{name}"
        _uvloop_run(_register(dsn, stations))
        ws_port = free_port()
        config = base / "scale-out.toml"
        config.write_text(
            f'[transport]\ntype = "mqtt"\n[transport.mqtt]\n'
            f'urls = ["mqtt://127.0.0.1:{mqtt_port}"]\n'
            f'[storage]\ntype = "postgres"\n[storage.postgres]\ndsn = "{dsn}"\n'
            f'[gateway]\nws_addr = "127.0.0.1:{ws_port}"\nstatus_addr = ""\n'
            f'[api]\naddr = "127.0.0.1:{free_port()}"\n[observability]\nlog_file = ""\n'
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "csms_tui", role, "--config", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=(base / f"{role}{n}.log").open("wb"),
            )
            for n, role in enumerate(("gateway", "manager", "manager"))
        ]
        try:
            wait_for_port(ws_port, timeout=30)
            for n in (1, 2):  # a manager answers once it holds the shared subscription
                log = base / f"manager{n}.log"
                deadline = time.monotonic() + 30
                while "csms-tui running" not in log.read_text(errors="replace"):
                    if time.monotonic() > deadline:
                        raise TimeoutError(log.read_text())
                    time.sleep(0.05)
            ready.put({"port": ws_port})
            stop.wait()
            with psycopg.connect(dsn) as conn:
                row = conn.execute("SELECT COUNT(*) FROM transaction_events").fetchone()
            stored = int(row[0]) if row else 0
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
    ready.put({"stored_events": stored})


def _serve(kind: str, ready: Queue[Any], stop: Any, stations: list[str], tmp: str) -> None:
    if kind == "scaleout":
        _scale_out_server(ready, stop, stations, tmp)
        return
    if kind == "echo":
        _uvloop_run(_echo_server(ready, stop))
    elif kind == "wsecho":
        _uvloop_run(_wsecho_server(ready, stop))
    elif kind == "ocpp":
        _uvloop_run(_ocpp_server(ready, stop))
    else:
        if kind.startswith("base="):  # csms-tui from another source tree: before/after
            sys.path.insert(0, kind.removeprefix("base="))
        _uvloop_run(_csms_server(ready, stop, stations, tmp))


# --- load generator (each in a process of its own) -----------------------------------------------
# The stations are csms-tui's simulated ones (csms_tui.simulate.load): the simulator's link, boot
# and answers, each call sent as soon as the previous one is answered.


@dataclass
class Plan:
    url: str  # the websocket base; the station id is appended
    stations: list[str]
    version: str  # websocket subprotocol
    scenario: str  # "heartbeat" | "tx"
    auth: bool
    boot: bool
    loopback: bool = False  # the echo server: a station's own call coming back is its answer


@dataclass
class ClientResult:
    calls: int = 0
    rtts: bytes = b""
    errors: list[str] = field(default_factory=list)
    connect_failures: int = 0
    server_calls: int = 0
    answered_tx_events: int = 0
    cpu_seconds: float = 0.0  # the load generator's own CPU over the measured window


def _tx_payloads(station: str, n: int) -> list[dict[str, Any]]:
    """One transaction's ten TransactionEvent requests."""
    tx_id = f"{station}-tx{n}"
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    requests: list[dict[str, Any]] = []
    for seq in range(UPDATES_PER_TX + 2):
        event = "Started" if seq == 0 else "Ended" if seq == UPDATES_PER_TX + 1 else "Updated"
        sampled = [dict(sv) for sv in _SAMPLED]
        sampled[0]["value"] = float(seq * 1000)
        request: dict[str, Any] = {
            "eventType": event,
            "timestamp": stamp,
            "triggerReason": "Authorized"
            if event == "Started"
            else "StopAuthorized"
            if event == "Ended"
            else "MeterValuePeriodic",
            "seqNo": seq,
            "transactionInfo": {"transactionId": tx_id},
            "meterValue": [{"timestamp": stamp, "sampledValue": sampled}],
        }
        if event == "Started":
            request["idToken"] = {"idToken": TOKEN, "type": "ISO14443"}
            request["evse"] = {"id": 1, "connectorId": 1}
            request["transactionInfo"]["chargingState"] = "Charging"
        if event == "Ended":
            request["transactionInfo"]["stoppedReason"] = "Local"
        requests.append(request)
    return requests


def _transactions(station: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Transaction after transaction, each Started, Updated × 8, Ended."""
    n = 0
    while True:
        for request in _tx_payloads(station.station_id, n):
            yield "TransactionEvent", request
        n += 1


async def _client(plan: Plan, go: Queue[Any], results: Queue[Any]) -> None:
    import aiohttp

    from csms_tui.simulate.load import Counters, call_as_answered, close_all, connect_fleet, repeat
    from csms_tui.simulate.model import Profile

    profile = Profile(
        ocpp="2.0.1" if plan.version == "ocpp2.0.1" else "1.6",
        security_profile=0 if plan.auth else -1,
        password=PASSWORD,
        vendor="csms-tui",
        model="bench",
    )
    counters = Counters()
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, force_close=True)
    ) as http:
        connected = await connect_fleet(
            http,
            plan.url,
            plan.stations,
            profile,
            counters,
            boot=plan.boot,
            loopback=plan.loopback,
        )
        results.put(("ready", len(connected)))
        start, end = await asyncio.get_running_loop().run_in_executor(None, go.get)
        # Everyone starts together, shortly before the warm-up ends; the first calls are spread
        # over 10 ms, as real stations are not lined up on one instant.
        await asyncio.sleep(max(0.0, start - 0.3 - time.monotonic()))
        calls = repeat("Heartbeat") if plan.scenario == "heartbeat" else _transactions
        # The generator's own CPU over the window: on shared cores it bounds what any server
        # can show, and a scenario that costs the stations more (TransactionEvents build ten
        # sampled values and answer a CostUpdated each) is bounded lower.
        cpu: list[float] = []
        loop = asyncio.get_running_loop()
        for at in (start, end):
            loop.call_later(at - time.monotonic(), lambda: cpu.append(time.process_time()))
        load = await call_as_answered(connected, calls, start, end)
        await close_all(connected)
    results.put(
        (
            "done",
            ClientResult(
                calls=load.counted,
                rtts=load.rtts.tobytes(),
                errors=counters.errors + load.errors,
                connect_failures=counters.refused + counters.failed,
                server_calls=counters.csms_calls,
                answered_tx_events=load.answered if plan.scenario == "tx" else 0,
                cpu_seconds=cpu[1] - cpu[0] if len(cpu) == 2 else float("nan"),
            ),
        )
    )


def _client_main(plan: Plan, go: Queue[Any], results: Queue[Any]) -> None:
    _uvloop_run(_client(plan, go, results))


# --- the run -------------------------------------------------------------------------------------


def _tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and every process below it (the scale-out shape's gateway, managers,
    broker and database)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
    tree, grown = {pid}, True
    while grown:
        below = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= below
        grown = bool(below)
    total = 0.0
    for member in tree:
        with contextlib.suppress(OSError):
            total += _cpu_seconds(member)[0]
    return total


def _cpu_seconds(pid: int) -> tuple[float, dict[int, float]]:
    """The process's CPU time, and each of its threads' (from /proc: Linux only)."""
    tick = os.sysconf("SC_CLK_TCK")
    threads: dict[int, float] = {}
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            fields_ = (task / "stat").read_text().rsplit(")", 1)[1].split()
            cpu = (int(fields_[11]) + int(fields_[12])) / tick
            threads[int(task.name)] = cpu
            total += cpu
    return total, threads


@dataclass
class Figure:
    scenario: str
    server: str
    stations: int
    rate: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_call: float
    loop_share: float  # the server's main thread's share of its CPU
    errors: list[str]
    extra: dict[str, Any]


def measure(
    server: str,
    scenario: str,
    stations: int,
    seconds: float,
    warmup: float,
    clients: int,
    profile_dir: str | None = None,
) -> Figure:
    ctx = mp.get_context("spawn")
    ready: Queue[Any] = ctx.Queue()
    stop = ctx.Event()
    version = "ocpp2.0.1" if scenario == "tx" else "ocpp1.6"
    prefix = {"echo": "E", "wsecho": "W", "ocpp": "P"}.get(server, "B")
    names = [f"{prefix}{i:05d}" for i in range(stations)]
    tmp = tempfile.mkdtemp(prefix="bench-ws-")
    proc = ctx.Process(target=_serve, args=(server, ready, stop, names, tmp), daemon=True)
    proc.start()
    try:
        port = _first(ready, proc, 180)["port"]
        results: Queue[Any] = ctx.Queue()
        gos: list[Queue[Any]] = []
        workers = []
        share = [names[i::clients] for i in range(clients)]
        for part in share:
            go: Queue[Any] = ctx.Queue()
            plan = Plan(
                url=f"ws://127.0.0.1:{port}/ws/",
                stations=part,
                version=version,
                scenario=scenario,
                auth=server not in STORELESS,
                boot=server not in ECHOES,
                loopback=server in ECHOES,
            )
            w = ctx.Process(target=_client_main, args=(plan, go, results), daemon=True)
            w.start()
            workers.append(w)
            gos.append(go)
        connected = 0
        for _ in workers:
            tag, n = results.get(timeout=300)
            assert tag == "ready"
            connected += n
        start = time.monotonic() + 0.5 + warmup
        end = start + seconds
        for go in gos:
            go.put((start, end))
        spy = None
        assert proc.pid is not None
        if profile_dir:
            spy = _py_spy(proc.pid, profile_dir, f"{server}-{scenario}-{stations}", seconds, start)
        time.sleep(max(0.0, start - time.monotonic()))
        cpu0, threads0 = _cpu_seconds(proc.pid)
        tree0 = _tree_cpu_seconds(proc.pid) if server == "scaleout" else 0.0
        time.sleep(max(0.0, end - time.monotonic()))
        cpu1, threads1 = _cpu_seconds(proc.pid)
        if server == "scaleout":  # every process of it; no one event loop to speak of
            cpu0, cpu1, threads0, threads1 = tree0, _tree_cpu_seconds(proc.pid), {}, {}
        if spy is not None:
            spy.wait(timeout=seconds + 30)
        done = [results.get(timeout=120) for _ in workers]
        for w in workers:
            w.join(timeout=30)
        stop.set()
        extra: dict[str, Any] = {"connected": connected, "seconds": seconds}
        if server not in STORELESS:
            extra.update(ready.get(timeout=60))
        proc.join(timeout=60)
    finally:
        stop.set()
        if proc.is_alive():
            proc.kill()
        extra_db = Path(tmp) / "bench.db"
        if scenario == "tx" and extra_db.exists():
            extra["stored_events"] = _count(extra_db, "transaction_events")
        shutil.rmtree(tmp, ignore_errors=True)
    rtts = array.array("d")
    calls = 0
    errors: list[str] = []
    for _tag, r in done:
        calls += r.calls
        rtts.frombytes(r.rtts)
        errors.extend(r.errors[:3])
        extra["server_calls"] = extra.get("server_calls", 0) + r.server_calls
        extra["answered_tx_events"] = extra.get("answered_tx_events", 0) + r.answered_tx_events
        extra["connect_failures"] = extra.get("connect_failures", 0) + r.connect_failures
        extra["client_cpu"] = extra.get("client_cpu", 0.0) + r.cpu_seconds
    ordered = sorted(rtts)
    p50 = ordered[len(ordered) // 2] * 1000 if ordered else float("nan")
    p99 = ordered[int(len(ordered) * 0.99)] * 1000 if ordered else float("nan")
    main_tid = proc.pid
    used = cpu1 - cpu0
    loop_used = threads1.get(main_tid, 0.0) - threads0.get(main_tid, 0.0)
    return Figure(
        scenario,
        server,
        stations,
        calls / seconds,
        p50,
        p99,
        used / calls * 1e6 if calls else float("nan"),
        loop_used / used if used and threads1 else float("nan"),
        errors,
        extra,
    )


def _first(queue: Queue[Any], proc: Any, timeout: float) -> Any:
    """The next item ``proc`` puts on ``queue``; an error at once if ``proc`` has died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return queue.get(timeout=0.5)
        except Empty:
            if not proc.is_alive():
                raise RuntimeError(
                    f"the server exited ({proc.exitcode}) before it was ready"
                ) from None
            if time.monotonic() > deadline:
                raise


def _count(db: Path, table: str) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _py_spy(pid: int, out: str, tag: str, seconds: float, start: float) -> subprocess.Popen[bytes]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    Path(out).mkdir(parents=True, exist_ok=True)
    time.sleep(max(0.0, start - time.monotonic()))
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, int(seconds))),
            "--rate",
            "250",
            "--threads",
            "--format",
            "raw",
            "--output",
            str(Path(out) / f"{tag}.txt"),
            *([] if "--native" in os.environ.get("BENCH_PY_SPY_ARGS", "") else ["--nonblocking"]),
            *os.environ.get("BENCH_PY_SPY_ARGS", "").split(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _row(f: Figure, ceiling: Figure | None, peer: Figure | None) -> str:
    vs_ceiling = f"{f.rate / ceiling.rate:5.2f}×" if ceiling and ceiling.rate else "     "
    vs_peer = f"{f.rate / peer.rate:5.2f}×" if peer and peer.rate else "     "
    return (
        f"{f.scenario:<9} {f.server.split('=')[0]:<8} {f.stations:>5} {f.rate:>9,.0f}/s"
        f" {f.p50_ms:>7.2f} {f.p99_ms:>8.2f} {f.cpu_us_per_call:>8.0f} µs"
        f" {f.loop_share:>6.0%}   {vs_ceiling}   {vs_peer}".replace("nan%", "   -")
    )


def _notes(f: Figure) -> None:
    if f.extra.get("client_cpu") and f.rate:
        per_call = f.extra["client_cpu"] / (f.rate * f.extra["seconds"]) * 1e6
        print(f"    load generator: {per_call:,.0f} µs CPU per call (all its processes)")
    if f.extra.get("batches"):
        jobs, batches = f.extra["jobs"], f.extra["batches"]
        print(f"    store: {jobs:,} jobs in {batches:,} commits ({jobs / batches:.1f} a commit)")
    if f.extra.get("connect_failures"):
        print(f"    {f.extra['connect_failures']} connection attempts failed")
    for e in f.errors:
        print(f"    error: {e}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short windows (well under a minute)")
    parser.add_argument("--stations", default="50,500", help="comma-separated station counts")
    parser.add_argument("--seconds", type=float, default=None, help="measured window per run")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--servers",
        default="echo,wsecho,csms,ocpp",
        help="echo (aiohttp), wsecho (websockets), csms, ocpp and scaleout (a gateway and two"
        " managers over mosquitto and PostgreSQL: needs both installed)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="interleaved rounds; the best of each is shown"
    )
    parser.add_argument("--tx", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--profile", metavar="DIR", help="py-spy raw profiles of the servers")
    parser.add_argument(
        "--base",
        metavar="DIR",
        help="also run csms-tui from the source tree DIR (e.g. `git archive` of an older commit)"
        " as server 'base', for before/after figures in one run",
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (2.0 if args.quick else 8.0)
    warmup = 0.5 if args.quick else 2.0
    sizes = [int(s) for s in args.stations.split(",")]
    servers = args.servers.split(",")
    if args.base:
        servers.insert(servers.index("csms") if "csms" in servers else 0, f"base={args.base}")
    options = (args.rounds, args.clients, args.profile)
    print(
        f"{os.cpu_count()} cores; {args.clients} load-generator processes; {seconds:g} s window"
        f" after {warmup:g} s warm-up; best of {args.rounds} interleaved round(s);"
        " servers and clients on uvloop"
    )
    print(
        f"{'scenario':<9} {'server':<8} {'sta':>5} {'calls':>11} {'p50 ms':>7} {'p99 ms':>8}"
        f" {'CPU/call':>11} {'loop':>6}   {'/echo':>6}   {'/ocpp':>6}"
    )
    for n in sizes:
        got = best(interleaved(servers, "heartbeat", n, seconds, warmup, *options))
        for f in got.values():
            print(_row(f, got.get("echo"), got.get("ocpp")))
            _notes(f)
        if args.tx:  # TransactionEvents need a CSMS
            csms_servers = [s for s in servers if s not in STORELESS]
            tx = interleaved(csms_servers, "tx", n, seconds, warmup, *options)
            for server, f in best(tx).items():
                print(
                    _row(f, got.get("echo"), None)
                    + f"   {f.rate / got[server].rate:.2f}× heartbeat"
                )
                stored, answered = f.extra.get("stored_events", 0), f.extra["answered_tx_events"]
                print(
                    f"    {answered:,} TransactionEvents answered, {stored:,} stored"
                    f" ({'all' if stored >= answered else 'MISSING ' + str(answered - stored)});"
                    f" {f.extra['server_calls']:,} CostUpdated calls answered"
                )
                _notes(f)
        sys.stdout.flush()


def interleaved(
    servers: list[str],
    scenario: str,
    n: int,
    seconds: float,
    warmup: float,
    rounds: int = 1,
    clients: int = 2,
    profile_dir: str | None = None,
    each: Callable[[Figure], object] | None = None,
) -> list[Figure]:
    """Every figure of ``rounds`` rounds over ``servers``, interleaved so that a busy moment of
    the machine hits every server rather than one; ``each`` is called with each as it comes."""
    figures: list[Figure] = []
    for _round in range(rounds):
        for server in servers:
            figures.append(measure(server, scenario, n, seconds, warmup, clients, profile_dir))
            if each is not None:
                each(figures[-1])
    return figures


def best(figures: list[Figure]) -> dict[str, Figure]:
    """Each server's best figure (the highest rate), in the order the servers first appear."""
    top: dict[str, Figure] = {}
    for f in figures:
        if f.server not in top or f.rate > top[f.server].rate:
            top[f.server] = f
    return top


if __name__ == "__main__":
    main()
