"""Store contract, meter value role: readings in and out of transactions, every sampled-value
field kept."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FixedClock
from core.store.models import MeterValue, SampledValue, StoredMeterValues, UnitOfMeasure
from core.store.protocols import Store
from tests.store.contract.samples import reading


async def test_every_sampled_value_field_round_trips(store: Store, clock: FixedClock) -> None:
    full = MeterValue(
        clock.now(),
        [
            SampledValue(
                230.5,
                context="Sample.Clock",
                format="Raw",
                measurand="Voltage",
                phase="L1-N",
                location="Inlet",
                unit_of_measure=UnitOfMeasure("V", -1),
            ),
            SampledValue(0.0),  # every optional field absent
        ],
    )
    await store.add_meter_values([StoredMeterValues("cs1", 2, "T1", full)])
    assert await store.list_meter_values("cs1") == [StoredMeterValues("cs1", 2, "T1", full)]
    assert await store.list_meter_values("cs1", "T1") == [StoredMeterValues("cs1", 2, "T1", full)]


async def test_meter_values_list_per_station_and_transaction(
    store: Store, clock: FixedClock
) -> None:
    t0 = clock.now()
    at = [t0 + timedelta(minutes=n) for n in range(4)]
    await store.add_meter_values(
        [
            StoredMeterValues("cs1", 1, "T1", reading(at[1], 2.0)),
            StoredMeterValues("cs1", 1, "T1", reading(at[0], 1.0)),  # late: older reading
            StoredMeterValues("cs1", 0, None, reading(at[2], 3.0)),  # outside a transaction
            StoredMeterValues("cs2", 1, "T1", reading(at[3], 4.0)),
        ]
    )
    await store.add_meter_values([])

    def values(rows: list[StoredMeterValues]) -> list[float]:
        return [r.meter_value.sampled_values[0].value for r in rows]

    # A station's readings: newest first; a transaction's: oldest first (a chart's order).
    assert values(await store.list_meter_values("cs1")) == [3.0, 2.0, 1.0]
    assert values(await store.list_meter_values("cs1", limit=2)) == [3.0, 2.0]
    tx = await store.list_meter_values("cs1", "T1")
    assert values(tx) == [1.0, 2.0]
    assert {(r.station_id, r.evse_id) for r in tx} == {("cs1", 1)}
    assert values(await store.list_meter_values("cs1", "T1", limit=1)) == [1.0]
    assert (await store.list_meter_values("cs1"))[0].transaction_id is None
    assert values(await store.list_meter_values("cs2", "T1")) == [4.0]
    assert await store.list_meter_values("cs1", "T404") == []
    assert await store.list_meter_values("cs3") == []


async def test_meter_values_of_a_transaction_show_in_it(store: Store, clock: FixedClock) -> None:
    await store.start_transaction_16("cs1", 1, "TAG", 0.0, clock.now(), 1)
    later = clock.now() + timedelta(minutes=1)
    await store.add_meter_values([StoredMeterValues("cs1", 1, "1", reading(later, 7.0))])
    tx = await store.find_transaction("cs1", "1")
    assert tx is not None
    assert [mv.timestamp for mv in tx.meter_values] == [clock.now(), later]
