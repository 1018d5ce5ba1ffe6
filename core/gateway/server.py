"""The gateway's websocket and status servers (aiohttp).

``GET /ws/<stationId>``: unknown station → 404 before the upgrade; bad credentials → 401 (recorded
as a station event); too many failures → 429. Subprotocols ``ocpp2.0.1`` / ``ocpp1.6``, the
station's first supported offer wins; none offered → the configured default. permessage-deflate
is offered (OCPP 2.0.1 requires a CSMS to support it). A new connection for a station replaces the
old one only once it has authenticated."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import WSCloseCode, WSMsgType, web

from core import limits
from core.clock import Clock
from core.config import GatewayConfig
from core.events import ConnectionRefused, EventBus, StationConnected, StationDisconnected
from core.gateway.auth import AuthOutcome, FailureLimiter, authenticate
from core.gateway.message_log import FrameLog
from core.gateway.pipe import Pipe
from core.inert import inert
from core.ocpp.types import Message, MessageType, OcppVersion
from core.station_id import station_id_problem
from core.store.models import SecurityProfile, StationAuth, StationEvent
from core.store.protocols import MessageLogStore, StationEventStore, StationStore
from core.transport.base import Transport

log = logging.getLogger(__name__)

SUPPORTED = (OcppVersion.V201.value, OcppVersion.V16.value)
_MAX_BAD_FRAMES = 20


class GatewayStore(StationStore, StationEventStore, MessageLogStore, Protocol):
    """The store roles the gateway uses."""


@dataclass(slots=True)
class Connection:
    station_id: str
    version: OcppVersion
    ws: web.WebSocketResponse
    pipe: Pipe
    remote: str
    certificate_cn: str | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        store: GatewayStore,
        transport: Transport,
        events: EventBus,
        clock: Clock,
    ) -> None:
        self.config, self.store, self.transport = config, store, transport
        self.events, self.clock = events, clock
        self.connections: dict[str, Connection] = {}
        self.frames = FrameLog(store, events, clock)
        self.limiter = FailureLimiter()
        self._runners: list[web.AppRunner] = []
        self.ports: dict[str, int] = {}

    # --- ConnectionRegistry for the service layer --------------------------------------------------

    def is_connected(self, station_id: str) -> bool:
        return station_id in self.connections

    def connected(self) -> set[str]:
        return set(self.connections)

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.transport.attach_gateway(self.deliver)
        self.frames.start()
        app = web.Application()
        app.router.add_get("/ws/{station_id}", self.handle_ws)
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
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(
            runner,
            host or "0.0.0.0",
            int(port),
            ssl_context=ssl_context,
            backlog=self.config.listen_backlog,
            reuse_address=True,
        )
        await site.start()
        self._runners.append(runner)
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.ports[name] = sockets[0].getsockname()[1] if sockets else int(port)
        log.info("gateway %s listening on %s:%d", name, host, self.ports[name])

    def _tls_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.options |= ssl.OP_NO_COMPRESSION  # A00.FR.321: no TLS compression
        ctx.load_cert_chain(self.config.tls_server_cert, self.config.tls_server_key)
        if self.config.tls_trust_certs:
            for path in self.config.tls_trust_certs:
                ctx.load_verify_locations(path)
            ctx.verify_mode = ssl.CERT_OPTIONAL  # basic-auth stations on the same port send none
        return ctx

    async def close(self) -> None:
        for conn in list(self.connections.values()):
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"CSMS shutting down")
        for runner in reversed(self._runners):
            await runner.cleanup()
        await self.frames.close()

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "OK"})

    async def _metrics(self, request: web.Request) -> web.Response:
        lines = [
            "# HELP csms_gateway_connected_stations Stations with an open websocket.",
            "# TYPE csms_gateway_connected_stations gauge",
            f"csms_gateway_connected_stations {len(self.connections)}",
        ]
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")

    # --- the websocket endpoint ------------------------------------------------------------------

    async def _refuse(
        self, station_id: str, remote: str, status: int, reason: str, record: bool = True
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
        return web.Response(status=status, text=reason)

    def _choose_version(self, request: web.Request) -> OcppVersion | None:
        offered = [
            p.strip()
            for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
            if p.strip()
        ]
        for proto in offered:
            if proto in SUPPORTED:
                return OcppVersion(proto)
        if offered:
            return None  # offered only protocols we do not speak
        return OcppVersion(self.config.default_subprotocol)

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        station_id = request.match_info["station_id"]
        remote = request.remote or ""
        problem = station_id_problem(station_id)
        if problem is not None:  # before any lookup, limiter key or store row
            return await self._refuse(
                station_id[: limits.STATION_ID.hi],
                remote,
                400,
                f"invalid station id: {problem}",
                record=False,
            )
        if self.limiter.blocked(f"id:{station_id}", f"ip:{remote}"):
            return await self._refuse(
                station_id, remote, 429, "too many failed attempts", record=False
            )
        auth = await self.store.lookup_station_auth(station_id)
        if auth is None:
            self.limiter.fail(f"ip:{remote}")
            return await self._refuse(station_id, remote, 404, "unknown station", record=False)
        outcome = self._authenticate(request, station_id, auth.security_profile, auth)
        if not outcome.ok:
            self.limiter.fail(f"id:{station_id}", f"ip:{remote}")
            return await self._refuse(station_id, remote, outcome.status, outcome.reason)
        version = self._choose_version(request)
        if version is None:
            return await self._refuse(
                station_id, remote, 400, "no supported OCPP subprotocol offered"
            )
        ws = web.WebSocketResponse(
            protocols=(version.value,),
            compress=True,
            max_msg_size=self.config.max_frame_size,
            heartbeat=self.config.ping_interval or None,
        )
        await ws.prepare(request)
        await self._serve_station(
            station_id, version, ws, remote, outcome, int(auth.security_profile)
        )
        return ws

    def _authenticate(
        self, request: web.Request, station_id: str, profile: SecurityProfile, auth: StationAuth
    ) -> AuthOutcome:
        ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return authenticate(
            auth,
            station_id,
            tls=ssl_object is not None,
            authorization=request.headers.get("Authorization"),
            client_cert_der=der,
            org_names=self.config.org_names,
        )

    async def _serve_station(
        self,
        station_id: str,
        version: OcppVersion,
        ws: web.WebSocketResponse,
        remote: str,
        outcome: AuthOutcome,
        profile: int,
    ) -> None:
        async def send(text: str) -> None:
            if not ws.closed:
                await ws.send_str(text)

        async def publish(message: Message) -> None:
            await self.transport.publish_in(version, station_id, message)

        def record(direction: str, message: Message) -> None:
            self.frames.record(station_id, direction, message)

        def guard(message: Message) -> bool:
            return self._serial_matches(station_id, outcome.certificate_cn, message)

        pipe = Pipe(station_id, version, send, publish, record, self.config.call_timeout, guard)
        conn = Connection(station_id, version, ws, pipe, remote, outcome.certificate_cn)
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
        reason = "closed"
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT or msg.type is WSMsgType.BINARY:
                    await pipe.from_station(msg.data)
                    if pipe.closed:
                        reason = "BootNotification serial number differs from the certificate"
                        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=reason.encode())
                        break
                    if pipe.bad_frames >= _MAX_BAD_FRAMES:
                        reason = "too many malformed frames"
                        await ws.close(code=WSCloseCode.PROTOCOL_ERROR, message=reason.encode())
                        break
                elif msg.type is WSMsgType.ERROR:
                    reason = f"websocket error: {ws.exception()}"
                    break
        finally:
            if self.connections.get(station_id) is conn:
                del self.connections[station_id]
                await pipe.fail_pending(f"station disconnected ({reason})")
                self.events.publish(
                    StationDisconnected(station_id=station_id, at=self.clock.now(), reason=reason)
                )

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
