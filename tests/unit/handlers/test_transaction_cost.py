"""Transaction cost and energy in the handlers, on the real store: retries, late events, the
running cost's conditions, a refused 1.6 start, and the tariff's reading of a lone Begin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.clock import iso
from core.ocpp.types import Message, MessageType, OcppVersion
from core.services.tariff import KwhTariff
from core.store.models import MeterValue, SampledValue
from tests.unit.handlers.conftest import Env

V16, V201 = OcppVersion.V16, OcppVersion.V201
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _tx_event(
    kind: str, seq: int, wh: float | None, minutes: int, offline: bool = False
) -> dict[str, Any]:
    at = iso(T0 + timedelta(minutes=minutes))
    event: dict[str, Any] = {
        "eventType": kind,
        "timestamp": at,
        "triggerReason": {"Started": "Authorized", "Ended": "EVDeparted"}.get(
            kind, "MeterValuePeriodic"
        ),
        "seqNo": seq,
        "transactionInfo": {"transactionId": "TXC", "chargingState": "Charging"},
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
