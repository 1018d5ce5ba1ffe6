"""What an operator sees of the stations: pages of summaries (connection, runtime, connectors,
active transactions) and one station's detail."""

from __future__ import annotations

from core import limits
from core.application.base import ServiceBase
from core.application.explanations import MessageExplainer
from core.application.rules import check_int
from core.application.views import (
    DeviceVariableView,
    SettingView,
    StationDetail,
    StationEventView,
    StationFilter,
    StationPage,
    StationSummary,
    TransactionSummary,
    TriggerView,
    call_view,
    certificate_view,
    connector_view,
    message_view,
    reservation_view,
    runtime_fields,
    tx_summary,
)
from core.store.models import Station


class StationViews(ServiceBase):
    """Station listing and detail."""

    async def list_stations(
        self, filters: StationFilter | None = None, after: str = "", limit: int = 50
    ) -> StationPage:
        """One page of stations in id order. Filters apply before paging, so a page is full
        unless the list is exhausted."""
        check_int(limit, limits.PAGE_LIMIT, "limit")
        filters = filters or StationFilter()
        connected = self._connections.connected()
        active = await self._active_transactions_by_station()
        result: list[StationSummary] = []
        cursor = after
        batch = max(limit, 100)
        while len(result) < limit:
            stations = await self._store.list_stations(after=cursor, limit=batch)
            for station in stations:
                summary = await self._summary(station, connected, active)
                cursor = station.station_id
                if self._matches(summary, filters):
                    result.append(summary)
                    if len(result) == limit:
                        break
            if len(stations) < batch:
                break
        next_after = result[-1].station_id if len(result) == limit else None
        if next_after is not None and not await self._store.list_stations(after=cursor, limit=1):
            next_after = None
        return StationPage(stations=result, next_after=next_after)

    @staticmethod
    def _matches(summary: StationSummary, f: StationFilter) -> bool:
        if f.connected is not None and summary.connected != f.connected:
            return False
        if f.ocpp_version and summary.ocpp_version != f.ocpp_version:
            return False
        if f.text and f.text.lower() not in summary.station_id.lower():
            return False
        return not (f.status and all(c.status != f.status for c in summary.connectors))

    async def _active_transactions_by_station(self) -> dict[str, list[TransactionSummary]]:
        by_station: dict[str, list[TransactionSummary]] = {}
        for tx in await self._store.list_transactions(active=True, limit=100_000):
            by_station.setdefault(tx.station_id, []).append(tx_summary(tx))
        return by_station

    async def _summary(
        self,
        station: Station,
        connected: set[str],
        active: dict[str, list[TransactionSummary]],
    ) -> StationSummary:
        runtime = await self._store.lookup_runtime_details(station.station_id)
        connectors = await self._store.list_connector_statuses(station.station_id)
        return StationSummary(
            station_id=station.station_id,
            connected=station.station_id in connected,
            security_profile=int(station.auth.security_profile),
            pending_boot=station.pending_boot,
            registered_at=station.registered_at,
            connectors=[connector_view(c) for c in connectors],
            active_transactions=active.get(station.station_id, []),
            **runtime_fields(runtime),
        )

    async def station_summary(self, station_id: str) -> StationSummary:
        station = await self._station(station_id)
        active = [
            tx_summary(t)
            for t in await self._store.list_transactions(station_id=station_id, active=True)
        ]
        return await self._summary(
            station, self._connections.connected(), {station_id: active} if active else {}
        )

    async def station_detail(self, station_id: str) -> StationDetail:
        station = await self._station(station_id)
        summary = await self.station_summary(station_id)
        runtime = await self._store.lookup_runtime_details(station_id)
        settings = await self._store.lookup_settings(station_id)
        device_model = await self._store.lookup_device_model(station_id)
        certificates = await self._store.lookup_install_certificates(station_id)
        trigger = await self._store.lookup_trigger(station_id)
        events = await self._store.list_station_events(station_id, limit=self._recent)
        messages = await self._store.list_messages(station_id=station_id, limit=self._recent)
        explanations = await MessageExplainer(self._store).explain_page(messages)
        calls = await self._store.list_calls(station_id=station_id, limit=self._recent)
        now = self._clock.now()
        reservations = [
            reservation_view(r, now)
            for r in await self._store.list_reservations(station_id, limit=self._recent)
        ]
        return StationDetail(
            reservations=reservations,
            **summary.model_dump(),
            invalid_username_allowed=station.auth.invalid_username_allowed,
            has_password=station.auth.password_hash is not None,
            boot_reason=runtime.boot_reason if runtime else "",
            settings=[
                SettingView(
                    name=s.name, value=s.value, status=s.status.value, send_after=s.send_after
                )
                for s in settings
            ],
            device_model=[
                DeviceVariableView(
                    component=v.component,
                    variable=v.variable,
                    component_instance=v.component_instance,
                    evse_id=v.evse_id,
                    connector_id=v.connector_id,
                    variable_instance=v.variable_instance,
                    attribute_type=v.attribute_type,
                    value=v.value,
                    mutability=v.mutability,
                )
                for v in device_model
            ],
            certificates=[certificate_view(c) for c in certificates],
            trigger=(
                TriggerView(
                    message=trigger.message,
                    status=trigger.status.value,
                    attempts=trigger.attempts,
                    send_after=trigger.send_after,
                )
                if trigger
                else None
            ),
            recent_events=[
                StationEventView(
                    id=e.id,
                    station_id=e.station_id,
                    at=e.at,
                    event_type=e.event_type,
                    detail=e.detail,
                )
                for e in events
            ],
            recent_messages=[
                message_view(m, e) for m, e in zip(messages, explanations, strict=True)
            ],
            recent_calls=[call_view(c) for c in calls],
        )
