"""Scale-out shape: a real mosquitto, one gateway process, two manager processes, PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from websockets.typing import Subprotocol

from core.store.models import CacheMode, SecurityProfile, StationAuth, Token
from core.store.postgres import PostgresStore
from tests.e2e.conftest import basic_header, password_hash
from tests.fixtures.services import free_port, run_mosquitto, wait_for_port

pytestmark = [pytest.mark.e2e, pytest.mark.mqtt, pytest.mark.postgres]


def scale_out_config(
    path: Path,
    dsn: str,
    mqtt_port: int,
    ws_port: int,
    api_port: int,
    *,
    status_port: int = 0,
    mqtt: str = "",
    gateway: str = "",
    sync: bool = True,
) -> Path:
    """One scale-out process's configuration: MQTT transport, PostgreSQL, loopback listeners.
    ``mqtt`` and ``gateway`` are extra lines for those tables (a TOML table stands once)."""
    path.write_text(
        f"""
[transport]
type = "mqtt"
[transport.mqtt]
urls = ["mqtt://127.0.0.1:{mqtt_port}"]
{mqtt}
[storage]
type = "postgres"
[storage.postgres]
dsn = "{dsn}"
[gateway]
ws_addr = "127.0.0.1:{ws_port}"
status_addr = "127.0.0.1:{status_port}"
{gateway}
[api]
addr = "127.0.0.1:{api_port}"
[sync]
enabled = {str(sync).lower()}
[observability]
log_file = ""
"""
    )
    return path


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "csms_tui", *args],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture
def cluster(
    tmp_path: Path, postgres_cluster: str
) -> Iterator[tuple[int, str, list[subprocess.Popen[bytes]]]]:
    import psycopg

    name = f"scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_cluster, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    db = postgres_cluster.rsplit("/", 1)[0] + f"/{name}"
    with run_mosquitto(tmp_path) as mqtt_port:
        ws_port = free_port()
        procs = [
            _start(
                [
                    "gateway",
                    "--config",
                    str(scale_out_config(tmp_path / "g.toml", db, mqtt_port, ws_port, 1)),
                ],
                tmp_path / "g.log",
            ),
            _start(
                [
                    "manager",
                    "--config",
                    str(scale_out_config(tmp_path / "m.toml", db, mqtt_port, ws_port, 1)),
                ],
                tmp_path / "m1.log",
            ),
            _start(
                [
                    "manager",
                    "--config",
                    str(scale_out_config(tmp_path / "m.toml", db, mqtt_port, ws_port, 1)),
                ],
                tmp_path / "m2.log",
            ),
        ]
        try:
            wait_for_port(ws_port, timeout=20)
            # A station's first message is only answered once a manager holds the shared
            # subscription: wait for both to say they run (slow starts happen under load).
            for log, proc in ((tmp_path / "m1.log", procs[1]), (tmp_path / "m2.log", procs[2])):
                _wait_for_log(log, proc, "csms-tui running", timeout=30)
            yield ws_port, db, procs
        finally:
            running = [p for p in procs if p.poll() is None]
            for p in running:
                p.send_signal(signal.SIGTERM)
            for p in running:  # a clean shutdown on SIGTERM exits 0
                try:
                    assert p.wait(timeout=10) == 0, (tmp_path / "g.log").read_text()
                except subprocess.TimeoutExpired:
                    p.kill()
                    raise


def _wait_for_log(log: Path, proc: subprocess.Popen[bytes], text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise AssertionError(f"{log.name}: exited {proc.returncode}\n{log.read_text()}")
        time.sleep(0.05)
    raise AssertionError(f"{log.name}: no {text!r} within {timeout} s\n{log.read_text()}")


async def _prepare(db: str) -> None:
    store = PostgresStore(db)
    await store.open()
    try:
        await store.register_station(
            "CSX", StationAuth(SecurityProfile.BASIC, password_hash()), datetime.now(UTC)
        )
        await store.set_token(
            Token("GB", "TWK", "RFID", "TAGX", "GBTWK012345678V", "t", True, CacheMode.ALWAYS)
        )
    finally:
        await store.close()


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def test_two_managers_answer_each_call_once_and_lose_nothing(
    cluster: tuple[int, str, list[subprocess.Popen[bytes]]],
) -> None:
    ws_port, db, procs = cluster
    await _prepare(db)
    frames: list[str] = []
    async with websockets.connect(
        f"ws://127.0.0.1:{ws_port}/ws/CSX",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": basic_header("CSX")},
    ) as ws:

        class Recording:
            async def recv(self) -> str:
                frame = str(await ws.recv())
                frames.append(frame)
                return frame

            async def send(self, data: str) -> None:
                await ws.send(data)

        cp = Cp16("CSX", Recording())
        task = asyncio.create_task(cp.start())
        boot = await cp.call(
            call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X1")
        )
        assert boot.status == "Accepted"
        tx_ids = []
        for i in range(6):
            if i == 3:
                procs[1].send_signal(signal.SIGKILL)  # a manager dies mid-run
                procs[1].wait(timeout=5)
            start = await cp.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="TAGX", meter_start=0, timestamp=now()
                )
            )
            tx_ids.append(start.transaction_id)
            await cp.call(
                call16.StopTransaction(
                    meter_stop=100, timestamp=now(), transaction_id=start.transaction_id
                )
            )
        task.cancel()
    results = [f for f in frames if f.startswith("[3,")]
    assert len(results) == 1 + 12  # each call answered exactly once
    store = PostgresStore(db)
    await store.open()
    try:
        for tx_id in tx_ids:
            tx = await store.find_transaction("CSX", str(tx_id))
            assert tx is not None
            assert not tx.active
            assert tx.meter_stop_wh == 100
    finally:
        await store.close()
