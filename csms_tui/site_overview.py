"""The site at a glance, above the Stations tab's table: how many stations are online, offline,
faulted and charging, and the power drawn now — and the alerts (bell, notification) when a
station faults or drops.

The counts come from the same station summaries the rows are drawn from, so the line and the
rows never disagree. The power comes from the core's TransactionUpdated events (the latest
Power.Active.Import of each active transaction): the station summaries carry no meter values,
and reading each transaction's detail for one number would cost a store query per meter value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.widgets import Static

from core.application.views import StationSummary
from core.events import (
    Event,
    StationDisconnected,
    StatusChanged,
    TransactionEnded,
    TransactionUpdated,
)

FAULTED = "Faulted"
CHARGING = "Charging"


@dataclass(frozen=True, slots=True)
class StationState:
    """What the overview counts of one registered station."""

    online: bool
    faulted: bool
    charging: bool


def station_state(s: StationSummary) -> StationState:
    return StationState(
        online=s.connected,
        faulted=any(c.status == FAULTED for c in s.connectors),
        # A transaction running, or a connector saying so before its transaction is known.
        charging=bool(s.active_transactions) or any(c.status == CHARGING for c in s.connectors),
    )


@dataclass(frozen=True, slots=True)
class Alert:
    """A station that faulted or dropped: said in a notification, with the bell if wanted."""

    station_id: str
    text: str


class SiteTally:
    """The site's counts and power, kept from station summaries and the core's events."""

    def __init__(self) -> None:
        self.states: dict[str, StationState] = {}
        # (station, transaction) → its latest power in W; only while the transaction runs.
        self.power: dict[tuple[str, str], float] = {}
        # station → its connectors known Faulted, so a repeated Faulted status alerts once.
        self.faulted: dict[str, set[tuple[int, int]]] = {}
        # station → its OCPP version: a 1.6 connector is named alone, a 2.0.1 one with its EVSE.
        self.versions: dict[str, str | None] = {}

    def update(self, s: StationSummary) -> None:
        self.states[s.station_id] = station_state(s)
        self.versions[s.station_id] = s.ocpp_version
        self.faulted[s.station_id] = {
            (c.evse_id, c.connector_id) for c in s.connectors if c.status == FAULTED
        }
        # A transaction the summary no longer lists as active draws nothing (its end event may
        # have come in a batch this tally did not see, e.g. before a resync).
        active = {t.transaction_id for t in s.active_transactions}
        for key in [k for k in self.power if k[0] == s.station_id and k[1] not in active]:
            del self.power[key]

    def forget(self, station_id: str) -> None:
        """A station that is not registered (any more): not counted."""
        self.states.pop(station_id, None)
        self.faulted.pop(station_id, None)

    def apply(self, batch: Sequence[Event]) -> list[Alert]:
        """Power from the events, and the alerts they raise (in order)."""
        alerts: list[Alert] = []
        for e in batch:
            if isinstance(e, TransactionUpdated) and e.power_w is not None:
                self.power[(e.station_id, e.transaction_id)] = e.power_w
            elif isinstance(e, TransactionEnded):
                self.power.pop((e.station_id, e.transaction_id), None)
            elif isinstance(e, StationDisconnected) and e.station_id in self.states:
                alerts.append(Alert(e.station_id, f"{e.station_id} dropped (offline)"))
            elif isinstance(e, StatusChanged):
                alerts.extend(self._status(e))
        return alerts

    def _status(self, e: StatusChanged) -> list[Alert]:
        if e.station_id not in self.states:
            return []  # a refused station's status is not the site's
        known = self.faulted.setdefault(e.station_id, set())
        where = (e.evse_id, e.connector_id)
        if e.status != FAULTED:
            known.discard(where)
            return []
        if where in known:
            return []
        known.add(where)
        if e.evse_id == 0 and e.connector_id == 0:
            place = "the station"
        elif self.versions.get(e.station_id) == "2.0.1":
            place = f"connector {e.evse_id}/{e.connector_id}"
        else:
            place = f"connector {e.connector_id}"
        code = f" ({e.error_code})" if e.error_code and e.error_code != "NoError" else ""
        return [Alert(e.station_id, f"{e.station_id}: {place} faulted{code}")]

    def counts(self) -> tuple[int, int, int, int]:
        """(online, offline, faulted, charging)."""
        states = self.states.values()
        return (
            sum(s.online for s in states),
            sum(not s.online for s in states),
            sum(s.faulted for s in states),
            sum(s.charging for s in states),
        )

    def power_w(self) -> float | None:
        """The site's power now (None until a running transaction has reported one)."""
        return sum(self.power.values()) if self.power else None


def power_text(watts: float | None) -> str:
    if watts is None:
        return "–"
    return f"{watts / 1000:.1f} kW" if abs(watts) >= 1000 else f"{watts:.0f} W"


class SiteOverview(Static):
    """One line: the counts, the power, and what the table shows (faulted only, marks)."""

    def show(self, tally: SiteTally, faulted_only: bool, marked: int) -> None:
        online, offline, faulted, charging = tally.counts()
        parts = [
            f"[b]{online}[/b] online",
            f"[b]{offline}[/b] offline",
            (f"[b $error]{faulted} faulted[/]" if faulted else "[b]0[/b] faulted"),
            f"[b]{charging}[/b] charging",
            f"power [b]{power_text(tally.power_w())}[/b]",
        ]
        tail = "[b]faulted only[/b] (f: all)" if faulted_only else "f: faulted only"
        if marked:
            tail += f" · [b]{marked} marked[/b] (c: send to all)"
        self.update(" · ".join(parts) + "  │  " + tail)
