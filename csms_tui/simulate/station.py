"""One simulated station: connects and boots, runs its scenario, keeps heartbeating, answers the
CSMS as its answer policy says, and comes back after a lost connection.

Transaction messages (start, meter values, stop) go through one ordered queue: sent at once when
connected, held while offline and sent in order once back, as OCPP requires of a station (1.6
§4.6 / 2.0.1 E12); a 1.6 transaction started offline learns its id from the CSMS's answer before
its later messages, built only when sent, name it."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp

from core.clock import Clock, SystemClock, iso
from core.ocpp.errors import ErrorKind, RpcError, error_code
from core.ocpp.types import JsonObject, Message, MessageType, OcppVersion
from core.schemas import Direction, SchemaSet, validate
from csms_tui.simulate.dialect import dialect_for
from csms_tui.simulate.link import CallTimeout, ConnectRefused, Credentials, Link, Offline
from csms_tui.simulate.model import (
    ACCEPT,
    Answer,
    FaultStep,
    OfflineStep,
    Profile,
    RebootStep,
    Run,
    Scenario,
    SessionStep,
    Step,
    WaitStep,
)
from csms_tui.simulate.state import (
    AVAILABLE,
    CHARGING,
    FAULTED,
    FINISHING,
    PREPARING,
    UNAVAILABLE,
    Availability,
    Connector,
    Effect,
    Reading,
    Reboot,
    RemoteStart,
    RemoteStop,
    Report,
    Session,
    StationState,
    Trigger,
)
from csms_tui.simulate.stats import Stats

log = logging.getLogger(__name__)

Built = tuple[str, JsonObject] | None


@dataclass(eq=False)
class _Queued:
    """A transaction message: built when first sent (a 1.6 id known only by then), kept built
    so a resend after a lost connection is the same message."""

    build: Callable[[], Built]
    on_answer: Callable[[JsonObject], None] | None
    held_offline: bool
    built: Built = None
    was_built: bool = False


class SimStation:
    def __init__(
        self,
        station_id: str,
        profile: Profile,
        scenario: Scenario,
        answers: dict[str, Answer],
        http: aiohttp.ClientSession,
        url: str,
        run: Run,
        stats: Stats,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.version = OcppVersion.V16 if profile.ocpp == "1.6" else OcppVersion.V201
        self.st = StationState.build(station_id, profile)
        self.dialect = dialect_for(self.version)
        self.dialect.init_settings(self.st)
        self.scenario = scenario
        self.answers = answers
        self.run_settings = run
        self.stats = stats
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()  # spreading load, not secrecy
        self._credentials = Credentials(
            password=self.st.password,
            ca_file=profile.ca_file or None,
            client_cert=profile.client_cert or None,
            client_key=profile.client_key or None,
        )
        self.link = Link(
            http,
            station_id,
            url,
            self.version,
            self._credentials,
            self._on_call,
            run.call_timeout,
            on_close=self._closed,
        )
        self._schemas = SchemaSet.OCPP16 if self.version is OcppVersion.V16 else SchemaSet.OCPP201
        self.booted = False  # the current connection's boot was accepted
        self.ever_booted = False
        self._queue: deque[_Queued] = deque()
        self._drain_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        # A deliberate absence (offline step, reboot, the end): the step brings the station
        # back, not the reconnection after a lost connection.
        self._away = False
        self._connecting = False
        self._reboot_when_idle = False
        self._tokens = 0

    @property
    def station_id(self) -> str:
        return self.st.station_id

    @property
    def up(self) -> bool:
        return self.booted and self.link.connected

    @property
    def running_sessions(self) -> int:
        return sum(1 for s in self.st.sessions() if s.started)

    # --- life cycle --------------------------------------------------------------------------

    async def run(self) -> bool:
        """Connect and boot, then run the scenario; the station stays connected afterwards
        (heartbeats, answers, reconnects) until :meth:`close`. False when it never booted."""
        if not await self._connect(boot=True, reason="PowerUp"):
            self.stats.gave_up += 1
            return False
        self._spawn(self._heartbeat(), "heartbeat")
        if self.scenario.start_within > 0:
            await asyncio.sleep(self.rng.uniform(0, self.scenario.start_within))
        for _ in range(self.scenario.repeat):
            for step in self.scenario.steps:
                await self._step(step)
        # Background sessions belong to the scenario: it is done when they are.
        for c in self.st.connectors:
            if c.session is not None:
                await c.session.done.wait()
        return True

    async def close(self) -> None:
        """Leave: background work stops and the connection closes (running transactions stay
        open in the CSMS, as when a station loses power)."""
        # The connection first: a session's last status notification then fails at once
        # instead of waiting for an answer that no longer matters.
        self._away = True
        await self.link.shutdown()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=f"sim-{self.station_id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("%s: %s failed", self.station_id, task.get_name(), exc_info=exc)
            self.stats.problem(f"{self.station_id}: {task.get_name()} failed: {exc!r}")

    async def _connect(self, boot: bool, reason: str) -> bool:
        """Connect (and boot, if asked or never booted) until it works. A station that has
        never booted gives up after ``connect_attempts`` failures in a row; one that has keeps
        trying, as a real one would while its CSMS restarts."""
        self._connecting = True
        try:
            return await self._connect_loop(boot, reason)
        finally:
            self._connecting = False

    async def _connect_loop(self, boot: bool, reason: str) -> bool:
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            started = loop.time()
            try:
                await self.link.open()
            except ConnectRefused as exc:
                failures += 1
                self.stats.connect_failures += 1
                self.stats.problem(f"{self.station_id}: connect refused: {exc.reason}")
                if not self.ever_booted and failures >= self.run_settings.connect_attempts:
                    return False
                await asyncio.sleep(self.run_settings.reconnect_delay)
                continue
            self.stats.connect_ms.append((loop.time() - started) * 1000)
            try:
                if boot or not self.ever_booted:
                    await self._boot(reason)
                await self._after_connect()
            except (Offline, CallTimeout) as exc:
                self.stats.problem(f"{self.station_id}: lost while booting: {exc!r}")
                await self.link.close()
                await asyncio.sleep(self.run_settings.reconnect_delay)
                continue
            return True

    async def _boot(self, reason: str) -> None:
        self.booted = False
        while True:
            answer = await self._call("BootNotification", self.dialect.boot(self.st, reason))
            response = answer.response or {}
            interval = response.get("interval")
            wait = float(interval) if isinstance(interval, int) and interval > 0 else 10.0
            if answer.type is MessageType.CALL_RESULT and response.get("status") == "Accepted":
                self.st.heartbeat_interval = self.st.profile.heartbeat_interval or wait
                self.booted = True
                if not self.ever_booted:
                    self.ever_booted = True
                    self.stats.booted += 1
                    self.stats.last_first_boot = asyncio.get_running_loop().time()
                return
            # Pending or Rejected: ask again after the interval the CSMS gave (meanwhile a
            # Pending station answers the CSMS's calls, which the link keeps doing).
            self.stats.boot_refusals += 1
            await asyncio.sleep(wait)

    async def _after_connect(self) -> None:
        """Every connector's state (it may have changed while away), then what was queued."""
        at = iso(self.clock.now())
        for payload in self.dialect.statuses(self.st, at):
            await self._call("StatusNotification", payload)
        await self._drain()

    def _closed(self) -> None:
        """The connection ended: unless the station left on purpose, or is connecting (which
        retries by itself), it comes back after the reconnect delay."""
        if not self._away and not self._connecting and self.ever_booted:
            self._spawn(self._reconnect(), "reconnect")

    async def _reconnect(self) -> None:
        self.stats.problem(f"{self.station_id}: connection lost; reconnecting")
        await asyncio.sleep(self.run_settings.reconnect_delay)
        if self._away or self._connecting or self.link.connected:
            return
        self.stats.reconnects += 1
        await self._connect(boot=False, reason="Unknown")

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.st.heartbeat_interval)
            if self.up:
                with contextlib.suppress(Offline, CallTimeout):
                    await self._call("Heartbeat", {})

    # --- calls ---------------------------------------------------------------------------------

    async def _call(self, action: str, payload: JsonObject) -> Message:
        self.stats.calls_sent += 1
        self.stats.calls_by_action[action] += 1
        try:
            answer = await self.link.call(action, payload)
        except CallTimeout:
            self.stats.call_timeouts += 1
            self.stats.problem(f"{self.station_id}: {action} unanswered")
            raise
        if answer.type is MessageType.CALL_ERROR:
            self.stats.call_errors += 1
            self.stats.problem(
                f"{self.station_id}: {action} → {answer.error_code}: {answer.error_description}"
            )
        else:
            self.stats.call_results += 1
        return answer

    async def _tx(
        self,
        build: Callable[[], Built],
        on_answer: Callable[[JsonObject], None] | None = None,
    ) -> None:
        """A transaction message: sent now (waiting for its answer) or, offline, queued."""
        self._queue.append(_Queued(build, on_answer, held_offline=not self.up))
        if self.up:
            await self._drain()

    async def _drain(self) -> None:
        async with self._drain_lock:
            while self._queue and self.link.connected:
                item = self._queue[0]
                if not item.was_built:
                    item.built, item.was_built = item.build(), True
                if item.built is None:  # nothing to say any more (a 1.6 id never learnt)
                    self._queue.popleft()
                    continue
                action, payload = item.built
                try:
                    answer = await self._call(action, payload)
                except Offline:
                    return  # kept at the head: sent again once connected
                except CallTimeout:
                    self._queue.popleft()
                    continue
                self._queue.popleft()
                if item.held_offline:
                    self.stats.queued_sent += 1
                if answer.type is MessageType.CALL_RESULT and item.on_answer is not None:
                    item.on_answer(answer.response or {})

    async def _status(self, c: Connector, status: str) -> None:
        c.status = status
        if self.up:
            with contextlib.suppress(Offline, CallTimeout):
                await self._call(
                    "StatusNotification", self.dialect.status(c, iso(self.clock.now()))
                )

    def _reading(self, c: Connector) -> Reading:
        """Brings the register up to date (power × time since the last reading)."""
        now = asyncio.get_running_loop().time()
        charging = c.session is not None and c.session.started
        power = self.st.profile.meter_rate if charging else 0.0
        if charging and c.metered_at:
            added = power * (now - c.metered_at) / 3600.0
            c.register_wh += added
            self.stats.energy_wh += added
        c.metered_at = now
        return Reading(self.clock.now(), c.register_wh, power)

    # --- the scenario --------------------------------------------------------------------------

    async def _step(self, step: Step) -> None:
        if isinstance(step, WaitStep):
            await asyncio.sleep(step.duration)
        elif isinstance(step, SessionStep):
            c = self.st.connector_at(step.evse, step.connector)
            if c is None:
                self.stats.problem(
                    f"{self.station_id}: no connector {step.connector} on EVSE {step.evse}"
                )
                return
            token = step.token or self._next_token()
            session = self._session(c, token, step.duration, step.plug_delay, step.stop_reason)
            if step.background:
                self._spawn(session, "session")
            else:
                await session
        elif isinstance(step, FaultStep):
            await self._fault(step)
        elif isinstance(step, OfflineStep):
            await self._offline(step.duration)
        elif isinstance(step, RebootStep):
            await self._reboot(Reboot("Reboot", "PowerUp"), step.downtime)

    def _next_token(self) -> str:
        tokens = self.st.profile.tokens
        self._tokens += 1
        return tokens[(self._tokens - 1) % len(tokens)]

    async def _session(
        self,
        c: Connector,
        token: str,
        duration: float,
        plug_delay: float,
        stop_reason: str = "Local",
        *,
        remote_start_id: int | None = None,
        token_type: str = "ISO14443",
        authorize: bool = True,
    ) -> None:
        if c.session is not None or c.status != AVAILABLE or not c.operative:
            self.stats.sessions_refused += 1
            self.stats.problem(f"{self.station_id}: connector {c.number} is not free ({c.status})")
            return
        s = Session(
            c,
            token,
            duration,
            stop_reason=stop_reason,
            token_type=token_type,
            remote_start_id=remote_start_id,
        )
        c.session = s
        try:
            await self._status(c, PREPARING)
            if plug_delay > 0:
                await asyncio.sleep(plug_delay)
            if authorize and not await self._authorized(token):
                self.stats.sessions_refused += 1
                return
            await self._charge(s)
        finally:
            c.session = None
            s.done.set()
            await self._status(c, AVAILABLE if c.operative else UNAVAILABLE)
            if self._reboot_when_idle and not self.st.sessions():
                self._reboot_when_idle = False
                self._spawn(self._reboot(Reboot("ImmediateReset", "ScheduledReset"), 2.0), "reset")

    async def _authorized(self, token: str) -> bool:
        """Online: the CSMS decides. Offline (or unanswered): the station lets the driver
        charge (LocalAuthorizeOffline), and the CSMS judges the token when the start arrives."""
        if not self.up:
            return True
        try:
            answer = await self._call("Authorize", self.dialect.authorize(token))
        except (Offline, CallTimeout):
            return True
        if answer.type is MessageType.CALL_ERROR:
            return False
        return self.dialect.token_status(answer.response or {}) == "Accepted"

    async def _charge(self, s: Session) -> None:
        c, dialect = s.connector, self.dialect
        s.start_wh = c.register_wh
        first = self._reading(c)
        s.started = True
        self.stats.sessions_started += 1

        def started(answer: JsonObject) -> None:
            if not dialect.start_answered(s, answer):
                self.stats.sessions_deauthorized += 1
                s.request_stop("DeAuthorized")

        # The session lasts its duration from the start reading, however long the CSMS takes
        # to answer the start.
        loop = asyncio.get_running_loop()
        end = loop.time() + s.duration
        offline = not self.up
        await self._tx(lambda: dialect.start(s, first, offline), started)
        await self._status(c, CHARGING)
        while (remaining := end - loop.time()) > 0.001:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(self.st.meter_interval, remaining)):
                    await s.stop_requested.wait()
            if s.stop_requested.is_set() or end - loop.time() <= 0.001:
                break
            await self._tx(functools.partial(dialect.meter, s, self._reading(c), not self.up))
        last, offline = self._reading(c), not self.up
        s.started = False  # the register stops rising
        await self._tx(lambda: dialect.stop(s, last, offline))
        self.stats.sessions_completed += 1
        await self._status(c, FINISHING)

    async def _fault(self, step: FaultStep) -> None:
        c = self.st.connector_at(step.evse, step.connector)
        if c is None:
            self.stats.problem(
                f"{self.station_id}: no connector {step.connector} on EVSE {step.evse}"
            )
            return
        if c.session is not None:  # a fault ends the session on that connector
            c.session.request_stop("EmergencyStop")
            await c.session.done.wait()
        self.stats.faults += 1
        c.error_code = step.error_code
        await self._status(c, FAULTED)
        await asyncio.sleep(step.duration)
        c.error_code = "NoError"
        await self._status(c, AVAILABLE if c.operative else UNAVAILABLE)

    async def _offline(self, duration: float) -> None:
        self.stats.offline_periods += 1
        self._away = True
        await self.link.close()
        try:
            await asyncio.sleep(duration)
            await self._connect(boot=False, reason="Unknown")
        finally:
            self._away = False

    async def _reboot(self, effect: Reboot, downtime: float) -> None:
        self.stats.reboots += 1
        for s in self.st.sessions():
            s.request_stop(effect.stop_reason)
        for s in self.st.sessions():
            await s.done.wait()
        self._away = True
        await self.link.close()
        self.booted = False
        try:
            await asyncio.sleep(downtime)
            await self._connect(boot=True, reason=effect.boot_reason)
        finally:
            self._away = False

    # --- the CSMS's calls ----------------------------------------------------------------------

    async def _on_call(self, link: Link, call: Message) -> None:
        action, request = call.action, call.request or {}
        self.stats.csms_calls[action] += 1
        if action not in self.dialect.answers:
            self.stats.answers["not-implemented"] += 1
            await self._error(call, error_code(ErrorKind.NOT_IMPLEMENTED, self.version), action)
            return
        try:
            # A real station checks what it is sent: a CSMS's malformed call gets the
            # CALLERROR the specification names, whatever the policy.
            validate(self._schemas, action, Direction.REQUEST, request)
        except RpcError as exc:
            self.stats.answers["invalid"] += 1
            self.stats.problem(f"{self.station_id}: invalid {action} from the CSMS: {exc}")
            await self._error(call, error_code(exc.kind, self.version), str(exc))
            return
        policy = self.answers.get(action) or self.answers.get("*") or ACCEPT
        self.stats.answers[policy.policy] += 1
        if policy.policy == "never":
            return
        if policy.delay > 0:
            await asyncio.sleep(policy.delay)
        if policy.policy == "error":
            await self._error(call, policy.error_code, policy.description)
            return
        reject = policy.policy == "reject" or (policy.policy == "late" and policy.then == "reject")
        payload, effect = self.dialect.answer(self.st, action, request, reject)
        await link.reply(Message(MessageType.CALL_RESULT, call.id, response=payload))
        if effect is not None:
            self._spawn(self._apply(effect), type(effect).__name__.lower())

    async def _error(self, call: Message, code: str, description: str) -> None:
        await self.link.reply(
            Message(
                MessageType.CALL_ERROR,
                call.id,
                error_code=code,
                error_description=description,
                error_details={},
            )
        )

    async def _apply(self, effect: Effect) -> None:
        """What an accepted call sets in motion, after its answer has gone."""
        if isinstance(effect, Reboot):
            if effect.when_idle and self.st.sessions():
                self._reboot_when_idle = True
            else:
                await self._reboot(effect, 2.0)
        elif isinstance(effect, RemoteStart):
            await self._session(
                effect.connector,
                effect.token,
                self.st.profile.remote_session_duration,
                0.0,
                remote_start_id=effect.remote_start_id,
                token_type=effect.token_type,
                # AuthorizeRemoteTxRequests false / AuthorizeRemoteStart false: the CSMS's
                # own request needs no second look.
                authorize=False,
            )
        elif isinstance(effect, RemoteStop):
            effect.session.request_stop("Remote")
        elif isinstance(effect, Trigger):
            await self._triggered(effect)
        elif isinstance(effect, Availability):
            for c in effect.connectors:
                c.operative = effect.operative
                if c.session is None and c.status in (AVAILABLE, UNAVAILABLE):
                    await self._status(c, AVAILABLE if effect.operative else UNAVAILABLE)
        elif isinstance(effect, Report):
            at = iso(self.clock.now())
            with contextlib.suppress(Offline, CallTimeout):
                await self._call(
                    "NotifyReport", self.dialect.report(self.st, effect.request_id, at)
                )

    async def _triggered(self, trigger: Trigger) -> None:
        connectors = [trigger.connector] if trigger.connector else self.st.connectors
        at = iso(self.clock.now())
        with contextlib.suppress(Offline, CallTimeout):
            if trigger.message == "BootNotification":
                await self._call("BootNotification", self.dialect.boot(self.st, "Triggered"))
            elif trigger.message == "Heartbeat":
                await self._call("Heartbeat", {})
            elif trigger.message == "StatusNotification":
                for c in connectors:
                    await self._call("StatusNotification", self.dialect.status(c, at))
            elif trigger.message == "MeterValues":
                for c in connectors:
                    payload = self.dialect.triggered_meter(c, self._reading(c))
                    await self._call("MeterValues", payload)
            elif trigger.message == "TransactionEvent":
                for c in connectors:
                    if c.session is not None and c.session.started:
                        meter = self.dialect.meter
                        await self._tx(
                            functools.partial(meter, c.session, self._reading(c), False, True)
                        )
            else:
                await self._call(trigger.message, self.dialect.notification(trigger.message))
