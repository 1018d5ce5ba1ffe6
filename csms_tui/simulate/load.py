"""Simulated stations as a load generator: N stations that connect and boot, then send their
calls one after the other, each as soon as the previous one is answered.

The same link, boot and answers as a scenario's station (:mod:`.link`, :mod:`.dialect`), without
the scenario's state machine: what a benchmark or a test with many stations needs, at the speed
a load generator needs (the link is the bound, not what is built around it)::

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        fleet = await connect_fleet(http, "ws://127.0.0.1:9310/ws/", ids, Profile(password=pw))
        load = await call_as_answered(fleet, lambda station: ("Heartbeat", {}), start, end)

A CSMS call (CostUpdated while charging, say) is answered at once as an accepting station of
that version answers it, without acting on it; :attr:`Counters.csms_calls` counts them."""

from __future__ import annotations

import array
import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import aiohttp

from core.ocpp.types import JsonObject, Message, MessageType, OcppVersion
from csms_tui.simulate.dialect import dialect_for
from csms_tui.simulate.link import (
    Call,
    CallTimeout,
    ConnectRefused,
    Credentials,
    Link,
    Offline,
    station_url,
)
from csms_tui.simulate.model import Profile
from csms_tui.simulate.state import StationState

# Errors kept word for word per fleet: enough to see what went wrong, not a log of every call.
MAX_ERRORS = 20


class CallRefused(Exception):
    """The CSMS answered a load station's call with a CALLERROR (or refused its boot)."""


@dataclass
class Counters:
    """What happened to a fleet's connections and to the CSMS's calls, across its stations."""

    refused: int = 0  # connection attempts nothing accepted (no listener, full listen queue)
    failed: int = 0  # other failed attempts: HTTP refusal, TLS, a boot not accepted, a drop
    csms_calls: int = 0  # CSMS calls answered
    errors: list[str] = field(default_factory=list)

    def error(self, text: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(text)


class LoadStation:
    """One station of a load generator: ``profile`` gives its version, password and TLS files
    (the rest of a profile — scenario, sessions, answers — does not apply)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        station_id: str,
        url: str,
        profile: Profile,
        counters: Counters,
        *,
        compress: int = 0,
        loopback: bool = False,
        call_timeout: float = 60.0,
    ) -> None:
        self.station_id = station_id
        self.version = OcppVersion.V16 if profile.ocpp == "1.6" else OcppVersion.V201
        self.counters = counters
        self._state = StationState.build(station_id, profile)
        self._dialect = dialect_for(self.version)
        credentials = Credentials(
            password=self._state.password,
            ca_file=profile.ca_file or None,
            client_cert=profile.client_cert or None,
            client_key=profile.client_key or None,
        )
        self.link = Link(
            http,
            station_id,
            url,
            self.version,
            credentials,
            self._on_call,
            call_timeout,
            compress=compress,
            loopback=loopback,
        )

    def boot_payload(self) -> JsonObject:
        return self._dialect.boot(self._state, "PowerUp")

    async def connect(self, boot: bool = True, attempts: int = 5, retry_delay: float = 0.1) -> bool:
        """Connect and (``boot``) send a BootNotification until it is accepted; an attempt that
        fails is counted and retried after ``retry_delay`` (a station's back-off), up to
        ``attempts`` times. False when every attempt failed."""
        for _attempt in range(attempts):
            try:
                await self.link.open()
                if boot:
                    answer = await self.link.call("BootNotification", self.boot_payload())
                    status = (answer.response or {}).get("status")
                    # MessageType.CALL: an echo server's copy of the call (``loopback``).
                    if answer.type is not MessageType.CALL and status != "Accepted":
                        raise CallRefused(f"boot answered {answer.error_code or status}")
                return True
            except ConnectRefused as exc:
                if exc.refused:
                    self.counters.refused += 1
                else:
                    self.counters.failed += 1
                    self.counters.error(f"{self.station_id}: {exc.reason}")
            except (Offline, CallTimeout, CallRefused) as exc:
                self.counters.failed += 1
                self.counters.error(f"{self.station_id}: {type(exc).__name__}: {exc}")
                await self.link.close()
            await asyncio.sleep(retry_delay)
        return False

    async def call(self, action: str, payload: JsonObject) -> JsonObject:
        """The answer's payload; raises :class:`CallRefused` on a CALLERROR and the link's
        :class:`Offline` / :class:`CallTimeout`."""
        answer = await self.link.call(action, payload)
        if answer.type is MessageType.CALL_ERROR:
            raise CallRefused(f"{action}: {answer.error_code} {answer.error_description}")
        return answer.response if answer.response is not None else answer.request or {}

    async def close(self) -> None:
        await self.link.shutdown()

    async def _on_call(self, link: Link, call: Message) -> None:
        self.counters.csms_calls += 1
        if call.action in self._dialect.answers:
            payload, _effect = self._dialect.answer(
                self._state, call.action, call.request or {}, reject=False
            )
            reply = Message(MessageType.CALL_RESULT, call.id, response=payload)
        else:
            reply = Message(
                MessageType.CALL_ERROR,
                call.id,
                error_code="NotImplemented",
                error_description=f"{call.action} is not implemented by a load station",
                error_details={},
            )
        await link.reply(reply)


async def connect_fleet(
    http: aiohttp.ClientSession,
    url: str,
    station_ids: Iterable[str],
    profile: Profile,
    counters: Counters | None = None,
    *,
    parallel: int = 100,
    boot: bool = True,
    attempts: int = 5,
    retry_delay: float = 0.1,
    compress: int = 0,
    loopback: bool = False,
) -> list[LoadStation]:
    """Connect (and boot) every station, ``parallel`` at a time; the stations that got in.
    ``url`` is the CSMS's websocket base (the id is appended, as ``csms-tui simulate --url``)."""
    counters = counters if counters is not None else Counters()
    gate = asyncio.Semaphore(parallel)
    stations = [
        LoadStation(
            http,
            sid,
            station_url(url, sid),
            profile,
            counters,
            compress=compress,
            loopback=loopback,
        )
        for sid in station_ids
    ]

    async def connect(station: LoadStation) -> bool:
        async with gate:
            return await station.connect(boot, attempts, retry_delay)

    connected = await asyncio.gather(*map(connect, stations))
    for station, ok in zip(stations, connected, strict=True):
        if not ok:
            counters.error(f"{station.station_id}: could not connect")
    return [s for s, ok in zip(stations, connected, strict=True) if ok]


@dataclass
class Load:
    """What :func:`call_as_answered` measured: the calls sent at or after ``start`` and answered
    by ``end`` (``counted``, with their round trips in seconds), every answered call
    (``answered``), and the failures that stopped a station."""

    counted: int = 0
    answered: int = 0
    rtts: array.array[float] = field(default_factory=lambda: array.array("d"))
    errors: list[str] = field(default_factory=list)


Calls = Callable[[LoadStation], Iterator[Call]]


def repeat(action: str, payload: JsonObject | None = None) -> Calls:
    """The same call again and again (``repeat("Heartbeat")``)."""
    call = (action, payload if payload is not None else {})

    def calls(_station: LoadStation) -> Iterator[Call]:
        while True:
            yield call

    return calls


async def call_as_answered(
    stations: Sequence[LoadStation],
    calls: Calls,
    start: float,
    end: float,
    spread: float = 0.01,
) -> Load:
    """Every station sends the calls ``calls(station)`` yields, each as soon as the previous
    one is answered, until ``end`` (``time.monotonic()``). The first calls are spread over
    ``spread`` seconds, as real stations are not lined up on one instant; a warm-up before
    ``start`` lets that settle. A station stops at its first failure (recorded in ``errors``)."""
    load = Load()
    now = time.monotonic
    rtts = load.rtts

    async def run(station: LoadStation, delay: float) -> None:
        await asyncio.sleep(delay)
        pending = calls(station)
        sent = 0.0

        def then(_answer: JsonObject) -> Call | None:
            # In the link's reader, as the answer arrives: count it, name the next call.
            nonlocal sent
            t = now()
            load.answered += 1
            if sent >= start and t <= end:
                load.counted += 1
                rtts.append(t - sent)
            sent = t
            return next(pending, None) if t < end else None

        first = next(pending, None)
        if first is None:
            return
        sent = now()
        if sent >= end:
            return
        try:
            last = await station.link.call_chain(first, then)
            if last.type is MessageType.CALL_ERROR:
                raise CallRefused(f"{last.error_code} {last.error_description}")
        except (Offline, CallTimeout, CallRefused) as exc:
            if len(load.errors) < MAX_ERRORS:
                load.errors.append(f"{station.station_id}: {type(exc).__name__}: {exc}")

    step = spread / max(1, len(stations))
    await asyncio.gather(*(run(s, i * step) for i, s in enumerate(stations)))
    return load


async def close_all(stations: Iterable[LoadStation]) -> None:
    with contextlib.suppress(Exception):
        await asyncio.gather(*(s.close() for s in stations), return_exceptions=True)
