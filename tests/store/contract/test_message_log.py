"""Store contract, message log role: bounded, newest first, paged backwards, filtered."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core.clock import FixedClock
from core.store.models import LoggedMessage, encode_payload, frame_row
from core.store.protocols import Store
from core.store.sqlite import SqliteStore
from core.store.sqlite.message_log import ID_BLOCK


async def test_messages_round_trip(store: Store, clock: FixedClock) -> None:
    call = LoggedMessage("cs1", clock.now(), "in", 2, "m1", "BootNotification", {"a": [1, "b"]})
    error = LoggedMessage(
        "cs1", clock.now(), "out", 4, "m2", "", None, "NotSupported", "no such action"
    )
    await store.log_messages([call, error])
    await store.log_messages([])
    listed = await store.list_messages()
    assert [replace(m, id=0) for m in listed] == [error, call]
    assert 0 < listed[1].id < listed[0].id  # the store numbers them, in order


async def test_frames_in_their_stored_shape_read_back_as_messages(
    store: Store, clock: FixedClock
) -> None:
    """``log_frames``: the gateway's rows (payload already JSON text) are the same messages."""
    call = LoggedMessage("cs1", clock.now(), "in", 2, "m1", "Heartbeat", {"a": [1, "b"]})
    error = LoggedMessage("cs1", clock.now(), "out", 4, "m2", "", None, "NotSupported", "no")
    await store.log_frames([frame_row(call), frame_row(error)])
    await store.log_frames([])
    assert [replace(m, id=0) for m in await store.list_messages()] == [error, call]
    assert frame_row(call)[6] == '{"a":[1,"b"]}'
    assert frame_row(error)[6] is None


def test_a_payload_json_cannot_hold_becomes_a_note_not_a_lost_batch() -> None:
    """One unencodable payload must not lose the batch it would be written with."""
    text = encode_payload({"n": 2**70})
    assert text is not None
    assert "notLogged" in text


async def test_a_large_batch_is_stored_whole_and_in_order(store: Store, clock: FixedClock) -> None:
    # 700 rows: written in statements of 256, 256, 128, 32, 16, 8 and 4 rows.
    batch = [
        LoggedMessage(f"cs{i % 7}", clock.now(), "in", 2, f"m{i}", "Heartbeat", {"n": i})
        for i in range(700)
    ]
    await store.log_messages(batch)
    listed = await store.list_messages(limit=1000)
    assert [replace(m, id=0) for m in reversed(listed)] == batch


async def test_message_log_pages_and_filters(store: Store, clock: FixedClock) -> None:
    t0 = clock.now()
    await store.log_messages(
        [LoggedMessage("cs1", t0, "in", 2, f"m{i}", "Heartbeat", {}) for i in range(5)]
        + [LoggedMessage("cs2", t0, "out", 4, "e1", "Reset", None, "NotSupported")]
        + [LoggedMessage("cs1", t0 + timedelta(hours=1), "out", 3, "r1", "Reset", {})]
    )

    def ids(messages: list[LoggedMessage]) -> list[str]:
        return [m.message_id for m in messages]

    newest = await store.list_messages(station_id="cs1", limit=2)
    assert ids(newest) == ["r1", "m4"]
    older = await store.list_messages(station_id="cs1", before_id=newest[-1].id, limit=10)
    assert ids(older) == ["m3", "m2", "m1", "m0"]
    assert ids(await store.list_messages(errors_only=True)) == ["e1"]
    assert ids(await store.list_messages(action="Reset")) == ["r1", "e1"]
    assert ids(await store.list_messages(direction="out", station_id="cs1")) == ["r1"]
    assert ids(await store.list_messages(since=t0 + timedelta(minutes=1))) == ["r1"]
    assert len(await store.list_messages(since=t0)) == 7  # ``since`` is inclusive
    assert await store.list_messages(station_id="cs3") == []


async def test_a_station_s_messages_are_found_across_blocks_of_ids(
    store: Store, clock: FixedClock
) -> None:
    """The per-station index leads with the block of ids (ID_BLOCK rows): a quiet station's
    messages, blocks apart and behind a busy one's, are all found, newest first, and paged."""
    t0 = clock.now()

    def busy(n: int) -> list[LoggedMessage]:
        return [LoggedMessage("busy", t0, "in", 2, f"b{i}", "Heartbeat", {}) for i in range(n)]

    def quiet(name: str) -> LoggedMessage:
        return LoggedMessage("quiet", t0, "in", 2, name, "Heartbeat", {})

    await store.log_messages([quiet("q0"), *busy(ID_BLOCK), quiet("q1")])
    await store.log_messages([*busy(2 * ID_BLOCK + 10), quiet("q2"), quiet("q3")])

    def ids(messages: list[LoggedMessage]) -> list[str]:
        return [m.message_id for m in messages]

    found = await store.list_messages(station_id="quiet")
    assert ids(found) == ["q3", "q2", "q1", "q0"]
    assert [m.id for m in found] == sorted((m.id for m in found), reverse=True)
    assert found[0].id - found[-1].id > 3 * ID_BLOCK  # four blocks apart, at least
    page = await store.list_messages(station_id="quiet", limit=3)
    assert ids(page) == ["q3", "q2", "q1"]
    rest = await store.list_messages(station_id="quiet", before_id=page[-1].id)
    assert ids(rest) == ["q0"]
    assert await store.list_messages(station_id="quiet", before_id=found[-1].id) == []
    newest_busy = await store.list_messages(station_id="busy", limit=ID_BLOCK + 5)
    assert len(newest_busy) == ID_BLOCK + 5  # a page that spans two blocks
    assert ids(newest_busy[:2]) == [f"b{2 * ID_BLOCK + 9}", f"b{2 * ID_BLOCK + 8}"]
    assert await store.list_messages(station_id="nobody") == []


async def test_trim_keeps_the_newest_and_drops_the_old(store: Store, clock: FixedClock) -> None:
    t0 = clock.now()
    await store.log_messages(
        [LoggedMessage("cs1", t0 + timedelta(hours=i), "in", 2, f"m{i}") for i in range(6)]
    )
    assert await store.trim_messages(keep=4) == 2
    assert [m.message_id for m in await store.list_messages()] == ["m5", "m4", "m3", "m2"]
    assert await store.trim_messages(keep=4) == 0
    assert await store.trim_messages(keep=10, older_than=t0 + timedelta(hours=4)) == 2
    assert [m.message_id for m in await store.list_messages()] == ["m5", "m4"]


async def test_the_log_trims_itself_to_its_retention(store: SqliteStore, clock: FixedClock) -> None:
    bounded = type(store)(store.path, message_log_retention=10)
    await bounded.open()
    try:
        for batch in range(3):
            await bounded.log_messages(
                [LoggedMessage("cs1", clock.now(), "in", 2, f"{batch}-{i}") for i in range(400)]
            )
        kept = await bounded.list_messages(limit=1000)
        assert [m.message_id for m in kept] == [f"2-{i}" for i in reversed(range(390, 400))]
    finally:
        await bounded.close()


async def test_one_unencodable_payload_does_not_lose_the_batch(
    store: Store, clock: FixedClock
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
    assert logged["a"] == {}
    assert logged["c"] == {}
    assert "cannot be stored as JSON" in logged["b"]["notLogged"]
