"""Commands receiver: START_SESSION, STOP_SESSION and UNLOCK_CONNECTOR go to the station through
the CSMS service; the eMSP gets an immediate CommandResponse and, once the station has answered
(or not, within ``command_timeout``), the CommandResult POSTed to its ``response_url``."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from core.application.errors import ServiceError
from core.application.views import CallView, ReservationCommand
from core.commands.availability import UnlockConnector as OcppUnlockConnector
from core.commands.base import Command as StationCommand
from core.commands.base import R
from core.commands.transactions import CancelReservation as OcppCancelReservation
from core.commands.transactions import RemoteStart, RemoteStop
from core.commands.transactions import ReserveNow as OcppReserveNow
from core.config import OcpiConfig
from core.ocpi.client import PeerClient, Route
from core.ocpi.envelope import NotFound, OcpiError, PeerError, Status
from core.ocpi.mapping import evse_ref, first_error, parse_stored, session_id, token_to_store
from core.ocpi.models import (
    CancelReservation,
    CommandResponse,
    CommandResult,
    CommandType,
    Evse,
    Location,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
    display_text,
)
from core.ocpi.pusher import OcpiDataStore, Pusher
from core.ocpi.registration import Registrar
from core.services.token_auth import ocpp201_token_type
from core.store.models import OcpiParty

log = logging.getLogger(__name__)


class StationCommands(Protocol):
    """What commands need of the application service."""

    async def execute(
        self,
        station_id: str,
        command: StationCommand[R],
        wait: float | None = None,
        origin: str = "api",
    ) -> R: ...

    async def wait_call(self, call_id: str, timeout: float) -> CallView: ...


class Commands:
    def __init__(
        self,
        config: OcpiConfig,
        service: StationCommands,
        store: OcpiDataStore,
        registrar: Registrar,
        client: PeerClient,
        pusher: Pusher,
    ) -> None:
        self.config = config
        self._service = service
        self._store = store
        self._registrar = registrar
        self._client = client
        self._pusher = pusher
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def handle(
        self, command: str, body: Any, sender: tuple[str, str] | None
    ) -> CommandResponse:
        """Run one command; ``sender`` is the caller's (country, party) from OCPI-from headers."""
        try:
            kind = CommandType(command)
        except ValueError:
            raise NotFound(f"unknown command {command!r}", Status.INVALID_PARAMETERS) from None
        if kind is CommandType.RESERVE_NOW:
            reserve = _parse(ReserveNow, body)
            return await self._reserve(
                reserve, sender or (reserve.token.country_code, reserve.token.party_id)
            )
        if kind is CommandType.CANCEL_RESERVATION:
            return await self._cancel(_parse(CancelReservation, body), sender)
        if kind is CommandType.START_SESSION:
            start = _parse(StartSession, body)
            return await self._start(
                start, sender or (start.token.country_code, start.token.party_id)
            )
        if kind is CommandType.STOP_SESSION:
            return await self._stop(_parse(StopSession, body), sender)
        return await self._unlock(_parse(UnlockConnector, body), sender)

    # -- the three commands --------------------------------------------------------------------

    async def _start(self, command: StartSession, sender: tuple[str, str]) -> CommandResponse:
        location = await self._location(command.location_id)
        evse = _evse(location, command.evse_uid)
        ref = evse_ref(evse.uid, self.config.country_code, self.config.party_id)
        connector = command.connector_id or evse.connectors[0].id
        if connector not in {c.id for c in evse.connectors}:
            raise NotFound(
                f"EVSE {evse.uid} has no connector {connector!r}", Status.UNKNOWN_LOCATION
            )
        # Known to our token store from now on, so the station's Authorize of it succeeds.
        await self._store.set_token(token_to_store(command.token))
        self._pusher.expect_command_start(
            ref.station_id, command.token.uid, command.authorization_reference
        )
        return await self._relay(
            command.response_url,
            sender,
            self._execute(
                ref.station_id,
                lambda: RemoteStart.parse(
                    {
                        "id_token": command.token.uid,
                        "evse_id": ref.evse_number or _number(connector),
                        # 1.6 carries only the uid
                        "token_type": ocpp201_token_type(command.token.type.value),
                    }
                ),
            ),
        )

    async def _stop(self, command: StopSession, sender: tuple[str, str] | None) -> CommandResponse:
        offset, page = 0, 500
        while True:
            active = await self._store.list_transactions(active=True, limit=page, offset=offset)
            for tx in active:
                if session_id(tx) == command.session_id:
                    return await self._relay(
                        command.response_url,
                        sender,
                        self._execute(
                            tx.station_id,
                            functools.partial(RemoteStop, transaction_id=tx.transaction_id),
                        ),
                    )
            if len(active) < page:
                return _response("UNKNOWN_SESSION", f"no active session {command.session_id}")
            offset += page

    async def _unlock(
        self, command: UnlockConnector, sender: tuple[str, str] | None
    ) -> CommandResponse:
        location = await self._location(command.location_id)
        evse = _evse(location, command.evse_uid)
        if command.connector_id not in {c.id for c in evse.connectors}:
            raise NotFound(
                f"EVSE {evse.uid} has no connector {command.connector_id!r}",
                Status.UNKNOWN_LOCATION,
            )
        ref = evse_ref(evse.uid, self.config.country_code, self.config.party_id)
        connector = _number(command.connector_id) or 1
        runtime = await self._store.lookup_runtime_details(ref.station_id)
        if runtime is not None and runtime.ocpp_version == "1.6":
            evse_number = ref.evse_number or connector  # 1.6 unlocks a connector id
        else:
            evse_number = ref.evse_number or 1
        return await self._relay(
            command.response_url,
            sender,
            self._execute(
                ref.station_id,
                lambda: OcppUnlockConnector.parse(
                    {"evse_id": evse_number, "connector_id": connector}
                ),
            ),
        )

    async def _reserve(self, command: ReserveNow, sender: tuple[str, str]) -> CommandResponse:
        location = await self._location(command.location_id)
        if command.evse_uid is None:
            # The whole location: OCPP reserves per station, so it must be a one-station site.
            stations = {
                evse_ref(e.uid, self.config.country_code, self.config.party_id).station_id
                for e in location.evses or []
            }
            if len(stations) != 1:
                return _response("REJECTED", "evse_uid is required: the location has many stations")
            station_id, evse_number = stations.pop(), 0
        else:
            ref = evse_ref(
                _evse(location, command.evse_uid).uid,
                self.config.country_code,
                self.config.party_id,
            )
            station_id, evse_number = ref.station_id, ref.evse_number or 1
        external = _external_id(sender, command.reservation_id)
        # OCPI: a RESERVE_NOW with a known reservation_id replaces that reservation.
        previous = await self._store.lookup_external_reservation(external)
        if previous is not None and previous.status.value in ("Requested", "Accepted"):
            with contextlib.suppress(ServiceError):
                await self._execute(
                    previous.station_id,
                    lambda: OcppCancelReservation(reservation_id=previous.reservation_id),
                )
        await self._store.set_token(token_to_store(command.token))

        async def reserve() -> CallView:
            result: ReservationCommand = await self._execute(
                station_id,
                lambda: OcppReserveNow.parse(
                    {
                        "id_token": command.token.uid,
                        "expires_at": command.expiry_date,
                        "evse_id": evse_number,
                        # 1.6 carries only the uid
                        "token_type": ocpp201_token_type(command.token.type.value),
                        "group_id": command.token.group_id,
                        "external_id": external,
                    }
                ),
            )
            return result.call

        return await self._relay(command.response_url, sender, reserve())

    async def _cancel(
        self, command: CancelReservation, sender: tuple[str, str] | None
    ) -> CommandResponse:
        reservation = None
        if sender is not None:
            reservation = await self._store.lookup_external_reservation(
                _external_id(sender, command.reservation_id)
            )
        if reservation is None:
            return _response("REJECTED", f"unknown reservation {command.reservation_id}")
        return await self._relay(
            command.response_url,
            sender,
            self._execute(
                reservation.station_id,
                lambda: OcppCancelReservation(reservation_id=reservation.reservation_id),
            ),
        )

    # -- shared ----------------------------------------------------------------------------------

    async def _execute(self, station_id: str, make: Callable[[], StationCommand[R]]) -> R:
        """Build the station command (a bound it breaks is a ServiceError like any refusal,
        which the relay answers) and run it."""
        return await self._service.execute(station_id, make(), origin="ocpi")

    async def _location(self, location_id: str) -> Location:
        stored = await self._store.lookup_location(location_id)
        if stored is None:
            raise NotFound(f"unknown location {location_id}", Status.UNKNOWN_LOCATION)
        return parse_stored(stored)

    async def _relay(
        self, response_url: str, sender: tuple[str, str] | None, sending: Any
    ) -> CommandResponse:
        """Send the OCPP call; answer at once, report the station's answer later."""
        try:
            call: CallView = await sending
        except ServiceError as exc:
            return _response("REJECTED", exc.message)
        task = asyncio.create_task(self._report(call.call_id, response_url, sender))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return CommandResponse(result="ACCEPTED", timeout=int(self.config.command_timeout))

    async def _report(
        self, call_id: str, response_url: str, sender: tuple[str, str] | None
    ) -> None:
        try:
            call = await self._service.wait_call(call_id, self.config.command_timeout)
            result = _result(call)
            party = await self._party(sender)
            if party is None:
                log.warning("OCPI: no registered party to send the result of %s to", call_id)
                return
            route = Route(
                self.config.country_code, self.config.party_id, party.country_code, party.party_id
            )
            reply = await self._client.request(
                "POST", response_url, party.token, result.to_json(), route
            )
            if not reply.ok:
                log.warning("OCPI: command result to %s: %s", response_url, reply.describe())
        except PeerError as exc:
            log.warning("OCPI: command result not delivered: %s", exc.message)
        except ServiceError as exc:
            log.warning("OCPI: command %s: %s", call_id, exc.message)

    async def _party(self, sender: tuple[str, str] | None) -> OcpiParty | None:
        if sender is not None:
            found = await self._registrar.party("EMSP", *sender)
            if found is not None:
                return found
        emsps = await self._registrar.parties("EMSP")
        return emsps[0] if len(emsps) == 1 else None


# The station's refusals that OCPI names (CommandResultType).
_REFUSALS = {
    "Occupied": "EVSE_OCCUPIED",
    "Faulted": "EVSE_INOPERATIVE",
    "Unavailable": "EVSE_INOPERATIVE",
}


def _external_id(sender: tuple[str, str], reservation_id: str) -> str:
    return f"{sender[0]}*{sender[1]}*{reservation_id}"


def _result(call: CallView) -> CommandResult:
    if call.state == "answered":
        status = (call.response or {}).get("status", "")
        if status in ("Accepted", "Unlocked"):
            return CommandResult(result="ACCEPTED")
        if status in _REFUSALS:
            return CommandResult(
                result=_REFUSALS[status], message=display_text(f"station answered {status}")
            )
        return CommandResult(result="REJECTED", message=display_text(f"station answered {status}"))
    if call.state == "error":
        reason = f"{call.error_code}: {call.error_description}".strip(": ")
        return CommandResult(result="FAILED", message=display_text(reason or "station error"))
    return CommandResult(result="TIMEOUT", message=display_text("the station did not answer"))


def _response(result: str, why: str) -> CommandResponse:
    return CommandResponse(result=result, timeout=0, message=display_text(why))


def _evse(location: Location, evse_uid: str | None) -> Evse:
    evses = location.evses or []
    if evse_uid is None:
        if len(evses) == 1:
            return evses[0]
        raise OcpiError(f"location {location.id} has {len(evses)} EVSEs: evse_uid is required")
    for evse in evses:
        if evse.uid == evse_uid:
            return evse
    raise NotFound(f"location {location.id} has no EVSE {evse_uid}", Status.UNKNOWN_LOCATION)


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], body: Any) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise OcpiError(f"invalid {model.__name__} command: {first_error(exc)}") from exc
