"""Scale-out under load and faults: two gateways, two managers and an API process around a real
mosquitto and PostgreSQL, 300 stations (half OCPP 1.6, half 2.0.1, half on each gateway) running
transactions back to back while the API sends them commands. During the run one manager is
killed with SIGKILL and the broker is stopped for 5 s and started again on the same port.

What must hold afterwards:

* every transaction a station had answered is in the store exactly as the station sent it, and
  the store holds no other (none lost, none duplicated by a resend);
* every CSMS call the API made is answered, timed out or failed with a reason — none is still
  pending once the call timeout has passed;
* the stations keep their websockets (the gateways stay up) and their traffic resumes once the
  MQTT side of every process has reconnected.

The stations are csms-tui's simulated ones as a load generator (``csms_tui.simulate.load``: the
simulator's websocket link, boot and answers to the CSMS's calls; 300 `ocpp` ChargePoints cost
more CPU than the CSMS under test), running this test's transactions. Like real stations, they
resend a transaction message that got no answer in time (with a new message id and the same
payload)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import aiohttp
import orjson
import pytest
from aiohttp import ClientSession

from core.ocpp.types import MessageType
from core.store.models import CacheMode, SecurityProfile, StationAuth, Token
from core.store.postgres import PostgresStore
from csms_tui.simulate.link import CallTimeout, Offline
from csms_tui.simulate.load import Counters, LoadStation
from csms_tui.simulate.model import Profile
from tests.e2e.conftest import PASSWORD, eventually, password_hash
from tests.e2e.test_scale_out import _start, _wait_for_log, scale_out_config
from tests.fixtures.services import free_port, run_mosquitto, wait_for_port

pytestmark = [pytest.mark.e2e, pytest.mark.mqtt, pytest.mark.postgres, pytest.mark.timeout(240)]

STATIONS = 300
CALL_TIMEOUT = 3.0  # the gateways' call timeout (CSMS → station)
# Managers time out a call still pending after twice the call timeout (its answer or the
# gateway's timeout report was lost between processes); they look every call timeout.
EXPIRY = 2 * CALL_TIMEOUT + CALL_TIMEOUT + 1
STATION_TIMEOUT = 12.0  # a station resends a CALL unanswered for this long
RESENDS = 6
THINK = (0.6, 1.4)  # seconds between a station's calls
RUN = 36.0  # seconds of load
KILL_AT = 8.0  # SIGKILL one manager
OUTAGE_AT, OUTAGE = 16.0, 5.0  # broker down, then up on the same port
COMMANDS_PER_S = 8
V0 = "/api/v0"


@dataclass
class Cluster:
    tmp: Path
    db: str
    mqtt_port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, role: list[str], ws: int = 1, status: int = 1, api: int = 1) -> None:
        config = scale_out_config(
            self.tmp / f"{name}.toml",
            self.db,
            self.mqtt_port,
            ws,
            api,
            status_port=status,
            gateway=f"call_timeout = {CALL_TIMEOUT}",
            sync=False,
        )
        self.procs[name] = _start([*role, "--config", str(config)], self.tmp / f"{name}.log")

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")


@pytest.fixture
def cluster(
    tmp_path: Path, postgres_cluster: str
) -> Iterator[tuple[Cluster, contextlib.ExitStack]]:
    import psycopg

    name = f"chaos_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_cluster, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    db = postgres_cluster.rsplit("/", 1)[0] + f"/{name}"
    broker = contextlib.ExitStack()  # closed and entered again to restart the broker
    mqtt_port = broker.enter_context(run_mosquitto(tmp_path))
    c = Cluster(tmp_path, db, mqtt_port)
    try:
        yield c, broker
    finally:
        running = [p for p in c.procs.values() if p.poll() is None]
        for p in running:
            p.send_signal(signal.SIGTERM)
        for p in running:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        broker.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Tx:
    transaction_id: str
    meter_start: int
    meter_stop: int | None = None


class Station:
    """One station: the simulator's load station (its link answers the CSMS's calls as a station
    of its version does), and this test's transaction loop with resends."""

    def __init__(
        self, station_id: str, version: Literal["1.6", "2.0.1"], port: int, http: ClientSession
    ) -> None:
        self.id, self.version, self.port = station_id, version, port
        self.counters = Counters()  # csms_calls: CALLs from the CSMS, each answered
        self.sim = LoadStation(
            http,
            station_id,
            f"ws://127.0.0.1:{port}/ws/{station_id}",
            Profile(ocpp=version, password=PASSWORD),
            self.counters,
            call_timeout=STATION_TIMEOUT,
        )
        self.round_trips: list[float] = []
        self.answered_at: list[float] = []  # monotonic time of each answer to a CALL of ours
        self.resends = 0
        self.errors: list[str] = []  # CALLERRORs to our calls
        self.frames = 0  # the station's calls and their answers
        self.reconnects = 0
        self.transactions: list[Tx] = []
        self.meter = 0

    async def connect(self) -> None:
        await self.sim.link.open()

    async def close(self) -> None:
        await self.sim.close()

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send until answered, resending after STATION_TIMEOUT with a new message id."""
        started = time.monotonic()
        for _ in range(RESENDS):
            try:
                if not self.sim.link.connected:
                    await self._reconnect()
                self.frames += 1
                answer = await self.sim.link.call(action, payload)
            except CallTimeout:
                self.resends += 1
                continue
            except Offline:
                await self._reconnect()
                continue
            self.frames += 1
            now = time.monotonic()
            self.round_trips.append(now - started)
            self.answered_at.append(now)
            if answer.type is MessageType.CALL_ERROR:
                self.errors.append(f"{action}: {answer.error_code} {answer.error_description}")
                return {}
            return answer.response or {}
        raise AssertionError(f"{self.id}: {action} unanswered after {RESENDS} sends")

    async def _reconnect(self) -> None:
        self.reconnects += 1
        await self.sim.link.close()
        await asyncio.sleep(0.5)
        await self.connect()

    async def boot(self) -> None:
        answer = await self.call("BootNotification", self.sim.boot_payload())
        assert answer.get("status") == "Accepted", (self.id, answer, self.errors)

    async def run(self, until: float) -> None:
        """Transactions back to back until ``until`` (monotonic); the last one is finished."""
        await asyncio.sleep(random.uniform(0, THINK[1]))
        while time.monotonic() < until:
            if self.version == "1.6":
                await self._transaction_16()
            else:
                await self._transaction_201()

    async def _pause(self) -> None:
        await asyncio.sleep(random.uniform(*THINK))

    async def _transaction_16(self) -> None:
        start = self.meter
        answer = await self.call(
            "StartTransaction",
            {"connectorId": 1, "idTag": "TAGC", "meterStart": start, "timestamp": _now()},
        )
        assert "transactionId" in answer, (self.id, answer, self.errors)  # a CALLERROR: {}
        tx = Tx(str(answer["transactionId"]), start)
        self.transactions.append(tx)
        for _ in range(2):
            await self._pause()
            self.meter += 250
            await self.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": int(tx.transaction_id),
                    "meterValue": [
                        {
                            "timestamp": _now(),
                            "sampledValue": [
                                {
                                    "value": str(self.meter),
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                }
                            ],
                        }
                    ],
                },
            )
        await self._pause()
        await self.call(
            "StopTransaction",
            {
                "transactionId": int(tx.transaction_id),
                "meterStop": self.meter,
                "timestamp": _now(),
                "reason": "Local",
            },
        )
        tx.meter_stop = self.meter
        await self._pause()

    async def _transaction_201(self) -> None:
        tx = Tx(uuid.uuid4().hex[:20], self.meter)
        seq = itertools.count()

        def event(kind: str, trigger: str, **extra: Any) -> dict[str, Any]:
            return {
                "eventType": kind,
                "timestamp": _now(),
                "triggerReason": trigger,
                "seqNo": next(seq),
                "transactionInfo": {"transactionId": tx.transaction_id, **extra},
                "evse": {"id": 1, "connectorId": 1},
                "meterValue": [
                    {
                        "timestamp": _now(),
                        "sampledValue": [
                            {"value": self.meter, "measurand": "Energy.Active.Import.Register"}
                        ],
                    }
                ],
            }

        started = event("Started", "Authorized", chargingState="Charging")
        started["idToken"] = {"idToken": "TAGC", "type": "ISO14443"}
        await self.call("TransactionEvent", started)
        self.transactions.append(tx)
        for _ in range(2):
            await self._pause()
            self.meter += 250
            await self.call("TransactionEvent", event("Updated", "MeterValuePeriodic"))
        await self._pause()
        await self.call("TransactionEvent", event("Ended", "StopAuthorized", stoppedReason="Local"))
        tx.meter_stop = self.meter
        await self._pause()


async def _prepare(db: str, ids: list[str]) -> None:
    store = PostgresStore(db)
    await store.open()
    try:
        auth = StationAuth(SecurityProfile.BASIC, password_hash())
        for station_id in ids:
            await store.register_station(station_id, auth, datetime.now(UTC))
        await store.set_token(
            Token("GB", "TWK", "RFID", "TAGC", "GBTWK012345678V", "t", True, CacheMode.ALWAYS)
        )
    finally:
        await store.close()


@dataclass
class Commands:
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    call_ids: set[str] = field(default_factory=set)
    refused_at: list[float] = field(default_factory=list)


async def _commands(api: int, stations: list[Station], until: float, out: Commands) -> None:
    """Commands through the API at a steady rate, each waited for (?wait=) in the background."""

    async def one(http: aiohttp.ClientSession, station: Station, n: int) -> None:
        path, body = (
            ("reset", {"type": "Soft"})
            if n % 2
            else ("trigger-message", {"requestedMessage": "Heartbeat"})
        )
        url = f"{V0}/cs/{station.id}/{path}?wait={CALL_TIMEOUT + 5}"
        async with http.post(url, data=orjson.dumps(body)) as resp:
            out.statuses[resp.status] = out.statuses.get(resp.status, 0) + 1
            view = orjson.loads(await resp.read())
            if resp.status == 409:  # refused at once, with its reason: see the test
                assert "is not connected" in view["error"], view
                out.refused_at.append(time.monotonic())
                return
            # 202: still pending when the wait ended (the outage); its record is checked below.
            assert resp.status in (200, 202), (resp.status, view)
            out.call_ids.add(view["callId"])

    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{api}", timeout=timeout) as http:
        tasks = []
        for n in itertools.count():
            if time.monotonic() >= until:
                break
            tasks.append(asyncio.create_task(one(http, random.choice(stations), n)))
            out.sent += 1
            await asyncio.sleep(1 / COMMANDS_PER_S)
        await asyncio.gather(*tasks)


def _held_and_dropped(log: str) -> tuple[int, int]:
    held = sum(int(n) for n in re.findall(r"sending (\d+) message\(s\) held", log))
    dropped = [int(n) for n in re.findall(r"(\d+) message\(s\) dropped so far", log)]
    return held, max(dropped, default=0)


async def _held_and_dropped_in_all(c: Cluster, status_ports: list[int]) -> tuple[int, int]:
    """Messages the processes held and dropped while the broker was away, from their logs; the
    gateways' metrics count no more drops than their logs said."""
    held = dropped = 0
    for name in c.procs:
        h, d = _held_and_dropped(c.log(name))
        held, dropped = held + h, dropped + d
    async with aiohttp.ClientSession() as http:
        for port in status_ports:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                text = await resp.text()
            found = re.search(r"^csms_mqtt_dropped_total (\d+)", text, re.M)
            assert found is not None
            assert int(found.group(1)) <= dropped
    return held, dropped


def _check_transactions(
    stations: list[Station], stored: dict[tuple[str, str], tuple[Any, ...]]
) -> dict[tuple[str, str], tuple[Station, Tx]]:
    """Transactions: exactly what the stations had answered, each once, started and stopped.
    Returns what the stations sent, by (station, transaction id)."""
    sent = {(s.id, tx.transaction_id): (s, tx) for s in stations for tx in s.transactions}
    assert sum(len(s.transactions) for s in stations) == len(sent)  # no id handed out twice
    lost = sorted(set(sent) - set(stored))
    duplicated = sorted(set(stored) - set(sent))
    assert lost == [], (len(lost), lost[:5])
    assert duplicated == [], (len(duplicated), duplicated[:5])
    for key, (station, tx) in sent.items():
        meter_start, meter_stop, ended_at, updated = stored[key]
        assert meter_start == tx.meter_start, key
        assert meter_stop == tx.meter_stop, key
        assert ended_at is not None, key
        if station.version == "2.0.1":
            assert updated == 2, (key, updated)  # each Updated event once, resends ignored
    return sent


def _check_calls(calls: list[tuple[Any, ...]], commands: Commands) -> dict[str, int]:
    """CSMS calls: none pending, every failure with its reason. Returns the count by state."""
    by_id = {row[0]: row for row in calls}
    assert commands.call_ids <= set(by_id), "an API call has no record"
    pending = [row for row in calls if row[2] == "pending"]
    assert pending == [], (len(pending), pending[:5])
    unexplained = [row for row in calls if row[2] != "answered" and not row[4]]
    assert unexplained == [], unexplained[:5]
    states: dict[str, int] = {}
    for row in calls:
        states[row[2]] = states.get(row[2], 0) + 1
    return states


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def test_load_with_a_manager_killed_and_the_broker_restarted(
    cluster: tuple[Cluster, contextlib.ExitStack],
) -> None:
    c, broker = cluster
    g_ports, status_ports, api = [free_port(), free_port()], [free_port(), free_port()], free_port()
    c.start("g1", ["gateway"], ws=g_ports[0], status=status_ports[0])
    c.start("g2", ["gateway"], ws=g_ports[1], status=status_ports[1])
    c.start("m1", ["manager"])
    c.start("m2", ["manager"])
    c.start("api", ["manager", "--api"], api=api)
    ids = [f"CHAOS{n:03d}" for n in range(STATIONS)]
    await _prepare(c.db, ids)
    for name, proc in c.procs.items():
        _wait_for_log(c.tmp / f"{name}.log", proc, "csms-tui running", timeout=60)
    for port in g_ports:
        wait_for_port(port)

    # Station n: OCPP 1.6 when n is even, on gateway 1 when n % 4 < 2 — each mix on each gateway.
    # One connection pool without a limit for all: each station's websocket is a connection.
    http = ClientSession(connector=aiohttp.TCPConnector(limit=0))
    stations = [
        Station(
            sid, "1.6" if n % 2 == 0 else "2.0.1", g_ports[0] if n % 4 < 2 else g_ports[1], http
        )
        for n, sid in enumerate(ids)
    ]
    gate = asyncio.Semaphore(50)

    async def connect(station: Station) -> None:
        async with gate:
            await station.connect()
            await station.boot()

    await asyncio.gather(*(connect(s) for s in stations))
    for s in stations:  # booting is not part of the figures
        s.round_trips.clear()
        s.answered_at.clear()
        s.frames = 0

    started = time.monotonic()
    until = started + RUN
    commands = Commands()
    load = asyncio.gather(
        *(s.run(until) for s in stations), _commands(api, stations, until - 4, commands)
    )

    await asyncio.sleep(KILL_AT)
    c.procs["m1"].send_signal(signal.SIGKILL)
    c.procs["m1"].wait(timeout=5)
    await asyncio.sleep(OUTAGE_AT - KILL_AT)
    outage_started = time.monotonic()
    broker.close()  # the broker goes down...
    await asyncio.sleep(OUTAGE)
    broker.enter_context(run_mosquitto(c.tmp, port=c.mqtt_port))  # ...and comes back
    outage_ended = time.monotonic()

    await load
    finished = time.monotonic()
    import psycopg

    async def settled() -> bool:  # no call pending, or EXPIRY has passed
        with psycopg.connect(c.db) as db:
            row = db.execute("SELECT count(*) FROM calls WHERE state = 'pending'").fetchone()
        return row is not None and row[0] == 0

    with contextlib.suppress(TimeoutError):
        await eventually(settled, timeout=EXPIRY)

    # Every process sees every station connected again: the broker's restart published the
    # gateways' Wills and lost their retained snapshots, which the gateways publish again.
    async with aiohttp.ClientSession(f"http://127.0.0.1:{api}") as http:

        async def all_connected() -> bool:
            async with http.get(f"{V0}/cs?limit=1000") as resp:
                body = orjson.loads(await resp.read())
            return sum(1 for s in body["stations"] if s["connected"]) == STATIONS

        await eventually(all_connected, timeout=5)
    for s in stations:
        await s.close()
    await http.close()

    assert c.procs["g1"].poll() is None, "a gateway died"
    assert c.procs["g2"].poll() is None, "a gateway died"
    assert c.procs["m2"].poll() is None
    assert c.procs["api"].poll() is None

    # Stations kept their websockets, and every one got answers after the outage.
    assert sum(s.reconnects for s in stations) == 0
    resumed = [s.id for s in stations if not any(t > outage_ended for t in s.answered_at)]
    assert resumed == [], f"no answer after the outage for {len(resumed)} stations"
    errors = [e for s in stations for e in s.errors]
    assert errors == [], errors[:10]

    with psycopg.connect(c.db) as db:
        stored = {
            (row[0], row[1]): row[2:]
            for row in db.execute(
                "SELECT station_id, transaction_id, meter_start_wh, meter_stop_wh, ended_at, "
                "updated_seq_no_count FROM transactions"
            )
        }
        calls = list(
            db.execute("SELECT call_id, action, state, origin, error_description FROM calls")
        )

    sent = _check_transactions(stations, stored)
    states = _check_calls(calls, commands)

    # Figures.
    duration = finished - started
    round_trips = [t for s in stations for t in s.round_trips]
    answers = sorted(t for s in stations for t in s.answered_at)
    stall = max(b - a for a, b in itertools.pairwise([started, *answers]))
    held, dropped = await _held_and_dropped_in_all(c, status_ports)
    # Both ways: the stations' calls and answers, the CSMS's calls and the stations' answers.
    frames = sum(s.frames + 2 * s.counters.csms_calls for s in stations)
    sys.stdout.write(
        f"\n{STATIONS} stations (1.6 and 2.0.1 on 2 gateways), 2 managers (one killed at "
        f"{KILL_AT:g} s), broker down {outage_ended - outage_started:.1f} s at {OUTAGE_AT:g} s; "
        f"{duration:.0f} s of load\n"
        f"  station CALLs answered: {len(round_trips)} ({len(round_trips) / duration:.0f}/s), "
        f"frames {frames / duration:.0f}/s, round trip p50 {_percentile(round_trips, 0.5) * 1e3:.0f}"
        f" ms, p99 {_percentile(round_trips, 0.99) * 1e3:.0f} ms, max {max(round_trips):.1f} s, "
        f"resends {sum(s.resends for s in stations)}\n"
        f"  transactions: {len(sent)} sent, {len(stored)} stored, 0 lost, 0 duplicated\n"
        f"  CSMS calls: {len(calls)} ({commands.sent} from the API), {states}\n"
        f"  commands refused (409) at {[round(t - started, 1) for t in commands.refused_at]}\n"
        f"  outage: {held} messages buffered, {dropped} dropped, longest stall {stall:.1f} s, "
        f"station reconnects {sum(s.reconnects for s in stations)}\n"
    )
