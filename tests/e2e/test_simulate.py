"""``csms-tui simulate``, ``record`` and ``replay`` against the real embedded core: the command
line runs as its own process (real websockets, registration through the real API) and the core's
store says what arrived."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.config import config_from_dict
from core.runtime import Csms
from core.services.certificates import create_ca, issue_certificate
from core.store.models import CallState
from csms_tui.simulate.model import (
    Answer,
    FaultStep,
    OfflineStep,
    Profile,
    RebootStep,
    Run,
    Scenario,
    SessionStep,
    WaitStep,
)
from csms_tui.simulate.runner import Plan, simulate
from tests.e2e.conftest import add_token, eventually
from tests.fixtures.running import gateway_of, service_of

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "simulate"


@asynccontextmanager
async def core(path: Path, call_timeout: str = "5s") -> AsyncIterator[Csms]:
    path.mkdir(parents=True, exist_ok=True)
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "", "call_timeout": call_timeout},
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(config) as running:
        yield running


def urls(csms: Csms) -> list[str]:
    return [
        "--api",
        f"http://127.0.0.1:{csms.ports['api']}",
    ]


def ws_url(csms: Csms) -> str:
    return f"ws://127.0.0.1:{csms.ports['ws']}/ws/"


async def cli(cwd: Path, *args: str, timeout: float = 60.0) -> tuple[int, str, str]:
    """``csms-tui ARGS`` as its own process, while this test's loop keeps the core serving."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "csms_tui",
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    async with asyncio.timeout(timeout):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_fifty_mixed_stations_boot_charge_and_the_summary_matches_the_store(
    tmp_path: Path,
) -> None:
    async with core(tmp_path / "core") as csms:
        code, out, err = await cli(
            tmp_path,
            "simulate",
            "--scenario",
            str(EXAMPLES / "fleet-50.toml"),
            "--url",
            ws_url(csms),
            *urls(csms),
            "--json",
            "--quiet",
        )
        assert code == 0, err
        summary = orjson.loads(out)
        assert (summary["stations"], summary["booted"], summary["gave_up"]) == (50, 50, 0)
        assert summary["sessions"] == {
            "started": 50,
            "completed": 50,
            "refused": 0,
            "deauthorized": 0,
        }
        assert (summary["errors"], summary["problems"]) == (0, [])
        assert summary["calls"]["by_action"]["StartTransaction"] == 25
        assert summary["calls"]["by_action"]["StopTransaction"] == 25

        for n in (1, 25):
            details16 = await csms.store.lookup_runtime_details(f"FLEET16-{n:03d}")
            details201 = await csms.store.lookup_runtime_details(f"FLEET201-{n:03d}")
            assert details16 is not None
            assert details201 is not None
            assert (details16.ocpp_version, details201.ocpp_version) == ("1.6", "2.0.1")
        transactions = await service_of(csms).list_transactions(limit=200)
        assert len(transactions) == 50
        assert {t.station_id for t in transactions} == {
            *(f"FLEET16-{n:03d}" for n in range(1, 26)),
            *(f"FLEET201-{n:03d}" for n in range(1, 26)),
        }
        assert not any(t.active for t in transactions)
        energies = [t.energy_wh or 0.0 for t in transactions]
        # 3 s at 36 kW is 30 Wh a session; 1.6 registers are sent in whole Wh.
        assert min(energies) > 25
        assert sum(energies) == pytest.approx(summary["energy_wh"], abs=50)


@asynccontextmanager
async def simulating(plan: Plan) -> AsyncIterator[asyncio.Future[dict[str, Any]]]:
    """The simulation runs in this loop until the block ends; yields its summary's future."""
    stop = asyncio.Event()
    task = asyncio.ensure_future(simulate(plan, stop=stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.shield(task), 10)


async def test_answer_policies_reach_the_csms_call_records(tmp_path: Path) -> None:
    async with core(tmp_path, call_timeout="1.5s") as csms:
        idle = Scenario(steps=[WaitStep(do="wait", duration=30)])
        plan = Plan(
            url=ws_url(csms),
            profiles=[
                Profile(
                    ocpp="1.6",
                    id_prefix="POL16-",
                    scenario="idle",
                    answers={
                        "Reset": Answer(policy="error", error_code="InternalError"),
                        "UnlockConnector": Answer(policy="reject"),
                        "ClearCache": Answer(policy="never"),
                    },
                ),
                Profile(
                    ocpp="2.0.1",
                    id_prefix="POL201-",
                    scenario="idle",
                    answers={"Reset": Answer(policy="late", delay=0.6)},
                ),
            ],
            scenarios={"idle": idle},
            run=Run(duration=30),
            api=f"http://127.0.0.1:{csms.ports['api']}",
        )
        async with simulating(plan) as summary:

            async def both_connected() -> bool:
                gateway = gateway_of(csms)
                return gateway.is_connected("POL16-001") and gateway.is_connected("POL201-001")

            await eventually(both_connected)
            calls = csms.call_maker
            error, unlock, never, late = await asyncio.gather(
                calls.call("POL16-001", "Reset", {"type": "Soft"}, timeout=5),
                calls.call("POL16-001", "UnlockConnector", {"connectorId": 1}, timeout=5),
                calls.call("POL16-001", "ClearCache", {}, timeout=5),
                calls.call("POL201-001", "Reset", {"type": "Immediate"}, timeout=5),
            )

            async def booted_again() -> bool:
                boots = await csms.store.list_messages(
                    station_id="POL201-001", action="BootNotification", direction="in"
                )
                return len(boots) == 2

            await eventually(booted_again)  # the late Reset was accepted: the station reboots
        result = summary.result()

    assert (error.state, error.error_code) == (CallState.ERROR, "InternalError")
    # Calls to one station queue behind each other (one outstanding call per direction): the
    # order they were sent in is not the order they were made, so each is looked up by action.
    assert (unlock.state, unlock.response) == (CallState.ANSWERED, {"status": "UnlockFailed"})
    assert never.state is CallState.TIMED_OUT
    assert (late.state, late.response) == (CallState.ANSWERED, {"status": "Accepted"})
    assert late.completed_at is not None
    assert (late.completed_at - late.created_at).total_seconds() >= 0.6
    assert result["csms_calls"]["by_policy"] == {"error": 1, "late": 1, "never": 1, "reject": 1}
    assert result["events"]["reboots"] == 1


async def test_a_recorded_session_replays_to_the_same_answers_and_shows_a_changed_one(
    tmp_path: Path,
) -> None:
    session = Scenario(
        steps=[SessionStep(do="session", duration=1.0, plug_delay=0.1)],
    )
    profiles = [
        Profile(ocpp="1.6", id_prefix="REC16-", meter_interval=0.3, scenario="s"),
        Profile(ocpp="2.0.1", id_prefix="REC201-", meter_interval=0.3, scenario="s"),
    ]
    recording = tmp_path / "session.jsonl"
    async with core(tmp_path / "a") as recorded:
        api = f"http://127.0.0.1:{recorded.ports['api']}"
        plan = Plan(url=ws_url(recorded), profiles=profiles, scenarios={"s": session}, api=api)
        summary = await simulate(plan)
        assert summary["sessions"]["completed"] == 2

        async def logged() -> bool:  # the message log is written in batches
            ended = await recorded.store.list_messages(action="StopTransaction", direction="out")
            events = await recorded.store.list_messages(
                station_id="REC201-001", action="TransactionEvent", direction="out"
            )
            return len(ended) == 1 and len(events) >= 3

        await eventually(logged)
        results = await asyncio.gather(
            cli(tmp_path, "record", "REC16-001", "--out", "-", "--api", api),
            cli(tmp_path, "record", "REC201-001", "--out", "-", "--api", api),
        )
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    recording.write_text("".join(out for _, out, _ in results))

    async with core(tmp_path / "b") as same, core(tmp_path / "c") as changed:
        # The same CSMS behaviour: the driver's token is known. The changed one does not know it.
        await add_token(same, "SIMTOKEN01")
        (same_code, same_out, same_err), (changed_code, changed_out, _) = await asyncio.gather(
            *(
                cli(
                    tmp_path,
                    "replay",
                    str(recording),
                    "--against",
                    ws_url(c),
                    *urls(c),
                    "--speed",
                    "0",
                    "--json",
                )
                for c in (same, changed)
            )
        )
        replayed = await service_of(same).list_transactions(limit=10)

    report = orjson.loads(same_out)
    assert same_code == 0, same_err
    assert report["differences"] == []
    assert report["calls"] == report["compared"] > 10
    assert report["problems"] == []
    # The 1.6 transaction was numbered anew and its later messages followed the new number.
    assert len(replayed) == 2
    assert not any(t.active for t in replayed)

    assert changed_code == 1
    differences = orjson.loads(changed_out)["differences"]
    found = {
        (d["station"], d["action"], d["path"], d["recorded"], d["replayed"]) for d in differences
    }
    assert ("REC16-001", "Authorize", "idTagInfo.status", "Accepted", "Invalid") in found
    assert ("REC201-001", "Authorize", "idTokenInfo.status", "Accepted", "Unknown") in found


async def test_a_transaction_started_offline_is_sent_in_order_once_back_then_fault_and_reboot(
    tmp_path: Path,
) -> None:
    # The session starts while the station is offline (after its plug delay) and ends before
    # it is back: start, meter values and stop all wait in the queue.
    scenario = Scenario(
        steps=[
            SessionStep(do="session", duration=0.8, plug_delay=0.3, background=True),
            OfflineStep(do="offline", duration=1.5),
            FaultStep(do="fault", duration=0.3),
            RebootStep(do="reboot", downtime=0.2),
        ]
    )
    common: dict[str, Any] = {"meter_rate": 36_000, "meter_interval": 0.25, "scenario": "s"}
    profiles = [
        Profile(ocpp="1.6", id_prefix="OFF16-", **common),
        Profile(ocpp="2.0.1", id_prefix="OFF201-", **common),
    ]
    async with core(tmp_path) as csms:
        api = f"http://127.0.0.1:{csms.ports['api']}"
        plan = Plan(url=ws_url(csms), profiles=profiles, scenarios={"s": scenario}, api=api)
        summary = await simulate(plan)
        assert summary["events"]["offline_periods"] == 2
        assert summary["events"]["faults"] == 2
        assert summary["events"]["reboots"] == 2
        assert summary["events"]["queued_sent"] >= 2 * 3  # start, meter values, stop
        assert (summary["errors"], summary["problems"]) == (0, [])
        transactions = await service_of(csms).list_transactions(limit=10)
        assert sorted(t.station_id for t in transactions) == ["OFF16-001", "OFF201-001"]
        for t in transactions:
            assert not t.active
            assert t.energy_wh == pytest.approx(8.0, abs=1.5)  # 0.8 s at 36 kW

        async def logged() -> list[Any]:
            return await csms.store.list_messages(station_id="OFF201-001", direction="in")

        messages = await eventually(logged)
        events = [m.payload for m in messages if m.action == "TransactionEvent"]
        assert events
        assert all(e.get("offline") is True for e in events)
        assert sorted(e["seqNo"] for e in events) == list(range(len(events)))

        async def both_rebooted() -> bool:
            boots = await csms.store.list_messages(action="BootNotification", direction="in")
            return len(boots) == 4

        await eventually(both_rebooted)
        faulted = await csms.store.list_messages(
            station_id="OFF16-001", action="StatusNotification", direction="in"
        )
        assert any(
            m.payload["status"] == "Faulted" and m.payload["errorCode"] == "GroundFailure"
            for m in faulted
        )


async def test_tls_stations_with_basic_auth_and_with_client_certificates(tmp_path: Path) -> None:
    ca_cert, ca_key = create_ca("Test CA", "Thoughtworks")
    server = issue_certificate(
        ca_cert, ca_key, "localhost", "Thoughtworks", server_names=["localhost"]
    )
    client = issue_certificate(ca_cert, ca_key, "TLS201-001", "Thoughtworks")
    files = {"ca.pem": ca_cert, "server.pem": server[0], "server.key": server[1]}
    files |= {"client.pem": client[0], "client.key": client[1]}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {
                "ws_addr": "",
                "wss_addr": "127.0.0.1:0",
                "status_addr": "",
                "tls_server_cert": str(tmp_path / "server.pem"),
                "tls_server_key": str(tmp_path / "server.key"),
                "tls_trust_certs": [str(tmp_path / "ca.pem")],
            },
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
        }
    )
    session = Scenario(steps=[SessionStep(do="session", duration=0.5, plug_delay=0)])
    ca = str(tmp_path / "ca.pem")
    profiles = [
        Profile(ocpp="1.6", id_prefix="TLS16-", security_profile=1, ca_file=ca, scenario="s"),
        Profile(
            ocpp="2.0.1",
            id_prefix="TLS201-",
            security_profile=2,
            ca_file=ca,
            client_cert=str(tmp_path / "client.pem"),
            client_key=str(tmp_path / "client.key"),
            scenario="s",
        ),
        # Without the private CA the CSMS's certificate cannot be verified: refused, said why.
        Profile(ocpp="1.6", id_prefix="NOCA-", security_profile=1, scenario="s"),
    ]
    async with Csms(config) as csms:
        plan = Plan(
            url=f"wss://localhost:{csms.ports['wss']}/ws/",
            profiles=profiles,
            scenarios={"s": session},
            run=Run(connect_attempts=1),
            api=f"http://127.0.0.1:{csms.ports['api']}",
        )
        summary = await simulate(plan)
        transactions = await service_of(csms).list_transactions(limit=10)

    assert (summary["booted"], summary["gave_up"]) == (2, 1)
    assert summary["sessions"]["completed"] == 2
    assert sorted(t.station_id for t in transactions) == ["TLS16-001", "TLS201-001"]
    assert any("NOCA-001: connect refused: TLS" in p for p in summary["problems"])
