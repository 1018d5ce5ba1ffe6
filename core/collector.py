"""The garbage collector's policy for a long-running CSMS process (the daemon, the console).

CPython's collector passes over every tracked object in a full collection, and starts one
whenever the objects that survived into the oldest generation have grown by a quarter since the
last. A reconnect storm makes tens of thousands of long-lived objects a second (each connection's
protocol, request, websocket, pipe, tasks), so the oldest generation grows by a quarter again and
again and each full pass rescans everything already there: 10,000 stations connecting at once
cost 20 full passes and 2.6 of the storm's 8.8 CPU seconds (bench/bench_storm.py).

So the objects that survive a full pass are frozen (``gc.freeze``): later passes scan only what
is newer, and every object is scanned once instead of about five times. Objects freed by their
reference count are freed at once, frozen or not — a station's connection among them: when 3,000
connected stations closed, the 180,000 objects their connections held left the frozen ones by
reference count, and a full pass afterwards found no cycle to free; one that drops without a
close leaves none either (the gateway drops the tracebacks it would keep: core/gateway/server.py,
held by tests/e2e/test_connection_freed.py). What is frozen and later becomes a reference cycle's
garbage is not freed while frozen, so every ``RESCAN_INTERVAL_S`` everything is unfrozen, and the
next full pass the collector starts on its own scans it all once and frees such cycles — the
pause the default policy would have taken anyway, taken once per interval rather than at every
quarter's growth."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from typing import Any

# How long cyclic garbage among frozen objects may wait to be freed (connections make none; what
# else does is held at most this long), and one full pass over the heap per interval.
RESCAN_INTERVAL_S = 600.0


class CollectorPolicy:
    """Freezes what survives each full collection; unfreezes all every ``rescan_interval_s``.
    Started in the running event loop; collections may run on any thread (the store's writer
    allocates too), so the freeze is handed to the loop rather than done inside the collector's
    callback."""

    def __init__(self, rescan_interval_s: float = RESCAN_INTERVAL_S) -> None:
        self.rescan_interval_s = rescan_interval_s
        self.freezes = 0  # observability and tests: full passes whose survivors were frozen
        self.rescans = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._freeze_pending = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        gc.collect()
        gc.freeze()  # what exists now (modules, schemas, the composed core) lives as long as us
        gc.callbacks.append(self._collected)
        self._task = self._loop.create_task(self._rescan(), name="collector-rescan")

    def stop(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._collected)
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _collected(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != 2 or self._freeze_pending:
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        self._freeze_pending = True
        with contextlib.suppress(RuntimeError):  # the loop closing meanwhile
            loop.call_soon_threadsafe(self._freeze)

    def _freeze(self) -> None:
        self._freeze_pending = False
        gc.freeze()
        self.freezes += 1

    async def _rescan(self) -> None:
        while True:
            await asyncio.sleep(self.rescan_interval_s)
            gc.unfreeze()
            self.rescans += 1
