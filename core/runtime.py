"""The one composition root: ``async with Csms(config) as csms:`` builds every concrete part,
starts the servers inside the running loop, and tears them down in reverse order.

Roles: ``gateway`` (websockets), ``manager`` (routers + handlers), ``api`` (admin REST API). The
embedded shape runs all of them over the in-process transport; the scale-out shape runs gateway
and manager processes separately over MQTT (``core.transport.mqtt``). Tests pass port 0 in the
config and read the bound ports back from :attr:`Csms.ports`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from core.clock import Clock, SystemClock
from core.config import Config
from core.events import EventBus
from core.handlers.call_maker import CallMaker
from core.handlers.deps import HandlerDeps, HandlerSettings
from core.leniency.csr import LenientStationSigner
from core.leniency.policy import LeniencyPolicy
from core.manager import Manager
from core.services.factory import Services, build_services
from core.services.protocols import TokenAuthoriser
from core.store.factory import open_store
from core.store.protocols import Store
from core.transport.base import Transport
from core.transport.local import LocalTransport

if TYPE_CHECKING:
    # Imported where they are built: a process loads what its roles and configuration use
    # (aiomqtt, the OCPI or API servers) and nothing else.
    from core.api.server import ApiServer
    from core.application.ports import ConnectionRegistry
    from core.application.service import CsmsService
    from core.gateway.server import Gateway
    from core.ocpi import Ocpi
    from core.sync.syncer import Syncer
    from core.transport.presence import PresenceAnnouncer, PresenceRegistry

log = logging.getLogger(__name__)

ALL_ROLES = frozenset({"gateway", "manager", "api"})


class StartupError(Exception):
    """The core could not start serving: which part, and why, in one line for the operator."""

    def __init__(self, part: str, cause: BaseException) -> None:
        reason = cause.strerror if isinstance(cause, OSError) else None
        super().__init__(f"cannot start the {part}: {reason or cause}")
        self.part = part


class _NoConnections:
    """Connection registry of a process without a gateway or any other view of stations."""

    def is_connected(self, station_id: str) -> bool:
        return False

    def connected(self) -> set[str]:
        return set()


async def build_transport(config: Config) -> Transport:
    if config.transport.type == "mqtt":
        from core.transport.mqtt import MqttTransport

        mqtt: Transport = MqttTransport(config.transport.mqtt)
        return mqtt
    return LocalTransport()


def own_certificates(config: Config) -> list[tuple[str, str]]:
    """The certificate files the CSMS itself uses, by role, for the console and the API."""
    gateway = config.gateway
    out = [("gateway TLS server", gateway.tls_server_cert)] if gateway.tls_server_cert else []
    out += [("trusted station CA", path) for path in gateway.tls_trust_certs]
    provider = config.charge_station_cert_provider
    if provider.local is not None and provider.local.cert.file:
        out.append(("local CA (signs station certificates)", provider.local.cert.file))
    return out


class Csms:
    """Every part this process runs, by role; each is None until started (or when its role or
    its configuration section is off here)."""

    def __init__(
        self,
        config: Config,
        *,
        roles: frozenset[str] = ALL_ROLES,
        clock: Clock | None = None,
        transport: Transport | None = None,
        store: Store | None = None,
    ) -> None:
        self.config = config
        self.roles = roles
        self.clock: Clock = clock or SystemClock()
        self.events = EventBus()
        self._transport = transport
        self._store = store
        self._call_maker: CallMaker | None = None
        self._services: Services | None = None
        self._leniency: LeniencyPolicy | None = None
        self._stack = AsyncExitStack()
        # Long-running loops (sync, call expiry) run under one TaskGroup for the core's
        # lifetime: stopped with it, and one that fails brings the core down with its error
        # instead of dying unseen.
        self._task_group = asyncio.TaskGroup()
        self._tasks: set[asyncio.Task[None]] = set()
        self._part = "core"  # what is being started, for StartupError
        self.ports: dict[str, int] = {}
        self.presence: PresenceRegistry | None = None
        self.ocpi: Ocpi | None = None
        self.manager: Manager | None = None
        self.syncer: Syncer | None = None
        self.gateway: Gateway | None = None
        self.service: CsmsService | None = None
        self.api: ApiServer | None = None

    @property
    def leniency(self) -> LeniencyPolicy:
        """The stations' leniencies: the configuration's grants over the store's."""
        if self._leniency is None:
            self._leniency = LeniencyPolicy(self.config.leniency, self.store, self.clock)
        return self._leniency

    @property
    def store(self) -> Store:
        assert self._store is not None, "Csms is not started"
        return self._store

    @property
    def transport(self) -> Transport:
        assert self._transport is not None, "Csms is not started"
        return self._transport

    @property
    def call_maker(self) -> CallMaker:
        assert self._call_maker is not None, "Csms is not started"
        return self._call_maker

    @property
    def services(self) -> Services:
        assert self._services is not None, "Csms is not started"
        return self._services

    async def __aenter__(self) -> Csms:
        try:
            await self._start()
        except BaseException as exc:
            await self._stack.aclose()
            # A port in use: the operator needs the part and the reason, not a traceback
            # through the composition root.
            if isinstance(exc, OSError):
                raise StartupError(self._part, exc) from exc
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    def _on_close(self, callback: Callable[[], Awaitable[Any]]) -> None:
        self._stack.push_async_callback(callback)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``coro`` under the core's TaskGroup until the core stops."""
        task = self._task_group.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _cancel_tasks(self) -> None:
        # TaskGroup waits for its tasks on exit; these loops run forever, so they are told
        # to stop first.
        for task in self._tasks:
            task.cancel()

    async def _start(self) -> None:
        config = self.config
        if self._store is None:
            self._store = await self._open_store()
        store = self._store
        if self._transport is None:
            self._transport = await build_transport(config)
            self._on_close(self._transport.close)
        transport = self._transport
        # Entered after the store and the transport, so the tasks stop before those close; the
        # cancelling callback runs first (the stack unwinds in reverse).
        await self._stack.enter_async_context(self._task_group)
        self._stack.callback(self._cancel_tasks)

        announcer = self._build_presence(transport)
        self._call_maker = CallMaker(transport, store, store, self.events, self.clock)
        services = self._services = build_services(config, store, self.clock)
        token_auth = self._build_ocpi(services.token_auth)
        if "manager" in self.roles:
            await self._start_manager(token_auth)
        connections = await self._start_gateway(announcer)

        # Scale-out: every process sees every manager's domain events (in process: a no-op).
        await transport.bridge_events(self.events)

        if "api" in self.roles and config.api.enabled:
            self._part = f"REST API (api.addr {config.api.addr})"
            await self._start_api(connections)

        self._part = "OCPI server (ocpi.addr)"
        await self._start_ocpi()

    async def _open_store(self) -> Store:
        storage = self.config.storage
        where = repr(storage.sqlite.path) if storage.type == "sqlite" else "at storage.postgres.dsn"
        try:
            store = await open_store(storage)
        except Exception as exc:  # whatever the driver raises, the store is the part
            raise StartupError(f"{storage.type} store ({where})", exc) from exc
        self._on_close(store.close)
        return store

    def _build_presence(self, transport: Transport) -> PresenceAnnouncer | None:
        """Scale-out over MQTT: which process holds which station's websocket. Returns this
        process's announcer when it runs a gateway (started with the gateway, see
        _start_gateway)."""
        if self.config.transport.type != "mqtt":
            return None
        from core.transport.mqtt import MqttTransport
        from core.transport.presence import PresenceAnnouncer, PresenceRegistry

        if not isinstance(transport, MqttTransport):
            return None
        announcer: PresenceAnnouncer | None = None
        if "gateway" in self.roles and self.config.gateway.enabled:
            # The Will must be set before the first connection to the broker.
            lease = self.config.transport.mqtt.presence_lease
            announcer = PresenceAnnouncer(transport, {}, self.events, lease)
            transport.will = announcer.will()
        self.presence = PresenceRegistry(transport, self.clock)
        self.presence.own = announcer
        return announcer

    def _build_ocpi(self, token_auth: TokenAuthoriser) -> TokenAuthoriser:
        """OCPI is built before the handlers: with realtime_authorization on, tokens unknown
        here are asked of the eMSPs from the OCPP handlers (any process holding the manager
        role); its server and pushes start with the API role (see _start_ocpi). Returns the
        token authoriser the handlers get."""
        if self.config.ocpi is None:
            return token_auth
        from core.ocpi import Ocpi

        self.ocpi = Ocpi(
            self.config.ocpi, self.store, self.events, self.services.tariff, self.clock
        )
        self._on_close(self.ocpi.client.close)
        return self.ocpi.authoriser(token_auth)

    async def _start_manager(self, token_auth: TokenAuthoriser) -> None:
        config, services, transport = self.config, self.services, self.transport
        deps = HandlerDeps.of(
            self.store,
            self.clock,
            self.events,
            self.call_maker,
            services,
            HandlerSettings.from_config(config),
            token_auth=token_auth,
            # A CSR without O= is signed for a station granted csr-without-o.
            station_cert_provider=LenientStationSigner(
                services.station_cert_provider, self.leniency, config.api.org_name
            ),
        )
        self.manager = Manager(
            deps, transport, self.store, self.events, self.clock, config.ocpp, self.leniency
        )
        await transport.serve(self.manager.handle)
        if not transport.single_gateway:
            self._start_call_expiry(config.gateway.call_timeout)
        if config.sync.enabled:
            self._start_sync()

    async def _start_gateway(self, announcer: PresenceAnnouncer | None) -> ConnectionRegistry:
        """The gateway, when this process runs one; returns what tells the application which
        stations are connected (here, or anywhere in a scale-out)."""
        config = self.config
        connections: ConnectionRegistry = _NoConnections()
        if "gateway" in self.roles and config.gateway.enabled:
            from core.gateway.server import Gateway

            gateway = self.gateway = Gateway(
                config.gateway,
                self.store,
                self.transport,
                self.events,
                self.clock,
                tls_keylog_file=config.observability.tls_keylog_file,
                leniency=self.leniency,
            )
            listeners = [a for a in (config.gateway.ws_addr, config.gateway.wss_addr) if a]
            self._part = f"gateway (listening on {', '.join(listeners)})"
            self._on_close(gateway.close)  # also after a partial start (a port in use)
            await gateway.start()
            self.ports.update(gateway.ports)
            connections = gateway
            if announcer is not None:
                announcer.connections = gateway.connections
                await announcer.start()
                self._on_close(announcer.close)  # before the gateway closes its websockets
        if self.presence is not None:
            from core.transport.presence import Connections

            await self.presence.start()
            self._on_close(self.presence.close)
            connections = Connections(self.presence, self.gateway)
        return connections

    def _start_call_expiry(self, call_timeout: float) -> None:
        """Scale-out: a call's answer or its timeout report can be lost between processes (a
        manager killed with it queued, a broker restart); no call stays pending past twice the
        call timeout."""
        older_than = 2 * call_timeout
        call_maker = self.call_maker

        async def sweep() -> None:
            while True:
                await asyncio.sleep(min(call_timeout, 5.0))
                try:
                    if expired := await call_maker.expire_stale(older_than):
                        log.warning("%d call(s) pending for %g s timed out", expired, older_than)
                except Exception:
                    log.exception("timing out stale calls failed")

        self._spawn(sweep(), "call-expiry")

    def _start_sync(self) -> None:
        from core.sync.syncer import Syncer

        self.syncer = Syncer(self.store, self.call_maker, self.events, self.clock, self.config.sync)
        self._spawn(self.syncer.run(), "sync")

    async def _start_api(self, connections: ConnectionRegistry) -> None:
        from core.api.server import ApiServer
        from core.application.ports import ConnectionUrls
        from core.application.service import CsmsService
        from core.station_certificates import local_ca

        api_config = self.config.api
        self.service = CsmsService(
            self.store,
            self.call_maker,
            self.events,
            self.clock,
            connections,
            urls=ConnectionUrls(api_config.host, api_config.ws_port, api_config.wss_port),
            tariff=self.services.tariff,
            own_certificates=own_certificates(self.config),
            station_ca=local_ca(self.config),
            org_name=api_config.org_name,
            leniency=self.leniency,
        )
        self.api = ApiServer(self.service, self.store, self.clock, api_config, ocpi=self.ocpi)
        await self.api.start()
        self._on_close(self.api.stop)
        assert self.api.port is not None  # bound by start()
        self.ports["api"] = self.api.port

    async def _start_ocpi(self) -> None:
        """OCPI rides with the API role: its commands go through the CsmsService built there."""
        ocpi = self.ocpi
        if ocpi is None:
            return
        if self.service is None:
            log.warning(
                "OCPI is configured but this process serves no API: its server and pushes are "
                "off here (real-time authorisation still works where the manager runs)"
            )
            return
        self.ports["ocpi"] = await ocpi.start(self.service)
        self._on_close(ocpi.stop)
