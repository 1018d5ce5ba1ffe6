"""Failed-login limits, forwarding headers and slow clients against the running gateway, with
real websocket clients bound to distinct loopback addresses (127.0.0.0/8 is all local)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import websockets
from aiohttp import web
from websockets.typing import Subprotocol

from core.config import config_from_dict
from core.events import StationConnected
from core.runtime import Csms
from core.services.certificates import create_ca, issue_certificate
from core.store.models import SecurityProfile, StationAuth
from tests.e2e.conftest import PASSWORD, basic_header, password_hash, register

pytestmark = pytest.mark.e2e

WRONG = "not-the-password-1"


def _config(tmp_path: Path, **gateway: Any) -> Any:
    return config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {
                "ws_addr": "127.0.0.1:0",
                "status_addr": "127.0.0.1:0",
                **gateway,
            },
            "api": {"enabled": False},
            "observability": {"log_file": ""},
        }
    )


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Csms]:
    async with Csms(_config(tmp_path)) as running:
        yield running


async def _open(
    csms: Csms,
    station_id: str,
    password: str | None,
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> websockets.ClientConnection:
    all_headers = dict(headers or {})
    if password is not None:
        all_headers["Authorization"] = basic_header(station_id, password)
    return await websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers=all_headers,
        local_addr=(source, 0),
    )


async def _status(csms: Csms, station_id: str, password: str | None, **kw: Any) -> int:
    """101 when the station got in (the connection is closed again), else the HTTP status."""
    try:
        ws = await _open(csms, station_id, password, **kw)
    except websockets.InvalidStatus as refused:
        return int(refused.response.status_code)
    await ws.close()
    return 101


async def _serves(ws: websockets.ClientConnection) -> bool:
    await ws.send('[2,"hb","Heartbeat",{}]')
    reply = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    return bool(reply[0] == 3 and reply[1] == "hb")


async def test_strangers_cannot_lock_a_station_out(gateway: Csms) -> None:
    await register(gateway, "CS1")
    assert await _status(gateway, "CS1", PASSWORD, source="127.0.0.1") == 101
    # Twenty addresses guess: all of them together get ten checked guesses a minute.
    codes = [await _status(gateway, "CS1", WRONG, source=f"127.0.1.{n}") for n in range(1, 21)]
    assert codes == [401] * 10 + [429] * 10
    # Even the right password is not checked from a stranger while the budget is spent — that
    # is what bounds the guessing …
    assert await _status(gateway, "CS1", PASSWORD, source="127.0.1.99") == 429
    # … while the station, from where it logged in before, is checked and let in every time.
    for _ in range(3):
        ws = await _open(gateway, "CS1", PASSWORD, source="127.0.0.1")
        assert await _serves(ws)
        await ws.close()


async def test_a_refusal_says_when_to_retry(gateway: Csms) -> None:
    await register(gateway, "CS2")
    for _ in range(10):
        assert await _status(gateway, "CS2", WRONG, source="127.0.2.1") == 401
    with pytest.raises(websockets.InvalidStatus) as info:
        await _open(gateway, "CS2", WRONG, source="127.0.2.1")
    response = info.value.response
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    assert response.headers.get("Connection", "").lower() == "close"


async def test_a_known_address_has_its_own_bounded_budget(gateway: Csms) -> None:
    await register(gateway, "CS3")
    assert await _status(gateway, "CS3", PASSWORD, source="127.0.3.1") == 101
    # Someone on the station's own address (its NAT) is bounded too, on that address only.
    codes = [await _status(gateway, "CS3", WRONG, source="127.0.3.1") for _ in range(11)]
    assert codes == [401] * 10 + [429]
    # Strangers still have their budget: the known address's failures did not spend it.
    assert await _status(gateway, "CS3", WRONG, source="127.0.3.2") == 401


async def test_a_scanning_address_does_not_hold_its_nat_neighbours_hostage(gateway: Csms) -> None:
    await register(gateway, "NEIGHBOUR")
    await register(gateway, "NEWCOMER")
    nat = "127.0.4.1"
    assert await _status(gateway, "NEIGHBOUR", PASSWORD, source=nat) == 101
    # A scanner behind the same address tries thirty unknown ids, then more.
    codes = [await _status(gateway, f"SCAN{n}", WRONG, source=nat) for n in range(32)]
    assert codes == [404] * 30 + [429] * 2
    # The station that has logged in from there before is not its hostage …
    assert await _status(gateway, "NEIGHBOUR", PASSWORD, source=nat) == 101
    # … a station that never has is, until the minute is over (the README says so).
    assert await _status(gateway, "NEWCOMER", PASSWORD, source=nat) == 429
    # Other addresses are untouched.
    assert await _status(gateway, "NEWCOMER", PASSWORD, source="127.0.4.2") == 101


async def test_known_addresses_survive_a_restart(tmp_path: Path) -> None:
    async with Csms(_config(tmp_path)) as first:
        await register(first, "CS5")
        assert await _status(first, "CS5", PASSWORD, source="127.0.5.1") == 101
    async with Csms(_config(tmp_path)) as second:
        for n in range(12):
            await _status(second, "CS5", WRONG, source=f"127.0.5.{100 + n}")
        assert await _status(second, "CS5", WRONG, source="127.0.5.200") == 429
        assert await _status(second, "CS5", PASSWORD, source="127.0.5.1") == 101


# --- reverse proxies ---------------------------------------------------------------------------


def _connected_from(csms: Csms) -> Callable[[], list[str]]:
    """The remote address of every StationConnected event published from now on."""
    subscription = csms.events.subscribe()
    seen: list[str] = []

    def drain() -> list[str]:
        while (event := subscription.get_nowait()) is not None:
            if isinstance(event, StationConnected):
                seen.append(event.remote_address)
        return seen

    return drain


async def test_forwarded_for_is_believed_only_from_configured_proxies(tmp_path: Path) -> None:
    config = _config(tmp_path, trusted_proxies=["127.0.6.1", "127.0.7.0/24"])
    async with Csms(config) as csms:
        await register(csms, "CS6")
        seen = _connected_from(csms)
        xff = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7"}
        # From the configured proxy: the rightmost address that is not a proxy itself.
        assert await _status(csms, "CS6", PASSWORD, source="127.0.6.1", headers=xff)
        # Through two proxies: the second one's entry is skipped too.
        chain = {"X-Forwarded-For": "203.0.113.8, 127.0.7.3"}
        assert await _status(csms, "CS6", PASSWORD, source="127.0.6.1", headers=chain)
        # From anywhere else the header is the station's own claim, and ignored.
        assert await _status(csms, "CS6", PASSWORD, source="127.0.6.2", headers=xff)
        assert seen() == ["203.0.113.7", "203.0.113.8", "127.0.6.2"]


async def test_forwarded_addresses_get_their_own_login_budgets(tmp_path: Path) -> None:
    async with Csms(_config(tmp_path, trusted_proxies=["127.0.8.1"])) as csms:
        await register(csms, "CS8")

        def via(client: str) -> dict[str, Any]:
            return {"source": "127.0.8.1", "headers": {"X-Forwarded-For": client}}

        assert await _status(csms, "CS8", PASSWORD, **via("203.0.113.10")) == 101
        codes = [await _status(csms, "CS8", WRONG, **via("198.51.100.66")) for _ in range(40)]
        assert codes == [401] * 10 + [429] * 30
        # Everyone shares the proxy's TCP address; the station is still told apart.
        assert await _status(csms, "CS8", PASSWORD, **via("203.0.113.10")) == 101


async def test_rfc7239_forwarded_and_tls_terminated_at_the_proxy(tmp_path: Path) -> None:
    config = _config(tmp_path, trusted_proxies=["127.0.9.1"], forwarded_header="forwarded")
    async with Csms(config) as csms:
        await csms.store.register_station(
            "CS9", StationAuth(SecurityProfile.TLS_BASIC, password_hash()), datetime.now(UTC)
        )
        seen = _connected_from(csms)
        https = {"Forwarded": 'for="[2001:db8::7]:4711";proto=https, for=127.0.9.1'}
        plain = {"Forwarded": "for=192.0.2.60;proto=http"}
        # Profile 1 needs TLS: the proxy that terminated it says so …
        assert await _status(csms, "CS9", PASSWORD, source="127.0.9.1", headers=https)
        assert await _status(csms, "CS9", PASSWORD, source="127.0.9.1", headers=plain) == 401
        # … and nobody else can say it for them.
        assert await _status(csms, "CS9", PASSWORD, source="127.0.9.2", headers=https) == 401
        assert seen() == ["2001:db8::7"]


# --- slow clients ------------------------------------------------------------------------------


async def _closed_by_server(sock: socket.socket, within: float) -> bool:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(within):
            return await loop.sock_recv(sock, 1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


async def test_trickled_headers_are_cut_off_and_stations_still_get_in(tmp_path: Path) -> None:
    async with Csms(_config(tmp_path, handshake_timeout="500ms")) as csms:
        await register(csms, "CS10")
        loop = asyncio.get_running_loop()
        socks: list[socket.socket] = []
        for _ in range(200):
            sock = socket.socket()
            sock.setblocking(False)
            await loop.sock_connect(sock, ("127.0.0.1", csms.ports["ws"]))
            await loop.sock_sendall(sock, b"GET /ws/CS10 HTTP/1.1\r\nHost: x\r\n")
            socks.append(sock)
        # A real station gets in while two hundred sockets dribble.
        ws = await _open(csms, "CS10", PASSWORD)
        assert await _serves(ws)
        for sock in socks[:50]:  # a byte now and then does not buy more time
            await loop.sock_sendall(sock, b"X-A: b\r\n")
        results = await asyncio.gather(*(_closed_by_server(s, 3.0) for s in socks))
        assert all(results), f"{results.count(False)} slow connections stayed open"
        assert await _serves(ws)  # the station's own connection is not on that clock
        await ws.close()
        for sock in socks:
            sock.close()


async def test_a_stalled_tls_handshake_is_cut_off_and_keys_can_be_logged(tmp_path: Path) -> None:
    ca_cert, ca_key = create_ca("Test CA", "Thoughtworks")
    cert, key = issue_certificate(ca_cert, ca_key, "localhost", "T", server_names=["localhost"])
    (tmp_path / "ca.pem").write_text(ca_cert)
    (tmp_path / "server.pem").write_text(cert)
    (tmp_path / "server.key").write_text(key)
    keylog = tmp_path / "keys.log"
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {
                "ws_addr": "127.0.0.1:0",
                "wss_addr": "127.0.0.1:0",
                "status_addr": "",
                "tls_server_cert": str(tmp_path / "server.pem"),
                "tls_server_key": str(tmp_path / "server.key"),
                "handshake_timeout": "500ms",
            },
            "api": {"enabled": False},
            "observability": {"log_file": "", "tls_keylog_file": str(keylog)},
        }
    )
    async with Csms(config) as csms:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", csms.ports["wss"]))
        assert await _closed_by_server(sock, 3.0)  # no ClientHello ever came
        sock.close()
        await csms.store.register_station(
            "CS11", StationAuth(SecurityProfile.TLS_BASIC, password_hash()), datetime.now(UTC)
        )
        ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        ws = await websockets.connect(
            f"wss://localhost:{csms.ports['wss']}/ws/CS11",
            ssl=ctx,
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": basic_header("CS11")},
        )
        assert await _serves(ws)
        await ws.close()
    # The session's secrets, in the NSS key log format Wireshark reads.
    assert "TRAFFIC_SECRET_0" in keylog.read_text() or "CLIENT_RANDOM" in keylog.read_text()


async def test_through_a_real_reverse_proxy(tmp_path: Path) -> None:
    """A websocket reverse proxy (aiohttp, as a TLS terminator would sit) that appends the
    client's address to X-Forwarded-For: the gateway sees each station's own address, and a
    header a station forges in front of it does not help it."""
    async with Csms(_config(tmp_path, trusted_proxies=["127.0.0.1"])) as csms:
        upstream = f"ws://127.0.0.1:{csms.ports['ws']}"

        async def relay(request: web.Request) -> web.StreamResponse:
            forwarded = request.headers.getall("X-Forwarded-For", [])
            headers = {
                "X-Forwarded-For": ", ".join([*forwarded, request.remote or ""]),
                "Authorization": request.headers.get("Authorization", ""),
            }
            protocols = [p.strip() for p in request.headers["Sec-WebSocket-Protocol"].split(",")]
            async with aiohttp.ClientSession() as http:
                try:
                    back = await http.ws_connect(
                        upstream + request.path, headers=headers, protocols=protocols
                    )
                except aiohttp.WSServerHandshakeError as refused:
                    return web.Response(status=refused.status)
                front = web.WebSocketResponse(protocols=[back.protocol or ""])
                await front.prepare(request)

                async def pump(src: Any, dst: Any) -> None:
                    async for msg in src:
                        await dst.send_str(msg.data)
                    await dst.close()

                await asyncio.gather(pump(front, back), pump(back, front))
                return front

        app = web.Application()
        app.router.add_get("/ws/{station_id}", relay)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        proxy_port = runner.addresses[0][1]
        try:
            await register(csms, "CS13")
            seen = _connected_from(csms)

            async def through_proxy(source: str, password: str, **headers: str) -> int:
                try:
                    ws = await websockets.connect(
                        f"ws://127.0.0.1:{proxy_port}/ws/CS13",
                        subprotocols=[Subprotocol("ocpp1.6")],
                        additional_headers={
                            "Authorization": basic_header("CS13", password),
                            **headers,
                        },
                        local_addr=(source, 0),
                    )
                except websockets.InvalidStatus as refused:
                    return int(refused.response.status_code)
                assert await _serves(ws)
                await ws.close()
                return 101

            assert await through_proxy("127.0.10.5", PASSWORD) == 101
            # A guesser at another address spends the strangers' budget, forging in vain.
            forged = {"X-Forwarded-For": "127.0.10.5"}
            codes = [await through_proxy("127.0.10.66", WRONG, **forged) for _ in range(11)]
            assert codes == [401] * 10 + [429]
            assert await through_proxy("127.0.10.5", PASSWORD) == 101
            assert seen() == ["127.0.10.5", "127.0.10.5"]
        finally:
            await runner.cleanup()
