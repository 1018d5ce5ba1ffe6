"""One station's OCPP-J websocket: the station's calls one at a time, each awaiting its answer,
and the CSMS's calls handed to the station as they arrive.

Frames are read and written with the core's own framing (:mod:`core.ocpp.framing`), the same
code the gateway uses, over aiohttp's websocket client. The answer to the pending call, the
commonest frame, is read on a shorter path with the same outcome, and a chain of calls
(:meth:`Link.call_chain`) is sent from the reader as each answer arrives: the same link serves
as a load generator's station (:mod:`.load`) at the speed of a hand-written client."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson

from core.ocpp.framing import MAX_NESTING, FrameError, parse_frame, serialise
from core.ocpp.types import JsonObject, Message, MessageType, OcppVersion

log = logging.getLogger(__name__)


class Offline(Exception):
    """The station is not connected (or lost its connection while waiting for an answer)."""


class ConnectRefused(Exception):
    """The CSMS refused the websocket (HTTP status, TLS or network failure): ``reason`` says;
    ``refused`` when nothing accepted the TCP connection at all (no listener, or a full listen
    queue), which a reconnect storm counts apart from the failures after it."""

    def __init__(self, reason: str, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused


class CallTimeout(Exception):
    """The CSMS did not answer a station's call in time."""


@dataclass(slots=True)
class Credentials:
    """How a station proves who it is: basic auth (profiles 0 and 1) and/or a client
    certificate (profile 2); ``ca_file`` for a CSMS certificate from a private CA."""

    password: str | None = None
    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    _ssl: ssl.SSLContext | None = field(default=None, repr=False)

    def ssl_context(self) -> ssl.SSLContext:
        """Verifies the CSMS's certificate (system store, or ``ca_file`` alone); one context
        per set of files, since a thousand stations share it and each takes milliseconds to
        build."""
        if self._ssl is None:
            key = (self.ca_file, self.client_cert, self.client_key)
            context = _contexts.get(key)
            if context is None:
                context = ssl.create_default_context(cafile=self.ca_file or None)
                if self.client_cert:
                    context.load_cert_chain(self.client_cert, self.client_key or None)
                _contexts[key] = context
            self._ssl = context
        return self._ssl


_contexts: dict[tuple[str | None, str | None, str | None], ssl.SSLContext] = {}


def station_url(base: str, station_id: str) -> str:
    """``ws://host:9310/ws/`` + id; ``{id}`` in ``base`` is replaced instead, for a CSMS whose
    path puts the id elsewhere."""
    encoded = quote(station_id, safe="")
    if "{id}" in base:
        return base.replace("{id}", encoded)
    return base.rstrip("/") + "/" + encoded


# What ends a connection's stream of frames (what ``async for`` over the websocket stops at).
_END_OF_STREAM = frozenset(
    {
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSING,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
    }
)

_CALL = int(MessageType.CALL)  # orjson writes a plain int faster than an IntEnum member

Call = tuple[str, JsonObject]  # (action, payload)
# Given a CALLRESULT's payload (a loopback's: the call's own), the next call of a chain.
NextCall = Callable[[JsonObject], Call | None]
_Pending = tuple[str, str, "asyncio.Future[Message]"]  # (id, action, future)
CallHandler = Callable[["Link", Message], Coroutine[None, None, None]]


class Link:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        station_id: str,
        url: str,
        version: OcppVersion,
        credentials: Credentials,
        on_call: CallHandler,
        call_timeout: float = 30.0,
        on_close: Callable[[], None] | None = None,
        compress: int = 0,
        loopback: bool = False,
    ) -> None:
        """``compress``: offer permessage-deflate with this window size (0: don't).
        ``loopback``: the far end sends the station's own frames back (an echo server, the
        ceiling a load generator measures): a CALL with the id of the station's pending call
        is then its answer. Off for any CSMS, whose call ids are its own and may coincide."""
        self.station_id = station_id
        self.url = url
        self.version = version
        self._http = http
        self._credentials = credentials
        self._on_call = on_call
        self._on_close = on_close
        self._call_timeout = call_timeout
        self._compress = compress
        self._loopback = loopback
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        # OCPP-J allows one outstanding call per direction: the station's own calls queue here.
        self._call_lock = asyncio.Lock()
        # The station's call awaiting its answer: (id, action, future).
        self._pending: _Pending | None = None
        # When the pending call times out. One timer per link, re-armed only when it fires
        # early, rather than one per call: the answer comes long before the timeout, and a
        # load generator's every call would pay for setting and cancelling a timer.
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._then: NextCall | None = None  # the running call_chain's
        self._ids = itertools.count(1)
        self.closed = asyncio.Event()
        self.closed.set()

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def open(self, timeout: float = 10.0) -> None:
        """Connect; raises :class:`ConnectRefused` with the CSMS's or the network's reason."""
        headers = {}
        if self._credentials.password is not None:
            pair = f"{self.station_id}:{self._credentials.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        tls = self.url.startswith("wss://")
        try:
            ws = await self._http.ws_connect(
                self.url,
                protocols=(self.version.value,),
                headers=headers,
                ssl=self._credentials.ssl_context() if tls else True,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
                autoping=True,
                heartbeat=None,
                max_msg_size=0,
                compress=self._compress,
            )
        except aiohttp.WSServerHandshakeError as exc:
            raise ConnectRefused(f"HTTP {exc.status} {exc.message}".strip()) from exc
        except aiohttp.ClientConnectorCertificateError as exc:
            raise ConnectRefused(f"TLS: {exc.certificate_error}") from exc
        except aiohttp.ClientConnectorError as exc:
            refused = isinstance(exc.os_error, ConnectionRefusedError)
            raise ConnectRefused(str(exc) or type(exc).__name__, refused) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ConnectRefused(str(exc) or type(exc).__name__) from exc
        if ws.protocol != self.version.value:
            await ws.close()
            raise ConnectRefused(
                f"the CSMS chose subprotocol {ws.protocol!r} instead of {self.version.value}"
            )
        self._ws = ws
        self.closed.clear()
        self._reader = asyncio.create_task(self._read(ws), name=f"sim-read-{self.station_id}")

    async def close(self, code: int = 1000) -> None:
        """Close the connection (the station goes away); waits until the reader has stopped."""
        ws, reader = self._ws, self._reader
        if ws is not None and not ws.closed:
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                await ws.close(code=code)
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def shutdown(self) -> None:
        """Close and forget answers still being prepared (late ones included)."""
        await self.close(1001)
        for task in list(self._handlers):
            task.cancel()

    async def call(self, action: str, payload: JsonObject) -> Message:
        """Send a CALL and return the CSMS's CALLRESULT or CALLERROR. Raises :class:`Offline`
        when not connected or when the connection ends first, :class:`CallTimeout` when the
        CSMS takes longer than the call timeout."""
        return await self.call_chain((action, payload), None)

    async def call_chain(self, first: Call, then: NextCall | None) -> Message:
        """Calls one after the other: ``first``, then each call ``then(answer)`` names as soon
        as the previous one's CALLRESULT arrives, until it names none (None). Returns the last
        answer: the CALLRESULT ``then`` stopped at, or the first CALLERROR. Raises as
        :meth:`call` does, and what ``then`` raises.

        The reader sends each next call itself, as the answer arrives: a load generator's
        station goes from answer to next call without a task switch."""
        async with self._call_lock:
            ws = self._ws
            if ws is None or ws.closed:
                raise Offline(self.station_id)
            future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
            self._then = then
            try:
                await self._send(ws, self._frame(first, future))
                return await future
            finally:
                self._pending = None
                self._then = None

    def _frame(self, call: Call, future: asyncio.Future[Message]) -> str:
        """``call``'s frame, and ``call`` made the pending one."""
        action, payload = call
        msg_id = str(next(self._ids))
        loop = future.get_loop()
        self._pending = (msg_id, action, future)
        self._deadline = loop.time() + self._call_timeout
        if self._timer is None:
            self._timer = loop.call_at(self._deadline, self._check_deadline)
        # Written here rather than through serialise(Message(…)): the same text, one object
        # fewer on a load generator's every call.
        return orjson.dumps([_CALL, msg_id, action, payload]).decode()

    def _answered(self, pending: _Pending, frame: list[Any]) -> str | None:
        """The pending call's CALLRESULT, in the reader: the frame of a chain's next call (for
        the reader to send), or the call is over. Synchronous, like the reader's own handling
        of the answer, and the answer made a Message only at the end: no coroutine and no
        object on a load generator's every call."""
        msg_id, action, future = pending
        if future.done():  # timed out meanwhile
            return None
        payload: JsonObject = frame[-1]
        then = self._then
        try:
            following = then(payload) if then is not None else None
        except Exception as exc:  # noqa: BLE001 — raised in call_chain(), to its caller
            future.set_exception(exc)
            return None
        if following is None:
            if frame[0] == MessageType.CALL:  # loopback: the call itself came back
                future.set_result(Message(MessageType.CALL, msg_id, action, request=payload))
            else:
                future.set_result(Message(MessageType.CALL_RESULT, msg_id, response=payload))
            return None
        return self._frame(following, future)

    def _check_deadline(self) -> None:
        self._timer = None
        pending = self._pending
        if pending is None or pending[2].done():
            return
        loop = asyncio.get_running_loop()
        if loop.time() >= self._deadline:
            after = self._call_timeout
            pending[2].set_exception(CallTimeout(f"{pending[1]} unanswered after {after:g} s"))
        else:  # a later call's deadline
            self._timer = loop.call_at(self._deadline, self._check_deadline)

    async def reply(self, message: Message) -> None:
        """Send a CALLRESULT/CALLERROR for a CSMS call (dropped when the connection is gone:
        the CSMS counts the call as unanswered, as with a real station)."""
        ws = self._ws
        if ws is not None and not ws.closed:
            with contextlib.suppress(Offline):
                await self._send(ws, message)

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, message: Message | str) -> None:
        try:
            await ws.send_str(message if isinstance(message, str) else serialise(message))
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise Offline(self.station_id) from exc

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        text, ends = aiohttp.WSMsgType.TEXT, _END_OF_STREAM
        try:
            while True:
                frame = await ws.receive()
                if frame.type is text:
                    # The answer to the pending call, the commonest frame, handed over here
                    # without a coroutine of its own; any other goes through _dispatch.
                    raw, pending = frame.data, self._pending
                    if pending is not None and (answer := self._answer_to(pending[0], raw)):
                        following = self._answered(pending, answer)
                        if following is not None:
                            await ws.send_str(following)
                    else:
                        await self._dispatch(raw)
                elif frame.type in ends:
                    break
        except (aiohttp.ClientError, ConnectionError) as exc:
            log.debug("%s: connection lost: %s", self.station_id, exc)
        finally:
            if self._pending is not None and not self._pending[2].done():
                self._pending[2].set_exception(Offline(self.station_id))
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._ws is ws:
                self._ws = None
            self.closed.set()
            if self._on_close is not None:
                self._on_close()

    async def _dispatch(self, raw: str) -> None:
        pending = self._pending
        parsed = parse_frame(raw, self.version)
        if isinstance(parsed, FrameError):
            # The CSMS sent something unreadable: answered as the gateway would answer a
            # station's (or dropped where the spec says so), and the connection kept.
            log.warning("%s: bad frame from the CSMS: %s", self.station_id, parsed.reason)
            if parsed.reply is not None:
                await self.reply(parsed.reply)
            return
        if parsed.type is MessageType.CALL and not (
            self._loopback and pending is not None and pending[0] == parsed.id
        ):
            # Each CSMS call gets its own task: a late answer must not hold up the reader.
            task = asyncio.create_task(self._on_call(self, parsed))
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
            return
        if pending is not None and pending[0] == parsed.id and not pending[2].done():
            pending[2].set_result(parsed)
        else:
            log.info("%s: answer to unknown call %s dropped", self.station_id, parsed.id)

    def _answer_to(self, msg_id: str, raw: str) -> list[Any] | None:
        """The common frame, a well-formed CALLRESULT to the pending call (or, ``loopback``,
        the call itself), read without :func:`parse_frame`'s every check: a load generator
        reads one per call. Any other frame (None) goes the full way; the outcome for this
        one is the same either way."""
        # Deeper nesting than parse_frame allows needs two brackets a level: a short frame
        # cannot have it, and most answers are short.
        if len(raw) > 2 * MAX_NESTING and raw.count("[") + raw.count("{") > MAX_NESTING:
            return None
        try:
            frame = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        if type(frame) is not list or len(frame) < 3 or frame[1] != msg_id:
            return None
        kind = frame[0]
        if kind == 3 and len(frame) == 3 and type(frame[2]) is dict:
            return frame
        if kind == 2 and self._loopback and len(frame) == 4 and type(frame[3]) is dict:
            return frame
        return None
