"""The application service: what an operator can see and do, for the REST API and the console.

Both clients go through :class:`CsmsService` and nothing else — the console never reaches into
the store, the API never builds OCPP payloads. Every method returns plain pydantic views
(``model_dump(mode="json", by_alias=True)`` gives the API's camelCase JSON; the console reads the
snake_case attributes) and fails with one of the typed :class:`ServiceError` subclasses, which the
API maps to HTTP statuses and the console to notifications.

Station commands are declared in :mod:`core.commands`, version-neutral, and mapped to the right
action per the station's OCPP version (1.6 ``RemoteStartTransaction`` vs 2.0.1
``RequestStartTransaction`` …); :meth:`CsmsService.execute` runs one. Every command is a call
record (see ``core.handlers.call_maker``); ``wait`` optionally blocks until the answer.

The service is one class per responsibility, composed here with the constructor:
:mod:`.station_views`, :mod:`.station_admin`, :mod:`.station_security`, :mod:`.sync_inputs`,
:mod:`.certificate_store`, :mod:`.command_context`, :mod:`.queries`, :mod:`.tokens` and
:mod:`.transaction_admin`, over the shared state in :mod:`.base`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.application.certificate_store import CertificateStore
from core.application.command_context import StationCommands
from core.application.leniency import StationLeniency
from core.application.ports import ConnectionRegistry, ConnectionUrls, ServiceStore
from core.application.queries import ActivityQueries
from core.application.station_admin import StationAdmin
from core.application.station_security import StationSecurity
from core.application.station_views import StationViews
from core.application.sync_inputs import SyncInputs
from core.application.tokens import TokenAdmin
from core.application.transaction_admin import TransactionAdmin
from core.clock import Clock
from core.commands.base import Command, R
from core.config import LeniencyConfig
from core.events import Event, EventBus, Subscription
from core.handlers.call_maker import CallMaker
from core.leniency.policy import LeniencyPolicy
from core.services.certificates import LocalCa
from core.services.emaid import normalise_emaid
from core.services.protocols import TariffService


class CsmsService(
    StationViews,
    StationAdmin,
    StationSecurity,
    SyncInputs,
    CertificateStore,
    StationCommands,
    ActivityQueries,
    TokenAdmin,
    StationLeniency,
    TransactionAdmin,
):
    """Everything the REST API and the console can do. One instance per process."""

    def __init__(
        self,
        store: ServiceStore,
        call_maker: CallMaker,
        events: EventBus,
        clock: Clock,
        connections: ConnectionRegistry,
        *,
        urls: ConnectionUrls | None = None,
        tariff: TariffService | None = None,
        normalise_emaid: Callable[[str], str] = normalise_emaid,
        recent_limit: int = 20,
        own_certificates: Sequence[tuple[str, str]] = (),
        station_ca: LocalCa | None = None,
        org_name: str = "Thoughtworks",
        leniency: LeniencyPolicy | None = None,
    ) -> None:
        self._store = store
        self._calls = call_maker
        self._events = events
        self._clock = clock
        self._connections = connections
        self._urls = urls or ConnectionUrls()
        self._tariff = tariff
        self._normalise_emaid = normalise_emaid
        self._recent = recent_limit
        self._own_certificates = list(own_certificates)
        self._station_ca = station_ca
        self._org_name = org_name
        # Without one (tests, the offline command line): no configuration grants, only stored.
        self._leniency = leniency or LeniencyPolicy(LeniencyConfig(), store, clock)

    # -- events ---------------------------------------------------------------------------

    def subscribe(self, maxsize: int | None = None) -> Subscription:
        """A live feed of the core's events; call ``close()`` on it when done."""
        return self._events.subscribe(maxsize)

    def watch(self, observer: Callable[[Event], None]) -> Callable[[], None]:
        """``observer`` called with each event as it is published (quick work only: counting);
        returns the function that stops it."""
        return self._events.watch(observer)

    def connected_stations(self) -> set[str]:
        return set(self._connections.connected())

    # -- station commands -------------------------------------------------------------------

    async def execute(
        self,
        station_id: str,
        command: Command[R],
        wait: float | None = None,
        origin: str = "api",
    ) -> R:
        """Run one of :mod:`core.commands` on a station; ``wait`` blocks up to that many
        seconds for the answer."""
        # Here rather than in StationCommands: a command may need any part of the service
        # (rotate_password, upgrade_security_profile), and only the composed class is the whole
        # CommandContext, which mypy checks at this call.
        return await command.run(self, station_id, wait, origin)
