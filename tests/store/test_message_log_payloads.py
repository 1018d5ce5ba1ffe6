"""A payload the JSON encoder refuses is logged as a note, and the rest of its batch is kept
(both store implementations)."""

from __future__ import annotations

from core.clock import FixedClock
from core.store.models import LoggedMessage
from core.store.sqlite import SqliteStore


async def test_one_unencodable_payload_does_not_lose_the_batch(
    store: SqliteStore, clock: FixedClock
) -> None:
    deep: object = "leaf"
    for _ in range(300):  # beyond what the encoder writes
        deep = [deep]
    batch = [
        LoggedMessage("cs1", clock.now(), "in", 2, "a", "Heartbeat", {}),
        LoggedMessage("cs1", clock.now(), "in", 2, "b", "DataTransfer", {"data": deep}),
        LoggedMessage("cs1", clock.now(), "in", 2, "c", "Heartbeat", {}),
    ]
    await store.log_messages(batch)
    logged = {m.message_id: m.payload for m in await store.list_messages(station_id="cs1")}
    assert logged["a"] == {} and logged["c"] == {}
    assert "cannot be stored as JSON" in logged["b"]["notLogged"]
