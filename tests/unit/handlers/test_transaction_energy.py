"""A transaction's energy, from its meter values, read as its cost is (one rule: the store's
register bounds): 2.0.1 TransactionEvents through the real router on the real store, the service
reading them back as the API and the console do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.application.service import CsmsService
from core.clock import iso
from core.ocpp.types import OcppVersion
from core.store.energy import delivered_wh, register_bounds
from core.store.models import MeterValue, SampledValue, UnitOfMeasure
from tests.unit.handlers.conftest import Env

V16, V201 = OcppVersion.V16, OcppVersion.V201
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
PRICE = 0.55  # EUR per kWh, the default tariff


class NoConnections:
    def is_connected(self, station_id: str) -> bool:
        return False

    def connected(self) -> set[str]:
        return set()


def service(env: Env) -> CsmsService:
    return CsmsService(
        env.store,
        env.deps.call_maker,
        env.bus,
        env.clock,
        NoConnections(),
        tariff=env.deps.tariff,
    )


def reading(minutes: int, value: float, context: str, **extra: Any) -> dict[str, Any]:
    at = iso(T0 + timedelta(minutes=minutes))
    return {"timestamp": at, "sampledValue": [{"value": value, "context": context, **extra}]}


def event(kind: str, seq: int, minutes: int, *values: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventType": kind,
        "timestamp": iso(T0 + timedelta(minutes=minutes)),
        "triggerReason": {"Started": "Authorized", "Ended": "EVDeparted"}.get(
            kind, "MeterValuePeriodic"
        ),
        "seqNo": seq,
        "transactionInfo": {"transactionId": "TXE", "chargingState": "Charging"},
        "evse": {"id": 1, "connectorId": 1},
    }
    if values:
        body["meterValue"] = list(values)
    return body


KWH = {"unitOfMeasure": {"unit": "kWh"}}
ENERGY = {"measurand": "Energy.Active.Import.Register"}


async def test_a_201_transaction_shows_energy_beside_its_cost_while_running_and_ended(
    env: Env,
) -> None:
    svc = service(env)
    # The register in kWh at the start, a per-phase reading and power beside it: only the
    # whole-meter energy register counts, in Wh.
    await env.ok(
        V201,
        "TransactionEvent",
        event("Started", 0, 0, reading(0, 1.0, "Transaction.Begin", **KWH)),
    )
    periodic = {
        "timestamp": iso(T0 + timedelta(minutes=10)),
        "sampledValue": [
            {"value": 2500, "context": "Sample.Periodic", **ENERGY},
            {"value": 900, "context": "Sample.Periodic", "phase": "L1", **ENERGY},
            {"value": 11000, "context": "Sample.Periodic", "measurand": "Power.Active.Import"},
        ],
    }
    await env.ok(V201, "TransactionEvent", event("Updated", 1, 10, periodic))

    [running] = await svc.list_transactions()
    assert running.active
    assert (running.meter_start_wh, running.meter_stop_wh) == (1000.0, None)
    assert running.energy_wh == pytest.approx(1500.0)  # so far
    assert running.cost == pytest.approx(1.5 * PRICE)  # what CostUpdated told the station
    detail = await svc.transaction_detail("TXE", "CS1")
    assert (detail.energy_wh, detail.cost) == (running.energy_wh, running.cost)

    await env.ok(
        V201,
        "TransactionEvent",
        event("Ended", 2, 30, reading(30, 4000, "Transaction.End", **ENERGY)),
    )
    [ended] = await svc.list_transactions()
    body = ended.to_json()
    assert body["active"] is False
    assert (body["meterStartWh"], body["meterStopWh"], body["energyWh"]) == (1000, 4000, 3000)
    assert body["cost"] == pytest.approx(3.0 * PRICE)


async def test_a_lone_end_reading_is_energy_since_the_start_as_the_tariff_prices_it(
    env: Env,
) -> None:
    """A station that sends its register only at the end (counting from 0 per transaction): the
    energy shown is the energy priced, not 0 kWh beside a cost."""
    svc = service(env)
    await env.ok(V201, "TransactionEvent", event("Started", 0, 0))
    [running] = await svc.list_transactions()
    assert (running.energy_wh, running.cost) == (None, None)  # nothing read yet: nothing said
    await env.ok(
        V201, "TransactionEvent", event("Ended", 1, 45, reading(45, 7.5, "Transaction.End", **KWH))
    )
    [ended] = await svc.list_transactions()
    assert (ended.meter_start_wh, ended.meter_stop_wh, ended.energy_wh) == (0.0, 7500.0, 7500.0)
    assert ended.cost == pytest.approx(7.5 * PRICE)


async def test_a_running_16_transaction_shows_energy_so_far(env: Env) -> None:
    svc = service(env)
    await env.token("TAG1")
    start = {"connectorId": 1, "idTag": "TAG1", "meterStart": 5000, "timestamp": iso(T0)}
    tx_id = (await env.ok(V16, "StartTransaction", start))["transactionId"]
    sampled = {"value": "6.2", "unit": "kWh", **ENERGY}
    await env.ok(
        V16,
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": tx_id,
            "meterValue": [
                {"timestamp": iso(T0 + timedelta(minutes=20)), "sampledValue": [sampled]}
            ],
        },
    )
    [running] = await svc.list_transactions(active=True)
    assert running.meter_start_wh == 5000.0
    assert running.energy_wh == pytest.approx(1200.0)
    assert running.cost == pytest.approx(1.2 * PRICE)


def _mv(minutes: int, wh: float, context: str | None = None) -> MeterValue:
    return MeterValue(
        T0 + timedelta(minutes=minutes),
        [SampledValue(value=wh, context=context, unit_of_measure=UnitOfMeasure("Wh", 0))],
    )


def test_begin_and_end_readings_bound_the_energy_whatever_their_timestamps() -> None:
    """A station's clock may step during a session; the Transaction.Begin and .End readings
    are the start and the stop by what they are."""
    values = [
        _mv(0, 1200, "Sample.Periodic"),
        _mv(5, 1000, "Transaction.Begin"),  # stamped after a sample: its clock was late
        _mv(10, 1800, "Sample.Periodic"),
        _mv(9, 2100, "Transaction.End"),
    ]
    assert register_bounds(values) == (1000, 2100)
    assert delivered_wh(values) == 1100
    # Without them, the earliest and the latest reading.
    assert register_bounds([_mv(0, 1200), _mv(10, 1800)]) == (1200, 1800)
    assert register_bounds([_mv(0, 1200, "Transaction.Begin")]) == (1200, 1200)
    assert register_bounds([]) is None
