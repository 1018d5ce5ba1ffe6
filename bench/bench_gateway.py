"""Round trips through the embedded CSMS (websocket gateway + manager + SQLite) for N stations,
side by side with a raw aiohttp websocket echo measured in the same run (the ceiling).

Run: `python bench/bench_gateway.py [stations] [seconds]`. Prints figures; not a test. Each
station keeps exactly one CALL outstanding (the OCPP-J rule), so throughput = stations / RTT.
The load generator runs in the same process and on the same cores, so figures are conservative.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from core.config import config_from_dict
from core.runtime import Csms
from core.store.models import SecurityProfile, StationAuth

PASSWORD = "bench-password-123"
HEARTBEAT = '[2,"{id}","Heartbeat",{{}}]'


async def drive(url: str, station: str, seconds: float, rtts: list[float], auth: str | None) -> int:
    headers = {"Authorization": auth} if auth else {}
    n = 0
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, protocols=("ocpp1.6",), headers=headers) as ws,
    ):
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            await ws.send_str(HEARTBEAT.format(id=f"{station}-{n}"))
            await ws.receive()
            rtts.append(time.perf_counter() - start)
            n += 1
    return n


def report(name: str, stations: int, seconds: float, total: int, rtts: list[float]) -> None:
    rtts.sort()
    p50 = rtts[len(rtts) // 2] * 1000
    p99 = rtts[int(len(rtts) * 0.99)] * 1000
    print(
        f"{name:<28} {stations:>5} stations {total / seconds:>9,.0f} rt/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
    )


async def echo_ceiling(stations: int, seconds: float) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("ocpp1.6",))
        await ws.prepare(request)
        async for _msg in ws:
            await ws.send_str('[3,"x",{"currentTime":"2026-01-01T00:00:00Z"}]')
        return ws

    app = web.Application()
    app.router.add_get("/ws/{id}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rtts: list[float] = []
    counts = await asyncio.gather(
        *(
            drive(f"http://127.0.0.1:{port}/ws/E{i}", f"E{i}", seconds, rtts, None)
            for i in range(stations)
        )
    )
    report("raw aiohttp echo (ceiling)", stations, seconds, sum(counts), rtts)
    await runner.cleanup()


async def csms(stations: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = config_from_dict(
            {
                "storage": {"sqlite": {"path": str(Path(tmp) / "bench.db")}},
                "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": ""},
                "api": {"enabled": False},
                "sync": {"enabled": False},
                "observability": {"log_file": ""},
            }
        )
        async with Csms(config) as running:
            digest = base64.b64encode(hashlib.sha256(PASSWORD.encode()).digest()).decode()
            for i in range(stations):
                await running.store.register_station(
                    f"B{i}", StationAuth(SecurityProfile.BASIC, digest), datetime.now(UTC)
                )
            port = running.ports["ws"]
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rtts: list[float] = []
            counts = await asyncio.gather(
                *(
                    drive(
                        f"http://127.0.0.1:{port}/ws/B{i}",
                        f"B{i}",
                        seconds,
                        rtts,
                        "Basic " + base64.b64encode(f"B{i}:{PASSWORD}".encode()).decode(),
                    )
                    for i in range(stations)
                )
            )
            report("csms-tui embedded", stations, seconds, sum(counts), rtts)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(
                f"{'':<28} max RSS {rss_after / 1024:.0f} MB (+{(rss_after - rss_before) / 1024:.0f} MB during the run)"
            )


async def main() -> None:
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    sizes = [int(sys.argv[1])] if len(sys.argv) > 1 else [1, 100]
    for n in sizes:
        await echo_ceiling(n, seconds)
        await csms(n, seconds)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
