"""The README's websocket and storm figures, from one run and one command.

Runs, one after the other on the same machine:

* ``bench_ws`` at each ``--stations`` size (50 and 500 by default): the two echo ceilings
  (aiohttp, the ratios' base, and the ``websockets`` library), csms-tui with Heartbeats, the
  ``ocpp`` package's CSMS with Heartbeats, then csms-tui with TransactionEvents; each the best
  of ``--rounds`` interleaved rounds;
* ``bench_storm`` with ``--storm-stations`` stations (10,000 by default): the raw aiohttp server,
  the raw ``websockets`` server and csms-tui on ws, then raw aiohttp and csms-tui on wss;
* ``bench_storm`` again with ``--steady-stations`` stations (4,000 by default) logging in a few
  dozen at a time, on the raw aiohttp server and csms-tui: the CPU a login and boot costs and
  the memory an idle connection holds, without a storm's listen-queue overflows, retransmitted
  SYNs and the memory its burst leaves behind;

then prints three Markdown tables ready for README.md — throughput and latency; storm and
memory; steady logins — and a line with the command, the date, the commit, the load average before and after, the
Python version and the CPU count.

Exits non-zero when a station failed to connect, was refused or got no answer, or a
TransactionEvent that was answered is not in the store: figures from such a run are not figures.

Run: ``python bench/figures.py`` (about 8 minutes on 2 cores), or ``--quick`` (small sizes,
1 s windows, 300 storm stations: about a minute). Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench_storm import Storm, storm
from bench_ws import Figure, best, interleaved

# bench_ws's servers under Heartbeats, in the table's order, and their labels there.
HEARTBEAT = {
    "echo": "echo, aiohttp (ceiling)",
    "wsecho": "echo, websockets",
    "csms": "csms, Heartbeat",
    "ocpp": "ocpp package, Heartbeat",
    "scaleout": "scale-out (gateway + 2 managers, mosquitto, PostgreSQL), Heartbeat",
}
TX_LABEL = "csms, TransactionEvent"


@dataclass(frozen=True)
class StormRun:
    server: str  # bench_storm's server: raw (aiohttp), websockets, csms
    tls: bool
    label: str
    deflate: bool = False


STORMS = (
    StormRun("raw", False, "raw aiohttp, ws"),
    StormRun("websockets", False, "raw websockets, ws"),
    StormRun("csms", False, "csms, ws (basic auth)"),
    StormRun("csms", False, "csms, ws + permessage-deflate", deflate=True),
    StormRun("raw", True, "raw aiohttp, wss"),
    StormRun("csms", True, "csms, wss (TLS + basic auth)"),
)
STEADY = (
    StormRun("raw", False, "raw aiohttp, ws"),
    StormRun("csms", False, "csms, ws (basic auth)"),
)
STEADY_AT_ONCE = 25  # stations logging in at once, per load-generator process


@dataclass
class Sizes:
    stations: list[int]
    seconds: float
    warmup: float
    rounds: int
    clients: int
    storm_stations: int
    storm_clients: int
    steady_stations: int
    scaleout: bool


def _sizes(args: argparse.Namespace) -> Sizes:
    quick = args.quick
    return Sizes(
        stations=[int(n) for n in (args.stations or ("20,100" if quick else "50,500")).split(",")],
        seconds=args.seconds or (1.0 if quick else 5.0),
        warmup=args.warmup if args.warmup is not None else (0.5 if quick else 2.0),
        rounds=args.rounds or (1 if quick else 2),
        clients=args.clients,
        storm_stations=args.storm_stations or (300 if quick else 10_000),
        storm_clients=args.storm_clients or (2 if quick else 4),
        steady_stations=args.steady_stations or (300 if quick else 4_000),
        scaleout=not quick if args.scaleout is None else args.scaleout,
    )


# --- what a run must not hide ---------------------------------------------------------------------


def ws_problems(f: Figure) -> list[str]:
    """What went wrong in one bench_ws measurement: a station that did not connect, a call
    that failed, no call answered at all, an answered TransactionEvent not stored."""
    tag = f"bench_ws {f.scenario} {f.server} {f.stations}:"
    problems = [f"{tag} {e}" for e in f.errors]
    if f.extra.get("connect_failures"):
        problems.append(f"{tag} {f.extra['connect_failures']} connection attempts failed")
    if f.extra.get("connected", 0) < f.stations:
        problems.append(f"{tag} {f.extra.get('connected', 0)} of {f.stations} stations connected")
    if not f.rate:
        problems.append(f"{tag} no call answered in the window")
    if f.scenario == "tx":
        answered, stored = f.extra.get("answered_tx_events", 0), f.extra.get("stored_events", 0)
        if stored < answered:
            problems.append(f"{tag} {answered - stored} answered TransactionEvents not stored")
    return problems


def storm_problems(s: Storm) -> list[str]:
    """What went wrong in one storm: a station not booted, a refused or failed attempt."""
    tag = f"bench_storm {s.name} {s.stations}:"
    problems = [f"{tag} {e}" for e in s.errors]
    if s.booted < s.stations:
        problems.append(f"{tag} {s.booted} of {s.stations} stations booted")
    if s.refused:
        problems.append(f"{tag} {s.refused} connection attempts refused")
    if s.failed:
        problems.append(f"{tag} {s.failed} connection attempts failed")
    return problems


# --- the tables -----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    if value != value:  # NaN: nothing measured
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}" if b else ""


def throughput_table(hb: dict[int, dict[str, Figure]], tx: dict[int, Figure]) -> list[str]:
    lines = [
        "| stations | server | calls/s | p50 ms | p99 ms | CPU per call | ÷ echo | ÷ ocpp"
        " | TransactionEvent ÷ Heartbeat |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, got in hb.items():
        echo, ocpp = got.get("echo"), got.get("ocpp")
        rows = [(HEARTBEAT[s], f, True) for s, f in got.items()]
        if n in tx:
            rows.append((TX_LABEL, tx[n], False))
        for label, f, heartbeat in rows:
            csms = got.get("csms")
            per_hb = "" if heartbeat else _ratio(f.rate, csms.rate if csms else None)
            lines.append(
                f"| {n} | {label} | {f.rate:,.0f} | {_ms(f.p50_ms)} | {_ms(f.p99_ms)}"
                f" | {f.cpu_us_per_call:,.0f} µs | {_ratio(f.rate, echo.rate if echo else None)}"
                f" | {_ratio(f.rate, ocpp.rate if ocpp and heartbeat else None)} | {per_hb} |"
            )
    return lines


def storm_table(storms: list[tuple[StormRun, Storm]]) -> list[str]:
    lines = [
        "| server | stations | all booted in | ÷ raw aiohttp | p50 ms | p99 ms | refused | failed"
        " | listen-queue overflows | CPU s | KiB per idle station |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    raw = {run.tls: s for run, s in storms if run.server == "raw"}
    for run, s in storms:
        peer = raw.get(run.tls)
        lines.append(
            f"| {run.label} | {s.stations:,} | {s.seconds:.2f} s"
            f" | {_ratio(s.seconds, peer.seconds if peer else None)} | {_ms(s.p50_ms)}"
            f" | {_ms(s.p99_ms)} | {s.refused} | {s.failed} | {s.overflows:,} | {s.cpu_s:.1f}"
            f" | {s.kib_per_station:.1f} |"
        )
    return lines


def steady_table(steady: list[tuple[StormRun, Storm]], clients: int) -> list[str]:
    lines = [
        "| steady logins | stations | at once | all booted in | CPU per login and boot"
        " | ÷ raw aiohttp | KiB per idle station |",
        "|---|---|---|---|---|---|---|",
    ]
    raw = next((s for run, s in steady if run.server == "raw"), None)
    base = raw.cpu_s / max(1, raw.booted) if raw else 0.0
    for run, s in steady:
        cpu = s.cpu_s / max(1, s.booted)
        # "-": the base took too little CPU to measure (a few logins: the clock ticks 10 ms)
        lines.append(
            f"| {run.label} | {s.stations:,} | {STEADY_AT_ONCE * clients} | {s.seconds:.2f} s"
            f" | {cpu * 1e6:,.0f} µs | {_ratio(cpu, base) or '-'} | {s.kib_per_station:.1f} |"
        )
    return lines


def _commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' with uncommitted changes' if dirty else ''}"


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# --- the run --------------------------------------------------------------------------------------


def _progress(text: str) -> None:
    print(text, flush=True)


def _ws_line(f: Figure) -> None:
    _progress(
        f"  bench_ws {f.scenario:<9} {f.server:<7} {f.stations:>5} stations:"
        f" {f.rate:>9,.0f} calls/s  p50 {_ms(f.p50_ms)} ms  p99 {_ms(f.p99_ms)} ms"
        f"  {f.cpu_us_per_call:,.0f} µs CPU a call"
    )


def _storms(
    specs: tuple[StormRun, ...], n: int, clients: int, at_once: int, problems: list[str]
) -> list[tuple[StormRun, Storm]]:
    """bench_storm for each of ``specs``: all at once (``at_once`` 0), or so many at a time."""
    done: list[tuple[StormRun, Storm]] = []
    for spec in specs:
        s = storm(spec.server, n, clients, spec.tls, spec.deflate, at_once=at_once)
        cpu = (
            f"{s.cpu_s / max(1, s.booted) * 1e6:,.0f} µs CPU a login"
            if at_once
            else f"{s.cpu_s:.1f} CPU s"
        )
        _progress(
            f"  {'steady logins' if at_once else 'bench_storm'} {spec.label:<28}"
            f" {s.booted:>6,} of {s.stations:,} booted in {s.seconds:.2f} s"
            f"  p99 {_ms(s.p99_ms)} ms  {cpu}  {s.kib_per_station:.1f} KiB a station"
        )
        problems += storm_problems(s)
        done.append((spec, s))
    return done


def run(sizes: Sizes) -> tuple[list[str], list[str]]:
    """Every measurement; the tables' lines and the problems found."""
    problems: list[str] = []
    hb: dict[int, dict[str, Figure]] = {}
    tx: dict[int, Figure] = {}
    for n in sizes.stations:
        options = (sizes.rounds, sizes.clients, None, _ws_line)
        servers = [s for s in HEARTBEAT if s != "scaleout" or sizes.scaleout]
        figures = interleaved(servers, "heartbeat", n, sizes.seconds, sizes.warmup, *options)
        tx_figures = interleaved(["csms"], "tx", n, sizes.seconds, sizes.warmup, *options)
        for f in figures + tx_figures:
            problems += ws_problems(f)
        hb[n] = best(figures)
        tx[n] = best(tx_figures)["csms"]
    storms = _storms(STORMS, sizes.storm_stations, sizes.storm_clients, 0, problems)
    steady = _storms(STEADY, sizes.steady_stations, sizes.storm_clients, STEADY_AT_ONCE, problems)
    tables = [
        *throughput_table(hb, tx),
        "",
        *storm_table(storms),
        "",
        *steady_table(steady, sizes.storm_clients),
    ]
    return tables, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="20 and 100 stations, 1 s windows, 300 in a storm"
    )
    parser.add_argument("--stations", help="bench_ws's comma-separated station counts")
    parser.add_argument("--seconds", type=float, help="bench_ws's measured window per run")
    parser.add_argument("--warmup", type=float, help="bench_ws's warm-up before each window")
    parser.add_argument("--rounds", type=int, help="bench_ws's interleaved rounds (best shown)")
    parser.add_argument("--clients", type=int, default=2, help="bench_ws's load generators")
    parser.add_argument("--storm-stations", type=int, help="stations in each storm")
    parser.add_argument("--storm-clients", type=int, help="bench_storm's load generators")
    parser.add_argument("--steady-stations", type=int, help="stations logging in at a steady pace")
    parser.add_argument(
        "--scaleout",
        action=argparse.BooleanOptionalAction,
        help="also the scale-out shape under Heartbeats (needs mosquitto and PostgreSQL;"
        " default: on, off with --quick)",
    )
    args = parser.parse_args(argv)
    sizes = _sizes(args)
    command = shlex.join(["python", "bench/figures.py", *(sys.argv[1:] if argv is None else argv)])
    load_before, started = _load(), time.monotonic()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    _progress(
        f"{os.cpu_count()} CPUs; bench_ws at {', '.join(map(str, sizes.stations))} stations,"
        f" best of {sizes.rounds} interleaved round(s) of {sizes.seconds:g} s after"
        f" {sizes.warmup:g} s warm-up, {sizes.clients} load generators; storms of"
        f" {sizes.storm_stations:,} stations from {sizes.storm_clients} load generators;"
        f" {sizes.steady_stations:,} steady logins"
    )
    tables, problems = run(sizes)
    took = time.monotonic() - started
    print()
    print("\n".join(tables))
    print()
    print(
        f"`{command}` — {date}, commit {_commit()}, {took / 60:.1f} min; load average"
        f" {load_before} before, {_load()} after (1/5/15 min); Python {platform.python_version()},"
        f" {os.cpu_count()} CPUs; bench_ws: best of {sizes.rounds} interleaved round(s),"
        f" {sizes.seconds:g} s windows after {sizes.warmup:g} s warm-up, {sizes.clients}"
        f" load-generator processes; storms: {sizes.storm_clients} load-generator processes;"
        f" steady logins: {STEADY_AT_ONCE} at once per load-generator process."
    )
    sys.stdout.flush()
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
