"""Prometheus counters counted from the event bus."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.api.metrics import Metrics
from core.events import (
    CallCompleted,
    ConnectionRefused,
    EventBus,
    MessageLogged,
    StationConnected,
    StationDisconnected,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def msg(
    direction: str, mtype: int, mid: str, action: str = "", at: float = 0.0, error_code: str = ""
) -> MessageLogged:
    return MessageLogged(
        station_id="CS1",
        at=T0 + timedelta(seconds=at),
        direction=direction,
        message_type=mtype,
        message_id=mid,
        action=action,
        error_code=error_code,
    )


def sample(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series} not in metrics")


def test_counts_messages_errors_and_latency() -> None:
    metrics = Metrics(lambda: 3)
    for event in (
        StationConnected(station_id="CS1", at=T0, ocpp_version="ocpp2.0.1"),
        msg("in", 2, "a", "Heartbeat"),
        msg("out", 3, "a", "Heartbeat"),
        msg("out", 2, "c1", "Reset", at=1.0),
        msg("in", 3, "c1", "Reset", at=1.2),
        msg("out", 2, "c2", "Reset", at=2.0),
        msg("in", 4, "c2", "Reset", at=4.0, error_code="NotSupported"),
        CallCompleted(station_id="CS1", at=T0, call_id="c2", action="Reset", state="error"),
        ConnectionRefused(station_id="X", at=T0, reason="unknown", http_status=404),
        StationDisconnected(station_id="CS1", at=T0),
    ):
        metrics.observe(event)
    text = metrics.render()
    assert sample(text, "csms_connected_stations") == 3
    assert sample(text, "csms_station_connects_total") == 1
    assert sample(text, "csms_station_disconnects_total") == 1
    assert sample(text, 'csms_messages_total{direction="in",action="Heartbeat",type="call"}') == 1
    assert sample(text, 'csms_messages_total{direction="out",action="Reset",type="call"}') == 2
    assert sample(text, 'csms_call_errors_total{direction="in",code="NotSupported"}') == 1
    assert sample(text, 'csms_calls_failed_total{action="Reset",state="error"}') == 1
    assert sample(text, 'csms_connections_refused_total{http_status="404"}') == 1
    assert sample(text, 'csms_call_latency_seconds_count{action="Reset"}') == 2
    assert abs(sample(text, 'csms_call_latency_seconds_sum{action="Reset"}') - 2.2) < 1e-9
    assert sample(text, 'csms_call_latency_seconds_bucket{action="Reset",le="0.25"}') == 1
    assert sample(text, 'csms_call_latency_seconds_bucket{action="Reset",le="+Inf"}') == 2


def test_label_values_are_escaped() -> None:
    metrics = Metrics(lambda: 0)
    metrics.observe(msg("in", 4, "x", "A", error_code='bad"code\\\n'))
    assert 'code="bad\\"code\\\\\\n"' in metrics.render()


async def test_runs_from_the_bus() -> None:
    bus = EventBus()
    metrics = Metrics(lambda: 0)
    task = asyncio.create_task(metrics.run(bus.subscribe()))
    bus.publish(StationConnected(station_id="CS1", at=T0, ocpp_version="ocpp1.6"))
    async with asyncio.timeout(5):
        while metrics.connects != 1:
            await asyncio.sleep(0)
    task.cancel()
    assert bus.subscriber_count == 1
    async with asyncio.timeout(5):
        while bus.subscriber_count:
            await asyncio.sleep(0)
