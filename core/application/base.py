"""The state every part of :class:`~core.application.service.CsmsService` shares.

The service is composed of one class per responsibility (station views, station admin, the
command context, …), each a subclass of :class:`ServiceBase`: the attributes are declared here
with their types so mypy checks every part on its own, and set once, by ``CsmsService``'s
constructor.
"""

from __future__ import annotations

from collections.abc import Callable

from core.application.errors import NotFound
from core.application.ports import ConnectionRegistry, ConnectionUrls, ServiceStore
from core.clock import Clock
from core.events import EventBus
from core.handlers.call_maker import CallMaker
from core.leniency.policy import LeniencyPolicy
from core.services.certificates import LocalCa
from core.services.protocols import TariffService
from core.store.models import Station


class ServiceBase:
    """The service's collaborators and settings, and the lookup most operations start with."""

    _store: ServiceStore
    _calls: CallMaker
    _events: EventBus
    _clock: Clock
    _connections: ConnectionRegistry
    _urls: ConnectionUrls
    # None: no cost estimate for a transaction the station reported no cost for.
    _tariff: TariffService | None
    _normalise_emaid: Callable[[str], str]
    # How many events, messages, calls and reservations a station's detail shows.
    _recent: int
    # (role, path) of the CSMS's own certificates, for the certificate overview.
    _own_certificates: list[tuple[str, str]]
    # None: no local CA, so registration cannot issue client certificates.
    _station_ca: LocalCa | None
    # The O= of station certificates issued by the local CA (a CSR must carry it).
    _org_name: str
    # The stations' leniencies: the configuration's grants and the store's.
    _leniency: LeniencyPolicy

    async def _station(self, station_id: str) -> Station:
        station = await self._store.lookup_station(station_id)
        if station is None:
            raise NotFound(f"station {station_id} is not registered", field="csId")
        return station
