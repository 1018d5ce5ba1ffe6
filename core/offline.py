"""The core without stations, for one-shot commands (the command line): the configured store,
and the application service over it with no station connected.

Built here, beside the composition root (:mod:`core.runtime`), so that callers outside core get a
working service without reaching for the store, the call maker or any other part it is made of.
It builds no gateway, transport, handlers or servers: a command that lists tokens loads none of
them, and nothing here can send a message to a station.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.application.ports import ConnectionUrls
from core.application.service import CsmsService
from core.clock import Clock, SystemClock
from core.config import Config, ConfigError
from core.events import EventBus
from core.handlers.call_maker import CallMaker
from core.ocpp.types import Message, OcppVersion
from core.station_certificates import local_ca
from core.store.factory import open_store
from core.store.protocols import Store


class StoreUnavailable(Exception):
    """The configured store could not be opened: which one and why, in one line."""

    def __init__(self, storage_type: str, cause: BaseException) -> None:
        super().__init__(f"cannot open the {storage_type} store: {cause}")
        self.storage_type = storage_type


class NoStations:
    """Connection registry of a process that holds no station's websocket and sees no gateway's:
    every station is offline, so the service refuses station commands before making a call.
    (The runtime has its own for a process without a gateway: importing this module loads the
    application service, which a gateway-only process never does.)"""

    def is_connected(self, station_id: str) -> bool:
        return False

    def connected(self) -> set[str]:
        return set()


class _Unreachable:
    """The call maker's way out when there is none. :class:`NoStations` stops commands before
    they get here; this is the backstop should one ever try."""

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
        raise RuntimeError("no station can be reached from here (no gateway, no transport)")


@asynccontextmanager
async def offline_store(config: Config) -> AsyncIterator[Store]:
    """The configured store, opened (which applies pending migrations) and closed after use.
    Failing to open it raises :class:`StoreUnavailable`."""
    try:
        store = await open_store(config.storage)
    except Exception as exc:  # whatever the driver raises, the store is the part at fault
        raise StoreUnavailable(config.storage.type, exc) from exc
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def offline_service(
    config: Config, *, with_ca: bool = False, clock: Clock | None = None
) -> AsyncIterator[CsmsService]:
    """The application service over the configured store, with no station connected.

    ``with_ca``: with the local CA that issues station certificates, when one is configured; a
    CA file that cannot be read raises :class:`ConfigError` naming its key (before the store is
    opened). A store that cannot be opened raises :class:`StoreUnavailable`."""
    station_ca = None
    if with_ca:
        try:
            station_ca = local_ca(config)
        except ValueError as exc:  # an unreadable file named by the configuration
            raise ConfigError(str(exc)) from exc
    clock = clock or SystemClock()
    # The service publishes what it changes; with no subscriber here, the bus drops it.
    events = EventBus()
    async with offline_store(config) as store:
        yield CsmsService(
            store,
            CallMaker(_Unreachable(), store, store, events, clock),
            events,
            clock,
            NoStations(),
            urls=ConnectionUrls(config.api.host, config.api.ws_port, config.api.wss_port),
            station_ca=station_ca,
            org_name=config.api.org_name,
        )
