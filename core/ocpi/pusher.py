"""What we push to eMSPs as it happens: locations and EVSE status (to every eMSP), sessions and
CDRs (to the eMSP that owns the session's token). Driven by the core's events, one at a time,
so a session's PUTs reach the eMSP in the order they happened."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.clock import Clock, iso
from core.config import OcpiConfig
from core.events import (
    Event,
    Resync,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)
from core.ocpi.client import PeerClient, Route
from core.ocpi.envelope import PeerError
from core.ocpi.mapping import (
    Place,
    build_cdr,
    build_session,
    build_tariff,
    charge,
    evse_ref,
    evse_status,
    find_place,
    parse_stored,
    session_id,
    stored_location,
)
from core.ocpi.models import Location, Session
from core.ocpi.registration import Registrar
from core.services.protocols import TariffService
from core.store.models import OcpiParty, Token, Transaction
from core.store.protocols import (
    LocationStore,
    OcpiStore,
    ReservationStore,
    RuntimeStore,
    TokenStore,
    TransactionStore,
)

log = logging.getLogger(__name__)


class OcpiDataStore(
    LocationStore,
    RuntimeStore,
    TransactionStore,
    TokenStore,
    OcpiStore,
    ReservationStore,
    Protocol,
):
    """The store roles OCPI reads and writes."""


@dataclass(slots=True)
class CommandStart:
    """A START_SESSION we relayed: the session it leads to is authorised by COMMAND."""

    station_id: str
    token_uid: str
    authorization_reference: str | None


class Pusher:
    def __init__(
        self,
        config: OcpiConfig,
        store: OcpiDataStore,
        registrar: Registrar,
        client: PeerClient,
        tariff: TariffService,
        clock: Clock,
    ) -> None:
        self.config = config
        self._store = store
        self._registrar = registrar
        self._client = client
        self._tariff = tariff
        self._clock = clock
        self._expected: list[CommandStart] = []
        self._by_command: dict[str, str | None] = {}  # session id → authorization reference

    def _route(self, party: OcpiParty) -> Route:
        return Route(
            self.config.country_code, self.config.party_id, party.country_code, party.party_id
        )

    # -- the event loop ----------------------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        """React to one event; a failed push is logged, never raised (the next event goes on)."""
        try:
            if isinstance(event, StatusChanged):
                await self.on_status(event.station_id)
            elif isinstance(event, TransactionStarted | TransactionUpdated | TransactionEnded):
                await self.on_transaction(event.station_id, event.transaction_id)
            elif isinstance(event, Resync):
                log.warning("OCPI: %d events were dropped; pushes may be missing", event.dropped)
        except PeerError as exc:
            log.warning("OCPI push failed: %s", exc.message)
        except Exception:
            log.exception("OCPI: handling %s failed", type(event).__name__)

    # -- locations ---------------------------------------------------------------------------------

    async def locations(self) -> list[Location]:
        found: list[Location] = []
        offset, page = 0, 200
        while True:
            batch = await self._store.list_locations(offset, page)
            found.extend(parse_stored(s) for s in batch)
            if len(batch) < page:
                return found
            offset += page

    async def with_current_status(self, location: Location) -> Location:
        """EVSE statuses from what the stations last reported (UNKNOWN when nothing)."""
        for evse in location.evses or []:
            ref = evse_ref(evse.uid, self.config.country_code, self.config.party_id)
            statuses = await self._store.list_connector_statuses(ref.station_id)
            evse.status = evse_status(statuses, ref.evse_number)
        return location

    async def push_location(self, location: Location) -> list[str]:
        """PUT the location to every eMSP; returns what failed (empty = all delivered)."""
        failures = []
        for party in await self._registrar.parties("EMSP"):
            try:
                url = await self._registrar.endpoint(party, "locations")
                target = (
                    f"{url.rstrip('/')}/{location.country_code}/{location.party_id}/{location.id}"
                )
                reply = await self._client.request(
                    "PUT", target, party.token, location.to_json(), self._route(party)
                )
                if not reply.ok:
                    failures.append(f"{party.country_code}*{party.party_id}: {reply.describe()}")
            except PeerError as exc:
                failures.append(f"{party.country_code}*{party.party_id}: {exc.message}")
        return failures

    async def on_status(self, station_id: str) -> None:
        """A connector changed: update the EVSEs of this station and PATCH the changed ones."""
        statuses = await self._store.list_connector_statuses(station_id)
        for location in await self.locations():
            changed = []
            for evse in location.evses or []:
                ref = evse_ref(evse.uid, self.config.country_code, self.config.party_id)
                if ref.station_id != station_id:
                    continue
                status = evse_status(statuses, ref.evse_number)
                if status != evse.status:
                    evse.status, evse.last_updated = status, self._clock.now()
                    changed.append(evse)
            if not changed:
                continue
            location.last_updated = self._clock.now()
            await self._store.set_location(stored_location(location))
            for evse in changed:
                await self._patch_evse(location, evse.uid, evse.status, evse.last_updated)

    async def _patch_evse(
        self, location: Location, evse_uid: str, status: str, at: datetime
    ) -> None:
        body = {"status": status, "last_updated": iso(at)}
        for party in await self._registrar.parties("EMSP"):
            url = await self._registrar.endpoint(party, "locations")
            target = f"{url.rstrip('/')}/{location.country_code}/{location.party_id}/{location.id}/{evse_uid}"
            reply = await self._client.request(
                "PATCH", target, party.token, body, self._route(party)
            )
            if not reply.ok:
                log.warning("OCPI: EVSE status PATCH to %s: %s", target, reply.describe())

    # -- sessions and CDRs ---------------------------------------------------------------------

    def expect_command_start(
        self, station_id: str, token_uid: str, authorization_reference: str | None
    ) -> None:
        self._expected.append(CommandStart(station_id, token_uid, authorization_reference))
        del self._expected[:-100]  # a bounded memory of starts that never happened

    def _claim_command_start(self, tx: Transaction) -> bool:
        sid = session_id(tx)
        if sid in self._by_command:
            return True
        for i, start in enumerate(self._expected):
            if start.station_id == tx.station_id and start.token_uid == tx.id_token:
                del self._expected[i]
                self._by_command[sid] = start.authorization_reference
                return True
        return False

    async def session_of(self, tx: Transaction, locations: Sequence[Location]) -> Session | None:
        """The OCPI session of a transaction, or None when its station is in no location."""
        place = find_place(locations, tx, self.config.country_code, self.config.party_id)
        if place is None:
            return None
        token = await self._store.lookup_token(tx.id_token) if tx.id_token else None
        return self._session(tx, place, token)

    def _session(self, tx: Transaction, place: Place, token: Token | None) -> Session:
        session = build_session(
            tx,
            place,
            token,
            charge(tx, self._tariff),
            self.config.country_code,
            self.config.party_id,
            self._clock.now(),
            by_command=self._claim_command_start(tx),
        )
        session.authorization_reference = self._by_command.get(session.id)
        return session

    async def on_transaction(self, station_id: str, transaction_id: str) -> None:
        # Without its readings: its energy is its register bounds (every event of a long
        # session would otherwise read all the readings so far again).
        tx = await self._store.find_transaction(station_id, transaction_id, readings=False)
        if tx is None:
            return
        locations = await self.locations()
        place = find_place(locations, tx, self.config.country_code, self.config.party_id)
        if place is None:
            log.info("OCPI: station %s is in no location; session not pushed", station_id)
            return
        token = await self._store.lookup_token(tx.id_token) if tx.id_token else None
        session = self._session(tx, place, token)
        party = None
        if token is not None:
            party = await self._registrar.party("EMSP", token.country_code, token.party_id)
        if party is None:
            log.info("OCPI: no registered eMSP owns token %s; session not pushed", tx.id_token)
            return
        await self._put_session(party, session)
        if not tx.active:
            await self._post_cdr(party, session, place)
            self._by_command.pop(session.id, None)

    async def _put_session(self, party: OcpiParty, session: Session) -> None:
        url = await self._registrar.endpoint(party, "sessions")
        target = f"{url.rstrip('/')}/{session.country_code}/{session.party_id}/{session.id}"
        reply = await self._client.request(
            "PUT", target, party.token, session.to_json(), self._route(party)
        )
        if not reply.ok:
            raise PeerError(f"PUT session {session.id}: {reply.describe()}")

    async def _post_cdr(self, party: OcpiParty, session: Session, place: Place) -> None:
        url = await self._registrar.endpoint(party, "cdrs")
        tariff = build_tariff(
            self._tariff, self.config.country_code, self.config.party_id, session.start_date_time
        )
        cdr = build_cdr(session, place, tariff, self._clock.now())
        reply = await self._client.request("POST", url, party.token, cdr, self._route(party))
        if not reply.ok:
            raise PeerError(f"POST CDR {session.id}: {reply.describe()}")
