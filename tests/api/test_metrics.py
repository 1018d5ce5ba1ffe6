"""Prometheus counters counted from the event bus, read back with prometheus_client's parser."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families
from websockets.typing import Subprotocol

from core.api import metrics as metrics_module
from core.api.metrics import Metrics
from core.config import Config, config_from_dict
from core.events import (
    CallCompleted,
    ConnectionRefused,
    Event,
    EventBus,
    MessageLogged,
    StationConnected,
    StationDisconnected,
)
from core.runtime import Csms

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


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the series ``name{labels}`` (label order is not part of the format)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    raise AssertionError(f"{name}{labels} not in metrics")


def series_names(text: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


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
    messages = "csms_messages_total"
    assert sample(text, messages, direction="in", action="Heartbeat", type="call") == 1
    assert sample(text, messages, direction="out", action="Reset", type="call") == 2
    assert sample(text, "csms_call_errors_total", direction="in", code="NotSupported") == 1
    assert sample(text, "csms_calls_failed_total", action="Reset", state="error") == 1
    assert sample(text, "csms_connections_refused_total", http_status="404") == 1
    latency = "csms_call_latency_seconds"
    assert sample(text, f"{latency}_count", action="Reset") == 2
    assert abs(sample(text, f"{latency}_sum", action="Reset") - 2.2) < 1e-9
    assert sample(text, f"{latency}_bucket", action="Reset", le="0.25") == 1
    assert sample(text, f"{latency}_bucket", action="Reset", le="+Inf") == 2
    assert sample(text, "csms_events_dropped_total") == 0
    # Exactly the series /metrics has always served: no _created series beside the counters.
    assert series_names(text) == {
        "csms_connected_stations",
        "csms_station_connects_total",
        "csms_station_disconnects_total",
        messages,
        "csms_call_errors_total",
        "csms_calls_failed_total",
        "csms_connections_refused_total",
        f"{latency}_bucket",
        f"{latency}_count",
        f"{latency}_sum",
        "csms_events_dropped_total",
    }


def test_label_values_are_escaped() -> None:
    metrics = Metrics(lambda: 0)
    metrics.observe(msg("in", 4, "x", "A", error_code='bad"code\\\n'))
    text = metrics.render()
    assert 'code="bad\\"code\\\\\\n"' in text
    assert sample(text, "csms_call_errors_total", direction="in", code='bad"code\\\n') == 1


def test_station_invented_labels_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_module, "_MAX_SERIES", 3)
    metrics = Metrics(lambda: 0)
    for n in range(5):
        metrics.observe(msg("in", 4, f"x{n}", "A", error_code=f"Code{n}"))
    metrics.observe(msg("in", 4, "y", "A", error_code="Code0"))  # a known series still counts
    text = metrics.render()
    errors = "csms_call_errors_total"
    assert sample(text, errors, direction="in", code="Code0") == 2
    assert sample(text, errors, direction="in", code="Code2") == 1
    assert sample(text, errors, direction="other", code="other") == 2
    with pytest.raises(AssertionError):
        sample(text, errors, direction="in", code="Code3")


def test_each_metrics_has_its_own_registry() -> None:
    """Two APIs in one process (tests, an embedded core) never share or clash over series."""
    one, two = Metrics(lambda: 1), Metrics(lambda: 2)
    one.observe(StationConnected(station_id="CS1", at=T0, ocpp_version="ocpp1.6"))
    assert one.registry is not two.registry
    assert sample(one.render(), "csms_station_connects_total") == 1
    assert sample(two.render(), "csms_station_connects_total") == 0
    assert sample(two.render(), "csms_connected_stations") == 2
    body, content_type = one.exposition()
    assert body.decode() == one.render()
    assert content_type.startswith("text/plain; version=")
    assert "charset=utf-8" in content_type


def test_counts_from_the_bus_as_events_are_published() -> None:
    bus = EventBus()
    metrics = Metrics(lambda: 0)
    stop = bus.watch(metrics.observe)
    bus.publish(StationConnected(station_id="CS1", at=T0, ocpp_version="ocpp1.6"))
    assert metrics.connects == 1  # counted in the publish itself: no task, no queue
    stop()
    bus.publish(StationConnected(station_id="CS2", at=T0, ocpp_version="ocpp1.6"))
    assert metrics.connects == 1
    assert bus.subscriber_count == 0


def test_an_observer_that_fails_neither_stops_the_publisher_nor_the_others() -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("a bug in an observer")

    bus.watch(broken)
    bus.watch(lambda event: seen.append(event.station_id), kinds=[StationConnected])
    bus.publish(StationDisconnected(station_id="CS0", at=T0))
    event = bus.publish(StationConnected(station_id="CS1", at=T0, ocpp_version="ocpp1.6"))
    assert seen == ["CS1"]  # its kinds only, and after the broken one raised
    assert event.seq == 2


async def test_gateway_metrics_of_two_cores_in_one_process(tmp_path: Path) -> None:
    """Each core's gateway serves its own series from /metrics on its status address."""

    def config(name: str) -> Config:
        return config_from_dict(
            {
                "storage": {"sqlite": {"path": str(tmp_path / f"{name}.db")}},
                "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "127.0.0.1:0"},
                "api": {"addr": "127.0.0.1:0", "host": "127.0.0.1"},
                "sync": {"enabled": False},
                "observability": {"log_file": ""},
            }
        )

    async with (
        Csms(config("one")) as one,
        Csms(config("two")) as two,
        aiohttp.ClientSession() as http,
    ):

        async def scrape(csms: Csms) -> tuple[str, str]:
            async with http.get(f"http://127.0.0.1:{csms.ports['status']}/metrics") as resp:
                assert resp.status == 200
                return await resp.text(), resp.headers["Content-Type"]

        async with http.post(
            f"http://127.0.0.1:{one.ports['api']}/api/v0/cs/CS1/registration",
            json={"securityProfile": 0},
        ) as resp:
            assert resp.status == 201
            password = (await resp.json())["password"]
        auth = "Basic " + base64.b64encode(f"CS1:{password}".encode()).decode()
        async with websockets.connect(
            f"ws://127.0.0.1:{one.ports['ws']}/ws/CS1",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": auth},
        ):
            async with asyncio.timeout(5):
                while sample((await scrape(one))[0], "csms_gateway_connected_stations") != 1:
                    await asyncio.sleep(0.02)
            text, content_type = await scrape(two)
            assert sample(text, "csms_gateway_connected_stations") == 0
            assert content_type.startswith("text/plain; version=")
            # In process nothing is buffered for a broker: no MQTT series.
            assert series_names(text) == {"csms_gateway_connected_stations"}
