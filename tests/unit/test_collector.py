"""The collector's policy (core/collector.py): what survives a full collection is frozen, so later
full passes do not rescan it; everything is unfrozen every interval, so a reference cycle that
became garbage while frozen is still freed."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from core.collector import CollectorPolicy


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> tuple[Node, weakref.ref[Node]]:
    a, b = Node(), Node()
    a.other, b.other = b, a  # only the collector frees these
    return a, weakref.ref(a)


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


async def settle() -> None:
    for _ in range(3):  # the freeze is handed to the loop with call_soon_threadsafe
        await asyncio.sleep(0)


async def test_survivors_of_a_full_collection_are_frozen_and_later_unfrozen() -> None:
    policy = CollectorPolicy(rescan_interval_s=3600)
    policy.start()
    try:
        assert gc.get_freeze_count() > 0  # what existed at the start
        gc.unfreeze()
        node, alive = cycle()
        gc.collect()  # a full collection: node survives it, held by this frame
        await settle()
        assert policy.freezes == 1
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert alive() is not None  # frozen cyclic garbage waits for the rescan
    finally:
        policy.stop()


async def test_a_cycle_frozen_then_dropped_is_freed_after_the_rescan() -> None:
    policy = CollectorPolicy(rescan_interval_s=0.05)
    policy.start()
    try:
        node, alive = cycle()
        gc.collect()
        await settle()
        del node
        deadline = asyncio.get_running_loop().time() + 5
        while policy.rescans == 0:
            assert asyncio.get_running_loop().time() < deadline, "no rescan within 5 s"
            await asyncio.sleep(0.01)
        # Unfrozen: the next full pass frees the cycle (any pass since the unfreeze already
        # did, before its survivors were frozen again).
        gc.collect()
        assert alive() is None
    finally:
        policy.stop()


async def test_a_collection_on_another_thread_freezes_on_the_loop() -> None:
    policy = CollectorPolicy(rescan_interval_s=3600)
    policy.start()
    try:
        gc.unfreeze()
        await asyncio.to_thread(gc.collect)  # as the store's writer thread may trigger one
        await settle()
        assert policy.freezes == 1
        assert gc.get_freeze_count() > 0
        gc.collect(1)  # a young collection freezes nothing
        await settle()
        assert policy.freezes == 1
    finally:
        policy.stop()


async def test_stop_leaves_the_collector_as_it_was() -> None:
    policy = CollectorPolicy(rescan_interval_s=3600)
    policy.start()
    policy.stop()
    assert policy._collected not in gc.callbacks
    gc.unfreeze()
    gc.collect()
    await settle()
    assert policy.freezes == 0
    assert gc.get_freeze_count() == 0
