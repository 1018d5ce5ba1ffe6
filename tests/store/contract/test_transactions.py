"""Store contract, transaction role: 1.6 starts and stops (idempotent, per station) and 2.0.1
TransactionEvents (de-duplicated, order-independent), with their meter values."""

from __future__ import annotations

import itertools
from datetime import timedelta

from core.clock import FixedClock
from core.store.energy import register_bounds
from core.store.models import (
    MeterValue,
    SampledValue,
    StoredMeterValues,
    Transaction,
    UnitOfMeasure,
)
from core.store.protocols import Store
from core.store.sqlite import SqliteStore
from tests.store.contract.samples import reading


async def test_start_transaction_16_is_idempotent_per_station(
    store: Store, clock: FixedClock
) -> None:
    first = await store.start_transaction_16("cs1", 1, "TAG", 100.0, clock.now(), 42)
    retry = await store.start_transaction_16("cs1", 1, "TAG", 100.0, clock.now(), 43)
    other = await store.start_transaction_16("cs2", 1, "TAG", 100.0, clock.now(), 42)
    assert first == (42, True)
    assert retry == (42, False)
    assert other == (42, True)  # ids are per station
    assert len(await store.list_transactions(active=True)) == 2


async def test_start_transaction_16_stores_the_start(store: Store, clock: FixedClock) -> None:
    await store.start_transaction_16("cs1", 2, "TAG", 100.0, clock.now(), 42)
    tx = await store.find_transaction("cs1", "42")
    assert tx is not None
    assert tx.active
    assert (tx.id_token, tx.token_type, tx.evse_id, tx.connector_id) == ("TAG", "ISO14443", 2, 2)
    assert (tx.started_at, tx.meter_start_wh, tx.auth_status) == (clock.now(), 100.0, "Accepted")
    # The start's register reading is its first meter value.
    assert tx.meter_values == [
        MeterValue(
            clock.now(),
            [
                SampledValue(
                    100.0,
                    context="Transaction.Begin",
                    measurand="Energy.Active.Import.Register",
                    location="Outlet",
                    unit_of_measure=UnitOfMeasure("Wh", 0),
                )
            ],
        )
    ]


async def test_start_transaction_16_never_reuses_a_stations_transaction_id(
    store: Store, clock: FixedClock
) -> None:
    """Transaction ids are unique per station forever: a proposed id already taken is moved."""
    await store.start_transaction_16("cs1", 1, "TAG", 0.0, clock.now(), 42)
    later = clock.now() + timedelta(hours=1)
    tx_id, created = await store.start_transaction_16("cs1", 1, "TAG", 0.0, later, 42)
    assert created
    assert tx_id != 42
    assert {t.transaction_id for t in await store.list_transactions("cs1")} == {"42", str(tx_id)}


async def test_a_refused_16_start_is_stored_with_its_status(
    store: Store, clock: FixedClock
) -> None:
    refused, _ = await store.start_transaction_16(
        "cs1", 1, "BAD", 10.0, clock.now(), 7, auth_status="Blocked"
    )
    accepted, _ = await store.start_transaction_16("cs1", 2, "GOOD", 10.0, clock.now(), 8)
    bad = await store.find_transaction("cs1", str(refused))
    good = await store.find_transaction("cs1", str(accepted))
    assert bad is not None
    assert good is not None
    assert (bad.auth_status, bad.authorized) == ("Blocked", False)
    assert (good.auth_status, good.authorized) == ("Accepted", True)
    listed = {t.transaction_id: t.auth_status for t in await store.list_transactions("cs1")}
    assert listed == {str(refused): "Blocked", str(accepted): "Accepted"}


async def test_stop_transaction_16_ends_it_once(store: Store, clock: FixedClock) -> None:
    t0 = clock.now()
    await store.start_transaction_16("cs1", 1, "TAG", 100.0, t0, 42)
    t1, t2 = t0 + timedelta(minutes=10), t0 + timedelta(minutes=20)
    stopped = await store.stop_transaction_16(
        "cs1", "42", 900.0, t2, "EVDisconnected", "TAG2", [reading(t1, 500.0)]
    )
    assert stopped is not None
    assert not stopped.active
    assert (stopped.ended_at, stopped.meter_stop_wh) == (t2, 900.0)
    assert (stopped.stopped_reason, stopped.stop_id_token, stopped.charging_state) == (
        "EVDisconnected",
        "TAG2",
        "Idle",
    )
    assert [mv.sampled_values[0].value for mv in stopped.meter_values] == [100.0, 500.0, 900.0]
    # A retried StopTransaction changes nothing and answers with the stored transaction.
    retry = await store.stop_transaction_16("cs1", "42", 999.0, t2, "", "", [reading(t2, 1.0)])
    assert retry == stopped
    assert await store.find_transaction("cs1", "42") == stopped
    # Without a reason the station stopped it locally.
    await store.start_transaction_16("cs1", 1, "TAG", 0.0, t2, 43)
    local = await store.stop_transaction_16("cs1", "43", 1.0, t2, "", "", [])
    assert local is not None
    assert local.stopped_reason == "Local"


async def test_stop_transaction_never_touches_another_stations_transaction(
    store: Store, clock: FixedClock
) -> None:
    await store.start_transaction_16("cs1", 1, "TAG", 100.0, clock.now(), 42)
    assert await store.stop_transaction_16("cs2", "42", 200.0, clock.now(), "Local", "", []) is None
    assert await store.stop_transaction_16("cs1", "404", 1.0, clock.now(), "Local", "", []) is None
    tx = await store.find_transaction("cs1", "42")
    assert tx is not None
    assert tx.active


async def test_transaction_events_deduplicate_and_record_gaps(
    store: Store, clock: FixedClock
) -> None:
    fields = Transaction(
        station_id="cs1",
        transaction_id="T1",
        id_token="TOK",
        token_type="ISO14443",
        evse_id=1,
        connector_id=2,
        trigger_reason="Authorized",
        charging_state="Charging",
        remote_start_id=7,
        auth_status="Accepted",
    )
    mv = MeterValue(
        clock.now(),
        [
            SampledValue(
                1.5,
                measurand="Energy.Active.Import.Register",
                unit_of_measure=UnitOfMeasure("kWh", 0),
            )
        ],
    )
    tx, new = await store.apply_transaction_event("cs1", fields, "Started", 0, clock.now(), [mv])
    assert new
    assert tx.start_seq_no == 0
    assert tx.started_at == clock.now()
    assert (tx.id_token, tx.evse_id, tx.connector_id, tx.remote_start_id) == ("TOK", 1, 2, 7)
    _, dup = await store.apply_transaction_event("cs1", fields, "Started", 0, clock.now(), [mv])
    assert dup is False
    offline = Transaction(station_id="cs1", transaction_id="T1", offline=True)
    tx, new = await store.apply_transaction_event("cs1", offline, "Updated", 3, clock.now(), [])
    assert new
    assert tx.seq_no_gaps == [1, 2]
    assert tx.new_gaps == [1, 2]
    assert tx.updated_seq_no_count == 1
    assert tx.offline
    assert tx.id_token == "TOK"
    late = Transaction(station_id="cs1", transaction_id="T1")
    tx, _ = await store.apply_transaction_event("cs1", late, "Updated", 1, clock.now(), [])
    assert tx.seq_no_gaps == [2]
    assert tx.new_gaps == []
    assert tx.last_seq_no == 3
    ended = Transaction(
        station_id="cs1", transaction_id="T1", stopped_reason="EVDisconnected", stop_id_token="T"
    )
    tx, _ = await store.apply_transaction_event("cs1", ended, "Ended", 4, clock.now(), [])
    assert tx.ended_seq_no == 4
    assert not tx.active
    assert (tx.stopped_reason, tx.stop_id_token) == ("EVDisconnected", "T")
    stored = await store.find_transaction("cs1", "T1")
    assert stored is not None
    assert len(stored.meter_values) == 1  # the duplicate added nothing
    unit = stored.meter_values[0].sampled_values[0].unit_of_measure
    assert unit == UnitOfMeasure("kWh", 0)
    assert (stored.seq_no_gaps, stored.offline, stored.remote_start_id) == ([2], True, 7)
    assert await store.find_transaction("cs2", "T1") is None


async def test_meter_start_stop_and_state_are_the_same_in_any_arrival_order(
    store: Store, clock: FixedClock
) -> None:
    t0 = clock.now()
    events = [  # (type, seqNo, minutes, Wh, context, charging state)
        ("Started", 0, 0, 1000.0, "Transaction.Begin", "Charging"),
        ("Updated", 1, 10, 2500.0, "Sample.Periodic", "SuspendedEV"),
        ("Ended", 2, 20, 3000.0, "Transaction.End", "Idle"),
    ]
    for n, order in enumerate(itertools.permutations(events)):
        tx_id = f"T{n}"
        results: list[Transaction] = []
        sent: list[MeterValue] = []
        for kind, seq, minutes, wh, context, state in order:
            at = t0 + timedelta(minutes=minutes)
            fields = Transaction(station_id="cs1", transaction_id=tx_id, charging_state=state)
            sent.append(MeterValue(at, [SampledValue(wh, context)]))
            tx, new = await store.apply_transaction_event("cs1", fields, kind, seq, at, sent[-1:])
            assert new
            # the bounds over every reading so far, which the result does not carry
            assert tx.register_wh == register_bounds(sent), order
            assert tx.meter_values == []
            results.append(tx)
        final = results[-1]
        assert (final.meter_start_wh, final.meter_stop_wh) == (1000.0, 3000.0), order
        assert (final.started_at, final.ended_at) == (t0, t0 + timedelta(minutes=20)), order
        assert final.charging_state == "Idle", order
        assert final.seq_no_gaps == [], order
        stored = await store.find_transaction("cs1", tx_id)
        assert stored is not None
        assert (stored.meter_start_wh, stored.meter_stop_wh) == (1000.0, 3000.0)
        # while it runs there is no stop reading yet, whatever has arrived
        assert all(r.meter_stop_wh is None for r in results if r.active)


async def test_a_transactions_register_bounds_count_every_reading_however_it_came(
    store: SqliteStore, clock: FixedClock
) -> None:
    """The store keeps a transaction's register span as its readings come, and every read of
    the transaction (an event's result, find with or without readings, a list) gives its bounds.
    Readings written for it another way (MeterValues naming the transaction) and a span not
    known (a transaction stored before spans were kept) must count as the events' own do."""
    t0 = clock.now()
    sent = [reading(t0, 1000.0, "Transaction.Begin")]
    started = Transaction(station_id="cs1", transaction_id="T1")

    async def bounds_read() -> list[tuple[float, float] | None]:
        found = await store.find_transaction("cs1", "T1")
        bare = await store.find_transaction("cs1", "T1", readings=False)
        assert found is not None
        assert bare is not None
        assert found.meter_values == sorted(sent, key=lambda mv: mv.timestamp)
        assert bare.meter_values == []
        listed = [tx.register_wh for tx in await store.list_transactions("cs1")]
        return [found.register_wh, bare.register_wh, *listed]

    async def forget_span() -> None:  # as though stored before spans were kept
        await store.run(lambda c: c.execute("UPDATE transactions SET register_span=NULL"))

    async def span_known() -> bool:
        rows = await store.run(
            lambda c: c.execute("SELECT register_span FROM transactions").fetchall()
        )
        return all(r[0] is not None for r in rows)

    await store.apply_transaction_event("cs1", started, "Started", 0, t0, sent)
    late = reading(t0 + timedelta(minutes=30), 5000.0)
    await store.add_meter_values([StoredMeterValues("cs1", 1, "T1", late)])
    sent.append(late)
    assert await bounds_read() == [(1000.0, 5000.0)] * 3
    for seq in (1, 2):
        at = t0 + timedelta(minutes=seq * 10)
        sent.append(reading(at, 1000.0 + seq * 100))
        tx, _ = await store.apply_transaction_event("cs1", started, "Updated", seq, at, sent[-1:])
        assert tx.register_wh == register_bounds(sent) == (1000.0, 5000.0)
        await forget_span()  # the next event reads the span from the readings
    sent.append(reading(t0 + timedelta(minutes=40), 6000.0, "Transaction.End"))
    tx, _ = await store.apply_transaction_event("cs1", started, "Ended", 3, t0, sent[-1:])
    assert (tx.meter_start_wh, tx.meter_stop_wh) == register_bounds(sent) == (1000.0, 6000.0)
    await forget_span()  # a read finds it from the readings, and keeps it
    assert await bounds_read() == [(1000.0, 6000.0)] * 3
    assert await span_known()


async def test_transaction_cost_is_set_on_that_transaction_only(
    store: Store, clock: FixedClock
) -> None:
    await store.start_transaction_16("cs1", 1, "TAG", 0.0, clock.now(), 1)
    await store.start_transaction_16("cs2", 1, "TAG", 0.0, clock.now(), 1)
    await store.set_transaction_cost("cs1", "1", 12.34, "EUR")
    await store.set_transaction_cost("cs1", "404", 1.0, "EUR")  # unknown: nothing happens
    cs1 = await store.find_transaction("cs1", "1")
    cs2 = await store.find_transaction("cs2", "1")
    assert cs1 is not None
    assert (cs1.cost, cs1.currency) == (12.34, "EUR")
    assert cs2 is not None
    assert (cs2.cost, cs2.currency) == (None, "")
    assert await store.find_transaction("cs1", "404") is None


async def test_list_transactions_filters_and_pages_newest_first(
    store: Store, clock: FixedClock
) -> None:
    t0 = clock.now()
    for n in range(4):  # cs1: 1..4, started an hour apart; 1 and 2 ended
        await store.start_transaction_16("cs1", 1, "TAG", 0.0, t0 + timedelta(hours=n), n + 1)
    await store.stop_transaction_16("cs1", "1", 5.0, t0 + timedelta(minutes=30), "", "", [])
    await store.stop_transaction_16("cs1", "2", 5.0, t0 + timedelta(hours=5), "", "", [])
    started = Transaction(station_id="cs2", transaction_id="A")
    await store.apply_transaction_event("cs2", started, "Started", 0, t0 + timedelta(hours=2), [])

    everything = await store.list_transactions()
    assert [(t.station_id, t.transaction_id) for t in everything] == [
        ("cs1", "4"),
        ("cs2", "A"),  # started with cs1's 3: ties go by station and id, descending too
        ("cs1", "3"),
        ("cs1", "2"),
        ("cs1", "1"),
    ]
    assert all(t.meter_values == [] for t in everything)  # not loaded in lists
    ids = [t.transaction_id for t in await store.list_transactions("cs1")]
    assert ids == ["4", "3", "2", "1"]
    assert [t.transaction_id for t in await store.list_transactions("cs1", limit=2)] == ids[:2]
    page = await store.list_transactions("cs1", limit=2, offset=2)
    assert [t.transaction_id for t in page] == ids[2:]
    active = await store.list_transactions("cs1", active=True)
    assert [t.transaction_id for t in active] == ["4", "3"]
    ended = await store.list_transactions(active=False)
    assert [t.transaction_id for t in ended] == ["2", "1"]
    # ``since``: ended at or after it, or (still running) started at or after it.
    since = await store.list_transactions(since=t0 + timedelta(hours=2))
    assert [t.transaction_id for t in since] == ["4", "A", "3", "2"]
    assert await store.list_transactions("cs3") == []


async def test_a_transaction_without_a_start_time_lists_last(
    store: Store, clock: FixedClock
) -> None:
    """Known only from its Ended event (its Started never came): listed after every transaction
    with a start time, in either store."""
    await store.start_transaction_16("cs1", 1, "TAG", 0.0, clock.now(), 1)
    ended = Transaction(station_id="cs1", transaction_id="E")
    later = clock.now() + timedelta(hours=1)
    tx, _ = await store.apply_transaction_event("cs1", ended, "Ended", 5, later, [])
    assert tx.started_at is None
    assert tx.ended_at == later
    assert [t.transaction_id for t in await store.list_transactions()] == ["1", "E"]
    assert [t.transaction_id for t in await store.list_transactions(limit=1, offset=1)] == ["E"]


async def test_close_transaction_ends_a_stale_one_with_the_operators_reason(
    store: Store, clock: FixedClock
) -> None:
    t0 = clock.now()
    await store.start_transaction_16("cs1", 1, "TAG", 100.0, t0, 42)
    closed_at = t0 + timedelta(hours=30)
    result = await store.close_transaction("cs1", "42", closed_at, "station replaced")
    assert result is not None
    closed, done = result
    assert done
    assert not closed.active
    assert (closed.ended_at, closed.stopped_reason, closed.close_reason) == (
        closed_at,
        "Other",
        "station replaced",
    )
    # The energy known is the register's readings so far: only the start here.
    assert (closed.meter_start_wh, closed.meter_stop_wh) == (100.0, 100.0)
    assert await store.find_transaction("cs1", "42") == closed
    assert [t.transaction_id for t in await store.list_transactions(active=True)] == []
    # Closing again changes nothing; another station's or an unknown id is not found.
    again = await store.close_transaction("cs1", "42", closed_at + timedelta(hours=1), "again")
    assert again == (closed, False)
    assert await store.close_transaction("cs2", "42", closed_at, "x") is None
    assert await store.close_transaction("cs1", "404", closed_at, "x") is None


async def test_a_stations_own_stop_after_a_close_still_counts(
    store: Store, clock: FixedClock
) -> None:
    t0 = clock.now()
    await store.start_transaction_16("cs1", 1, "TAG", 100.0, t0, 42)
    await store.close_transaction("cs1", "42", t0 + timedelta(hours=30), "lost stop")
    # The station comes back with its queued StopTransaction: its figures replace the guess.
    t1 = t0 + timedelta(hours=2)
    stopped = await store.stop_transaction_16("cs1", "42", 4100.0, t1, "PowerLoss", "", [])
    assert stopped is not None
    assert (stopped.ended_at, stopped.meter_stop_wh, stopped.stopped_reason) == (
        t1,
        4100.0,
        "PowerLoss",
    )
    assert stopped.close_reason == "lost stop"  # the history keeps what the operator did
    # ...once: a retry of that stop is a retry.
    retry = await store.stop_transaction_16("cs1", "42", 9999.0, t1, "", "", [])
    assert retry == stopped
    # 2.0.1: readings and the Ended event arriving after a close are kept too.
    started = Transaction(station_id="cs1", transaction_id="T9", evse_id=1, connector_id=1)
    await store.apply_transaction_event("cs1", started, "Started", 0, t0, [reading(t0, 10.0)])
    await store.close_transaction("cs1", "T9", t0 + timedelta(hours=30), "EVSE swapped")
    update = Transaction(station_id="cs1", transaction_id="T9")
    tx, _ = await store.apply_transaction_event(
        "cs1", update, "Updated", 1, t1, [reading(t1, 50.0)]
    )
    assert (tx.meter_start_wh, tx.meter_stop_wh) == (10.0, 50.0)
    ended = Transaction(station_id="cs1", transaction_id="T9", stopped_reason="EVDisconnected")
    tx, _ = await store.apply_transaction_event("cs1", ended, "Ended", 2, t1, [])
    assert (tx.ended_at, tx.ended_seq_no, tx.stopped_reason) == (t1, 2, "EVDisconnected")
