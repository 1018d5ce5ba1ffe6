"""Store contract, message log role: bounded, newest first, paged backwards, filtered; frames
kept in packs, many to a row (core/store/message_packs.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core.clock import FixedClock
from core.store.message_packs import PACK_SLOTS
from core.store.models import LoggedMessage, SecurityProfile, StationAuth, encode_payload, frame_row
from core.store.protocols import Store
from core.store.sqlite import SqliteStore


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


async def test_a_station_s_messages_are_found_across_packs(store: Store, clock: FixedClock) -> None:
    """A quiet station's frames, many packs apart and behind a busy one's, are all found, newest
    first, and paged; ids grow with time across packs and within one."""
    t0 = clock.now()

    def busy(n: int) -> list[LoggedMessage]:
        return [LoggedMessage("busy", t0, "in", 2, f"b{i}", "Heartbeat", {}) for i in range(n)]

    def quiet(name: str) -> LoggedMessage:
        return LoggedMessage("quiet", t0, "in", 2, name, "Heartbeat", {})

    await store.log_messages([quiet("q0"), *busy(PACK_SLOTS), quiet("q1")])  # two packs
    for _ in range(20):  # more packs than a read fetches at a time
        await store.log_messages(busy(30))
    await store.log_messages([quiet("q2"), *busy(3), quiet("q3")])

    def ids(messages: list[LoggedMessage]) -> list[str]:
        return [m.message_id for m in messages]

    found = await store.list_messages(station_id="quiet")
    assert ids(found) == ["q3", "q2", "q1", "q0"]
    assert [m.id for m in found] == sorted((m.id for m in found), reverse=True)
    assert len({m.id for m in found}) == 4
    page = await store.list_messages(station_id="quiet", limit=3)
    assert ids(page) == ["q3", "q2", "q1"]
    rest = await store.list_messages(station_id="quiet", before_id=page[-1].id)
    assert ids(rest) == ["q0"]
    assert await store.list_messages(station_id="quiet", before_id=found[-1].id) == []
    assert await store.list_messages(before_id=0) == []
    everything = await store.list_messages(limit=10_000)
    assert len(everything) == 4 + PACK_SLOTS + 20 * 30 + 3
    assert [m.id for m in everything] == sorted((m.id for m in everything), reverse=True)
    # A page that ends inside a pack goes on from the frame before it, in the same pack.
    first = await store.list_messages(station_id="busy", limit=PACK_SLOTS - 5)
    second = await store.list_messages(station_id="busy", before_id=first[-1].id, limit=10)
    assert [m.id for m in second] == [m.id for m in everything if m.id < first[-1].id][:10]
    assert await store.list_messages(station_id="nobody") == []


async def test_a_read_of_many_packs_is_several_store_jobs(
    store: SqliteStore, clock: FixedClock
) -> None:
    """A read that scans many packs (here one for a station with no frames among 60 packs of
    another's) takes the writer for a few packs a job, so every station's writes go in between."""
    for i in range(60):
        await store.log_messages([LoggedMessage("busy", clock.now(), "in", 2, f"b{i}", "X", {})])
    await store.log_messages([LoggedMessage("quiet", clock.now(), "in", 2, "q", "X", {})])
    before = store.jobs
    assert await store.list_messages(direction="out") == []  # no prefilter: every pack read
    assert store.jobs - before == 3  # 61 packs, 24 a job
    before = store.jobs
    assert len(await store.list_messages(limit=3)) == 3
    assert store.jobs - before == 1


async def test_a_station_id_with_pattern_characters_is_matched_exactly(
    store: Store, clock: FixedClock
) -> None:
    """The packs' station prefilter is a LIKE pattern: ``%``, ``_`` and ``!`` in an id are
    matched as themselves."""
    names = ["cs_1", "csX1", "cs%1", "cs!1", "cs1"]
    await store.log_messages(
        [LoggedMessage(n, clock.now(), "in", 2, f"m-{n}", "Heartbeat", {}) for n in names]
    )
    for name in names:
        assert [m.message_id for m in await store.list_messages(station_id=name)] == [f"m-{name}"]
    assert await store.list_messages(station_id="cs") == []


async def test_trim_keeps_the_newest_and_drops_the_old(store: Store, clock: FixedClock) -> None:
    t0 = clock.now()
    for i in range(6):  # one pack each
        await store.log_messages([LoggedMessage("cs1", t0 + timedelta(hours=i), "in", 2, f"m{i}")])
    assert await store.trim_messages(keep=4) == 2
    assert [m.message_id for m in await store.list_messages()] == ["m5", "m4", "m3", "m2"]
    assert await store.trim_messages(keep=4) == 0
    assert await store.trim_messages(keep=10, older_than=t0 + timedelta(hours=4)) == 2
    assert [m.message_id for m in await store.list_messages()] == ["m5", "m4"]


async def test_trim_drops_whole_packs_only(store: Store, clock: FixedClock) -> None:
    """A pack that holds some of the newest ``keep`` frames is kept whole: the log keeps at
    least ``keep`` frames, at most a pack more."""
    t0 = clock.now()
    for pack in range(3):
        await store.log_messages(
            [
                LoggedMessage("cs1", t0 + timedelta(hours=pack), "in", 2, f"{pack}-{i}")
                for i in range(4)
            ]
        )
    assert await store.trim_messages(keep=5) == 4  # pack 0 goes; pack 1 holds the 5th newest
    assert [m.message_id for m in await store.list_messages()][-1] == "1-0"
    # Older than a time: the packs whose every frame is; a pack newer in part stays whole.
    assert await store.trim_messages(keep=100, older_than=t0 + timedelta(minutes=30, hours=1)) == 4
    assert await store.trim_messages(keep=100, older_than=t0 + timedelta(hours=2)) == 0
    assert len(await store.list_messages()) == 4


async def test_the_log_trims_itself_to_its_retention(store: SqliteStore, clock: FixedClock) -> None:
    bounded = type(store)(store.path, message_log_retention=10)
    await bounded.open()
    try:
        for batch in range(3):
            await bounded.log_messages(
                [LoggedMessage("cs1", clock.now(), "in", 2, f"{batch}-{i}") for i in range(400)]
            )
        # Past 1,000 frames the log trims itself: to the newest pack that holds its ten.
        kept = await bounded.list_messages(limit=1000)
        assert [m.message_id for m in kept] == [f"2-{i}" for i in reversed(range(400))]
    finally:
        await bounded.close()


async def test_a_deleted_station_s_frames_leave_the_packs_it_shared(
    store: Store, clock: FixedClock
) -> None:
    """Frames of two stations in one pack: deleting one takes its frames, and the other's keep
    their ids."""
    auth = StationAuth(SecurityProfile.BASIC, "a" * 43 + "=")
    for name in ("gone", "kept"):
        await store.register_station(name, auth, clock.now())
    await store.log_messages(
        [
            LoggedMessage(name, clock.now(), "in", 2, f"{name}-{i}", "Heartbeat", {"i": i})
            for i in range(3)
            for name in ("gone", "kept")
        ]
    )
    await store.log_messages([LoggedMessage("gone", clock.now(), "in", 2, "alone", "Heartbeat")])
    before = await store.list_messages(station_id="kept")
    assert await store.delete_station("gone") is True
    assert await store.list_messages(station_id="gone") == []
    assert await store.list_messages() == before
    assert await store.list_messages(station_id="kept") == before
    assert await store.trim_messages(keep=0) == 3  # what is counted is what is left


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
