"""Security profiles and robustness against a running gateway, with real websocket clients."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import orjson
import pytest
import websockets
from websockets.typing import Subprotocol

from core.config import config_from_dict
from core.runtime import Csms
from core.services.certificates import create_ca, issue_certificate
from core.store.models import SecurityProfile, StationAuth
from tests.e2e.conftest import basic_header, eventually, password_hash, register
from tests.fixtures.running import gateway_of

pytestmark = pytest.mark.e2e


async def _connect(
    csms: Csms, station_id: str, header: str | None, proto: str = "ocpp1.6"
) -> websockets.ClientConnection:
    headers = {"Authorization": header} if header else {}
    return await websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol(proto)],
        additional_headers=headers,
    )


async def _status_of(csms: Csms, station_id: str, header: str | None) -> int:
    with pytest.raises(websockets.InvalidStatus) as info:
        await _connect(csms, station_id, header)
    return int(info.value.response.status_code)


async def test_unknown_station_is_404_before_upgrade(csms: Csms) -> None:
    assert await _status_of(csms, "GHOST", basic_header("GHOST")) == 404


async def test_bad_credentials_are_401_and_recorded(csms: Csms) -> None:
    await register(csms, "CS1")
    assert await _status_of(csms, "CS1", basic_header("CS1", "wrong-password-123")) == 401
    assert await _status_of(csms, "CS1", None) == 401
    assert await _status_of(csms, "CS1", basic_header("OTHER")) == 401  # username must be the id
    events = await csms.store.list_station_events("CS1")
    assert [e.event_type for e in events] == ["ConnectionRefused"] * 3


async def test_failed_attempts_are_rate_limited(csms: Csms) -> None:
    await register(csms, "CS2")
    codes = [
        await _status_of(csms, "CS2", basic_header("CS2", "guess-number-xxxx")) for _ in range(12)
    ]
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]


async def test_failed_attempt_never_displaces_a_live_station(csms: Csms) -> None:
    await register(csms, "CS3")
    live = await _connect(csms, "CS3", basic_header("CS3"))
    try:
        assert await _status_of(csms, "CS3", basic_header("CS3", "hijacker-password")) == 401
        await live.send('[2,"h1","Heartbeat",{}]')
        reply = orjson.loads(await asyncio.wait_for(live.recv(), 5))
        assert reply[0] == 3
        assert reply[1] == "h1"
        # An authenticated reconnect replaces the old connection cleanly.
        newer = await _connect(csms, "CS3", basic_header("CS3"))
        await asyncio.wait_for(live.wait_closed(), 5)
        await newer.send('[2,"h2","Heartbeat",{}]')
        assert orjson.loads(await asyncio.wait_for(newer.recv(), 5))[1] == "h2"
        await newer.close()
    finally:
        await live.close()


async def test_malformed_oversized_and_flooded_frames(csms: Csms) -> None:
    await register(csms, "CS4")
    await register(csms, "CS5")
    ws = await _connect(csms, "CS4", basic_header("CS4"), "ocpp2.0.1")
    other = await _connect(csms, "CS5", basic_header("CS5"))
    try:
        await ws.send("this is not json")
        assert orjson.loads(await ws.recv()) == [
            4,
            "-1",
            "RpcFrameworkError",
            "frame is not valid JSON",
            {},
        ]
        await ws.send('[2,"x1","Heartbeat"]')
        assert orjson.loads(await ws.recv())[:3] == [4, "x1", "FormatViolation"]
        await ws.send('[2,"x2","NoSuchThing",{}]')
        assert orjson.loads(await ws.recv())[:3] == [4, "x2", "NotImplemented"]
        await ws.send('[2,"x3","BootNotification",{"reason":"PowerUp"}]')
        assert orjson.loads(await ws.recv())[:3] == [4, "x3", "OccurrenceConstraintViolation"]
        # A flood of calls without waiting: every one is answered.
        for i in range(50):
            await ws.send(f'[2,"f{i}","Heartbeat",{{}}]')
        answered = {orjson.loads(await asyncio.wait_for(ws.recv(), 5))[1] for _ in range(50)}
        assert answered == {f"f{i}" for i in range(50)}
        # Other stations are served throughout.
        await other.send('[2,"o1","Heartbeat",{}]')
        assert orjson.loads(await asyncio.wait_for(other.recv(), 5))[0] == 3
        # An oversized frame closes that connection with 1009, nothing else.
        await ws.send('[2,"big","DataTransfer",{"vendorId":"x","data":"' + "a" * 70_000 + '"}]')
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == 1009
        await other.send('[2,"o2","Heartbeat",{}]')
        assert orjson.loads(await asyncio.wait_for(other.recv(), 5))[1] == "o2"
    finally:
        await ws.close()
        await other.close()


async def test_abrupt_disconnect_is_noticed(csms: Csms) -> None:
    await register(csms, "CS6")
    ws = await _connect(csms, "CS6", basic_header("CS6"))
    await eventually(lambda: _is(csms, "CS6", True))
    ws.transport.abort()  # no close handshake
    await eventually(lambda: _is(csms, "CS6", False))


async def _is(csms: Csms, station_id: str, connected: bool) -> bool:
    return gateway_of(csms).is_connected(station_id) is connected


def _client_cert(ca_cert: str, ca_key: str, cn: str, org: str, path: Path) -> tuple[Path, Path]:
    cert_pem, key_pem = issue_certificate(ca_cert, ca_key, cn, org)
    cert_file, key_file = path / f"{cn}.pem", path / f"{cn}.key"
    cert_file.write_text(cert_pem)
    key_file.write_text(key_pem)
    return cert_file, key_file


@pytest.fixture
async def tls_csms(tmp_path: Path) -> AsyncIterator[tuple[Csms, Path, Path, Path]]:
    ca_cert, ca_key = create_ca("Test CA", "Thoughtworks")
    server_cert, server_key = issue_certificate(
        ca_cert, ca_key, "localhost", "Thoughtworks", server_names=["localhost"]
    )
    for name, text in (
        ("ca.pem", ca_cert),
        ("ca.key", ca_key),
        ("server.pem", server_cert),
        ("server.key", server_key),
    ):
        (tmp_path / name).write_text(text)
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {
                "ws_addr": "127.0.0.1:0",
                "wss_addr": "127.0.0.1:0",
                "status_addr": "",
                "tls_server_cert": str(tmp_path / "server.pem"),
                "tls_server_key": str(tmp_path / "server.key"),
                "tls_trust_certs": [str(tmp_path / "ca.pem")],
            },
            "api": {"enabled": False},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(config) as running:
        yield running, tmp_path, tmp_path / "ca.pem", tmp_path / "ca.key"


async def _wss(
    csms: Csms, station_id: str, ca: Path, cert: tuple[Path, Path] | None, header: str | None = None
) -> websockets.ClientConnection:
    ctx = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return await websockets.connect(
        f"wss://localhost:{csms.ports['wss']}/ws/{station_id}",
        ssl=ctx,
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": header} if header else {},
    )


async def _wss_and_read(csms: Csms, station_id: str, ca: Path, cert: tuple[Path, Path]) -> None:
    """Connect, then read: under TLS 1.3 the client's handshake ends before the server has
    checked the client certificate, so a refused one may only show on the first read."""
    ws = await _wss(csms, station_id, ca, cert)
    await ws.recv()


async def test_tls_client_certificate_profile(tls_csms: tuple[Csms, Path, Path, Path]) -> None:
    csms, tmp, ca, ca_key = tls_csms
    await csms.store.register_station(
        "CSTLS", StationAuth(SecurityProfile.TLS_CLIENT_CERT), datetime.now(UTC)
    )
    good = _client_cert(ca.read_text(), ca_key.read_text(), "CSTLS", "Thoughtworks", tmp)
    ws = await _wss(csms, "CSTLS", ca, good)
    await ws.send(
        '[2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M","chargePointSerialNumber":"CSTLS"}]'
    )
    assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))[0] == 3
    # A BootNotification serial different from the certificate CN closes the connection.
    await ws.send(
        '[2,"b2","BootNotification",{"chargePointVendor":"V","chargePointModel":"M","chargePointSerialNumber":"EVIL"}]'
    )
    await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 1008
    wrong_cn = _client_cert(ca.read_text(), ca_key.read_text(), "SOMEONE", "Thoughtworks", tmp)
    with pytest.raises(websockets.InvalidStatus) as info:
        await _wss(csms, "CSTLS", ca, wrong_cn)
    assert info.value.response.status_code == 401
    wrong_org = _client_cert(ca.read_text(), ca_key.read_text(), "CSTLS", "Mallory Inc", tmp)
    with pytest.raises(websockets.InvalidStatus):
        await _wss(csms, "CSTLS", ca, wrong_org)
    # A certificate from another CA fails the TLS handshake itself.
    rogue_ca, rogue_key = create_ca("Rogue", "Thoughtworks")
    rogue = _client_cert(rogue_ca, rogue_key, "CSTLS", "Thoughtworks", tmp / "..")
    with pytest.raises((ssl.SSLError, OSError, websockets.InvalidHandshake)):
        await _wss_and_read(csms, "CSTLS", ca, rogue)


async def test_tls_basic_profile_refuses_plain_ws(tls_csms: tuple[Csms, Path, Path, Path]) -> None:
    csms, _, ca, _ = tls_csms
    await csms.store.register_station(
        "CSB", StationAuth(SecurityProfile.TLS_BASIC, password_hash()), datetime.now(UTC)
    )
    assert await _status_of(csms, "CSB", basic_header("CSB")) == 401  # profile 1 needs TLS
    ws = await _wss(csms, "CSB", ca, None, basic_header("CSB"))
    await ws.send('[2,"h","Heartbeat",{}]')
    assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))[0] == 3
    await ws.close()


async def test_health_endpoint(csms: Csms) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{csms.ports['status']}/health") as resp,
    ):
        assert resp.status == 200
        assert await resp.json() == {"status": "OK"}


async def test_permessage_deflate_and_subprotocol_negotiation(csms: Csms) -> None:
    await register(csms, "CS7")
    ws = await websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/CS7",
        subprotocols=[Subprotocol("foo"), Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")],
        additional_headers={"Authorization": basic_header("CS7")},
    )
    try:
        assert ws.subprotocol == "ocpp1.6"  # the station's first offer we support
        assert ws.response is not None
        assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
        await ws.send('[2,"d1","Heartbeat",{}]')
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))[:2] == [3, "d1"]
    finally:
        await ws.close()
    with pytest.raises(websockets.InvalidStatus) as info:
        await websockets.connect(
            f"ws://127.0.0.1:{csms.ports['ws']}/ws/CS7",
            subprotocols=[Subprotocol("ocpp1.5")],
            additional_headers={"Authorization": basic_header("CS7")},
        )
    assert info.value.response.status_code == 400


async def test_tc_b_58_a_handshake_without_a_subprotocol(csms: Csms, tmp_path: Path) -> None:
    """Refused by default (2.0.1 Part 4); a site whose stations never offer one names their
    version in gateway.default_subprotocol."""
    await register(csms, "NOPROTO")
    url = f"ws://127.0.0.1:{csms.ports['ws']}/ws/NOPROTO"
    headers = {"Authorization": basic_header("NOPROTO")}
    with pytest.raises(websockets.InvalidStatus) as info:
        await websockets.connect(url, additional_headers=headers)
    assert info.value.response.status_code == 400
    assert b"no OCPP subprotocol offered" in info.value.response.body
    lenient = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "lenient.db")}},
            "gateway": {
                "ws_addr": "127.0.0.1:0",
                "status_addr": "",
                "default_subprotocol": "ocpp1.6",
            },
            "api": {"enabled": False},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(lenient) as other:
        await register(other, "NOPROTO")
        url = f"ws://127.0.0.1:{other.ports['ws']}/ws/NOPROTO"
        async with websockets.connect(url, additional_headers=headers) as ws:
            assert ws.subprotocol is None
            await ws.send('[2,"h","Heartbeat",{}]')
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))[:2] == [3, "h"]
        assert (await other.store.lookup_runtime_details("NOPROTO")).ocpp_version == "1.6"  # type: ignore[union-attr]


async def test_a_duplicate_of_any_call_in_flight_gets_one_answer(csms: Csms) -> None:
    """Ids A, B, A in one burst: A is answered once, and its duplicate is refused, even though
    B came in between (only the most recent id used to be checked)."""
    await register(csms, "DUP")
    ws = await _connect(csms, "DUP", basic_header("DUP"), proto="ocpp2.0.1")
    try:
        burst = [
            '[2,"A","Heartbeat",{}]',
            '[2,"B","Heartbeat",{}]',
            '[2,"A","Heartbeat",{}]',
        ]
        for frame in burst:
            await ws.send(frame)
        replies: list[list[object]] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                while True:
                    replies.append(orjson.loads(await ws.recv()))
        results = sorted(str(r[1]) for r in replies if r[0] == 3)
        errors = [r for r in replies if r[0] == 4]
        assert results == ["A", "B"], replies
        assert [(e[1], e[2]) for e in errors] == [("A", "RpcFrameworkError")], replies
    finally:
        await ws.close()
