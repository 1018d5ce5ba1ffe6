"""A station's leniencies as an operator sees and sets them: what it is granted (the
configuration's grants, read-only here, and those stored through the API or the console), and
how many violations each grant has let through, with the latest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.application.base import ServiceBase
from core.application.errors import Invalid
from core.application.views import View
from core.leniency import NAMES, REASONS, Leniency
from core.ocpp.types import OcppVersion
from core.store.models import LeniencyGrant

# The names a grant list may hold: no-subprotocol is granted by naming its version.
GRANTABLE = tuple(n for n in NAMES if n != Leniency.NO_SUBPROTOCOL)
SUBPROTOCOLS = tuple(v.value for v in OcppVersion)


class LeniencyCountView(View):
    name: str
    count: int
    last_at: datetime
    last_detail: str


class LeniencyNameView(View):
    name: str
    reason: str


class LeniencyView(View):
    """``granted`` is everything in force; ``stored`` what the API and the console granted
    (what a PUT replaces); ``from_config`` what the configuration grants (changed there only)."""

    station_id: str
    granted: list[str] = []
    stored: list[str] = []
    from_config: list[str] = []
    no_subprotocol: str = ""
    counts: list[LeniencyCountView] = []
    names: list[LeniencyNameView] = []


class StationLeniency(ServiceBase):
    """Per-station leniency: read and replace the stored grant."""

    async def station_leniency(self, station_id: str) -> LeniencyView:
        await self._station(station_id)
        granted = await self._leniency.granted(station_id)
        counts = await self._store.list_leniency_counts(station_id)
        return LeniencyView(
            station_id=station_id,
            granted=sorted(granted.names),
            stored=sorted(granted.stored),
            from_config=sorted(granted.from_config),
            no_subprotocol=granted.no_subprotocol,
            counts=[
                LeniencyCountView(
                    name=c.name, count=c.count, last_at=c.last_at, last_detail=c.last_detail
                )
                for c in counts
            ],
            names=[LeniencyNameView(name=n.value, reason=REASONS[n]) for n in Leniency],
        )

    async def set_station_leniency(
        self, station_id: str, grant: Sequence[str], no_subprotocol: str = ""
    ) -> LeniencyView:
        """Replace what the API and the console grant the station (the configuration's grants
        stay). An empty grant and no subprotocol revoke them all."""
        await self._station(station_id)
        for index, name in enumerate(grant):
            if name not in GRANTABLE:
                hint = (
                    ": grant it by naming the version in noSubprotocol"
                    if name == Leniency.NO_SUBPROTOCOL
                    else f" (one of: {', '.join(GRANTABLE)})"
                )
                raise Invalid(f"{name!r} is not a leniency{hint}", field=f"grant/{index}")
        if no_subprotocol and no_subprotocol not in SUBPROTOCOLS:
            raise Invalid(f"must be one of {', '.join(SUBPROTOCOLS)}", field="noSubprotocol")
        await self._store.set_leniency_grant(
            LeniencyGrant(station_id, tuple(sorted(set(grant))), no_subprotocol)
        )
        return await self.station_leniency(station_id)
