"""Transaction cost and energy in the handlers, on the real store: retries, late events, the
running cost's conditions and its interval, a refused 1.6 start, and the tariff's reading of a
lone Begin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.clock import iso
from core.handlers.ocpp201.transaction_event import RunningCostPacing, TransactionEvent
from core.ocpp.types import Message, MessageType, OcppVersion
from core.services.tariff import KwhTariff
from core.store.models import MeterValue, SampledValue
from tests.unit.handlers.conftest import Env

V16, V201 = OcppVersion.V16, OcppVersion.V201
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


EVERY_READING = pytest.mark.parametrize("running_cost_interval", [0.0])


def _tx_event(
    kind: str, seq: int, wh: float | None, minutes: int, offline: bool = False, tx: str = "TXC"
) -> dict[str, Any]:
    at = iso(T0 + timedelta(minutes=minutes))
    event: dict[str, Any] = {
        "eventType": kind,
        "timestamp": at,
        "triggerReason": {"Started": "Authorized", "Ended": "EVDeparted"}.get(
            kind, "MeterValuePeriodic"
        ),
        "seqNo": seq,
        "transactionInfo": {"transactionId": tx, "chargingState": "Charging"},
        "offline": offline,
    }
    if wh is not None:
        context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(
            kind, "Sample.Periodic"
        )
        event["meterValue"] = [
            {"timestamp": at, "sampledValue": [{"value": wh, "context": context}]}
        ]
    return event


def _cost_calls(env: Env) -> list[Message]:
    return [m for _, _, m in env.sent if m.type is MessageType.CALL and m.action == "CostUpdated"]


def _pacing(env: Env) -> RunningCostPacing:
    handler = env.routers[V201].routes.calls["TransactionEvent"]
    assert isinstance(handler, TransactionEvent)
    return handler.cost_pacing


@EVERY_READING
async def test_running_cost_only_for_live_readings_of_a_running_transaction(env: Env) -> None:
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 1000, 0))
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 1, None, 1))  # no reading
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 2, 1500, 10, offline=True))
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 3, 3000, 20))
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 3, 3000, 20))  # a retry
    ended = await env.ok(V201, "TransactionEvent", _tx_event("Ended", 4, 4000, 30))
    assert [m.request for m in _cost_calls(env)] == [
        {"totalCost": 0.0, "transactionId": "TXC"},
        {"totalCost": pytest.approx(2.0 * 0.55), "transactionId": "TXC"},
    ]
    assert ended["totalCost"] == pytest.approx(3.0 * 0.55)


@EVERY_READING  # so that the refusal, not the interval, is what stops them
async def test_a_station_that_cannot_show_running_cost_gets_no_more(env: Env) -> None:
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 1000, 0))
    [first] = _cost_calls(env)
    await env.routers[V201].route(  # the station's answer: it has no CostUpdated
        "CS1",
        Message(
            type=MessageType.CALL_ERROR,
            id=first.id,
            action="CostUpdated",
            request=first.request,
            error_code="NotImplemented",
            error_description="",
        ),
    )
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 1, 2000, 10))
    assert _cost_calls(env) == [first]  # no more of them for this station
    other = {**_tx_event("Started", 0, 1000, 0), "transactionInfo": {"transactionId": "TXD"}}
    await env.call(V201, "TransactionEvent", other, station="CS2")
    assert len(_cost_calls(env)) == 2  # other stations still get theirs


async def test_running_cost_at_most_once_per_interval_per_transaction(env: Env) -> None:
    assert _pacing(env).interval_s == 30.0  # the default
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 1000, 0))
    env.clock.advance(10)
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 1, 1500, 1))
    assert len(_cost_calls(env)) == 2  # the Started reading's, and the first Updated's at once
    env.clock.advance(29.9)
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 2, 2000, 2))
    assert len(_cost_calls(env)) == 2  # within the interval since the last one sent: none
    env.clock.advance(0.1)  # 30 s since the last one
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 3, 2500, 3))
    env.clock.advance(5)
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 4, 3000, 4))
    assert [m.request for m in _cost_calls(env)] == [
        {"totalCost": 0.0, "transactionId": "TXC"},
        {"totalCost": pytest.approx(0.5 * 0.55), "transactionId": "TXC"},
        {"totalCost": pytest.approx(1.5 * 0.55), "transactionId": "TXC"},  # the newest figure
    ]
    env.clock.advance(30)  # counted from the last one sent, not from the last reading
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 5, 3500, 5))
    assert len(_cost_calls(env)) == 4


@EVERY_READING
async def test_interval_zero_sends_running_cost_after_every_live_reading(env: Env) -> None:
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 1000, 0))
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 1, 1500, 1))
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 2, 2000, 2))
    assert [m.request for m in _cost_calls(env)] == [
        {"totalCost": 0.0, "transactionId": "TXC"},
        {"totalCost": pytest.approx(0.5 * 0.55), "transactionId": "TXC"},
        {"totalCost": pytest.approx(1.0 * 0.55), "transactionId": "TXC"},
    ]
    assert len(_pacing(env)) == 0  # nothing to remember


async def test_a_new_transaction_gets_its_first_running_cost_at_once(env: Env) -> None:
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 1000, 0))
    env.clock.advance(1)
    # Another transaction of the same station, and one of another station with the same id,
    # within the first one's interval: each gets its first at once.
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 500, 1, tx="TXD"))
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 700, 1), station="CS2")
    sent = [(station, m.request) for _, station, m in env.sent if m.action == "CostUpdated"]
    assert sent == [
        ("CS1", {"totalCost": 0.0, "transactionId": "TXC"}),
        ("CS1", {"totalCost": 0.0, "transactionId": "TXD"}),
        ("CS2", {"totalCost": 0.0, "transactionId": "TXC"}),
    ]
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 1, 900, 2, tx="TXD"))
    assert len(_cost_calls(env)) == 4  # TXD's first Updated: at once too
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 2, 950, 3, tx="TXD"))
    assert len(_cost_calls(env)) == 4  # but its next waits for its own interval


async def test_an_ended_transaction_is_forgotten_and_offline_readings_get_none(env: Env) -> None:
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 1000, 0))
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 1000, 0, tx="TXD"))
    assert len(_pacing(env)) == 0  # a Started event's cost does not start the interval
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 1, 1500, 1))
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 1, 1500, 1, tx="TXD"))
    assert len(_pacing(env)) == 2
    env.clock.advance(60)
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 2, 2000, 2, offline=True))
    assert len(_cost_calls(env)) == 4  # replayed: none, however long since the last
    ended = await env.ok(V201, "TransactionEvent", _tx_event("Ended", 3, 3000, 3))
    assert ended["totalCost"] == pytest.approx(2.0 * 0.55)  # Ended still carries the total
    assert len(_cost_calls(env)) == 4
    assert len(_pacing(env)) == 1  # only TXD, still running


def test_pacing_is_bounded_and_a_clock_stepping_back_makes_a_reading_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RunningCostPacing, "_KEPT", 3)
    pacing = RunningCostPacing(30.0)
    for n in range(5):
        pacing.sent("CS1", f"TX{n}", T0)
    assert len(pacing) == 3
    assert pacing.due("CS1", "TX0", T0)  # the oldest went first: due again
    assert not pacing.due("CS1", "TX4", T0 + timedelta(seconds=29))
    assert pacing.due("CS1", "TX4", T0 - timedelta(seconds=1))


async def test_a_late_event_after_ended_reprices_and_a_retried_ended_answers_the_same(
    env: Env,
) -> None:
    await env.ok(V201, "TransactionEvent", _tx_event("Updated", 1, 2000, 10))
    ended = await env.ok(V201, "TransactionEvent", _tx_event("Ended", 2, 4000, 30))
    assert ended["totalCost"] == pytest.approx(2.0 * 0.55)  # all that is known so far
    await env.ok(V201, "TransactionEvent", _tx_event("Started", 0, 1000, 0))
    tx = await env.store.find_transaction("CS1", "TXC")
    assert tx is not None
    assert tx.cost == pytest.approx(3.0 * 0.55)
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.started_at) == (1000, 4000, T0)
    again = await env.ok(V201, "TransactionEvent", _tx_event("Ended", 2, 4000, 30))
    assert again["totalCost"] == pytest.approx(3.0 * 0.55)
    assert len(_cost_calls(env)) == 1  # only the first live Updated, while it was running


async def test_refused_16_start_keeps_its_meter_values_and_stop(env: Env) -> None:
    start = {"connectorId": 2, "idTag": "NOBODY", "meterStart": 100, "timestamp": iso(T0)}
    reply = await env.ok(V16, "StartTransaction", start)
    assert reply["idTagInfo"] == {"status": "Invalid"}
    assert reply["transactionId"] > 0
    tx_id = reply["transactionId"]
    reading = {"value": "600", "measurand": "Energy.Active.Import.Register"}
    await env.ok(
        V16,
        "MeterValues",
        {
            "connectorId": 2,
            "transactionId": tx_id,
            "meterValue": [
                {"timestamp": iso(T0 + timedelta(minutes=5)), "sampledValue": [reading]}
            ],
        },
    )
    stop = {"transactionId": tx_id, "meterStop": 1100, "timestamp": iso(T0 + timedelta(hours=1))}
    assert await env.ok(V16, "StopTransaction", stop) == {}
    tx = await env.store.find_transaction("CS1", str(tx_id))
    assert tx is not None
    assert not tx.active
    assert not tx.authorized
    assert (tx.auth_status, len(tx.meter_values)) == ("Invalid", 3)
    assert tx.cost == pytest.approx(0.55)
    assert await env.store.list_station_events("CS1") == []  # no UnknownTransaction


def test_a_lone_begin_reading_is_no_energy_yet() -> None:
    def reading(wh: float, context: str | None) -> MeterValue:
        return MeterValue(T0, [SampledValue(value=wh, context=context)])

    tariff = KwhTariff()
    begin = tariff.cost([reading(5000, "Transaction.Begin")])
    assert begin is not None
    assert (begin.amount, begin.energy_wh) == (0.0, 0.0)
    # a lone other reading is still taken as energy since the start (OCPI prices 1 kWh so)
    since_start = tariff.cost([reading(1000, None)])
    assert since_start is not None
    assert since_start.amount == pytest.approx(0.55)
