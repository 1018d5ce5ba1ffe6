"""OCPI as one runtime component: built by the composition root, it implements the admin API's
:class:`~core.api.ocpi_admin.OcpiAdmin` port, serves the OCPI interface and pushes to eMSPs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from core.api.ocpi_admin import OcpiAdminError
from core.clock import Clock
from core.config import OcpiConfig
from core.events import EventBus
from core.ocpi.client import PeerClient
from core.ocpi.commands import Commands, StationCommands
from core.ocpi.envelope import OcpiError
from core.ocpi.mapping import location_from_admin, stored_location
from core.ocpi.pusher import OcpiDataStore, Pusher
from core.ocpi.realtime import RealTimeAuthoriser
from core.ocpi.registration import Registrar
from core.ocpi.server import OcpiServer
from core.services.protocols import TariffService, TokenAuthoriser

log = logging.getLogger(__name__)


class Ocpi:
    """``await start(service)`` binds the port (read back from :attr:`port`) and starts the
    push worker; ``await stop()`` undoes both. The admin calls work before ``start``."""

    def __init__(
        self,
        config: OcpiConfig,
        store: OcpiDataStore,
        events: EventBus,
        tariff: TariffService,
        clock: Clock,
    ) -> None:
        self.config = config
        self._store = store
        self._events = events
        self._tariff = tariff
        self._clock = clock
        self.client = PeerClient(timeout=config.push_timeout, retries=config.push_retries)
        self.registrar = Registrar(config, store, self.client)
        self.pusher = Pusher(config, store, self.registrar, self.client, tariff, clock)
        self.server: OcpiServer | None = None
        self.commands: Commands | None = None
        self._worker: asyncio.Task[None] | None = None

    @property
    def port(self) -> int | None:
        return self.server.port if self.server else None

    async def start(self, service: StationCommands) -> int:
        self.commands = Commands(
            self.config, service, self._store, self.registrar, self.client, self.pusher
        )
        self.server = OcpiServer(
            self.config,
            self.registrar,
            self.pusher,
            self.commands,
            self._store,
            self._tariff,
            self._clock,
        )
        subscription = self._events.subscribe()
        self._worker = asyncio.create_task(self._push_events(subscription), name="ocpi-push")
        return await self.server.start()

    async def _push_events(self, subscription: Any) -> None:
        try:
            async for event in subscription:
                await self.pusher.handle(event)
        finally:
            subscription.close()

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self.commands is not None:
            await self.commands.close()
        if self.server is not None:
            await self.server.stop()
        await self.client.close()

    def authoriser(self, local: TokenAuthoriser) -> TokenAuthoriser:
        """The token authoriser to give the OCPP handlers: ``local`` itself, or with
        ``realtime_authorization`` on, one that asks the eMSPs about unknown tokens."""
        if not self.config.realtime_authorization:
            return local
        return RealTimeAuthoriser(
            local,
            self._store,
            self.registrar,
            self.client,
            self.config.country_code,
            self.config.party_id,
        )

    # -- the admin API's port --------------------------------------------------------------------

    async def register(self, token: str, url: str | None, status: str | None) -> None:
        if not url:
            await self.registrar.store_registration(token, status)
            return
        try:
            await self.registrar.register_with(url, token)
        except OcpiError as exc:
            raise OcpiAdminError(exc.message) from exc

    async def put_location(self, location_id: str, location: dict[str, Any]) -> None:
        built = location_from_admin(location_id, location, self._clock.now())
        if built.country_code != self.config.country_code or built.party_id != self.config.party_id:
            raise ValueError(
                f"country_code/party_id must be ours ({self.config.country_code}/"
                f"{self.config.party_id}), got {built.country_code}/{built.party_id}"
            )
        built = await self.pusher.with_current_status(built)
        await self._store.set_location(stored_location(built))
        failures = await self.pusher.push_location(built)
        if failures:
            raise OcpiAdminError("location stored; push failed for " + "; ".join(failures))
