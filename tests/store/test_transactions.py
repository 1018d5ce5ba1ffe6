"""Store contract for transactions: a refused start's status round-trips, and a 2.0.1
transaction's meter start/stop and latest state do not depend on the order its events arrive."""

from __future__ import annotations

import itertools
from datetime import timedelta

from core.clock import FixedClock
from core.store.models import MeterValue, SampledValue, Transaction
from core.store.sqlite import SqliteStore


async def test_a_refused_16_start_is_stored_with_its_status(
    store: SqliteStore, clock: FixedClock
) -> None:
    refused, _ = await store.start_transaction_16(
        "cs1", 1, "BAD", 10.0, clock.now(), 7, auth_status="Blocked"
    )
    accepted, _ = await store.start_transaction_16("cs1", 2, "GOOD", 10.0, clock.now(), 8)
    bad = await store.find_transaction("cs1", str(refused))
    good = await store.find_transaction("cs1", str(accepted))
    assert bad is not None and good is not None
    assert (bad.auth_status, bad.authorized) == ("Blocked", False)
    assert (good.auth_status, good.authorized) == ("Accepted", True)
    listed = {t.transaction_id: t.auth_status for t in await store.list_transactions("cs1")}
    assert listed == {str(refused): "Blocked", str(accepted): "Accepted"}


async def test_meter_start_stop_and_state_are_the_same_in_any_arrival_order(
    store: SqliteStore, clock: FixedClock
) -> None:
    t0 = clock.now()
    events = [  # (type, seqNo, minutes, Wh, context, charging state)
        ("Started", 0, 0, 1000.0, "Transaction.Begin", "Charging"),
        ("Updated", 1, 10, 2500.0, "Sample.Periodic", "SuspendedEV"),
        ("Ended", 2, 20, 3000.0, "Transaction.End", "Idle"),
    ]
    for n, order in enumerate(itertools.permutations(events)):
        tx_id = f"T{n}"
        results = []
        for kind, seq, minutes, wh, context, state in order:
            at = t0 + timedelta(minutes=minutes)
            fields = Transaction(station_id="cs1", transaction_id=tx_id, charging_state=state)
            tx, new = await store.apply_transaction_event(
                "cs1", fields, kind, seq, at, [MeterValue(at, [SampledValue(wh, context)])]
            )
            assert new and len(tx.meter_values) == len(results) + 1
            results.append(tx)
        final = results[-1]
        assert (final.meter_start_wh, final.meter_stop_wh) == (1000.0, 3000.0), order
        assert (final.started_at, final.ended_at) == (t0, t0 + timedelta(minutes=20)), order
        assert final.charging_state == "Idle", order
        stored = await store.find_transaction("cs1", tx_id)
        assert stored is not None
        assert (stored.meter_start_wh, stored.meter_stop_wh) == (1000.0, 3000.0)
        # while it runs there is no stop reading yet, whatever has arrived
        assert all(r.meter_stop_wh is None for r in results if r.active)
