"""The benchmarks still run, on the simulator's stations: ``bench/bench_ws.py`` and
``bench/bench_storm.py`` as scripts, with a handful of stations and short windows. Their figures
are not judged (shared CI cores); that every station connected, every call was answered and
every answered TransactionEvent was stored is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_bench_ws_measures_echo_and_csms_with_simulated_stations() -> None:
    out = _run(
        "bench_ws.py", "--quick", "--seconds", "0.5", "--stations", "5", "--servers", "echo,csms"
    )
    rows = {
        (m["scenario"], m["server"]): int(m["rate"].replace(",", ""))
        for m in re.finditer(
            r"^(?P<scenario>heartbeat|tx)\s+(?P<server>\w+)\s+5\s+(?P<rate>[\d,]+)/s", out, re.M
        )
    }
    assert set(rows) == {("heartbeat", "echo"), ("heartbeat", "csms"), ("tx", "csms")}, out
    assert all(rate > 0 for rate in rows.values()), out
    assert "error:" not in out
    assert "connection attempts failed" not in out
    stored = re.search(r"([\d,]+) TransactionEvents answered, ([\d,]+) stored \(all\)", out)
    assert stored is not None, out
    assert int(stored[1].replace(",", "")) > 0
    # The CSMS prices each event: the stations answered its CostUpdated calls.
    costs = re.search(r"([\d,]+) CostUpdated calls answered", out)
    assert costs is not None
    assert int(costs[1].replace(",", "")) > 0


def test_bench_storm_boots_every_station_on_ws_and_wss() -> None:
    out = _run("bench_storm.py", "--stations", "40", "--clients", "2", "--runs", "raw-ws,csms-wss")
    booted = dict(re.findall(r"^(raw ws|csms wss)\s+([\d,]+) ", out, re.M))
    assert booted == {"raw ws": "40", "csms wss": "40"}, out
    assert "error:" not in out
