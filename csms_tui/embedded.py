"""The embedded core on its own event loop, in its own thread, behind the service interface.

Why a thread and not the console's loop: a station's heartbeat must not wait for the screen. On
one shared loop every console stall (a 70 KB paste re-laid out keystroke by keystroke, a long
table refresh, a handler that raises and ends the app) stalled or closed every station. Here the
gateway, manager, API, OCPI and sync loops run on a loop the console never executes code on; the
console reaches the core only as `--connect` does — through the service's coroutine methods and
the event stream — so the console can fail, stall or quit without the core noticing until it is
asked to stop. The GIL is still shared: CPU the console burns slows the core by the interpreter's
switch interval, not by the length of the console's work (see bench/bench_tui.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

from core.events import Event, EventBus, Subscription

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")  # what a function run on the core's loop returns

# How many events a forwarding hop carries at once: a burst becomes one wake-up of the console.
_BATCH = 500

# The interpreter's switch interval while the console shares the process with the core. The core
# thread gives the GIL up at every socket read and write, every loop callback and every SQLite
# statement, and then waits up to this long to get it back while the console computes: at
# Python's 5 ms, a console busy with a paste or a tab storm put station p99 at 0.1-3.6 s; at
# 0.1 ms it stayed under 40 ms in every stress phase of bench/bench_tui.py, and key presses still
# reach the screen at p99 < 100 ms. Only the console sets it: the daemon has no thread to share.
SWITCH_INTERVAL = 1e-4


class CoreThread(Generic[T]):
    """Runs ``async with factory() as core`` on a new event loop in a daemon thread.

    ``start()`` returns once the core is serving (or raises what stopped it from starting, so the
    command line can say so before any screen is drawn); ``stop()`` leaves the context manager on
    the core's own loop — websockets closed with 1001, pending writes committed — and joins.
    """

    def __init__(
        self, factory: Callable[[], AbstractAsyncContextManager[T]], name: str = "csms-core"
    ) -> None:
        self._factory = factory
        self._name = name
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.core: T | None = None

    def start(self, timeout: float = 60.0) -> T:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the core did not start within {timeout:.0f} s")
        if self._error is not None:
            self._thread.join(5)
            raise self._error
        assert self.core is not None
        return self.core

    def stop(self, timeout: float = 30.0) -> None:
        loop, stop, thread = self.loop, self._stop, self._thread
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended on its own meanwhile
                loop.call_soon_threadsafe(stop.set)
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.error("the core did not stop within %.0f s", timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._ready.is_set()

    def _run(self) -> None:
        loop = _new_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to start() if it happened before serving
            if self._ready.is_set():
                log.exception("the core stopped")
            else:
                self._error = exc
        finally:
            self._ready.set()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with self._factory() as core:
            self.core = core
            self._ready.set()
            await self._stop.wait()

    # --- the console's side -------------------------------------------------------------------

    async def call(self, coro: Any) -> Any:
        """Await a coroutine (created anywhere) on the core's loop, from another loop."""
        assert self.loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def call_blocking(self, fn: Callable[[], R], timeout: float = 5.0) -> R:
        """Run a plain function on the core's loop and wait for it (for reads that must see a
        consistent state, such as which stations are connected)."""
        assert self.loop is not None

        async def run() -> R:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    @contextlib.asynccontextmanager
    async def attach(self) -> AsyncIterator[Attached]:
        """``async with core.attach() as csms:`` — ``csms.service`` like ``Csms.service``, for
        the console's loop (the shape of ``csms_tui.remote.connect``)."""
        core: Any = self.core
        assert core is not None, "start() the core first"
        yield Attached(
            ThreadedService(self, core.service), dict(getattr(core, "ports", {})), embedded=True
        )


class Attached:
    """What the console gets from ``attach()``: the service, the bound ports."""

    def __init__(self, service: Any, ports: dict[str, int], *, embedded: bool) -> None:
        self.service = service
        self.ports = ports
        self.embedded = embedded
        self.description = ""


class ThreadedService:
    """The core's service seen from another loop: every coroutine method runs on the core's loop
    and is awaited here; ``subscribe`` forwards the event stream across."""

    def __init__(self, core: CoreThread[Any], service: Any) -> None:
        self._core = core
        self._service = service

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._service, name)
        if inspect.iscoroutinefunction(attr):

            async def marshalled(*args: Any, **kwargs: Any) -> Any:
                return await self._core.call(attr(*args, **kwargs))

            marshalled.__name__ = name
            return marshalled
        if callable(attr):

            def blocking(*args: Any, **kwargs: Any) -> Any:
                return self._core.call_blocking(lambda: attr(*args, **kwargs))

            return blocking
        return attr

    def subscribe(self, maxsize: int | None = None) -> ForwardedSubscription:
        return ForwardedSubscription(self._core, self._service, maxsize or 10_000)


class ForwardedSubscription:
    """A subscription on the core's bus whose events are handed to the subscribing loop in
    batches. Both ends are bounded the same way as any subscriber: when the console falls behind,
    the oldest events are dropped and a ``Resync`` tells it to reload (``core.events``), so the
    core never waits for the console and memory stays bounded."""

    def __init__(self, core: CoreThread[Any], service: Any, maxsize: int) -> None:
        self._core = core
        self._target = asyncio.get_running_loop()
        self._local_bus = EventBus(maxsize)
        self._local: Subscription = self._local_bus.subscribe(maxsize)
        self._closed = False
        assert core.loop is not None
        self._pump = asyncio.run_coroutine_threadsafe(self._forward(service, maxsize), core.loop)

    async def _forward(self, service: Any, maxsize: int) -> None:
        remote: Subscription = service.subscribe(maxsize)
        try:
            while True:
                batch = [await remote.get()]
                while len(batch) < _BATCH and (more := remote.get_nowait()) is not None:
                    batch.append(more)
                try:
                    self._target.call_soon_threadsafe(self._deliver, batch)
                except RuntimeError:  # the console's loop is gone
                    return
        finally:
            remote.close()

    def _deliver(self, batch: list[Event]) -> None:
        if self._closed:
            return
        for event in batch:
            self._local_bus.publish(event)

    async def get(self) -> Event:
        return await self._local.get()

    def get_nowait(self) -> Event | None:
        return self._local.get_nowait()

    def close(self) -> None:
        self._closed = True
        self._local.close()
        self._pump.cancel()  # thread-safe: cancels the forwarding task on the core's loop

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self._local.get()


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop
