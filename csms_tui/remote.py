"""The console against a daemon elsewhere: the same calls the console makes on
:class:`core.application.service.CsmsService`, over the admin REST API, and the core's events over its
server-sent event stream (``GET /api/v0/events``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp
import orjson

from core.application.errors import Conflict, Invalid, NotFound, ServiceError
from core.application.leniency import LeniencyView
from core.application.views import (
    CallView,
    CertificateOverview,
    MessageView,
    StationDetail,
    StationPage,
    StationRegistration,
    StationSummary,
    TokenInput,
    TokenView,
    TransactionDetail,
    TransactionSummary,
)
from core.commands.base import Command, R
from core.events import Event, Resync, event_from_json

log = logging.getLogger(__name__)
V0 = "/api/v0"


# Longest silence on the event stream before the link counts as lost (4 daemon heartbeats).
STREAM_SILENCE = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DaemonLink(Event):
    """The console's own event: the link to the daemon went down (``detail`` says how) or
    came back. Never sent by a daemon; the remote client makes it from its stream."""

    kind: ClassVar[str] = "daemon_link"
    up: bool
    detail: str = ""


class RemoteSubscription:
    """Events read from the SSE stream, with the in-process Subscription's get API."""

    def __init__(self, maxsize: int = 20_000) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.dropped = 0

    def put(self, event: Event) -> None:
        """Never blocks the stream reader: a console that falls behind loses the oldest events
        and is told to reload (Resync), as the in-process subscription does."""
        if self.queue.full():
            # Room for the event and for the Resync that says some were lost.
            for _ in range(2):
                with contextlib.suppress(asyncio.QueueEmpty):
                    self.queue.get_nowait()
                    self.dropped += 1
            self.queue.put_nowait(Resync(at=_now(), dropped=self.dropped))
        self.queue.put_nowait(event)

    async def get(self) -> Event:
        return await self.queue.get()

    def get_nowait(self) -> Event | None:
        try:
            return self.queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        pass


def _service_error(status: int, text: str) -> ServiceError:
    """The API's refusal as the error the in-process service raises for it, its field split
    back off the ``field: reason`` text, so a form shows it beside the same field."""
    field, sep, reason = text.partition(": ")
    if not sep or " " in field:
        field, reason = "", text
    kind: type[ServiceError] = {400: Invalid, 404: NotFound, 409: Conflict}.get(
        status, ServiceError
    )
    return kind(reason, field=field or None)


class RemoteService:
    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http = http
        self.base = base_url.rstrip("/")
        self._readers: set[asyncio.Task[None]] = set()

    async def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        query = {k: str(v) for k, v in params.items() if v is not None}
        try:
            async with self.http.request(
                method, f"{self.base}{V0}{path}", json=body, params=query
            ) as resp:
                raw = await resp.read()
                status, reason = resp.status, resp.reason
        except aiohttp.ClientConnectorCertificateError:
            raise  # connect() says what to do about the certificate
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            # The daemon is down or unreachable: a refusal like any other for the console,
            # which keeps running and says so, rather than an error that ends its worker.
            raise ServiceError(f"the daemon at {self.base} cannot be reached ({exc})") from exc
        data = orjson.loads(raw) if raw else None
        if status >= 400:
            message = data.get("error") or data.get("status") if isinstance(data, dict) else reason
            raise _service_error(status, str(message))
        return data

    # --- what the console reads ----------------------------------------------------------------

    async def list_stations(self, limit: int = 50) -> StationPage:
        return StationPage.model_validate(await self._call("GET", "/cs", limit=limit))

    async def station_summary(self, station_id: str) -> StationSummary:
        detail = await self.station_detail(station_id)
        return StationSummary.model_validate(detail.model_dump())

    async def station_detail(self, station_id: str) -> StationDetail:
        return StationDetail.model_validate(await self._call("GET", f"/cs/{station_id}"))

    async def station_leniency(self, station_id: str) -> LeniencyView:
        return LeniencyView.model_validate(await self._call("GET", f"/cs/{station_id}/leniency"))

    async def set_station_leniency(
        self, station_id: str, grant: list[str], no_subprotocol: str = ""
    ) -> LeniencyView:
        body = {"grant": grant, "noSubprotocol": no_subprotocol}
        return LeniencyView.model_validate(
            await self._call("PUT", f"/cs/{station_id}/leniency", body)
        )

    async def list_transactions(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[TransactionSummary]:
        data = await self._call(
            "GET",
            "/transactions",
            station=station_id,
            active=None if active is None else str(active).lower(),
            since=None if since is None else since.isoformat(),
            limit=limit,
        )
        return [TransactionSummary.model_validate(t) for t in data]

    async def transaction_detail(
        self, transaction_id: str, station_id: str | None = None
    ) -> TransactionDetail:
        return TransactionDetail.model_validate(
            await self._call("GET", f"/transactions/{transaction_id}", station=station_id)
        )

    async def close_transaction(
        self, station_id: str, transaction_id: str, reason: str, origin: str = "console"
    ) -> TransactionSummary:
        # The daemon records its own origin for API calls ("api"): a remote console is one.
        data = await self._call(
            "POST", f"/cs/{station_id}/transactions/{transaction_id}/close", {"reason": reason}
        )
        return TransactionSummary.model_validate(data)

    async def list_calls(self, station_id: str | None = None, limit: int = 100) -> list[CallView]:
        data = await self._call("GET", "/calls", station=station_id, limit=limit)
        return [CallView.model_validate(c) for c in data]

    async def get_call(self, call_id: str) -> CallView:
        return CallView.model_validate(await self._call("GET", f"/calls/{call_id}"))

    async def list_tokens(self, offset: int = 0, limit: int = 20) -> list[TokenView]:
        data = await self._call("GET", "/token", offset=offset, limit=limit)
        return [TokenView.model_validate(t) for t in data]

    # --- what the console does -----------------------------------------------------------------

    async def execute(
        self,
        station_id: str,
        command: Command[R],
        wait: float | None = None,
        origin: str = "console",
    ) -> R:
        """Any station command (:mod:`core.commands`), as the REST API takes it: its path with
        the URL fields filled in, its body, the answer read back into the command's result."""
        values = command.model_dump(by_alias=True, mode="json")
        path = command.path.format(**values)
        data = await self._call(
            "POST", f"/cs/{station_id}/{path}", command.body(), wait=wait and int(wait)
        )
        return command.result.model_validate(data)  # type: ignore[return-value]

    async def set_token(self, token: TokenInput) -> None:
        await self._call(
            "POST", "/token", token.model_dump(mode="json", by_alias=True, exclude_none=True)
        )

    async def delete_token(self, uid: str) -> None:
        await self._call("DELETE", f"/token/{uid}")

    async def register_station(
        self, station_id: str, security_profile: int = 1
    ) -> StationRegistration:
        body = {"securityProfile": security_profile}
        return StationRegistration.model_validate(
            await self._call("POST", f"/cs/{station_id}/registration", body)
        )

    async def list_certificates(self) -> CertificateOverview:
        return CertificateOverview.model_validate(await self._call("GET", "/certificates"))

    async def list_messages(
        self,
        station_id: str | None = None,
        action: str | None = None,
        before_id: int | None = None,
        errors_only: bool = False,
        limit: int = 100,
    ) -> list[MessageView]:
        data = await self._call(
            "GET",
            "/messages",
            station=station_id,
            action=action,
            before=before_id,
            errors=str(errors_only).lower() if errors_only else None,
            limit=limit,
        )
        return [MessageView.model_validate(m) for m in data]

    async def install_root_certificate(self, station_id: str, pem: str, kind: str) -> None:
        body = {"certificates": [{"type": kind, "certificate": pem}]}
        await self._call("POST", f"/cs/{station_id}/certificates", body)

    async def set_trigger(self, station_id: str, message: str) -> None:
        await self._call("POST", f"/cs/{station_id}/trigger", {"trigger": message})

    # --- events --------------------------------------------------------------------------------

    def subscribe(self, maxsize: int | None = None) -> RemoteSubscription:
        sub = RemoteSubscription(max(maxsize or 20_000, 2))
        task = asyncio.create_task(self._read_events(sub), name="sse-reader")
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)
        return sub

    async def _read_events(self, sub: RemoteSubscription) -> None:
        """The daemon's events, for as long as the console runs. When the stream is lost the
        console is told (DaemonLink down: what it shows is as of then) and the reader keeps
        trying; once it is back, DaemonLink up and a Resync make the console reload, since what
        happened meanwhile is unknown."""
        up = True  # connect() has just reached the API
        while True:
            reason = "the daemon closed the event stream"
            try:
                async with self.http.get(
                    f"{self.base}{V0}/events",
                    # The daemon writes a heartbeat at least every 15 s: a longer silence is a
                    # lost link (a cable pulled, a host gone), not a quiet site.
                    timeout=aiohttp.ClientTimeout(total=None, sock_read=STREAM_SILENCE),
                ) as resp:
                    if resp.status != 200:
                        raise aiohttp.ClientResponseError(
                            resp.request_info, (), status=resp.status, message=resp.reason or ""
                        )
                    if not up:
                        up = True
                        sub.put(DaemonLink(at=_now(), up=True))
                        sub.put(Resync(at=_now(), dropped=0))
                    data_lines: list[str] = []
                    async for raw in resp.content:
                        line = raw.decode().rstrip("\n")
                        if line.startswith("data: "):
                            data_lines.append(line[6:])
                        elif not line and data_lines:
                            with contextlib.suppress(KeyError, TypeError, ValueError):
                                sub.put(event_from_json(orjson.loads("".join(data_lines))))
                            data_lines = []
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = str(exc) or type(exc).__name__
            if up:
                up = False
                log.warning("event stream lost (%s); reconnecting", reason)
                sub.put(DaemonLink(at=_now(), up=False, detail=reason))
            await asyncio.sleep(1.0)

    async def close(self) -> None:
        for task in list(self._readers):
            task.cancel()


def _now() -> Any:
    from datetime import UTC

    return datetime.now(UTC)


def connect_problems(base_url: str, ca_file: str | None) -> tuple[list[str], str | None]:
    """(warnings, error) about attaching to ``base_url``, for the command line to say before
    the console starts: a bearer token over plain HTTP beyond this machine can be read on the
    way; an unusable URL or CA file is an error."""
    from core.config import is_loopback

    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [], f"--connect {base_url!r}: give an http:// or https:// URL with a host"
    warnings: list[str] = []
    if parts.scheme == "http":
        if ca_file is not None:
            return [], "--ca-file is for an https:// URL"
        if not is_loopback(parts.hostname):
            warnings.append(
                f"--connect {base_url}: plain HTTP to another machine: the bearer token and "
                "everything the console shows travel unencrypted; use https://"
            )
    if ca_file is not None:
        try:
            ssl_context(ca_file)
        except ssl.SSLError:  # an OSError too: tested first
            return warnings, f"--ca-file {ca_file}: not a PEM CA certificate"
        except OSError as exc:
            return warnings, f"--ca-file {ca_file}: {exc.strerror or exc}"
    return warnings, None


def ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Verifies the daemon's certificate chain and host name: against the system's trust store,
    or, with ``ca_file``, against that (private) CA alone. There is no way to switch it off."""
    return ssl.create_default_context(cafile=ca_file)


@asynccontextmanager
async def connect(
    base_url: str, token: str | None, ca_file: str | None = None
) -> AsyncIterator[Any]:
    """``async with connect(url, token) as remote:`` — ``remote.service`` like the local core."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    connector = aiohttp.TCPConnector(ssl=ssl_context(ca_file))
    async with aiohttp.ClientSession(headers=headers, connector=connector) as http:
        service = RemoteService(http, base_url)
        try:
            await service._call("GET", "/cs", limit=1)  # fail early: wrong URL or token
        except aiohttp.ClientConnectorCertificateError as exc:
            hint = (
                "is --ca-file the CA that issued it?"
                if ca_file
                else "if the daemon's certificate is from a private CA, pass it with --ca-file"
            )
            raise ServiceError(
                f"{base_url}: the server's TLS certificate cannot be verified "
                f"({exc.certificate_error}); {hint}"
            ) from exc
        except aiohttp.ClientError as exc:
            raise ServiceError(f"{base_url}: cannot reach the API ({exc})") from exc

        class Remote:
            ports: dict[str, int] = {}
            description = f"connected to {base_url}"

        remote = Remote()
        remote.service = service  # type: ignore[attr-defined]
        try:
            yield remote
        finally:
            await service.close()
