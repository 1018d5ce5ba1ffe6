"""One station's OCPP-J websocket: the station's calls one at a time, each awaiting its answer,
and the CSMS's calls handed to the station as they arrive.

Frames are read and written with the core's own framing (:mod:`core.ocpp.framing`), the same
code the gateway uses, over aiohttp's websocket client."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from urllib.parse import quote

import aiohttp

from core.ocpp.framing import FrameError, parse_frame, serialise
from core.ocpp.types import JsonObject, Message, MessageType, OcppVersion

log = logging.getLogger(__name__)


class Offline(Exception):
    """The station is not connected (or lost its connection while waiting for an answer)."""


class ConnectRefused(Exception):
    """The CSMS refused the websocket (HTTP status, TLS or network failure): ``reason`` says."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
        """Verifies the CSMS's certificate (system store, or ``ca_file`` alone); built once,
        since a thousand stations share it."""
        if self._ssl is None:
            context = ssl.create_default_context(cafile=self.ca_file or None)
            if self.client_cert:
                context.load_cert_chain(self.client_cert, self.client_key or None)
            self._ssl = context
        return self._ssl


def station_url(base: str, station_id: str) -> str:
    """``ws://host:9310/ws/`` + id; ``{id}`` in ``base`` is replaced instead, for a CSMS whose
    path puts the id elsewhere."""
    encoded = quote(station_id, safe="")
    if "{id}" in base:
        return base.replace("{id}", encoded)
    return base.rstrip("/") + "/" + encoded


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
    ) -> None:
        self.station_id = station_id
        self.url = url
        self.version = version
        self._http = http
        self._credentials = credentials
        self._on_call = on_call
        self._on_close = on_close
        self._call_timeout = call_timeout
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        # OCPP-J allows one outstanding call per direction: the station's own calls queue here.
        self._call_lock = asyncio.Lock()
        self._pending: tuple[str, asyncio.Future[Message]] | None = None
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
            )
        except aiohttp.WSServerHandshakeError as exc:
            raise ConnectRefused(f"HTTP {exc.status} {exc.message}".strip()) from exc
        except aiohttp.ClientConnectorCertificateError as exc:
            raise ConnectRefused(f"TLS: {exc.certificate_error}") from exc
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
        async with self._call_lock:
            ws = self._ws
            if ws is None or ws.closed:
                raise Offline(self.station_id)
            msg_id = str(next(self._ids))
            future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
            self._pending = (msg_id, future)
            try:
                await self._send(ws, Message(MessageType.CALL, msg_id, action, request=payload))
                async with asyncio.timeout(self._call_timeout):
                    return await future
            except TimeoutError as exc:
                raise CallTimeout(f"{action} unanswered after {self._call_timeout:g} s") from exc
            finally:
                self._pending = None

    async def reply(self, message: Message) -> None:
        """Send a CALLRESULT/CALLERROR for a CSMS call (dropped when the connection is gone:
        the CSMS counts the call as unanswered, as with a real station)."""
        ws = self._ws
        if ws is not None and not ws.closed:
            with contextlib.suppress(Offline):
                await self._send(ws, message)

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, message: Message) -> None:
        try:
            await ws.send_str(serialise(message))
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise Offline(self.station_id) from exc

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for frame in ws:
                if frame.type is aiohttp.WSMsgType.TEXT:
                    await self._dispatch(frame.data)
                elif frame.type is aiohttp.WSMsgType.ERROR:
                    break
        except (aiohttp.ClientError, ConnectionError) as exc:
            log.debug("%s: connection lost: %s", self.station_id, exc)
        finally:
            if self._pending is not None and not self._pending[1].done():
                self._pending[1].set_exception(Offline(self.station_id))
            if self._ws is ws:
                self._ws = None
            self.closed.set()
            if self._on_close is not None:
                self._on_close()

    async def _dispatch(self, raw: str) -> None:
        parsed = parse_frame(raw, self.version)
        if isinstance(parsed, FrameError):
            # The CSMS sent something unreadable: answered as the gateway would answer a
            # station's (or dropped where the spec says so), and the connection kept.
            log.warning("%s: bad frame from the CSMS: %s", self.station_id, parsed.reason)
            if parsed.reply is not None:
                await self.reply(parsed.reply)
            return
        if parsed.type is MessageType.CALL:
            # Each CSMS call gets its own task: a late answer must not hold up the reader.
            task = asyncio.create_task(self._on_call(self, parsed))
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
            return
        pending = self._pending
        if pending is not None and pending[0] == parsed.id and not pending[1].done():
            pending[1].set_result(parsed)
        else:
            log.info("%s: answer to unknown call %s dropped", self.station_id, parsed.id)
