"""``csms-tui simulate`` as a user starts it: the installed console script, a few hundred
stations from the README's fleet example, against a real ``csms-tui --daemon`` process with the
same configuration file. The run registers the stations through the daemon's API, every station
boots and charges once, and the daemon's API then knows each of them and its transactions."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests.e2e.processes import CSMS_TUI, Daemon, write_config

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

FLEET = Path(__file__).resolve().parents[2] / "examples" / "simulate" / "fleet-50.toml"
STATIONS = 300  # the fleet example scaled: 150 of each version, under 30 s on two cores


async def test_a_few_hundred_stations_from_the_console_script_against_a_daemon(
    tmp_path: Path,
) -> None:
    site = write_config(tmp_path)
    config, api = site.config, site.api
    daemon = Daemon(site)
    await daemon.start()
    try:
        began = time.monotonic()
        run = await asyncio.create_subprocess_exec(
            str(CSMS_TUI),
            "simulate",
            "--scenario",
            str(FLEET),
            "-n",
            str(STATIONS),
            "--config",
            str(config),
            "--json",
            "--quiet",
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(90):
            out, err = await run.communicate()
        took = time.monotonic() - began
        assert run.returncode == 0, err.decode()
        summary = orjson.loads(out)
        sys.stdout.write(
            f"\n{STATIONS} stations: all booted {summary['all_booted_s']} s after the first"
            f" connection, {took:.1f} s in all\n"
        )
        assert (summary["stations"], summary["booted"]) == (STATIONS, STATIONS)
        assert summary["gave_up"] == 0
        assert summary["sessions"] == {
            "started": STATIONS,
            "completed": STATIONS,
            "refused": 0,
            "deauthorized": 0,
        }
        assert (summary["errors"], summary["problems"]) == (0, [])
        half = STATIONS // 2
        assert summary["calls"]["by_action"]["StartTransaction"] == half
        assert summary["calls"]["by_action"]["StopTransaction"] == half
        # Every 2.0.1 session is Started, Updated at least once, Ended.
        assert summary["calls"]["by_action"]["TransactionEvent"] >= 3 * half

        # The daemon's own account: every station registered, booted with its version, and
        # one finished transaction each.
        async with aiohttp.ClientSession(api) as http:
            async with http.get("/api/v0/cs", params={"limit": "1000", "q": "FLEET"}) as resp:
                assert resp.status == 200
                stations = orjson.loads(await resp.read())["stations"]
            versions = {s["stationId"]: s.get("ocppVersion") for s in stations}
            assert len(versions) == STATIONS
            assert sorted(set(versions.values())) == ["1.6", "2.0.1"]
            assert all(v == "1.6" for k, v in versions.items() if k.startswith("FLEET16-"))
            async with http.get("/api/v0/transactions", params={"limit": "1000"}) as resp:
                assert resp.status == 200
                transactions: list[dict[str, Any]] = orjson.loads(await resp.read())
            assert sorted(t["stationId"] for t in transactions) == sorted(versions)
            assert not any(t["active"] for t in transactions)
        assert daemon.proc is not None
        assert daemon.proc.poll() is None, "the daemon died under the run"
    finally:
        daemon.stop()
