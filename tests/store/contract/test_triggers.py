"""Store contract, trigger role: one pending TriggerMessage per station, claimed as a lease."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.clock import FixedClock
from core.store.models import TriggerMessage, TriggerStatus
from core.store.protocols import Store


async def test_a_station_has_one_trigger(store: Store, clock: FixedClock) -> None:
    assert await store.lookup_trigger("cs1") is None
    await store.set_trigger("cs1", TriggerMessage("BootNotification"))
    replaced = TriggerMessage("StatusNotification", TriggerStatus.REJECTED, clock.now(), 2)
    await store.set_trigger("cs1", replaced)
    await store.set_trigger("cs2", TriggerMessage("Heartbeat"))
    assert await store.lookup_trigger("cs1") == replaced
    assert await store.lookup_trigger("cs2") == TriggerMessage("Heartbeat")
    await store.delete_trigger("cs1")
    await store.delete_trigger("cs1")  # deleting twice is harmless
    assert await store.lookup_trigger("cs1") is None
    assert await store.lookup_trigger("cs2") is not None


async def test_trigger_claims_are_leases_that_count_attempts(
    store: Store, clock: FixedClock
) -> None:
    now = clock.now()
    await store.set_trigger("cs3", TriggerMessage("Heartbeat"))
    await store.set_trigger("cs1", TriggerMessage("BootNotification"))
    await store.set_trigger("cs2", TriggerMessage("Heartbeat", TriggerStatus.ACCEPTED))
    await store.set_trigger("cs4", TriggerMessage("Heartbeat", send_after=now + timedelta(hours=1)))
    lease = now + timedelta(minutes=2)
    assert await store.claim_due_triggers(now, lease, limit=1) == {
        "cs1": TriggerMessage("BootNotification", send_after=lease, attempts=1)
    }
    assert await store.claim_due_triggers(now, lease) == {
        "cs3": TriggerMessage("Heartbeat", send_after=lease, attempts=1)
    }
    assert await store.claim_due_triggers(now, lease) == {}
    expired = now + timedelta(minutes=3)
    again = await store.claim_due_triggers(expired, expired)
    assert {k: v.attempts for k, v in again.items()} == {"cs1": 2, "cs3": 2}
    assert await store.lookup_trigger("cs1") == TriggerMessage(
        "BootNotification", send_after=expired, attempts=2
    )


async def test_concurrent_trigger_claims_never_share_one(
    store: Store, other_manager: Store, clock: FixedClock
) -> None:
    for n in range(30):
        await store.set_trigger(f"cs{n:02d}", TriggerMessage("Heartbeat"))
    lease = clock.now() + timedelta(minutes=2)
    results = await asyncio.gather(
        *(m.claim_due_triggers(clock.now(), lease, limit=4) for m in [store, other_manager] * 4)
    )
    claimed = [station_id for r in results for station_id in r]
    assert len(claimed) == len(set(claimed)) == 30
