"""Prometheus metrics counted from the event bus (``GET /metrics``).

The collector is one more bus subscriber: the OCPP path never waits for it, and if it ever falls
behind, the events it lost are counted in ``csms_events_dropped_total`` instead of blocking.
Call latency is measured between a CSMS CALL leaving and the station's answer arriving, both as
logged frames, so it covers every call whichever part of the system sent it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from datetime import datetime

from core.events import (
    CallCompleted,
    ConnectionRefused,
    Event,
    MessageLogged,
    Resync,
    StationConnected,
    StationDisconnected,
    Subscription,
)

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_TYPE_NAMES = {2: "call", 3: "result", 4: "error"}
_MAX_PENDING = 100_000

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


class _Histogram:
    def __init__(self) -> None:
        self.buckets = [0] * len(LATENCY_BUCKETS)
        self.count = 0
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.count += 1
        self.total += value
        for i, bound in enumerate(LATENCY_BUCKETS):
            if value <= bound:
                self.buckets[i] += 1


class Metrics:
    """Counters fed by :meth:`observe`; :meth:`run` feeds it from the bus until cancelled."""

    def __init__(self, connected_count: Callable[[], int]) -> None:
        self._connected_count = connected_count
        self.messages: defaultdict[Labels, int] = defaultdict(int)
        self.call_errors: defaultdict[Labels, int] = defaultdict(int)
        self.calls_failed: defaultdict[Labels, int] = defaultdict(int)
        self.refused: defaultdict[Labels, int] = defaultdict(int)
        self.connects = 0
        self.disconnects = 0
        self.dropped = 0
        self.latency: defaultdict[Labels, _Histogram] = defaultdict(_Histogram)
        self._pending: OrderedDict[tuple[str, str], tuple[datetime, str]] = OrderedDict()

    async def run(self, sub: Subscription) -> None:
        """Count ``sub``'s events until cancelled; closes ``sub``."""
        try:
            async for event in sub:
                try:
                    self.observe(event)
                except Exception:  # a metrics bug must never stop the counting
                    log.exception("metrics: cannot count %s", event.kind)
        finally:
            sub.close()

    def observe(self, event: Event) -> None:
        if isinstance(event, MessageLogged):
            self._message(event)
        elif isinstance(event, StationConnected):
            self.connects += 1
        elif isinstance(event, StationDisconnected):
            self.disconnects += 1
        elif isinstance(event, CallCompleted):
            if event.state != "answered":
                self.calls_failed[(("action", event.action), ("state", event.state))] += 1
        elif isinstance(event, ConnectionRefused):
            self.refused[(("http_status", str(event.http_status)),)] += 1
        elif isinstance(event, Resync):
            self.dropped += event.dropped

    def _message(self, event: MessageLogged) -> None:
        kind = _TYPE_NAMES.get(event.message_type, str(event.message_type))
        labels = (("direction", event.direction), ("action", event.action), ("type", kind))
        self.messages[labels] += 1
        if event.message_type == 4:
            self.call_errors[(("direction", event.direction), ("code", event.error_code))] += 1
        key = (event.station_id, event.message_id)
        if event.direction == "out" and event.message_type == 2:
            self._pending[key] = (event.at, event.action)
            if len(self._pending) > _MAX_PENDING:
                self._pending.popitem(last=False)
        elif event.direction == "in" and event.message_type in (3, 4):
            sent = self._pending.pop(key, None)
            if sent is not None:
                seconds = max((event.at - sent[0]).total_seconds(), 0.0)
                self.latency[(("action", sent[1]),)].observe(seconds)

    def render(self) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        family("csms_connected_stations", "gauge", "Stations with an open websocket.")
        out.append(f"csms_connected_stations {self._connected_count()}")
        family("csms_station_connects_total", "counter", "Station connections accepted.")
        out.append(f"csms_station_connects_total {self.connects}")
        family("csms_station_disconnects_total", "counter", "Station connections closed.")
        out.append(f"csms_station_disconnects_total {self.disconnects}")
        for name, help_text, series in (
            (
                "csms_messages_total",
                "OCPP frames by direction (in = from stations), action and type.",
                self.messages,
            ),
            ("csms_call_errors_total", "CALLERROR frames by direction and code.", self.call_errors),
            (
                "csms_calls_failed_total",
                "CSMS calls that ended in error or timed out.",
                self.calls_failed,
            ),
            (
                "csms_connections_refused_total",
                "Websocket attempts refused, by HTTP status.",
                self.refused,
            ),
        ):
            family(name, "counter", help_text)
            for labels, value in sorted(series.items()):
                out.append(f"{name}{_labels(labels)} {value}")
        family(
            "csms_call_latency_seconds",
            "histogram",
            "Time from a CSMS call to the station's answer.",
        )
        for labels, hist in sorted(self.latency.items()):
            for bound, count in zip(LATENCY_BUCKETS, hist.buckets, strict=True):
                le = (*labels, ("le", repr(bound)))
                out.append(f"csms_call_latency_seconds_bucket{_labels(le)} {count}")
            inf = (*labels, ("le", "+Inf"))
            out.append(f"csms_call_latency_seconds_bucket{_labels(inf)} {hist.count}")
            out.append(f"csms_call_latency_seconds_sum{_labels(labels)} {hist.total}")
            out.append(f"csms_call_latency_seconds_count{_labels(labels)} {hist.count}")
        family("csms_events_dropped_total", "counter", "Events the metrics collector missed.")
        out.append(f"csms_events_dropped_total {self.dropped}")
        return "\n".join(out) + "\n"


async def cancel_and_wait(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():  # we were cancelled ourselves
            raise
