"""Commands about charging sessions: start and stop them remotely, ask about one, reserve."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from core import limits
from core.application.errors import Conflict, Invalid, NotFound, ServiceError
from core.application.rules import check_int_text, iso, new_request_id
from core.application.views import CallView, ReservationCommand, call_view, reservation_view
from core.commands.base import V201_ONLY, Command, CommandContext
from core.commands.fields import (
    EvseId,
    IdTokenText,
    IdTokenType,
    RequestId,
    ReservationId,
    Timestamp,
    TransactionIdText,
)
from core.handlers.reservations import answered_status
from core.ocpp.types import JsonObject, OcppVersion
from core.store.models import CallState, Reservation, ReservationStatus


class RemoteStart(Command[CallView]):
    name: ClassVar[str] = "remote_start"
    path: ClassVar[str] = "remote-start"
    title: ClassVar[str] = "Remote start"
    summary: ClassVar[str] = "1.6 RemoteStartTransaction / 2.0.1 RequestStartTransaction"
    form_defaults: ClassVar[dict[str, str]] = {"evse_id": "1", "token_type": "ISO14443"}

    id_token: IdTokenText = Field(title="Id token", description="RFID uid or eMAID")
    evse_id: EvseId | None = Field(None, title="Connector / EVSE", description="1.6: connectorId.")
    token_type: IdTokenType = Field("Central", title="Token type (2.0.1)")
    remote_start_id: RequestId | None = Field(
        None, title="Remote start id (2.0.1)", description="Generated when not given."
    )

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        if version is OcppVersion.V16:
            request: JsonObject = {"idTag": self.id_token}
            if self.evse_id:
                request["connectorId"] = self.evse_id
            return "RemoteStartTransaction", request
        start_id = self.remote_start_id
        request = {
            "idToken": {"idToken": self.id_token, "type": self.token_type},
            "remoteStartId": start_id if start_id is not None else new_request_id(),
        }
        if self.evse_id:
            request["evseId"] = self.evse_id
        return "RequestStartTransaction", request


class RemoteStop(Command[CallView]):
    name: ClassVar[str] = "remote_stop"
    path: ClassVar[str] = "remote-stop"
    title: ClassVar[str] = "Remote stop"
    summary: ClassVar[str] = "1.6 RemoteStopTransaction / 2.0.1 RequestStopTransaction"
    confirm: ClassVar[bool] = True

    transaction_id: TransactionIdText = Field(
        title="Transaction id", description="1.6: an integer (the one the CSMS gave)."
    )

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        if version is OcppVersion.V16:
            number = check_int_text(self.transaction_id, limits.TRANSACTION_ID_16, "transactionId")
            return "RemoteStopTransaction", {"transactionId": number}
        return "RequestStopTransaction", {"transactionId": self.transaction_id}


class GetTransactionStatus(Command[CallView]):
    name: ClassVar[str] = "get_transaction_status"
    path: ClassVar[str] = "transaction-status"
    title: ClassVar[str] = "Transaction status (2.0.1)"
    summary: ClassVar[str] = (
        "2.0.1 GetTransactionStatus: is the transaction (or any) still queued or ongoing?"
    )
    versions = V201_ONLY
    feature: ClassVar[str] = "GetTransactionStatus"

    transaction_id: TransactionIdText | None = Field(None, title="Transaction id (empty: any)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        if self.transaction_id is None:
            return "GetTransactionStatus", {}
        return "GetTransactionStatus", {"transactionId": self.transaction_id}


class ReserveNow(Command[ReservationCommand]):
    """1.6 ReserveNow (``evseId`` = connectorId, 0 = the charge point) / 2.0.1 ReserveNow
    (``evseId`` 0 = any EVSE). The reservation id is ours; its status follows the answer."""

    name: ClassVar[str] = "reserve_now"
    path: ClassVar[str] = "reserve"
    title: ClassVar[str] = "Reserve now"
    summary: ClassVar[str] = (
        "ReserveNow; the reservation id is ours and in the answer (GET /reservations)"
    )
    result = ReservationCommand
    form_defaults: ClassVar[dict[str, str]] = {"expires_at": "+30m", "token_type": "ISO14443"}

    id_token: IdTokenText = Field(title="Id token", description="RFID uid or eMAID")
    expires_at: Timestamp = Field(
        title="Until", description="When the station may release it (RFC 3339)."
    )
    evse_id: EvseId = Field(
        0,
        title="Connector / EVSE (0 = any)",
        description="1.6 connectorId (0 = the charge point) / 2.0.1 EVSE (0 = any).",
    )
    token_type: IdTokenType = Field("ISO14443", title="Token type (2.0.1)")
    group_id: IdTokenText | None = Field(None, title="Group id")
    # Set by OCPI (the eMSP's reservation id), never by operators: not in the API's body.
    external_id: SkipJsonSchema[str | None] = Field(None, exclude=True)

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> ReservationCommand:
        now = ctx.clock.now()
        if self.expires_at <= now:
            raise Invalid("must be in the future", field="expiresAt")
        version = await ctx.connected_version(station_id)
        reservation = Reservation(
            station_id=station_id,
            evse_id=self.evse_id,
            id_token=self.id_token,
            token_type=self.token_type,
            expires_at=self.expires_at,
            status=ReservationStatus.REQUESTED,
            created_at=now,
            updated_at=now,
            group_id=self.group_id,
            external_id=self.external_id,
        )
        rid = await ctx.store.add_reservation(reservation)
        try:
            record = await ctx.send(
                station_id,
                "ReserveNow",
                self._request(version, rid),
                version=version,
                origin=origin,
            )
        except ServiceError:
            await ctx.store.set_reservation_status(rid, ReservationStatus.FAILED, now)
            raise
        record = await ctx.wait_for(record, wait)
        stored = await ctx.store.lookup_reservation(rid) or reservation
        if stored.status is ReservationStatus.REQUESTED and record.state is CallState.ANSWERED:
            # The answer is in; its result handler may not have stored it yet.
            stored.status = answered_status(record.response or {})
        return ReservationCommand(reservation=reservation_view(stored, now), call=call_view(record))

    def _request(self, version: OcppVersion, rid: int) -> JsonObject:
        expiry = iso(self.expires_at)
        if version is OcppVersion.V16:
            request: JsonObject = {
                "connectorId": self.evse_id,
                "expiryDate": expiry,
                "idTag": self.id_token,
                "reservationId": rid,
            }
            if self.group_id:
                request["parentIdTag"] = self.group_id
            return request
        request = {
            "id": rid,
            "expiryDateTime": expiry,
            "idToken": {"idToken": self.id_token, "type": self.token_type},
        }
        if self.evse_id:
            request["evseId"] = self.evse_id
        if self.group_id:
            request["groupIdToken"] = {"idToken": self.group_id, "type": "Central"}
        return request


class CancelReservation(Command[CallView]):
    name: ClassVar[str] = "cancel_reservation"
    path: ClassVar[str] = "cancel-reservation"
    title: ClassVar[str] = "Cancel reservation"
    summary: ClassVar[str] = "CancelReservation of one of the station's active reservations"
    confirm: ClassVar[bool] = True

    reservation_id: ReservationId = Field(title="Reservation id")

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> CallView:
        rid = self.reservation_id
        reservation = await ctx.store.lookup_reservation(rid)
        if reservation is None or reservation.station_id != station_id:
            raise NotFound(f"station {station_id} has no reservation {rid}", field="reservationId")
        if not reservation_view(reservation, ctx.clock.now()).active:
            raise Conflict(
                f"reservation {rid} is {reservation.status.value}, not active",
                field="reservationId",
            )
        return await ctx.command(
            station_id, lambda v: ("CancelReservation", {"reservationId": rid}), wait, origin
        )
