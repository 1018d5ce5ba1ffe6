"""``csms-tui simulate``, ``csms-tui replay`` and ``csms-tui record``.

Exit codes: 0 ok, 1 runtime failure (some station never booted; a replay that differs),
2 usage or configuration error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, TypeVar

import orjson
import typer
from pydantic import ValidationError

from core.config import Config, ConfigError, parse_duration, split_addr
from csms_tui.cli_common import EXIT_RUNTIME, EXIT_USAGE, ConfigOption, config_from, fail
from csms_tui.simulate.model import (
    DEFAULT_PASSWORD,
    Answer,
    Profile,
    Run,
    SimulationFile,
    answer_option,
    default_scenario,
    load_answers,
    load_simulation,
)

if TYPE_CHECKING:
    from csms_tui.simulate.runner import LiveReport

T = TypeVar("T")


def register(app: typer.Typer) -> None:
    """Add the commands to ``app`` (the ``csms-tui`` command)."""
    app.command("simulate")(simulate_command)
    app.command("replay")(replay_command)
    app.command("record")(record_command)


# --- where the CSMS is ------------------------------------------------------------------------


def _local(host: str) -> str:
    """A listener bound to every interface is reached on loopback from here."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def default_ws_url(cfg: Config, tls: bool) -> str:
    """The configured daemon's websocket base URL (wss for TLS security profiles)."""
    addr = cfg.gateway.wss_addr if tls else cfg.gateway.ws_addr
    if not addr:
        which = "wss_addr" if tls else "ws_addr"
        fail(f"the configuration has no gateway.{which}: give the CSMS with --url", EXIT_USAGE)
    host, port = split_addr(addr)
    return f"{'wss' if tls else 'ws'}://{_local(host)}:{port}/ws/"


def default_api_url(cfg: Config) -> str | None:
    if not cfg.api.enabled:
        return None
    host, port = split_addr(cfg.api.addr)
    return f"http://{_local(host)}:{port}"


# --- running ----------------------------------------------------------------------------------


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """uvloop where it is installed: a thousand stations are a thousand sockets and timers."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)


def live_writer(stream: TextIO) -> LiveReport:
    """On a terminal the line is rewritten in place every second; into a file or a pipe a line
    every five seconds (and the last one), so a log stays readable."""
    tty = stream.isatty()
    ticks = 0

    def write(line: str, final: bool) -> None:
        nonlocal ticks
        ticks += 1
        if tty:
            stream.write("\r\x1b[K" + line + ("\n" if final else ""))
        elif final or ticks % 5 == 0:
            stream.write(line + "\n")
        stream.flush()

    return write


def _duration(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


def scale_counts(profiles: list[Profile], total: int) -> list[Profile]:
    """The profiles with their counts scaled to ``total`` stations, in proportion (each keeps
    at least one station while there are enough to go round)."""
    have = sum(p.count for p in profiles)
    counts = [max(1, round(total * p.count / have)) for p in profiles]
    counts[-1] = max(1, counts[-1] + total - sum(counts))
    return [p.model_copy(update={"count": n}) for p, n in zip(profiles, counts, strict=True)]


def _human(summary: dict[str, Any], out: TextIO) -> None:
    s, calls, csms = summary["sessions"], summary["calls"], summary["csms_calls"]
    lines = [
        f"stations: {summary['booted']}/{summary['stations']} booted (all within "
        f"{summary['all_booted_s']} s), {summary['up']} up at the end, {summary['gave_up']} "
        f"gave up; connect p50 {summary['connect_ms']['p50']} ms, "
        f"p99 {summary['connect_ms']['p99']} ms; run {summary['elapsed_s']} s",
        f"sessions: {s['started']} started, {s['completed']} completed, {s['refused']} refused, "
        f"{s['deauthorized']} deauthorised; {summary['energy_wh'] / 1000:.3f} kWh",
        f"calls: {calls['sent']} sent, {calls['results']} answered, {calls['errors']} CALLERROR, "
        f"{calls['timeouts']} unanswered",
        f"CSMS calls: {csms['received']} received"
        + "".join(f", {v} {k}" for k, v in csms["by_policy"].items()),
    ]
    lines += [f"problem: {p}" for p in summary["problems"]]
    out.write("\n".join(lines) + "\n")


# --- simulate ---------------------------------------------------------------------------------


def simulate_command(  # noqa: C901 - a flat run of option checks, each one branch
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            "-s",
            help="Scenario file (TOML: run, answers, profile and scenario tables; see "
            "examples/simulate/). Without one: --stations stations boot, heartbeat and charge "
            "once each.",
            dir_okay=False,
        ),
    ] = None,
    answers_file: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help="Answer-policy file (TOML with an answers table), over the scenario's.",
            dir_okay=False,
        ),
    ] = None,
    answer: Annotated[
        list[str] | None,
        typer.Option(
            "--answer",
            help="ACTION=POLICY for the CSMS's calls, over the files; repeatable. POLICY: "
            "accept, reject, never, error, error:CODE, late:DURATION, late:DURATION:reject; "
            "ACTION * for all. "
            "E.g. --answer Reset=error:InternalError --answer GetConfiguration=late:5s",
        ),
    ] = None,
    stations: Annotated[
        int | None,
        typer.Option(
            "--stations",
            "-n",
            min=1,
            help="How many stations (default 10). With a scenario file: its profiles' counts "
            "scaled to this total.",
        ),
    ] = None,
    ocpp: Annotated[
        str,
        typer.Option(
            help="Without a scenario file: 1.6, 2.0.1, or mixed (every other station 2.0.1)."
        ),
    ] = "mixed",
    id_prefix: Annotated[
        str, typer.Option(help="Without a scenario file: station ids are PREFIX001, PREFIX002 …")
    ] = "SIM-",
    url: Annotated[
        str | None,
        typer.Option(
            help="The CSMS's websocket base URL, e.g. ws://csms.example:9310/ws/ (the station "
            "id is appended, or replaces {id}). Default: this configuration's gateway.",
        ),
    ] = None,
    api: Annotated[
        str | None,
        typer.Option(
            help="Admin API that registers the stations and their tokens before the run, e.g. "
            "http://127.0.0.1:9410. Default: this configuration's API when --url is not given.",
        ),
    ] = None,
    register_stations: Annotated[
        bool | None,
        typer.Option(
            "--register/--no-register",
            help="Register the stations (same id, same password again is fine) and create "
            "tokens the CSMS lacks through the API. Default: on when there is an API.",
        ),
    ] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token for --api.")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help=f"Without a scenario file: the stations' password (default {DEFAULT_PASSWORD!r})."
        ),
    ] = None,
    security_profile: Annotated[
        int,
        typer.Option(
            min=-1,
            max=2,
            help="Without a scenario file: -1 no auth, 0 basic auth, 1 TLS + basic auth "
            "(wss, --ca-file), 2 TLS + client certificate (--client-cert, --client-key).",
        ),
    ] = 0,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            help="Without a scenario file: CA (PEM) for the CSMS's TLS certificate.", dir_okay=False
        ),
    ] = None,
    client_cert: Annotated[
        Path | None,
        typer.Option(
            help="Without a scenario file: client certificate (PEM) for profile 2.", dir_okay=False
        ),
    ] = None,
    client_key: Annotated[
        Path | None,
        typer.Option(help="Without a scenario file: its private key (PEM).", dir_okay=False),
    ] = None,
    meter_rate: Annotated[
        float,
        typer.Option(min=0, help="Without a scenario file: charging power in W."),
    ] = 11_000.0,
    meter_interval: Annotated[
        str,
        typer.Option(help="Without a scenario file: meter values while charging, every …"),
    ] = "10s",
    session_duration: Annotated[
        str, typer.Option(help="Without a scenario file: how long each session charges.")
    ] = "30s",
    duration: Annotated[
        str | None,
        typer.Option(
            help="Run this long (stations stay connected after their scenario); default: until "
            "every scenario is done. Ctrl-C ends the run early either way.",
        ),
    ] = None,
    connect_rate: Annotated[
        float | None,
        typer.Option(min=0.001, help="New connections per second (default 100)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed for the stations' start times.")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary on stdout at the end.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No live summary on stderr.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log the stations' warnings on stderr.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Simulate charge stations (OCPP 1.6J and/or 2.0.1) against a CSMS: they boot, heartbeat,
    charge with rising meter values, fault, go offline and reboot as the scenario says, and
    answer the CSMS's calls as the answer policy says.

    Example: csms-tui simulate -n 50
    Example: csms-tui simulate --scenario examples/simulate/depot.toml --json
    Example: csms-tui simulate -n 5 --url ws://csms.example:9310/ws/ --no-register --answer Reset=late:10s
    """
    cfg = config_from(config)
    logging.basicConfig(
        level=logging.WARNING,
        handlers=[logging.StreamHandler(sys.stderr) if verbose else logging.NullHandler()],
        force=True,
    )
    try:
        if scenario is not None:
            given = {
                "--password": password,
                "--ca-file": ca_file,
                "--client-cert": client_cert,
                "--client-key": client_key,
            }
            mixed = [name for name, value in given.items() if value is not None]
            if mixed:
                fail(f"{', '.join(mixed)}: set in the scenario file's profiles", EXIT_USAGE)
            sim = load_simulation(scenario)
            if not sim.profile:
                fail(f"{scenario}: no [[profile]]: nothing to simulate", EXIT_USAGE)
        else:
            sim = _sim_from_options(
                stations or 10,
                ocpp,
                id_prefix,
                password,
                security_profile,
                ca_file,
                client_cert,
                client_key,
                meter_rate,
                _duration(meter_interval, "--meter-interval") or 10.0,
                _duration(session_duration, "--session-duration") or 30.0,
            )
        answers: dict[str, Answer] = dict(sim.answers)
        if answers_file is not None:
            answers.update(load_answers(answers_file))
    except ConfigError as exc:
        fail("; ".join(str(exc).splitlines()), EXIT_USAGE)
    overrides: dict[str, Answer] = {}
    for text in answer or []:
        try:
            action, policy = answer_option(text)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--answer") from exc
        overrides[action] = policy

    profiles = sim.profile
    if scenario is not None and stations is not None:
        profiles = scale_counts(profiles, stations)
    run_updates: dict[str, Any] = {}
    if (d := _duration(duration, "--duration")) is not None:
        run_updates["duration"] = d
    if connect_rate is not None:
        run_updates["connect_rate"] = connect_rate
    run = sim.run.model_copy(update=run_updates)

    tls = any(p.security_profile >= 1 for p in profiles)
    if url is None:
        url = default_ws_url(cfg, tls)
        api = api or default_api_url(cfg)
    elif register_stations and api is None:
        fail("--register needs --api (the admin API of the CSMS at --url)", EXIT_USAGE)
    if not url.startswith(("ws://", "wss://")):
        fail(f"--url {url!r}: give a ws:// or wss:// URL", EXIT_USAGE)
    if tls and not url.startswith("wss://"):
        fail("security profiles 1 and 2 need a wss:// URL", EXIT_USAGE)
    # The stations' machinery (aiohttp, the schemas) is loaded only by the commands using it,
    # so the rest of the command line starts as fast as before.
    from csms_tui.simulate.runner import Plan, RegistrationFailed, simulate

    do_register = register_stations if register_stations is not None else api is not None
    plan = Plan(
        url=url,
        profiles=profiles,
        scenarios=dict(sim.scenario),
        answers=answers,
        answer_overrides=overrides,
        run=run,
        api=api if do_register else None,
        api_token=token,
    )
    live = None if quiet else live_writer(sys.stderr)

    async def main() -> dict[str, Any]:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        return await simulate(plan, live, stop, seed=seed)

    try:
        summary = _run(main())
    except RegistrationFailed as exc:
        fail(f"registration: {exc}", EXIT_RUNTIME)
    if json_out:
        sys.stdout.write(orjson.dumps(summary).decode() + "\n")
    else:
        _human(summary, sys.stdout)
    if summary["booted"] < summary["stations"]:
        raise typer.Exit(EXIT_RUNTIME)


def _sim_from_options(
    count: int,
    ocpp: str,
    id_prefix: str,
    password: str | None,
    security_profile: int,
    ca_file: Path | None,
    client_cert: Path | None,
    client_key: Path | None,
    meter_rate: float,
    meter_interval: float,
    session_duration: float,
) -> SimulationFile:
    """The simulation the options describe: one profile per OCPP version asked for."""
    if ocpp not in ("1.6", "2.0.1", "mixed"):
        raise typer.BadParameter("1.6, 2.0.1 or mixed", param_hint="--ocpp")
    common: dict[str, Any] = {
        "security_profile": security_profile,
        "ca_file": str(ca_file or ""),
        "client_cert": str(client_cert or ""),
        "client_key": str(client_key or ""),
        "meter_rate": meter_rate,
        "meter_interval": meter_interval,
    }
    if password is not None:
        common["password"] = password
    if ocpp == "mixed" and count > 1:
        versions = [("1.6", count - count // 2, "16-"), ("2.0.1", count // 2, "201-")]
    else:
        versions = [("1.6" if ocpp == "mixed" else ocpp, count, "")]
    try:
        profiles = [
            Profile.model_validate({**common, "ocpp": v, "count": n, "id_prefix": id_prefix + p})
            for v, n, p in versions
        ]
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        fail(f"{where}: {error['msg'].removeprefix('Value error, ')}", EXIT_USAGE)
    scenario = default_scenario(session_duration, start_within=min(5.0, count / 100))
    return SimulationFile(profile=profiles, scenario={"default": scenario}, run=Run())


# --- replay -----------------------------------------------------------------------------------


def replay_command(
    recording: Annotated[
        Path,
        typer.Argument(
            help="A recorded session: the console's Messages export or `csms-tui record` "
            "(JSON lines).",
            dir_okay=False,
        ),
    ],
    against: Annotated[
        str | None,
        typer.Option(
            help="The CSMS's websocket base URL, e.g. ws://csms.example:9310/ws/ (the station "
            "id is appended, or replaces {id}). Default: this configuration's gateway.",
        ),
    ] = None,
    speed: Annotated[
        float,
        typer.Option(
            min=0,
            help="1 replays at the recorded pace, 10 ten times faster, 0 without waiting "
            "(each call as soon as the previous one is answered).",
        ),
    ] = 1.0,
    station: Annotated[
        list[str] | None,
        typer.Option(help="Replay only this station of the recording; repeatable."),
    ] = None,
    ocpp: Annotated[
        str | None,
        typer.Option(help="1.6 or 2.0.1, when the recording does not tell (it usually does)."),
    ] = None,
    password: Annotated[
        str, typer.Option(help="Basic-auth password of the replayed stations.")
    ] = DEFAULT_PASSWORD,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Connect without credentials (profile -1).")
    ] = False,
    ca_file: Annotated[
        Path | None,
        typer.Option(help="CA (PEM) for the CSMS's TLS certificate (wss).", dir_okay=False),
    ] = None,
    client_cert: Annotated[
        Path | None,
        typer.Option(help="Client certificate (PEM) for security profile 2.", dir_okay=False),
    ] = None,
    client_key: Annotated[
        Path | None, typer.Option(help="Its private key (PEM).", dir_okay=False)
    ] = None,
    api: Annotated[
        str | None,
        typer.Option(
            help="Admin API that registers the replayed stations first (with --password), e.g. "
            "http://127.0.0.1:9410. Default: this configuration's API when --against is not "
            "given. Tokens are not created: how the CSMS judges them is part of what is "
            "compared.",
        ),
    ] = None,
    register_stations: Annotated[
        bool | None,
        typer.Option(
            "--register/--no-register",
            help="Register the stations through the API first. Default: on when there is one.",
        ),
    ] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token for --api.")] = None,
    keep_transaction_ids: Annotated[
        bool,
        typer.Option(
            "--keep-transaction-ids",
            help="2.0.1: send the recorded transaction ids instead of fresh ones (fresh ones let "
            "a replay against the CSMS it was recorded from start new transactions).",
        ),
    ] = False,
    call_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for each answer.")
    ] = 30.0,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON object.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Replay the station side of a recorded session against a CSMS and report how its answers
    differ from the recorded ones (exit code 1 when they do). The CSMS's clock, timestamps,
    token cache expiries and the transaction ids it numbers are not compared.

    Example: csms-tui replay messages-20260314-093000.jsonl --speed 10
    Example: csms-tui replay cs001.jsonl --against ws://staging:9310/ws/ --no-register --json
    """
    from core.ocpp.types import OcppVersion
    from csms_tui.simulate.link import Credentials, station_url
    from csms_tui.simulate.replay import RecordingError, load_recording, replay, scripts
    from csms_tui.simulate.runner import RegistrationFailed, register

    cfg = config_from(config)
    versions = {"1.6": OcppVersion.V16, "2.0.1": OcppVersion.V201}
    if ocpp is not None and ocpp not in versions:
        raise typer.BadParameter("1.6 or 2.0.1", param_hint="--ocpp")
    try:
        plays = scripts(
            load_recording(recording),
            set(station) if station else None,
            versions[ocpp] if ocpp else None,
        )
    except RecordingError as exc:
        fail(str(exc), EXIT_USAGE)
    if not plays:
        fail(f"{recording}: no station calls to replay", EXIT_USAGE)
    tls = client_cert is not None or (against or "").startswith("wss://")
    if against is None:
        against = default_ws_url(cfg, tls)
        api = api or default_api_url(cfg)
    if not against.startswith(("ws://", "wss://")):
        fail(f"--against {against!r}: give a ws:// or wss:// URL", EXIT_USAGE)
    credentials = Credentials(
        password=None if no_auth or client_cert else password,
        ca_file=str(ca_file) if ca_file else None,
        client_cert=str(client_cert) if client_cert else None,
        client_key=str(client_key) if client_key else None,
    )
    profile = -1 if no_auth else 2 if client_cert else 1 if tls else 0
    do_register = register_stations if register_stations is not None else api is not None
    if do_register and api is None:
        fail("--register needs --api (the admin API of the CSMS at --against)", EXIT_USAGE)

    async def main() -> Any:
        if do_register and api is not None:
            await register(api, token, None, [(s.station_id, profile, password) for s in plays])
        return await replay(
            plays,
            lambda station_id: station_url(against, station_id),
            lambda _: credentials,
            speed=speed,
            new_transaction_ids=not keep_transaction_ids,
            call_timeout=call_timeout,
        )

    try:
        report = _run(main())
    except RegistrationFailed as exc:
        fail(f"registration: {exc}", EXIT_RUNTIME)
    if json_out:
        sys.stdout.write(orjson.dumps(report.to_json()).decode() + "\n")
    else:
        sys.stdout.write(report.text() + "\n")
    if report.differences or report.problems:
        raise typer.Exit(EXIT_RUNTIME)


# --- record -----------------------------------------------------------------------------------


def record_command(
    station: Annotated[str, typer.Argument(help="The station whose messages are recorded.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Where to write the JSON lines ('-' for stdout).", dir_okay=False
        ),
    ],
    api: Annotated[
        str | None,
        typer.Option(
            help="The daemon's admin API, e.g. http://127.0.0.1:9410. Default: this "
            "configuration's."
        ),
    ] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token for --api.")] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(help="With an https --api: trust this CA (PEM).", dir_okay=False),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only messages from this moment on (RFC 3339, e.g. 2026-03-14T09:00:00Z)."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, help="At most this many messages (the newest).")
    ] = 10_000,
    config: ConfigOption = None,
) -> None:
    """Record a station's messages from the daemon's stored message log (GET
    /api/v0/messages) as JSON lines in the console's Messages export format, oldest first, for
    `csms-tui replay`. Secrets the log never keeps (passwords set on the station) stay hidden.

    Example: csms-tui record CS001 --out cs001.jsonl
    Example: csms-tui record CS001 --api http://csms.example:9410 --token T --since 2026-03-14T09:00:00Z -o -
    """
    from core.application.errors import ServiceError
    from core.clock import parse_iso
    from csms_tui.remote import connect
    from csms_tui.simulate.replay import Frame

    cfg = config_from(config)
    api = api or default_api_url(cfg)
    if api is None:
        fail("the configuration's API is off: give the daemon's with --api", EXIT_USAGE)
    try:
        after = parse_iso(since) if since else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from exc

    async def fetch() -> list[Frame]:
        frames: list[Frame] = []
        async with connect(api, token, str(ca_file) if ca_file else None) as remote:
            before: int | None = None
            while len(frames) < limit:
                want = min(1000, limit - len(frames))
                page = await remote.service.list_messages(
                    station_id=station, before_id=before, limit=want
                )
                for m in page:  # newest first
                    if after is not None and m.at < after:
                        return frames
                    frames.append(
                        Frame(
                            m.at,
                            m.station_id,
                            m.direction,
                            m.message_type,
                            m.message_id,
                            m.action,
                            m.payload,
                            m.error_code,
                            m.error_description,
                        )
                    )
                if len(page) < want:
                    break
                before = page[-1].id
        return frames

    try:
        frames = _run(fetch())
    except ServiceError as exc:
        fail(exc.message, EXIT_RUNTIME)
    lines = "".join(orjson.dumps(f.to_json()).decode() + "\n" for f in reversed(frames))
    if str(out) == "-":
        sys.stdout.write(lines)
    else:
        try:
            out.write_text(lines, encoding="utf-8")
        except OSError as exc:
            fail(f"{out}: {exc.strerror or exc}", EXIT_RUNTIME)
        typer.echo(f"recorded {len(frames)} messages of {station} to {out}", err=True)
