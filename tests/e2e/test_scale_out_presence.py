"""Scale-out end to end: two gateway processes, a manager, an API process (``manager --api``)
around a real mosquitto and PostgreSQL, with the `ocpp` package's stations on both gateways.

The API process has no websocket of its own: what it says about connections comes from the
gateways' presence, and its commands reach a station through whichever gateway holds it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

from core.store.models import SecurityProfile, StationAuth
from core.store.postgres import PostgresStore
from tests.e2e.conftest import basic_header, password_hash
from tests.e2e.test_scale_out import _start, _wait_for_log, scale_out_config
from tests.fixtures.services import free_port, run_mosquitto, wait_for_port

pytestmark = [pytest.mark.e2e, pytest.mark.mqtt, pytest.mark.postgres]

LEASE = 4.0
V0 = "/api/v0"


class Station16(Cp16):
    received: list[str]

    @on("Reset")
    async def on_reset(self, **kw: Any) -> result16.Reset:
        self.received.append("Reset")
        return result16.Reset(status="Accepted")

    @on("TriggerMessage")
    async def on_trigger(self, **kw: Any) -> result16.TriggerMessage:
        self.received.append("TriggerMessage")
        return result16.TriggerMessage(status="Accepted")

    @on("RemoteStartTransaction")
    async def on_remote_start(self, **kw: Any) -> result16.RemoteStartTransaction:
        self.received.append("RemoteStartTransaction")
        return result16.RemoteStartTransaction(status="Accepted")


class Station201(Cp201):
    received: list[str]

    @on("Reset")
    async def on_reset(self, **kw: Any) -> result201.Reset:
        self.received.append("Reset")
        return result201.Reset(status="Accepted")

    @on("TriggerMessage")
    async def on_trigger(self, **kw: Any) -> result201.TriggerMessage:
        self.received.append("TriggerMessage")
        return result201.TriggerMessage(status="Accepted")

    @on("RequestStartTransaction")
    async def on_remote_start(self, **kw: Any) -> result201.RequestStartTransaction:
        self.received.append("RequestStartTransaction")
        return result201.RequestStartTransaction(status="Accepted")


@dataclass
class Cluster:
    tmp: Path
    db: str
    mqtt_port: int
    gateway_ports: list[int]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, role: list[str], ws_port: int = 1, api_port: int = 1) -> None:
        config = scale_out_config(
            self.tmp / f"{name}.toml",
            self.db,
            self.mqtt_port,
            ws_port,
            api_port,
            mqtt=f"presence_lease = {LEASE}",
            sync=False,
        )
        self.procs[name] = _start([*role, "--config", str(config)], self.tmp / f"{name}.log")

    def wait_running(self, name: str) -> None:
        _wait_for_log(self.tmp / f"{name}.log", self.procs[name], "csms-tui running", timeout=30)


@pytest.fixture
def cluster(tmp_path: Path, postgres_cluster: str) -> Iterator[Cluster]:
    import psycopg

    name = f"presence_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_cluster, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    db = postgres_cluster.rsplit("/", 1)[0] + f"/{name}"
    with run_mosquitto(tmp_path) as mqtt_port:
        c = Cluster(tmp_path, db, mqtt_port, [free_port(), free_port()])
        try:
            yield c
        finally:
            running = [p for p in c.procs.values() if p.poll() is None]
            for p in running:
                p.send_signal(signal.SIGTERM)
            for p in running:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


async def _register(db: str, *station_ids: str) -> None:
    store = PostgresStore(db)
    await store.open()
    try:
        for station_id in station_ids:
            auth = StationAuth(SecurityProfile.BASIC, password_hash())
            await store.register_station(station_id, auth, datetime.now(UTC))
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _station(port: int, station_id: str, cls: type[Any], proto: str) -> AsyncIterator[Any]:
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/{station_id}",
        subprotocols=[Subprotocol(proto)],
        additional_headers={"Authorization": basic_header(station_id)},
    ) as ws:
        cp = cls(station_id, ws)
        cp.received = []
        task = asyncio.create_task(cp.start())
        try:
            if proto == "ocpp1.6":
                await cp.call(
                    call16.BootNotification(charge_point_vendor="A", charge_point_model="B")
                )
            else:
                station = {"model": "B", "vendor_name": "A"}
                await cp.call(call201.BootNotification(charging_station=station, reason="PowerUp"))
            yield cp
        finally:
            task.cancel()


async def _call(http: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> Any:
    kw: dict[str, Any] = {} if body is None else {"data": orjson.dumps(body)}
    async with http.request(method, path, **kw) as resp:
        raw = await resp.read()
        return resp.status, orjson.loads(raw) if raw else None


async def _connected(http: aiohttp.ClientSession) -> dict[str, bool]:
    status, body = await _call(http, "GET", f"{V0}/cs")
    assert status == 200
    return {s["stationId"]: s["connected"] for s in body["stations"]}


async def _until(http: aiohttp.ClientSession, want: dict[str, bool], timeout: float) -> float:
    """Seconds until GET /cs shows ``want``."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while (await _connected(http)) != want:
            await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _commands(http: aiohttp.ClientSession, cp: Any, start_action: str) -> None:
    """Reset, trigger and remote start, each waited for: the station's answer comes back."""
    sid = cp.id
    for path, body in (
        ("reset", {"type": "Soft"}),
        ("trigger-message", {"requestedMessage": "Heartbeat"}),
        ("remote-start", {"idToken": "TAG1", "evseId": 1}),
    ):
        status, view = await _call(http, "POST", f"{V0}/cs/{sid}/{path}?wait=10", body)
        assert status == 200, (path, view)
        assert view["state"] == "answered", view
        assert view["response"]["status"] == "Accepted", view
    assert cp.received == ["Reset", "TriggerMessage", start_action]


async def _console_sees_online(url: str, station_ids: list[str]) -> None:
    """`csms-tui --connect URL` against the API process: the real console, over the REST API
    and its event stream, shows the stations the gateways hold as online."""
    from csms_tui.app import CsmsConsole
    from csms_tui.line_table import KeyedTable
    from csms_tui.remote import connect as remote

    app = CsmsConsole(lambda: remote(url, None))
    async with app.run_test(size=(140, 40)) as pilot:
        stations = app.query_one("#stations-table", KeyedTable)

        def online() -> bool:
            return all(
                sid in stations.rows and "online" in str(stations.get_cell(sid, "state"))
                for sid in station_ids
            )

        async with asyncio.timeout(10):
            while not online():
                await pilot.pause(0.05)


async def _more_commands(http: aiohttp.ClientSession, sid: str, version: str) -> None:
    """More kinds of command through the API process: each reaches the station and its answer
    comes back — a result, or the station's own CALLERROR where the test station implements no
    handler (the `ocpp` package answers NotImplemented) — never a timeout or "not connected"."""
    key = "HeartbeatInterval" if version == "1.6" else "OCPPCommCtrlr.HeartbeatInterval"
    for path, body in (
        ("availability", {"operative": False, "evseId": 1}),
        ("unlock", {"evseId": 1, "connectorId": 1}),
        ("get-configuration", {"keys": [key]}),
        ("set-configuration", {"values": {key.replace(".", "/"): "60"}}),
        ("clear-cache", {}),
        ("data-transfer", {"vendorId": "acme"}),
        ("get-local-list-version", {}),
        ("remote-stop", {"transactionId": "1"}),
        ("get-report", {}),
        ("get-log", _LOG),
        ("update-firmware", {"location": "https://example.com/fw.bin"}),
        ("local-list", {}),
        ("reserve", {"idToken": "TAG1", "expiresAt": "2099-01-01T00:00:00Z"}),
        ("charging-limit", {"evseId": 1, "limit": 16, "unit": "A"}),
        ("clear-charging-profile", {"purpose": "TxDefaultProfile"}),
        ("composite-schedule", {"evseId": 1, "duration": 600}),
        ("call/DataTransfer", {"vendorId": "acme"}),
        *(_ONLY_201 if version == "2.0.1" else ()),
    ):
        status, view = await _call(http, "POST", f"{V0}/cs/{sid}/{path}?wait=10", body)
        assert status == 200, (path, view)
        view = view.get("call", view)  # reserve answers the reservation and its call
        assert view["state"] in ("answered", "error"), (path, view)
        if view["state"] == "error":
            assert view["errorCode"] in ("NotImplemented", "NotSupported"), (path, view)


_LOG = {"location": "ftp://example.com/logs", "logType": "DiagnosticsLog"}
_ONLY_201: tuple[tuple[str, dict[str, Any]], ...] = (
    ("get-display-messages", {}),
    ("display-message", {"text": "Out of order", "priority": "InFront", "minutes": 30}),
    ("clear-display-message", {"id": 5}),
    ("transaction-status", {"transactionId": "tx-9"}),
    ("monitor", {"component": "EVSE", "variable": "Power", "type": "UpperThreshold", "value": 1}),
    ("clear-monitors", {"ids": [41]}),
    ("monitoring-level", {"severity": 3}),
    ("monitoring-base", {"base": "FactoryDefault"}),
    ("monitoring-report", {}),
)


async def test_presence_and_commands_across_gateways(cluster: Cluster) -> None:
    c = cluster
    g1, g2 = c.gateway_ports
    api1, api2 = free_port(), free_port()
    c.start("g1", ["gateway"], ws_port=g1)
    c.start("g2", ["gateway"], ws_port=g2)
    c.start("m", ["manager"])
    c.start("a1", ["manager", "--api"], api_port=api1)
    for name in ("g1", "g2", "m", "a1"):
        c.wait_running(name)
    wait_for_port(g1)
    wait_for_port(g2)
    await _register(c.db, "CSA", "CSB")

    async with aiohttp.ClientSession(f"http://127.0.0.1:{api1}") as http:
        assert await _connected(http) == {"CSA": False, "CSB": False}
        async with (
            _station(g1, "CSA", Station16, "ocpp1.6") as a,
            _station(g2, "CSB", Station201, "ocpp2.0.1") as b,
        ):
            await _until(http, {"CSA": True, "CSB": True}, timeout=1.0)
            await _commands(http, a, "RemoteStartTransaction")
            await _commands(http, b, "RequestStartTransaction")
            await _more_commands(http, "CSA", "1.6")
            await _more_commands(http, "CSB", "2.0.1")
            await _console_sees_online(f"http://127.0.0.1:{api1}", ["CSA", "CSB"])

            # An API process started now learns who is connected from the retained snapshots.
            c.start("a2", ["manager", "--api"], api_port=api2)
            c.wait_running("a2")
            async with aiohttp.ClientSession(f"http://127.0.0.1:{api2}") as late:
                await _until(late, {"CSA": True, "CSB": True}, timeout=1.0)
                status, detail = await _call(late, "GET", f"{V0}/cs/CSA")
                assert status == 200
                assert detail["connected"] is True

            # The gateway holding CSA dies without a word: its stations go offline within
            # the lease (the broker publishes its Will as soon as the connection drops).
            c.procs["g1"].send_signal(signal.SIGKILL)
            c.procs["g1"].wait(timeout=5)
            took = await _until(http, {"CSA": False, "CSB": True}, timeout=LEASE + 2)
            assert took < LEASE + 1
            started = time.monotonic()
            status, body = await _call(http, "POST", f"{V0}/cs/CSA/reset?wait=10", {})
            assert status == 409, body
            assert "not connected" in str(body), body
            assert time.monotonic() - started < 1.0  # fails fast, no waiting for a timeout

        # CSA comes back through the other gateway and is commanded there.
        async with _station(g2, "CSA", Station16, "ocpp1.6") as a:
            await _until(http, {"CSA": True, "CSB": False}, timeout=2.0)
            await _commands(http, a, "RemoteStartTransaction")
