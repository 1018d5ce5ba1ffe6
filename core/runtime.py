"""The one composition root: ``async with Csms(config) as csms:`` builds every concrete part,
starts the servers inside the running loop, and tears them down in reverse order.

Roles: ``gateway`` (websockets), ``manager`` (routers + handlers), ``api`` (admin REST API). The
embedded shape runs all of them over the in-process transport; the scale-out shape runs gateway
and manager processes separately over MQTT (``core.transport.mqtt``). Tests pass port 0 in the
config and read the bound ports back from :attr:`Csms.ports`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, cast

from core.clock import Clock, SystemClock
from core.config import Config
from core.events import EventBus
from core.handlers.call_maker import CallMaker
from core.handlers.deps import HandlerDeps, HandlerSettings
from core.manager import Manager
from core.services.factory import Services, build_services
from core.store.factory import open_store
from core.store.protocols import Store
from core.transport.base import Transport
from core.transport.local import LocalTransport

if TYPE_CHECKING:
    from core.transport.mqtt import MqttTransport

log = logging.getLogger(__name__)

ALL_ROLES = frozenset({"gateway", "manager", "api"})


class StartupError(Exception):
    """The core could not start serving: which part, and why, in one line for the operator."""

    def __init__(self, part: str, cause: BaseException) -> None:
        reason = getattr(cause, "strerror", None) if isinstance(cause, OSError) else None
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
    local = getattr(provider, "local", None)
    if local is not None and local.cert.file:
        out.append(("local CA (signs station certificates)", local.cert.file))
    return out


class Csms:
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
        self._stack = AsyncExitStack()
        self.ports: dict[str, int] = {}
        self.gateway: Any = None
        self.api: Any = None
        self.manager: Manager | None = None
        self.service: Any = None

    @property
    def store(self) -> Store:
        assert self._store is not None, "Csms is not started"
        return self._store

    @property
    def transport(self) -> Transport:
        assert self._transport is not None, "Csms is not started"
        return self._transport

    async def __aenter__(self) -> Csms:
        self._part = "core"
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

    async def _start(self) -> None:
        config = self.config
        if self._store is None:
            where = (
                repr(config.storage.sqlite.path)
                if config.storage.type == "sqlite"
                else "at storage.postgres.dsn"
            )
            try:
                self._store = await open_store(config.storage)
            except Exception as exc:  # whatever the driver raises, the store is the part
                raise StartupError(f"{config.storage.type} store ({where})", exc) from exc
            self._on_close(self._store.close)
        store = self._store
        if self._transport is None:
            self._transport = await build_transport(config)
            self._on_close(self._transport.close)
        transport = self._transport
        self.presence: Any = None
        announcer: Any = None
        if config.transport.type == "mqtt" and hasattr(transport, "subscribe_raw"):
            from core.transport.presence import PresenceAnnouncer, PresenceRegistry

            mqtt = cast("MqttTransport", transport)
            lease = config.transport.mqtt.presence_lease
            if "gateway" in self.roles and config.gateway.enabled:
                # The Will must be set before the first connection to the broker.
                announcer = PresenceAnnouncer(mqtt, {}, self.events, lease)
                mqtt.will = announcer.will()
            self.presence = PresenceRegistry(mqtt, self.clock)
            self.presence.own = announcer
        self.call_maker = CallMaker(transport, store, store, self.events, self.clock)
        self.services: Services = build_services(config, store, self.clock)
        # OCPI is built before the handlers: with realtime_authorization on, tokens unknown here
        # are asked of the eMSPs from the OCPP handlers (any process holding the manager role);
        # its server and pushes start with the API role (see _start_ocpi).
        self.ocpi: Any = None
        token_auth = self.services.token_auth
        if config.ocpi is not None:
            from core.ocpi import Ocpi

            self.ocpi = Ocpi(config.ocpi, store, self.events, self.services.tariff, self.clock)
            self._on_close(self.ocpi.client.close)
            token_auth = self.ocpi.authoriser(token_auth)

        if "manager" in self.roles:
            deps = HandlerDeps(
                store=store,
                clock=self.clock,
                events=self.events,
                call_maker=self.call_maker,
                token_auth=token_auth,
                tariff=self.services.tariff,
                contract_validator=self.services.contract_validator,
                ocsp=self.services.ocsp,
                contract_provider=self.services.contract_provider,
                station_cert_provider=self.services.station_cert_provider,
                settings=HandlerSettings(heartbeat_interval_s=int(config.ocpp.heartbeat_interval)),
            )
            self.manager = Manager(deps, transport, store, self.events, self.clock, config.ocpp)
            await transport.serve(self.manager.handle)
            if not getattr(transport, "single_gateway", True):
                self._start_call_expiry(config.gateway.call_timeout)
            if config.sync.enabled:
                await self._start_sync()

        connections: Any = _NoConnections()
        if "gateway" in self.roles and config.gateway.enabled:
            from core.gateway.server import Gateway

            self.gateway = Gateway(
                config.gateway,
                store,
                transport,
                self.events,
                self.clock,
                tls_keylog_file=config.observability.tls_keylog_file,
            )
            listeners = [a for a in (config.gateway.ws_addr, config.gateway.wss_addr) if a]
            self._part = f"gateway (listening on {', '.join(listeners)})"
            self._on_close(self.gateway.close)  # also after a partial start (a port in use)
            await self.gateway.start()
            self.ports.update(self.gateway.ports)
            connections = self.gateway
            if announcer is not None:
                announcer.connections = self.gateway.connections
                await announcer.start()
                self._on_close(announcer.close)  # before the gateway closes its websockets
        if self.presence is not None:
            from core.transport.presence import Connections

            await self.presence.start()
            self._on_close(self.presence.close)
            connections = Connections(self.presence, self.gateway)

        bridge = getattr(transport, "bridge_events", None)
        if bridge is not None:  # scale-out: every process sees every manager's domain events
            await bridge(self.events)

        if "api" in self.roles and config.api.enabled:
            self._part = f"REST API (api.addr {config.api.addr})"
            await self._start_api(connections)

        self._part = "OCPI server (ocpi.addr)"
        await self._start_ocpi()

    def _start_call_expiry(self, call_timeout: float) -> None:
        """Scale-out: a call's answer or its timeout report can be lost between processes (a
        manager killed with it queued, a broker restart); no call stays pending past twice the
        call timeout."""
        older_than = 2 * call_timeout

        async def sweep() -> None:
            while True:
                await asyncio.sleep(min(call_timeout, 5.0))
                try:
                    if expired := await self.call_maker.expire_stale(older_than):
                        log.warning("%d call(s) pending for %g s timed out", expired, older_than)
                except Exception:
                    log.exception("timing out stale calls failed")

        task = asyncio.create_task(sweep(), name="call-expiry")

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        self._on_close(stop)

    async def _start_sync(self) -> None:
        from core.sync.syncer import Syncer

        self.syncer = Syncer(self.store, self.call_maker, self.events, self.clock, self.config.sync)
        task = asyncio.create_task(self.syncer.run(), name="sync")

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        self._on_close(stop)

    async def _start_api(self, connections: Any) -> None:
        from core.api.server import ApiServer
        from core.service import ConnectionUrls, CsmsService
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
        )
        self.api = ApiServer(self.service, self.store, self.clock, api_config, ocpi=self.ocpi)
        await self.api.start()
        self._on_close(self.api.stop)
        self.ports["api"] = int(self.api.port)

    async def _start_ocpi(self) -> None:
        """OCPI rides with the API role: its commands go through the CsmsService built there."""
        ocpi = self.ocpi
        if ocpi is None:
            return
        if getattr(self, "service", None) is None:
            log.warning(
                "OCPI is configured but this process serves no API: its server and pushes are "
                "off here (real-time authorisation still works where the manager runs)"
            )
            return
        self.ports["ocpi"] = await ocpi.start(self.service)
        self._on_close(ocpi.stop)
