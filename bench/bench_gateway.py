"""Round trips through the embedded CSMS (websocket gateway + manager + SQLite) for N stations,
side by side with a raw aiohttp websocket echo measured in the same run (the ceiling).

Run: `python bench/bench_gateway.py [stations] [seconds]`. Prints figures; not a test. The
stations are csms-tui's simulated ones (``csms_tui.simulate.load``); each keeps exactly one CALL
outstanding (the OCPP-J rule), so throughput = stations / RTT.
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


async def drive(
    url: str, stations: list[str], seconds: float, auth: bool, loopback: bool = False
) -> tuple[int, list[float]]:
    """csms-tui's simulated stations (csms_tui.simulate.load): each connects, then sends
    Heartbeats for ``seconds``, each as soon as the last is answered. The calls and round trips."""
    from csms_tui.simulate.load import call_as_answered, close_all, connect_fleet, repeat
    from csms_tui.simulate.model import Profile

    profile = Profile(ocpp="1.6", security_profile=0 if auth else -1, password=PASSWORD)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        fleet = await connect_fleet(http, url, stations, profile, boot=False, loopback=loopback)
        assert len(fleet) == len(stations), "a station could not connect"
        start = time.monotonic()
        load = await call_as_answered(fleet, repeat("Heartbeat"), start, start + seconds, 0.0)
        await close_all(fleet)
    assert not load.errors, load.errors[:3]
    return load.counted, list(load.rtts)


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
        async for msg in ws:  # every frame sent back: the stations' links take it as the answer
            await ws.send_str(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws/{id}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    ids = [f"E{i}" for i in range(stations)]
    total, rtts = await drive(f"ws://127.0.0.1:{port}/ws/", ids, seconds, False, loopback=True)
    report("raw aiohttp echo (ceiling)", stations, seconds, total, rtts)
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
            ids = [f"B{i}" for i in range(stations)]
            total, rtts = await drive(f"ws://127.0.0.1:{port}/ws/", ids, seconds, True)
            report("csms-tui embedded", stations, seconds, total, rtts)
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
