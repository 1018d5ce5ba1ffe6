"""Which leniencies a station is granted, and the record of every violation accepted under one.

Grants come from three places and add up: the configuration by station id, the configuration by
the vendor and model the station's last BootNotification named, and the store (grants made
through the API or the console, so every process of a scale-out sees them and they survive a
restart). The store is asked only when a message has already failed validation or a handshake
offers no subprotocol: a station that keeps to the spec costs nothing here.

Accepted violations are counted in the store, not in each process's memory: in a scale-out the
station detail is read by an API process that handled none of the station's messages, and the
counts must agree wherever they are read. Each is also a log line (a warning: someone granted
it, but it is still a station breaking the spec)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.clock import Clock
from core.config import LeniencyConfig, LeniencyGrantConfig
from core.inert import inert
from core.leniency import Leniency
from core.store.models import LeniencyUse
from core.store.protocols import LeniencyStore, RuntimeStore

log = logging.getLogger(__name__)


class PolicyStore(LeniencyStore, RuntimeStore, Protocol):
    """The store roles the policy reads (its grants, the station's vendor and model) and
    writes (the counts)."""


@dataclass(frozen=True, slots=True)
class Granted:
    """What one station is granted, from every source together."""

    names: frozenset[str] = frozenset()  # no-subprotocol included when a version is named
    no_subprotocol: str = ""  # the OCPP subprotocol a handshake without one is taken to speak
    from_config: frozenset[str] = field(default_factory=frozenset)  # not revocable by the API
    stored: frozenset[str] = field(default_factory=frozenset)  # granted through the API

    def __contains__(self, name: object) -> bool:
        return name in self.names


def _names(grant: LeniencyGrantConfig | None) -> set[str]:
    if grant is None:
        return set()
    names = set(grant.grant)
    if grant.no_subprotocol:
        names.add(Leniency.NO_SUBPROTOCOL.value)
    return names


class LeniencyPolicy:
    def __init__(self, config: LeniencyConfig, store: PolicyStore, clock: Clock) -> None:
        self._config, self._store, self._clock = config, store, clock
        self._models = {(m.vendor, m.model): m for m in config.models}

    async def _model_grant(self, station_id: str) -> LeniencyGrantConfig | None:
        if not self._models:
            return None
        runtime = await self._store.lookup_runtime_details(station_id)
        if runtime is None:
            return None
        return self._models.get((runtime.vendor, runtime.model))

    async def granted(self, station_id: str) -> Granted:
        own = self._config.stations.get(station_id)
        model = await self._model_grant(station_id)
        stored = await self._store.lookup_leniency_grant(station_id)
        from_config = _names(own) | _names(model)
        stored_names = set(stored.names) if stored is not None else set()
        # The most specific version wins: the API's grant (the operator's latest word), then the
        # station's own configuration, then its model's.
        versions = [
            stored.no_subprotocol if stored is not None else "",
            own.no_subprotocol if own is not None else "",
            model.no_subprotocol if model is not None else "",
        ]
        version = next((v for v in versions if v), "")
        if stored is not None and stored.no_subprotocol:
            stored_names.add(Leniency.NO_SUBPROTOCOL.value)
        return Granted(
            names=frozenset(from_config | stored_names),
            no_subprotocol=version,
            from_config=frozenset(from_config),
            stored=frozenset(stored_names),
        )

    async def record(self, station_id: str, uses: Sequence[LeniencyUse]) -> None:
        """Log and count accepted violations. A store failure loses the count, not the message
        (the log line is already written)."""
        for use in uses:
            log.warning(
                "station %s: accepted under leniency %s: %s",
                inert(station_id),
                use.name,
                inert(use.detail),
            )
        try:
            await self._store.count_leniency(station_id, uses, self._clock.now())
        except Exception:
            log.exception("could not count the leniency uses of %s", inert(station_id))
