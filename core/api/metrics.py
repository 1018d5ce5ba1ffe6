"""Prometheus metrics counted from the event bus (``GET /metrics``).

The collector watches the event bus (``EventBus.watch``): each event is counted in the call that
publishes it — a few dict operations, cheaper than a queue and a task woken per frame, and so it
never falls behind. ``csms_events_dropped_total`` counts the events a bus bridge reports lost.
Call latency is measured between a CSMS CALL leaving and the station's answer arriving, both as
logged frames, so it covers every call whichever part of the system sent it.

Counting stays in plain dicts fed by :meth:`Metrics.observe` (one dict increment per frame on the
event path, no locks); ``prometheus_client`` reads them at scrape time through a collector on a
registry of this instance's own — never the process-global one, so several APIs in one process
(tests, an embedded core beside a scale-out one) do not clash over metric names — and writes the
exposition. A collector rather than ``Counter`` objects also keeps the series exactly those
listed here: no ``_created`` series per label set.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from core.events import (
    CallCompleted,
    ConnectionRefused,
    Event,
    MessageLogged,
    Resync,
    StationConnected,
    StationDisconnected,
)

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_LE = [repr(bound) for bound in LATENCY_BUCKETS]  # 0.01, 1.0, 60.0: as Go writes them
_TYPE_NAMES = {2: "call", 3: "result", 4: "error"}
_MAX_PENDING = 100_000
# Label values partly come from stations (a CALLERROR's code, a CALL's action): past this many
# label sets a family counts new ones under "other", so a station inventing codes cannot grow
# memory and every scrape without bound. Real traffic stays far below (about 70 actions x 2
# directions x 3 types). Rendering cost, measured: with 1,400 series (what that traffic gives,
# latency buckets included) a scrape takes about 13 ms against 3 ms for the hand-written
# exposition this replaced; at the bounds below about 60 ms. Once per scrape interval, it
# matters no more than a garbage collector pass. The number of stations adds no series.
_MAX_SERIES = 1_000
_MAX_LATENCY_SERIES = 200
_OTHER = "other"

# Label values in the order of the family's label names below.
Labels = tuple[str, ...]


class _Histogram:
    def __init__(self) -> None:
        self.buckets = [0] * len(LATENCY_BUCKETS)  # cumulative, as exposed
        self.count = 0
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.count += 1
        self.total += value
        for i, bound in enumerate(LATENCY_BUCKETS):
            if value <= bound:
                self.buckets[i] += 1


def _bump(series: defaultdict[Labels, int], labels: Labels) -> None:
    if labels not in series and len(series) >= _MAX_SERIES:
        labels = (_OTHER,) * len(labels)
    series[labels] += 1


def registry_of(*collectors: Collector) -> CollectorRegistry:
    """A registry of its own holding ``collectors`` (no process-global state)."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The body and Content-Type of a ``/metrics`` answer for ``registry``."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


class Metrics:
    """Counters fed by :meth:`observe` (give it to ``EventBus.watch``)."""

    def __init__(self, connected_count: Callable[[], int]) -> None:
        self._connected_count = connected_count
        self.messages: defaultdict[Labels, int] = defaultdict(int)  # direction, action, type
        self.call_errors: defaultdict[Labels, int] = defaultdict(int)  # direction, code
        self.calls_failed: defaultdict[Labels, int] = defaultdict(int)  # action, state
        self.refused: defaultdict[Labels, int] = defaultdict(int)  # http_status
        self.connects = 0
        self.disconnects = 0
        self.dropped = 0
        self.latency: defaultdict[Labels, _Histogram] = defaultdict(_Histogram)  # action
        self._pending: OrderedDict[tuple[str, str], tuple[datetime, str]] = OrderedDict()
        self.registry = registry_of(self)

    def observe(self, event: Event) -> None:
        if isinstance(event, MessageLogged):
            self._message(event)
        elif isinstance(event, StationConnected):
            self.connects += 1
        elif isinstance(event, StationDisconnected):
            self.disconnects += 1
        elif isinstance(event, CallCompleted):
            if event.state != "answered":
                _bump(self.calls_failed, (event.action, event.state))
        elif isinstance(event, ConnectionRefused):
            _bump(self.refused, (str(event.http_status),))
        elif isinstance(event, Resync):
            self.dropped += event.dropped

    def _message(self, event: MessageLogged) -> None:
        kind = _TYPE_NAMES.get(event.message_type, str(event.message_type))
        _bump(self.messages, (event.direction, event.action, kind))
        if event.message_type == 4:
            _bump(self.call_errors, (event.direction, event.error_code))
        key = (event.station_id, event.message_id)
        if event.direction == "out" and event.message_type == 2:
            self._pending[key] = (event.at, event.action)
            if len(self._pending) > _MAX_PENDING:
                self._pending.popitem(last=False)
        elif event.direction == "in" and event.message_type in (3, 4):
            sent = self._pending.pop(key, None)
            if sent is not None:
                seconds = max((event.at - sent[0]).total_seconds(), 0.0)
                labels: Labels = (sent[1],)
                if labels not in self.latency and len(self.latency) >= _MAX_LATENCY_SERIES:
                    labels = (_OTHER,)
                self.latency[labels].observe(seconds)

    def collect(self) -> Iterator[Metric]:
        """The families as they stand (``prometheus_client`` calls this at each scrape)."""
        yield GaugeMetricFamily(
            "csms_connected_stations",
            "Stations with an open websocket.",
            value=self._connected_count(),
        )
        yield CounterMetricFamily(
            "csms_station_connects_total", "Station connections accepted.", value=self.connects
        )
        yield CounterMetricFamily(
            "csms_station_disconnects_total", "Station connections closed.", value=self.disconnects
        )
        for name, help_text, label_names, series in (
            (
                "csms_messages_total",
                "OCPP frames by direction (in = from stations), action and type.",
                ("direction", "action", "type"),
                self.messages,
            ),
            (
                "csms_call_errors_total",
                "CALLERROR frames by direction and code.",
                ("direction", "code"),
                self.call_errors,
            ),
            (
                "csms_calls_failed_total",
                "CSMS calls that ended in error or timed out.",
                ("action", "state"),
                self.calls_failed,
            ),
            (
                "csms_connections_refused_total",
                "Websocket attempts refused, by HTTP status.",
                ("http_status",),
                self.refused,
            ),
        ):
            family = CounterMetricFamily(name, help_text, labels=label_names)
            for labels, value in sorted(series.items()):
                family.add_metric(labels, value)
            yield family
        latency = HistogramMetricFamily(
            "csms_call_latency_seconds",
            "Time from a CSMS call to the station's answer.",
            labels=("action",),
        )
        for labels, hist in sorted(self.latency.items()):
            buckets = [*zip(_LE, hist.buckets, strict=True), ("+Inf", hist.count)]
            latency.add_metric(labels, buckets, hist.total)
        yield latency
        yield CounterMetricFamily(
            "csms_events_dropped_total", "Events the metrics collector missed.", value=self.dropped
        )

    def exposition(self) -> tuple[bytes, str]:
        """The body and Content-Type of the ``/metrics`` answer."""
        return exposition(self.registry)

    def render(self) -> str:
        """The Prometheus text exposition, as text."""
        return generate_latest(self.registry).decode("utf-8")
