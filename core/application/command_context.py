"""What :mod:`core.commands` runs against (:class:`core.commands.base.CommandContext`): the
station's OCPP version when it is connected, sending a call and waiting for its answer,
and a 2.0.1 request split into as many calls as the station's per-message limits need."""

from __future__ import annotations

from collections.abc import Callable

from core import message_limits
from core.application.base import ServiceBase
from core.application.errors import Conflict, Invalid, StationOffline
from core.application.ports import ServiceStore
from core.application.views import CallView, call_view
from core.clock import Clock
from core.handlers.call_maker import CallRejectedError
from core.ocpp.types import JsonObject, OcppVersion
from core.store.models import CallRecord, CallState


class StationCommands(ServiceBase):
    """The command context, less what a command needs of the other parts
    (:meth:`~core.application.station_security.StationSecurity.rotate_password`,
    :meth:`~core.application.station_security.StationSecurity.upgrade_security_profile`)."""

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def store(self) -> ServiceStore:
        return self._store

    async def wait_for(self, record: CallRecord, wait: float | None) -> CallRecord:
        return await self._calls.wait(record.call_id, wait) if wait else record

    async def connected_version(self, station_id: str) -> OcppVersion:
        await self._station(station_id)
        if not self._connections.is_connected(station_id):
            raise StationOffline(f"station {station_id} is not connected", field="csId")
        try:
            return await self._calls.station_version(station_id)
        except CallRejectedError as exc:
            raise Conflict(str(exc), field="csId") from exc

    async def send(
        self,
        station_id: str,
        action: str,
        request: JsonObject,
        *,
        version: OcppVersion,
        origin: str,
    ) -> CallRecord:
        try:
            return await self._calls.send(
                station_id, action, request, version=version, origin=origin
            )
        except CallRejectedError as exc:
            raise Invalid(str(exc), field="payload") from exc

    async def command(
        self,
        station_id: str,
        build: Callable[[OcppVersion], tuple[str, JsonObject]],
        wait: float | None,
        origin: str,
    ) -> CallView:
        version = await self.connected_version(station_id)
        action, request = build(version)
        record = await self.send(station_id, action, request, version=version, origin=origin)
        if wait:
            record = await self._calls.wait(record.call_id, wait)
        return call_view(record)

    async def command_in_parts(
        self,
        station_id: str,
        action: str,
        key: str,
        result_key: str,
        items: list[JsonObject],
        wait: float | None,
        origin: str,
    ) -> CallView:
        """A 2.0.1 GetVariables/SetVariables in as many calls as the station's per-message
        limits need (core.message_limits). With ``wait``, the view holds every part's results
        in order, and the first part that failed decides its state."""
        max_items, max_bytes = await message_limits.per_message_limits(
            self._store, station_id, action
        )
        payloads = message_limits.split(key, items, max_items, max_bytes, action)
        records = [
            await self.send(station_id, action, payload, version=OcppVersion.V201, origin=origin)
            for payload in payloads
        ]
        if wait:
            records = [await self._calls.wait(r.call_id, wait) for r in records]
        if len(records) == 1:
            return call_view(records[0])
        first = call_view(records[0])
        failed = next((r for r in records if r.state is not CallState.ANSWERED), None)
        results = [x for r in records for x in (r.response or {}).get(result_key, [])]
        return first.model_copy(
            update={
                "request": {key: items},
                "call_ids": [r.call_id for r in records],
                "state": (failed or records[-1]).state.value,
                "completed_at": None if failed is not None else records[-1].completed_at,
                "response": None if failed is not None else {result_key: results},
                "error_code": failed.error_code if failed is not None else "",
                "error_description": failed.error_description if failed is not None else "",
            }
        )
