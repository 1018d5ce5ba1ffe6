"""A reconnect storm and the memory of idle connections, side by side with raw websocket servers.

N stations (10,000 by default) connect at the same instant from ``--clients`` load-generator
processes, each sends a BootNotification and waits for the answer, then stays connected and
idle. Measured in one run, for each server:

* ``raw``   – an aiohttp websocket server that answers a BootNotification and nothing else
  (no authentication, no store): the peer a storm is compared with;
* ``websockets`` – the same on the ``websockets`` library's asyncio server, set as aiohttp's
  is (no keepalive pings, no opening-handshake timeout; permessage-deflate when offered), so
  that another websocket library's storm time, CPU and memory stand beside aiohttp's;
* ``csms``  – csms-tui embedded as ``csms-tui --daemon`` runs it, every station registered
  (basic auth on ws, TLS + basic auth on wss: the whole login, the store's writes and the boot
  rule for each).

Printed: the time until every station was booted, boots/s, the p50/p99 round trip of a
station's connect + BootNotification, refused and failed attempts (a failed station retries
after 1 s, as a station's back-off would), the kernel's listen-queue overflows during the
storm, the server's CPU seconds, and the server's memory per idle connected station (its RSS
after the storm minus before, per station). ``deflate`` rows: the stations offer
permessage-deflate (what OCPP 2.0.1 requires a CSMS to support), which costs memory per
connection.

Run: ``python bench/bench_storm.py`` or ``--quick`` (2,000 stations); the README's figures come
from ``python bench/figures.py``, which runs this and bench_ws.py together. Prints figures; not a
test.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import multiprocessing as mp
import os
import shutil
import ssl
import sys
import tempfile
import time
from base64 import b64encode
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import orjson
from bench_ws import (
    PASSWORD,
    _cpu_seconds,
    _daemon_collector,
    _py_spy,
    _uvloop_run,
    only_ws_paths,
)


def _certificate(directory: Path) -> tuple[str, str]:
    """A self-signed ECDSA P-256 server certificate (what OCPP's TLS profiles use) for 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


# --- servers (each in a process of its own) ------------------------------------------------------


async def _raw_server(ready: Queue[Any], stop: Any, tls: tuple[str, str] | None) -> None:
    from aiohttp import WSMsgType, web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("ocpp2.0.1", "ocpp1.6"))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                frame = orjson.loads(msg.data)
                now = dt.datetime.now(dt.UTC).isoformat()
                reply = {"status": "Accepted", "currentTime": now, "interval": 300}
                await ws.send_str(orjson.dumps([3, frame[1], reply]).decode())
        return ws

    app = web.Application()
    app.router.add_get("/ws/{id}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(*tls)
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096, ssl_context=context)
    await site.start()
    ready.put({"port": runner.addresses[0][1]})
    await asyncio.get_running_loop().run_in_executor(None, stop.wait)
    await runner.cleanup()


async def _websockets_server(ready: Queue[Any], stop: Any, tls: tuple[str, str] | None) -> None:
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.typing import Subprotocol

    async def handler(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):  # the station went away
            async for frame in ws:
                if isinstance(frame, str):
                    call = orjson.loads(frame)
                    now = dt.datetime.now(dt.UTC).isoformat()
                    reply = {"status": "Accepted", "currentTime": now, "interval": 300}
                    await ws.send(orjson.dumps([3, call[1], reply]).decode())

    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(*tls)
    async with serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol("ocpp2.0.1"), Subprotocol("ocpp1.6")],
        process_request=only_ws_paths,
        ping_interval=None,  # aiohttp's server sends no keepalive pings either
        open_timeout=None,  # nor times out an opening handshake (asyncio's 60 s for TLS)
        backlog=4096,
        ssl=context,
    ) as server:
        ready.put({"port": next(iter(server.sockets)).getsockname()[1]})
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)


async def _csms_server(
    ready: Queue[Any], stop: Any, n: int, tmp: str, tls: tuple[str, str] | None
) -> None:
    from core.config import config_from_dict
    from core.runtime import Csms
    from core.store.models import SecurityProfile, StationAuth

    logging.basicConfig(filename=str(Path(tmp) / "csms.log"), level=logging.INFO)
    gateway: dict[str, Any] = {"ws_addr": "127.0.0.1:0", "status_addr": "127.0.0.1:0"}
    if tls is not None:
        gateway.update(ws_addr="", wss_addr="127.0.0.1:0", tls_server_cert=tls[0])
        gateway["tls_server_key"] = tls[1]
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(Path(tmp) / "bench.db")}},
            "gateway": gateway,
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(config) as running:
        store: Any = running.store
        digest = b64encode(hashlib.sha256(PASSWORD.encode()).digest()).decode()
        profile = SecurityProfile.BASIC if tls is None else SecurityProfile.TLS_BASIC
        auth = StationAuth(profile, digest)
        now = dt.datetime.now(dt.UTC)
        for start in range(0, n, 1000):
            await asyncio.gather(
                *(
                    store.register_station(f"S{i:05d}", auth, now)
                    for i in range(start, min(n, start + 1000))
                )
            )
        collector = _daemon_collector()
        ready.put({"port": running.ports["wss" if tls else "ws"]})
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        if collector is not None:
            collector.stop()


def _serve(kind: str, ready: Queue[Any], stop: Any, n: int, tmp: str, tls: bool) -> None:
    cert = _certificate(Path(tmp)) if tls else None
    if kind == "raw":
        _uvloop_run(_raw_server(ready, stop, cert))
    elif kind == "websockets":
        _uvloop_run(_websockets_server(ready, stop, cert))
    else:
        _uvloop_run(_csms_server(ready, stop, n, tmp, cert))


# --- load generator --------------------------------------------------------------------------
# The stations are csms-tui's simulated ones (csms_tui.simulate.load): the simulator's link and
# 2.0.1 BootNotification; on wss they verify the server's certificate, as a station does.


@dataclass
class Result:
    rtts: bytes = b""
    booted: int = 0
    last_done: float = 0.0
    refused: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


async def _storm(
    url: str,
    names: list[str],
    deflate: bool,
    ca_file: str | None,
    go: Queue[Any],
    results: Queue[Any],
    at_once: int = 0,
) -> None:
    import aiohttp

    from csms_tui.simulate.link import Credentials, station_url
    from csms_tui.simulate.load import Counters, LoadStation, close_all
    from csms_tui.simulate.model import Profile

    profile = Profile(
        ocpp="2.0.1",
        security_profile=1 if ca_file else 0,
        password=PASSWORD,
        ca_file=ca_file or "",
        vendor="csms-tui",
        model="bench",
    )
    counters = Counters()
    result = Result()
    rtts = array.array("d")
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=60)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, force_close=True), timeout=timeout
    ) as http:
        stations = [
            LoadStation(
                http,
                name,
                station_url(url, name),
                profile,
                counters,
                compress=15 if deflate else 0,
            )
            for name in names
        ]
        if ca_file:  # the stations' shared TLS context, built before the storm rather than in it
            Credentials(ca_file=ca_file).ssl_context()
        results.put(("ready", len(names)))
        start = await asyncio.get_running_loop().run_in_executor(None, go.get)
        await asyncio.sleep(max(0.0, start - time.monotonic()))

        gate = asyncio.Semaphore(at_once or len(stations) or 1)

        async def station(st: LoadStation) -> None:
            async with gate:
                await login(st)

        async def login(st: LoadStation) -> None:
            t0 = time.monotonic()
            # A failed attempt is retried after 1 s, as a station's back-off would.
            if await st.connect(boot=True, attempts=10, retry_delay=1.0):
                t1 = time.monotonic()
                rtts.append(t1 - t0)
                result.booted += 1
                result.last_done = max(result.last_done, t1)

        await asyncio.gather(*map(station, stations))
        result.rtts = rtts.tobytes()
        result.refused, result.failed, result.errors = (
            counters.refused,
            counters.failed,
            counters.errors[:3],
        )
        results.put(("booted", result))
        # Stay connected and idle until the server's memory has been read.
        await asyncio.get_running_loop().run_in_executor(None, go.get)
        await close_all(stations)
    results.put(("closed", None))


def _client_main(
    url: str,
    names: list[str],
    deflate: bool,
    ca_file: str | None,
    go: Queue[Any],
    results: Queue[Any],
    at_once: int,
) -> None:
    _uvloop_run(_storm(url, names, deflate, ca_file, go, results, at_once))


# --- the run -------------------------------------------------------------------------------------


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _listen_overflows() -> int:
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=True))
            return int(table.get("ListenOverflows", 0))
    return 0


@dataclass
class Storm:
    name: str
    stations: int
    booted: int
    seconds: float
    p50_ms: float
    p99_ms: float
    refused: int
    failed: int
    overflows: int
    cpu_s: float
    kib_per_station: float
    errors: list[str]


def storm(
    server: str,
    n: int,
    clients: int,
    tls: bool,
    deflate: bool,
    profile: str | None = None,
    at_once: int = 0,
) -> Storm:
    ctx = mp.get_context("spawn")
    ready: Queue[Any] = ctx.Queue()
    stop = ctx.Event()
    tmp = tempfile.mkdtemp(prefix="bench-storm-")
    proc = ctx.Process(target=_serve, args=(server, ready, stop, n, tmp, tls), daemon=True)
    proc.start()
    workers: list[Any] = []
    try:
        port = ready.get(timeout=300)["port"]
        assert proc.pid is not None
        names = [f"S{i:05d}" for i in range(n)]
        url = f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/ws/"
        ca_file = str(Path(tmp) / "server.pem") if tls else None
        results: Queue[Any] = ctx.Queue()
        gos: list[Queue[Any]] = []
        for part in (names[i::clients] for i in range(clients)):
            go: Queue[Any] = ctx.Queue()
            w = ctx.Process(
                target=_client_main, args=(url, part, deflate, ca_file, go, results, at_once)
            )
            w.daemon = True
            w.start()
            workers.append(w)
            gos.append(go)
        for _ in workers:
            assert results.get(timeout=120)[0] == "ready"
        time.sleep(1.0)  # the server settles after its start
        rss_before = _rss(proc.pid)
        cpu_before, _ = _cpu_seconds(proc.pid)
        overflows_before = _listen_overflows()
        start = time.monotonic() + 0.5
        for go in gos:
            go.put(start)
        if profile:
            tag = f"{server}-{'wss' if tls else 'ws'}{'-deflate' if deflate else ''}-{n}"
            _py_spy(
                proc.pid, profile, tag, float(os.environ.get("BENCH_PROFILE_SECONDS", "10")), start
            )
        done: list[Result] = []
        for _ in workers:
            tag, r = results.get(timeout=600)
            assert tag == "booted"
            done.append(r)
        cpu_after, _ = _cpu_seconds(proc.pid)
        overflows = _listen_overflows() - overflows_before
        time.sleep(1.0)  # message-log flushes and the like, then the idle connections' memory
        rss_after = _rss(proc.pid)
        for go in gos:
            go.put(0.0)
        for _ in workers:
            results.get(timeout=120)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()
        proc.join(timeout=60)
        if proc.is_alive():
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    rtts = array.array("d")
    for r in done:
        rtts.frombytes(r.rtts)
    ordered = sorted(rtts)
    booted = sum(r.booted for r in done)
    last = max((r.last_done for r in done), default=start)
    name = f"{server} {'wss' if tls else 'ws'}{' deflate' if deflate else ''}"
    return Storm(
        name,
        n,
        booted,
        last - start,
        ordered[len(ordered) // 2] * 1000 if ordered else float("nan"),
        ordered[int(len(ordered) * 0.99)] * 1000 if ordered else float("nan"),
        sum(r.refused for r in done),
        sum(r.failed for r in done),
        overflows,
        cpu_after - cpu_before,
        (rss_after - rss_before) / 1024 / max(1, booted),
        [e for r in done for e in r.errors][:3],
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 stations")
    parser.add_argument("--stations", type=int, default=None)
    parser.add_argument("--clients", type=int, default=4, help="load-generator processes")
    parser.add_argument(
        "--runs",
        default="raw-ws,csms-ws,csms-ws-deflate,raw-wss,csms-wss",
        help="comma-separated SERVER-ws|wss[-deflate] runs, SERVER one of raw (aiohttp),"
        " websockets (the websockets library) and csms",
    )
    parser.add_argument("--profile", metavar="DIR", help="py-spy raw profiles of the servers")
    parser.add_argument(
        "--at-once",
        type=int,
        default=0,
        metavar="N",
        help="stations logging in at once per load-generator process (default: all, a storm);"
        " a few dozen measure the server's CPU per login and boot without the listen queue's"
        " overflows and the stations' SYN retransmissions",
    )
    args = parser.parse_args(argv)
    n = args.stations or (2_000 if args.quick else 10_000)
    print(
        f"{os.cpu_count()} cores; {n:,} stations from {args.clients} load-generator processes;"
        " each connects, boots and stays connected; servers and clients on uvloop"
    )
    print(
        f"{'server':<22} {'booted':>7} {'time':>7} {'boots/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'refused':>7} {'failed':>6} {'overfl':>6} {'CPU s':>6} {'KiB/sta':>8}"
    )
    got: dict[str, Storm] = {}
    for run in args.runs.split(","):
        server, scheme, *rest = run.split("-")
        s = storm(
            server,
            n,
            args.clients,
            scheme == "wss",
            rest == ["deflate"],
            args.profile,
            args.at_once,
        )
        got[run] = s
        peer = got.get(f"raw-{scheme}{'-deflate' if rest else ''}")
        vs = f"  {s.seconds / peer.seconds:.2f}× raw's time" if peer and peer is not s else ""
        print(
            f"{s.name:<22} {s.booted:>7,} {s.seconds:>6.2f}s {s.booted / s.seconds:>8,.0f}"
            f" {s.p50_ms:>8.0f} {s.p99_ms:>8.0f} {s.refused:>7} {s.failed:>6} {s.overflows:>6}"
            f" {s.cpu_s:>6.1f} {s.kib_per_station:>8.1f}{vs}"
            f"  ({s.cpu_s / max(1, s.booted) * 1e6:,.0f} µs CPU a login and boot)"
        )
        for e in s.errors:
            print(f"    error: {e}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
