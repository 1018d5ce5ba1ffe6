"""The gateway's websocket and status servers (aiohttp).

``GET /ws/<stationId>``: unknown station → 404 before the upgrade; bad credentials → 401 (recorded
as a station event); too many failures → 429 with Retry-After (who is limited, and why a real
station is never locked out: core/gateway/guard.py). A connection must deliver its request
within ``handshake_timeout`` of being accepted (TLS handshake included) and is closed after a
refusal. Behind configured reverse proxies the station's address comes from the forwarding
header (core/gateway/proxy.py). Subprotocols ``ocpp2.0.1`` / ``ocpp1.6``, the
station's first supported offer wins; none offered → the configured default. permessage-deflate
is offered (OCPP 2.0.1 requires a CSMS to support it). A new connection for a station replaces the
old one only once it has authenticated."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from aiohttp import WSCloseCode, WSMsgType, web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from core import limits
from core.clock import Clock
from core.config import GatewayConfig
from core.events import ConnectionRefused, EventBus, StationConnected, StationDisconnected
from core.gateway.auth import AuthOutcome, authenticate
from core.gateway.deflate import use_small_compressors
from core.gateway.guard import REMEMBER_DAYS, LoginGuard
from core.gateway.keepalive import Keepalive
from core.gateway.message_log import FrameLog
from core.gateway.pipe import Pipe
from core.gateway.proxy import Peer, ProxyResolver
from core.inert import inert
from core.leniency import Leniency
from core.leniency.policy import LeniencyPolicy
from core.ocpp.types import Message, MessageType, OcppVersion
from core.station_id import station_id_problem
from core.store.models import LeniencyUse, StationAuth, StationEvent
from core.store.protocols import MessageLogStore, RuntimeStore, StationEventStore, StationStore
from core.transport.base import Transport

log = logging.getLogger(__name__)

SUPPORTED = (OcppVersion.V201.value, OcppVersion.V16.value)
_MAX_BAD_FRAMES = 20
# How long a station's known login addresses are trusted from memory before the store is
# asked again (another gateway may have seen it log in somewhere new), and how many stations'
# addresses are held.
_KNOWN_TTL = 300.0
_KNOWN_CACHED = 100_000


class _HandshakeDeadline:
    """Closes connections that have not delivered a whole request ``timeout`` seconds after
    the TCP accept: trickled headers (slowloris) or a stalled TLS handshake would otherwise
    hold a socket for as long as the client likes — aiohttp has no header timeout.

    A connection's timer is cancelled when its request arrives, rather than left to find out
    when it fires: after a reconnect storm, thousands of them would otherwise stay in memory
    for ``timeout`` seconds beside the connections they no longer concern."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._timers: dict[int, asyncio.TimerHandle] = {}  # id() of protocol → its deadline

    def factory(self, make: Callable[[], Any]) -> Callable[[], Any]:
        def protocol() -> Any:
            handler = make()
            loop = asyncio.get_running_loop()
            self._timers[id(handler)] = loop.call_later(self.timeout, self._expire, handler)
            return handler

        return protocol

    def _expire(self, handler: Any) -> None:
        self._timers.pop(id(handler), None)
        transport = handler.transport
        if transport is not None and not transport.is_closing():
            log.info(
                "closed a connection from %s: no request within %.1f s",
                inert(str(transport.get_extra_info("peername"))),
                self.timeout,
            )
            transport.close()
        # No transport yet: a TLS handshake in progress, which ssl_handshake_timeout ends.

    def arrived(self, request: web.Request) -> None:
        """``request`` came in time: called first by each handler. (Not a middleware: that
        would add two coroutines to every websocket's stack for as long as it is open.) A
        request no route takes is left to the timer, which closes its idle connection."""
        timer = self._timers.pop(id(request.protocol), None)
        if timer is not None:
            timer.cancel()


class _GatewayMetrics:
    """The gateway's ``/metrics`` series, read at scrape time (a prometheus_client collector)."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway

    def collect(self) -> Iterator[Metric]:
        gateway = self._gateway
        yield GaugeMetricFamily(
            "csms_gateway_connected_stations",
            "Stations with an open websocket.",
            value=len(gateway.connections),
        )
        dropped = gateway.transport.dropped
        if dropped is not None:  # MQTT: publishes lost to a full buffer while the broker was away
            yield CounterMetricFamily(
                "csms_mqtt_dropped_total",
                "Messages dropped from the MQTT outage buffer.",
                value=dropped,
            )


class GatewayStore(StationStore, RuntimeStore, StationEventStore, MessageLogStore, Protocol):
    """The store roles the gateway uses."""


@dataclass(slots=True)
class Connection:
    station_id: str
    version: OcppVersion
    ws: web.WebSocketResponse
    pipe: Pipe
    remote: str
    certificate_cn: str | None = None
    # For the keepalive sweep (core/gateway/keepalive.py): loop time of the station's last
    # frame, of the ping it has not answered yet (0.0: none), and why the gateway closed it.
    last_in: float = 0.0
    pinged_at: float = 0.0
    closing_reason: str = ""


class _StationLink:
    """A connection's pipe writes to the station, publishes to the managers and logs through
    this (core/gateway/pipe.py: Link)."""

    __slots__ = ("frames", "station_id", "transport", "version", "ws")

    def __init__(
        self,
        station_id: str,
        version: OcppVersion,
        ws: web.WebSocketResponse,
        transport: Transport,
        frames: FrameLog,
    ) -> None:
        self.station_id, self.version, self.ws = station_id, version, ws
        self.transport, self.frames = transport, frames

    async def send(self, text: str) -> None:
        if not self.ws.closed:
            await self.ws.send_str(text)

    async def publish(self, message: Message) -> None:
        await self.transport.publish_in(self.version, self.station_id, message)

    def record(self, direction: str, message: Message) -> None:
        self.frames.record(self.station_id, direction, message)


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        store: GatewayStore,
        transport: Transport,
        events: EventBus,
        clock: Clock,
        tls_keylog_file: str = "",
        leniency: LeniencyPolicy | None = None,
    ) -> None:
        self.config, self.store, self.transport = config, store, transport
        self.leniency = leniency
        self.events, self.clock = events, clock
        self.tls_keylog_file = tls_keylog_file
        self.connections: dict[str, Connection] = {}
        self.frames = FrameLog(store, events, clock)
        self.keepalive = Keepalive(config.ping_interval, self.connections.values)
        self.guard = LoginGuard(
            config.auth_guesses_per_minute, config.auth_failures_per_address_per_minute
        )
        self.proxies = ProxyResolver(config.trusted_proxies, config.forwarded_header)
        self.deadline = _HandshakeDeadline(config.handshake_timeout)
        # station id → (monotonic time loaded, address → last login stored)
        self._known: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._runners: list[web.AppRunner] = []
        # The listening sockets, created here rather than by an aiohttp site: a site cannot
        # wrap the protocol factory (the handshake deadline) nor set ssl_handshake_timeout.
        self._listeners: list[asyncio.Server] = []
        self.ports: dict[str, int] = {}
        # A registry of this gateway's own, not prometheus_client's global one: several
        # gateways in one process (tests) must not clash over metric names.
        self.metrics = CollectorRegistry(auto_describe=False)
        self.metrics.register(_GatewayMetrics(self))

    # --- ConnectionRegistry for the service layer --------------------------------------------------

    def is_connected(self, station_id: str) -> bool:
        return station_id in self.connections

    def connected(self) -> set[str]:
        return set(self.connections)

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        use_small_compressors()  # permessage-deflate without 128 KiB per connection
        await self.transport.attach_gateway(self.deliver)
        self.frames.start()
        self.keepalive.start()
        app = web.Application()
        app.router.add_get("/ws/{station_id}", self.handle_ws)
        if self.config.ws_addr:  # "" = TLS only
            await self._serve("ws", app, self.config.ws_addr, None)
        if self.config.wss_addr:
            await self._serve("wss", app, self.config.wss_addr, self._tls_context())
        status = web.Application()
        status.router.add_get("/health", self._health)
        status.router.add_get("/metrics", self._metrics)
        if self.config.status_addr:
            await self._serve("status", status, self.config.status_addr, None)

    async def _serve(
        self, name: str, app: web.Application, addr: str, ssl_context: ssl.SSLContext | None
    ) -> None:
        host, _, port = addr.rpartition(":")
        # An idle keep-alive connection gets no longer than a new one to send its request.
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            keepalive_timeout=self.config.handshake_timeout,
        )
        await runner.setup()
        self._runners.append(runner)  # cleaned up by close() even if the port is taken
        handler_factory = runner.server
        assert handler_factory is not None  # set by setup()
        listener = await asyncio.get_running_loop().create_server(
            self.deadline.factory(handler_factory),
            host or "0.0.0.0",
            int(port),
            ssl=ssl_context,
            backlog=self.config.listen_backlog,
            reuse_address=True,
            ssl_handshake_timeout=self.deadline.timeout if ssl_context else None,
        )
        self._listeners.append(listener)
        sockets = listener.sockets
        self.ports[name] = sockets[0].getsockname()[1] if sockets else int(port)
        log.info("gateway %s listening on %s:%d", name, host, self.ports[name])

    def _tls_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.options |= ssl.OP_NO_COMPRESSION  # A00.FR.321: no TLS compression
        # TLS 1.3: one session ticket per handshake rather than OpenSSL's two. A station holds
        # one connection, so one ticket is all it can resume with; the second cost ~5 % of the
        # server's handshake CPU (ECDSA P-256: 389 → 370 µs), which is what a reconnect storm
        # is made of.
        ctx.num_tickets = 1
        ctx.load_cert_chain(self.config.tls_server_cert, self.config.tls_server_key)
        for extra in self.config.tls_additional_certs:  # another key type: another slot
            ctx.load_cert_chain(extra.cert, extra.key)
        if self.tls_keylog_file:
            log.warning(
                "writing TLS session secrets to %s (observability.tls_keylog_file): anyone who "
                "can read it can decrypt station traffic",
                self.tls_keylog_file,
            )
            ctx.keylog_filename = self.tls_keylog_file
        if self.config.tls_trust_certs:
            for path in self.config.tls_trust_certs:
                ctx.load_verify_locations(path)
            ctx.verify_mode = ssl.CERT_OPTIONAL  # basic-auth stations on the same port send none
        return ctx

    async def close(self) -> None:
        await self.keepalive.close()
        for listener in self._listeners:  # no new connection while the open ones are closed
            listener.close()
        for conn in list(self.connections.values()):
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"CSMS shutting down")
        for runner in reversed(self._runners):
            await runner.cleanup()  # ends the connections still open (the listeners are ours)
        await self.frames.close()

    async def _health(self, request: web.Request) -> web.Response:
        self.deadline.arrived(request)
        return web.json_response({"status": "OK"})

    async def _metrics(self, request: web.Request) -> web.Response:
        self.deadline.arrived(request)
        return web.Response(
            body=generate_latest(self.metrics), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    # --- the websocket endpoint ------------------------------------------------------------------

    async def _refuse(
        self,
        station_id: str,
        remote: str,
        status: int,
        reason: str,
        record: bool = True,
        retry_after: float = 0.0,
    ) -> web.Response:
        # The id is whatever the URL held (aiohttp decodes %0A, %1B): escaped, so it cannot
        # forge a log line or drive the terminal of whoever reads the log.
        log.info("refused %s from %s: %s", inert(station_id), remote, reason)
        now = self.clock.now()
        if record:
            with contextlib.suppress(Exception):
                await self.store.add_station_event(
                    StationEvent(
                        station_id,
                        now,
                        "ConnectionRefused",
                        {"reason": reason, "remote": remote, "status": status},
                    )
                )
        self.events.publish(
            ConnectionRefused(
                station_id=station_id,
                at=now,
                reason=reason,
                remote_address=remote,
                http_status=status,
            )
        )
        response = web.Response(status=status, text=reason)
        if retry_after > 0:
            response.headers["Retry-After"] = str(max(1, round(retry_after + 0.5)))
        response.force_close()  # one request per refused connection: no slow second one
        return response

    def _choose_version(self, request: web.Request) -> OcppVersion | None:
        offered = [
            p.strip()
            for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
            if p.strip()
        ]
        for proto in offered:
            if proto in SUPPORTED:
                return OcppVersion(proto)
        if offered or not self.config.default_subprotocol:
            return None  # offered only protocols we do not speak, or none at all
        return OcppVersion(self.config.default_subprotocol)

    async def _lenient_version(self, station_id: str, request: web.Request) -> OcppVersion | None:
        """The version a station granted no-subprotocol speaks, when its handshake offers no
        subprotocol at all (one offering only others is refused regardless); logged and
        counted."""
        if self.leniency is None or request.headers.get("Sec-WebSocket-Protocol", "").strip():
            return None
        try:
            version = (await self.leniency.granted(station_id)).no_subprotocol
        except Exception:
            log.exception("could not read the leniencies of %s", inert(station_id))
            return None
        if not version:
            return None
        detail = f"handshake without a subprotocol taken as {version}"
        await self.leniency.record(station_id, [LeniencyUse(Leniency.NO_SUBPROTOCOL, detail)])
        return OcppVersion(version)

    def _peer(self, request: web.Request) -> Peer:
        return self.proxies.resolve(request.remote or "", request.headers)

    async def _known_addresses(self, station_id: str) -> dict[str, Any]:
        now = asyncio.get_running_loop().time()
        cached = self._known.get(station_id)
        if cached is not None and now - cached[0] < _KNOWN_TTL:
            self._known.move_to_end(station_id)
            return cached[1]
        since = self.clock.now() - timedelta(days=REMEMBER_DAYS)
        addresses = await self.store.login_addresses(station_id, since)
        known: dict[str, Any] = {a: since for a in addresses}  # "stored long enough ago"
        self._known[station_id] = (now, known)
        while len(self._known) > _KNOWN_CACHED:
            self._known.popitem(last=False)
        return known

    async def _remember(self, station_id: str, address: str, version: OcppVersion | None) -> None:
        """Records a good credential's login: its address (the guard's known ones), and the
        websocket's OCPP version when it was upgraded, which CSMS calls need before — and
        whether or not — the station boots. One job, whose failure costs the station nothing
        but the memory of it."""
        now = self.clock.now()
        try:
            if version is None:
                await self.store.remember_login_address(station_id, address, now)
            else:
                await self.store.record_login(station_id, address, now, version.short)
        except Exception:
            log.exception("could not record the login of %s", inert(station_id))
            return
        cached = self._known.get(station_id)
        if cached is not None:
            cached[1][address] = now

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        self.deadline.arrived(request)
        admitted = await self._admit(request)
        if isinstance(admitted, web.Response):
            return admitted
        # The station is served in this coroutine rather than in one more it awaits, and reads
        # with receive() rather than ``async for`` (whose __anext__ is one more coroutine): each
        # frame kept for as long as a station is connected costs ~250-550 bytes a station.
        conn = admitted
        station_id, ws, pipe = conn.station_id, conn.ws, conn.pipe
        clock = asyncio.get_running_loop().time
        reason = "closed"
        try:
            while True:
                msg = await ws.receive()
                conn.last_in = clock()  # any frame answers the keepalive's ping
                kind = msg.type
                if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
                    await pipe.from_station(msg.data)
                    if pipe.closed:
                        reason = "BootNotification serial number differs from the certificate"
                        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=reason.encode())
                        break
                    if pipe.bad_frames >= _MAX_BAD_FRAMES:
                        reason = "too many malformed frames"
                        await ws.close(code=WSCloseCode.PROTOCOL_ERROR, message=reason.encode())
                        break
                elif kind is WSMsgType.PING:  # answered here: aiohttp's autoping would hide pongs
                    await ws.pong(msg.data)
                elif kind is WSMsgType.ERROR:
                    reason = f"websocket error: {ws.exception()}"
                    break
                elif (
                    kind is WSMsgType.CLOSE or kind is WSMsgType.CLOSING or kind is WSMsgType.CLOSED
                ):
                    break  # where ``async for`` would stop
                del msg  # an idle station's last frame is not kept until its next one
        finally:
            _drop_tracebacks(ws.exception())
            reason = conn.closing_reason or reason
            if self.connections.get(station_id) is conn:
                del self.connections[station_id]
                await pipe.fail_pending(f"station disconnected ({reason})")
                self.events.publish(
                    StationDisconnected(station_id=station_id, at=self.clock.now(), reason=reason)
                )
        return ws

    async def _admit(self, request: web.Request) -> Connection | web.Response:
        """The handshake: the station's connection once upgraded and registered, or the refusal
        to answer with."""
        station_id = request.match_info["station_id"]
        peer = self._peer(request)
        remote = peer.address
        problem = station_id_problem(station_id)
        if problem is not None:  # before any lookup, limiter key or store row
            return await self._refuse(
                station_id[: limits.STATION_ID.hi],
                remote,
                400,
                f"invalid station id: {problem}",
                record=False,
            )
        # Over budget is refused before the credential is checked; whether the address is a
        # known one of the station is asked of the store only when that decides it.
        known: bool | None = None
        wait = self.guard.known_wait(station_id, remote)
        if wait == 0:
            wait = self.guard.stranger_wait(station_id, remote)
            if wait > 0:
                known = remote in await self._known_addresses(station_id)
                if known:
                    wait = 0.0
        if wait > 0:
            return await self._refuse(
                station_id,
                remote,
                429,
                "too many failed attempts",
                record=False,
                retry_after=wait,
            )
        auth = await self.store.lookup_station_auth(station_id)
        if auth is None:
            self.guard.failed(None, remote, known=False)
            return await self._refuse(station_id, remote, 404, "unknown station", record=False)
        outcome = self._authenticate(request, station_id, auth, peer)
        if not outcome.ok:
            if known is None:
                known = remote in await self._known_addresses(station_id)
            self.guard.failed(station_id, remote, known=known)
            return await self._refuse(station_id, remote, outcome.status, outcome.reason)
        version = self._choose_version(request) or await self._lenient_version(station_id, request)
        if version is None:
            await self._remember(station_id, remote, None)  # the credential was good all the same
            return await self._refuse(
                station_id,
                remote,
                400,
                "no supported OCPP subprotocol offered (ocpp2.0.1, ocpp1.6)"
                if request.headers.get("Sec-WebSocket-Protocol", "").strip()
                else "no OCPP subprotocol offered (gateway.default_subprotocol is not set)",
            )
        await self._remember(station_id, remote, version)
        ws = web.WebSocketResponse(
            protocols=(version.value,),
            compress=True,
            max_msg_size=self.config.max_frame_size,
            # Pings are the keepalive sweep's (core/gateway/keepalive.py), not a timer and a
            # callback per frame; pings from the station are answered in handle_ws.
            autoping=False,
        )
        await ws.prepare(request)
        return await self._connect(
            station_id, version, ws, remote, outcome, int(auth.security_profile)
        )

    def _authenticate(
        self, request: web.Request, station_id: str, auth: StationAuth, peer: Peer
    ) -> AuthOutcome:
        ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return authenticate(
            auth,
            station_id,
            # A trusted proxy that terminated TLS makes the station's leg TLS (profile 1); a
            # client certificate (profile 2) is only seen on a TLS connection to us.
            tls=ssl_object is not None or peer.forwarded_https,
            authorization=request.headers.get("Authorization"),
            client_cert_der=der,
            org_names=self.config.org_names,
        )

    async def _connect(
        self,
        station_id: str,
        version: OcppVersion,
        ws: web.WebSocketResponse,
        remote: str,
        outcome: AuthOutcome,
        profile: int,
    ) -> Connection:
        """Registers the upgraded connection (the newest for a station wins) and announces it."""
        link = _StationLink(station_id, version, ws, self.transport, self.frames)
        pipe = Pipe(
            station_id,
            version,
            link,
            self.config.call_timeout,
            self._serial_guard(station_id, outcome.certificate_cn),
        )
        conn = Connection(station_id, version, ws, pipe, remote, outcome.certificate_cn)
        conn.last_in = asyncio.get_running_loop().time()
        previous = self.connections.get(station_id)
        self.connections[station_id] = conn  # authenticated: the newest connection wins
        if previous is not None:
            log.info(
                "%s reconnected from %s: replacing the previous connection", station_id, remote
            )
            await previous.pipe.fail_pending("replaced by a new connection")
            await previous.ws.close(
                code=WSCloseCode.POLICY_VIOLATION, message=b"replaced by a new connection"
            )
        self.events.publish(
            StationConnected(
                station_id=station_id,
                at=self.clock.now(),
                ocpp_version=version.value,
                remote_address=remote,
                security_profile=profile,
            )
        )
        return conn

    def _serial_guard(self, station_id: str, cn: str | None) -> Callable[[Message], bool] | None:
        """The pipe's check of a station CALL: only a client certificate binds the serial."""
        if cn is None:
            return None
        return lambda message: self._serial_matches(station_id, cn, message)

    @staticmethod
    def _serial_matches(station_id: str, cn: str | None, message: Message) -> bool:
        """B01.FR.11/12: with client certificates, the BootNotification serial must be the CN."""
        if cn is None or message.action != "BootNotification" or message.request is None:
            return True
        req = message.request
        serial = req.get("chargingStation", {}).get("serialNumber") or req.get(
            "chargePointSerialNumber"
        )
        return serial is None or serial == cn

    # --- from the managers -----------------------------------------------------------------------

    async def deliver(self, version: OcppVersion, station_id: str, message: Message) -> None:
        conn = self.connections.get(station_id)
        if conn is None:
            if message.type is MessageType.CALL and self.transport.single_gateway:
                # Fail fast: the call record becomes an error now, not after a timeout.
                await self.transport.publish_in(
                    version,
                    station_id,
                    Message(
                        type=MessageType.CALL_ERROR,
                        id=message.id,
                        action=message.action,
                        request=message.request,
                        state=message.state,
                        error_code="GenericError",
                        error_description="station not connected",
                    ),
                )
            return
        await conn.pipe.from_manager(message)


def _drop_tracebacks(error: BaseException | None) -> None:
    """A connection that dropped leaves its exception on the response, and the tracebacks of
    that exception and of those it was raised during hold the frames that hold the response: a
    cycle only the collector frees, and the collector's policy keeps what it froze until its next
    rescan (core/collector.py). Without the tracebacks, reference counting frees the connection
    as soon as its handler returns."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending += (current.__cause__, current.__context__)
