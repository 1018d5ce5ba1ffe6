"""The benchmarks still run, on the simulator's stations: ``bench/bench_ws.py``,
``bench/bench_storm.py`` and ``bench/figures.py`` (both in one run, the README's tables) as
scripts, with a handful of stations and short windows. Their figures are not judged (shared CI
cores); that every station connected, every call was answered and every answered
TransactionEvent was stored is."""

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


def test_bench_ws_measures_both_echoes_and_csms_with_simulated_stations() -> None:
    out = _run(
        "bench_ws.py",
        "--quick",
        "--seconds",
        "0.5",
        "--stations",
        "5",
        "--servers",
        "echo,wsecho,csms",
    )
    rows = {
        (m["scenario"], m["server"]): int(m["rate"].replace(",", ""))
        for m in re.finditer(
            r"^(?P<scenario>heartbeat|tx)\s+(?P<server>\w+)\s+5\s+(?P<rate>[\d,]+)/s", out, re.M
        )
    }
    assert set(rows) == {
        ("heartbeat", "echo"),
        ("heartbeat", "wsecho"),  # the websockets library's echo, beside aiohttp's
        ("heartbeat", "csms"),
        ("tx", "csms"),
    }, out
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
    out = _run(
        "bench_storm.py",
        "--stations",
        "40",
        "--clients",
        "2",
        "--runs",
        "raw-ws,websockets-ws,csms-wss",
    )
    booted = dict(re.findall(r"^(raw ws|websockets ws|csms wss)\s+([\d,]+) ", out, re.M))
    assert booted == {"raw ws": "40", "websockets ws": "40", "csms wss": "40"}, out
    assert "error:" not in out


def test_bench_long_tx_times_early_and_late_events_on_this_tree_and_a_base() -> None:
    """Exits 0 only when every session was stored as sent; ``--base`` is this tree again."""
    out = _run(
        "bench_long_tx.py",
        "--stations",
        "2",
        "--length",
        "182",
        "--base",
        str(BENCH.parent),
    )
    for label in ("csms", "base"):
        windows = re.findall(rf"^{label} .*$", out, re.M)
        assert len(windows) == 1, out
        assert re.findall(
            r"events (\d+)–(\d+): +[\d,]+/s \(\d\.\d\d×\), list +\d+\.\d ms", windows[0]
        ) == [
            ("1", "60"),
            ("62", "121"),
            ("122", "181"),
        ], out
    assert re.search(r"^aim: the last window at ≥ 0.8× the first \(\d+\.\d+×: ", out, re.M), out


def _table(out: str, header: str) -> dict[tuple[str, ...], list[str]]:
    """The Markdown table under ``header``'s first cell: each row's cells, keyed by the cells
    that name it (stations and server, or the server)."""
    start = re.search(rf"^\| {header} \|", out, re.M)
    assert start is not None, out
    lines = out[start.start() :].splitlines()
    key = 2 if header == "stations" else 1
    rows: dict[tuple[str, ...], list[str]] = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[tuple(cells[:key])] = cells
    return rows


def test_figures_prints_the_readmes_tables_from_one_run() -> None:
    out = _run(
        "figures.py",
        "--quick",
        "--stations",
        "5",
        "--seconds",
        "0.5",
        "--storm-stations",
        "40",
        "--storm-clients",
        "2",
        "--steady-stations",
        "30",
    )  # exits 0 only when every station connected and every answered event was stored
    calls = _table(out, "stations")
    assert set(calls) == {
        ("5", "echo, aiohttp (ceiling)"),
        ("5", "echo, websockets"),
        ("5", "csms, Heartbeat"),
        ("5", "ocpp package, Heartbeat"),
        ("5", "csms, TransactionEvent"),
    }, out
    assert all(float(row[2].replace(",", "")) > 0 for row in calls.values()), out
    assert calls[("5", "echo, aiohttp (ceiling)")][6] == "1.00"  # the ratios' base
    assert calls[("5", "ocpp package, Heartbeat")][7] == "1.00"
    assert calls[("5", "csms, TransactionEvent")][8], out  # its rate ÷ csms's Heartbeat rate
    storms = _table(out, "server")
    assert set(storms) == {
        ("raw aiohttp, ws",),
        ("raw websockets, ws",),
        ("csms, ws (basic auth)",),
        ("csms, ws + permessage-deflate",),
        ("raw aiohttp, wss",),
        ("csms, wss (TLS + basic auth)",),
    }, out
    # every station booted, none refused, none failed; the time has its ratio to aiohttp's
    assert all(row[1] == "40" and row[6:8] == ["0", "0"] for row in storms.values()), out
    assert all(row[3] for row in storms.values()), out
    steady = _table(out, "steady logins")
    assert set(steady) == {("raw aiohttp, ws",), ("csms, ws (basic auth)",)}, out
    assert all(row[1] == "30" and row[2] == "50" for row in steady.values()), out
    # the CPU ratio's base, or "-" when 30 logins took less CPU than the clock's 10 ms tick
    assert steady[("raw aiohttp, ws",)][5] in ("1.00", "-"), out
    assert all(row[4].endswith(" µs") for row in steady.values()), out
    command = re.search(r"^`(python bench/figures\.py [^`]+)` — (.+)$", out, re.M)
    assert command is not None, out
    assert command[1].endswith("--storm-clients 2 --steady-stations 30")
    assert "load average" in command[2]
    assert "CPUs" in command[2]
