"""N simulated stations against one CSMS: registration (optional), a paced start, the live
summary, and the final summary when the scenarios are done or the run's time is up."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from core.clock import Clock
from core.credentials import hash_password
from csms_tui.simulate.link import station_url
from csms_tui.simulate.model import Answer, Profile, Run, Scenario, default_scenario
from csms_tui.simulate.station import SimStation
from csms_tui.simulate.stats import Stats

log = logging.getLogger(__name__)


class RegistrationFailed(Exception):
    """The daemon's API refused to register a station or a token (``str`` says which, why)."""


@dataclass
class Plan:
    """Everything one run needs, however it was given (scenario file, options)."""

    url: str  # the CSMS's websocket base URL; the station id is appended
    profiles: list[Profile]
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)
    # The command line's --answer: over the profiles' own answers too.
    answer_overrides: dict[str, Answer] = field(default_factory=dict)
    run: Run = field(default_factory=Run)
    # Register the stations (and their tokens) through this admin API first (None: don't).
    api: str | None = None
    api_token: str | None = None
    api_ssl: Any = None  # an ssl.SSLContext for an https API, else None

    def scenario_of(self, profile: Profile) -> Scenario:
        return self.scenarios.get(profile.scenario) or default_scenario()

    @property
    def stations(self) -> int:
        return sum(p.count for p in self.profiles)


LiveReport = Callable[[str, bool], None]


async def simulate(
    plan: Plan,
    live: LiveReport | None = None,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """Run ``plan``; returns the final summary (see :meth:`Stats.summary`). ``live`` gets the
    one-line summary every second (``final`` True for the last one); ``stop`` ends the run
    early (Ctrl-C)."""
    stats = Stats(stations=plan.stations)
    stop = stop or asyncio.Event()
    rng = random.Random(seed)  # spreading load, not secrecy
    loop = asyncio.get_running_loop()
    if plan.api is not None:
        began = loop.time()
        await register_fleet(plan)
        stats.register_s = loop.time() - began
    began = stats.started_at = loop.time()
    # One session (one connection pool without a limit) for every station: a thousand
    # websockets are a thousand connections the pool must not queue.
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        stations = [
            SimStation(
                station_id,
                profile,
                plan.scenario_of(profile),
                {**plan.answers, **profile.answers, **plan.answer_overrides},
                http,
                station_url(plan.url, station_id),
                plan.run,
                stats,
                clock=clock,
                rng=random.Random(rng.random()),
            )
            for profile in plan.profiles
            for station_id in profile.station_ids()
        ]

        async def run_one(index: int, station: SimStation) -> None:
            await asyncio.sleep(index / plan.run.connect_rate)
            try:
                await station.run()
            # One station's fault (a bug) is a line in the summary, not the end of the fleet.
            except Exception as exc:
                log.exception("%s failed", station.station_id)
                stats.problem(f"{station.station_id}: {exc!r}")

        def report(final: bool = False) -> None:
            if live is not None:
                up = sum(1 for s in stations if s.up)
                running = sum(s.running_sessions for s in stations)
                live(stats.line(up, running, loop.time() - began), final)

        async def reporter() -> None:
            while True:
                await asyncio.sleep(1.0)
                report()

        runs = [asyncio.create_task(run_one(i, s)) for i, s in enumerate(stations)]
        ticker = asyncio.create_task(reporter())
        try:
            await _until_done(runs, stop, plan.run.duration)
        finally:
            ticker.cancel()
            for task in runs:
                task.cancel()
            await asyncio.gather(*runs, ticker, return_exceptions=True)
            up = sum(1 for s in stations if s.up)
            report(final=True)
            summary = stats.summary(up, loop.time() - began)
            await asyncio.gather(*(s.close() for s in stations), return_exceptions=True)
    return summary


async def _until_done(runs: list[asyncio.Task[None]], stop: asyncio.Event, duration: float) -> None:
    """Until every scenario has run (duration 0) or the duration is over (the stations stay
    connected until then); ``stop`` ends it sooner either way."""
    end: asyncio.Future[Any] = (
        asyncio.ensure_future(asyncio.sleep(duration)) if duration > 0 else asyncio.gather(*runs)
    )
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([end, stopped], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if duration > 0:
            end.cancel()


def token_contract_id(token: str) -> str:
    """A valid eMAID for a simulated token (the API stores tokens with one), the same for the
    same token on every run."""
    digest = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "big")
    return f"GBSIM{digest % 10**9:09d}"


async def register_fleet(plan: Plan) -> None:
    """The plan's stations and the tokens their profiles present, through ``plan.api``."""
    assert plan.api is not None
    stations = [
        (station_id, profile.security_profile, profile.password)
        for profile in plan.profiles
        for station_id in profile.station_ids()
    ]
    uids = sorted({uid for p in plan.profiles for uid in p.tokens})
    await register(plan.api, plan.api_token, plan.api_ssl, stations, uids)


async def register(
    api: str,
    api_token: str | None,
    api_ssl: Any,
    stations: Sequence[tuple[str, int, str]],
    tokens: Sequence[str] = (),
    parallel: int = 16,
) -> None:
    """Register each (station id, security profile, password) — MaEVe's
    ``POST /api/v0/cs/{id}``, where the same credentials again are accepted, so a second run is
    fine — and create each token the CSMS does not know yet (an existing one is left as it is)."""
    base = api.rstrip("/") + "/api/v0"
    headers = {"Authorization": f"Bearer {api_token}"} if api_token else {}
    gate = asyncio.Semaphore(parallel)
    connector = aiohttp.TCPConnector(ssl=api_ssl) if api_ssl else aiohttp.TCPConnector()
    async with aiohttp.ClientSession(headers=headers, connector=connector) as http:

        async def post(path: str, body: dict[str, Any], what: str) -> None:
            async with gate, http.post(base + path, json=body) as resp:
                if resp.status >= 400:
                    raise RegistrationFailed(f"{what}: HTTP {resp.status}: {await resp.text()}")

        async def station(station_id: str, profile: int, password: str) -> None:
            body: dict[str, Any] = {"securityProfile": profile}
            if profile in (0, 1):
                body["base64SHA256Password"] = hash_password(password)
            await post(f"/cs/{quote(station_id, safe='')}", body, f"station {station_id}")

        async def token(uid: str) -> None:
            async with gate, http.get(f"{base}/token/{quote(uid, safe='')}") as resp:
                if resp.status == 200:
                    return
            body = {
                "countryCode": "GB",
                "partyId": "SIM",
                "type": "RFID",
                "uid": uid,
                "contractId": token_contract_id(uid),
                "issuer": "csms-tui simulate",
                "valid": True,
                "cacheMode": "ALWAYS",
            }
            await post("/token", body, f"token {uid}")

        try:
            await asyncio.gather(*(token(uid) for uid in tokens))
            await asyncio.gather(*(station(*s) for s in stations))
        except aiohttp.ClientError as exc:
            raise RegistrationFailed(f"the API at {api} cannot be reached ({exc})") from exc
