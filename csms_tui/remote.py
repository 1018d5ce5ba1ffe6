"""The console against a daemon elsewhere: the same calls the console makes on
:class:`core.service.CsmsService`, over the admin REST API, and the core's events over its
server-sent event stream (``GET /api/v0/events``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from core.events import Event, Resync, event_from_json
from core.service import (
    CallView,
    CertificateOverview,
    MessageView,
    NotFound,
    PasswordRotation,
    ReservationCommand,
    ServiceError,
    StationDetail,
    StationPage,
    StationRegistration,
    StationSummary,
    TokenInput,
    TokenView,
    TransactionDetail,
    TransactionSummary,
)

log = logging.getLogger(__name__)
V0 = "/api/v0"


class RemoteSubscription:
    """Events read from the SSE stream, with the in-process Subscription's get API."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(20_000)

    async def get(self) -> Event:
        return await self.queue.get()

    def get_nowait(self) -> Event | None:
        try:
            return self.queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        pass


class RemoteService:
    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http = http
        self.base = base_url.rstrip("/")
        self._readers: set[asyncio.Task[None]] = set()

    async def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        query = {k: str(v) for k, v in params.items() if v is not None}
        async with self.http.request(
            method, f"{self.base}{V0}{path}", json=body, params=query
        ) as resp:
            raw = await resp.read()
            data = orjson.loads(raw) if raw else None
            if resp.status >= 400:
                message = (
                    data.get("error") or data.get("status")
                    if isinstance(data, dict)
                    else resp.reason
                )
                raise (NotFound if resp.status == 404 else ServiceError)(str(message))
            return data

    # --- what the console reads ----------------------------------------------------------------

    async def list_stations(self, limit: int = 50) -> StationPage:
        return StationPage.model_validate(await self._call("GET", "/cs", limit=limit))

    async def station_summary(self, station_id: str) -> StationSummary:
        detail = await self.station_detail(station_id)
        return StationSummary.model_validate(detail.model_dump())

    async def station_detail(self, station_id: str) -> StationDetail:
        return StationDetail.model_validate(await self._call("GET", f"/cs/{station_id}"))

    async def list_transactions(
        self, station_id: str | None = None, limit: int = 50
    ) -> list[TransactionSummary]:
        data = await self._call("GET", "/transactions", station=station_id, limit=limit)
        return [TransactionSummary.model_validate(t) for t in data]

    async def transaction_detail(
        self, transaction_id: str, station_id: str | None = None
    ) -> TransactionDetail:
        return TransactionDetail.model_validate(
            await self._call("GET", f"/transactions/{transaction_id}", station=station_id)
        )

    async def list_tokens(self, offset: int = 0, limit: int = 20) -> list[TokenView]:
        data = await self._call("GET", "/token", offset=offset, limit=limit)
        return [TokenView.model_validate(t) for t in data]

    # --- what the console does -----------------------------------------------------------------

    async def reset(
        self,
        station_id: str,
        kind: str = "Soft",
        wait: float | None = None,
        origin: str = "console",
    ) -> CallView:
        return CallView.model_validate(
            await self._call(
                "POST", f"/cs/{station_id}/reset", {"type": kind}, wait=wait and int(wait)
            )
        )

    async def remote_start(
        self,
        station_id: str,
        id_token: str,
        evse_id: int | None = None,
        token_type: str = "Central",
        wait: float | None = None,
        origin: str = "console",
    ) -> CallView:
        body: dict[str, Any] = {"idToken": id_token, "tokenType": token_type}
        if evse_id is not None:
            body["evseId"] = evse_id
        return CallView.model_validate(
            await self._call(
                "POST", f"/cs/{station_id}/remote-start", body, wait=wait and int(wait)
            )
        )

    async def set_token(self, token: TokenInput) -> None:
        await self._call(
            "POST", "/token", token.model_dump(mode="json", by_alias=True, exclude_none=True)
        )

    async def delete_token(self, uid: str) -> None:
        await self._call("DELETE", f"/token/{uid}")

    async def _command(self, station_id: str, path: str, body: Any, wait: float | None) -> CallView:
        return CallView.model_validate(
            await self._call("POST", f"/cs/{station_id}/{path}", body, wait=wait and int(wait))
        )

    async def reserve_now(
        self,
        station_id: str,
        id_token: str,
        expires_at: datetime,
        evse_id: int = 0,
        token_type: str = "ISO14443",
        group_id: str | None = None,
        wait: float | None = None,
        origin: str = "console",
    ) -> ReservationCommand:
        body: dict[str, Any] = {
            "idToken": id_token,
            "expiresAt": expires_at.isoformat(),
            "evseId": evse_id,
            "tokenType": token_type,
        }
        if group_id:
            body["groupId"] = group_id
        return ReservationCommand.model_validate(
            await self._call("POST", f"/cs/{station_id}/reserve", body, wait=wait and int(wait))
        )

    async def update_firmware(
        self, station_id: str, location: str, wait: float | None = None, origin: str = ""
    ) -> CallView:
        return await self._command(station_id, "update-firmware", {"location": location}, wait)

    async def get_log(
        self,
        station_id: str,
        location: str,
        log_type: str = "DiagnosticsLog",
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body = {"location": location, "logType": log_type}
        return await self._command(station_id, "get-log", body, wait)

    async def set_charging_limit(
        self,
        station_id: str,
        evse_id: int,
        limit: float,
        unit: str = "W",
        duration: int | None = None,
        stack_level: int = 0,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body: dict[str, Any] = {"evseId": evse_id, "limit": limit, "unit": unit}
        if duration is not None:
            body["duration"] = duration
        if stack_level:
            body["stackLevel"] = stack_level
        return await self._command(station_id, "charging-limit", body, wait)

    async def clear_charging_profile(
        self,
        station_id: str,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body = {
            k: v
            for k, v in (
                ("id", profile_id),
                ("evseId", evse_id),
                ("purpose", purpose),
                ("stackLevel", stack_level),
            )
            if v is not None
        }
        return await self._command(station_id, "clear-charging-profile", body, wait)

    async def get_composite_schedule(
        self,
        station_id: str,
        evse_id: int,
        duration: int,
        unit: str | None = None,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body: dict[str, Any] = {"evseId": evse_id, "duration": duration}
        if unit is not None:
            body["unit"] = unit
        return await self._command(station_id, "composite-schedule", body, wait)

    async def set_display_message(
        self,
        station_id: str,
        text: str,
        priority: str = "NormalCycle",
        minutes: int | None = None,
        message_id: int | None = None,
        language: str | None = None,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body: dict[str, Any] = {"text": text, "priority": priority}
        for key, value in (("minutes", minutes), ("id", message_id), ("language", language)):
            if value is not None:
                body[key] = value
        return await self._command(station_id, "display-message", body, wait)

    async def raw_call(
        self,
        station_id: str,
        action: str,
        payload: dict[str, Any],
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        return await self._command(station_id, f"call/{action}", payload, wait)

    async def set_variable_monitor(
        self,
        station_id: str,
        component: str,
        variable: str,
        kind: str,
        value: float,
        severity: int = 8,
        evse_id: int | None = None,
        monitor_id: int | None = None,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body: dict[str, Any] = {
            "component": component,
            "variable": variable,
            "type": kind,
            "value": value,
            "severity": severity,
        }
        if evse_id is not None:
            body["evseId"] = evse_id
        if monitor_id is not None:
            body["id"] = monitor_id
        return await self._command(station_id, "monitor", body, wait)

    async def send_local_list(
        self,
        station_id: str,
        update_type: str = "Full",
        uids: list[str] | None = None,
        remove: list[str] | None = None,
        version: int | None = None,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body: dict[str, Any] = {"updateType": update_type}
        if uids is not None:
            body["tokens"] = uids
        if remove:
            body["remove"] = remove
        if version is not None:
            body["version"] = version
        return await self._command(station_id, "local-list", body, wait)

    async def get_local_list_version(
        self, station_id: str, wait: float | None = None, origin: str = ""
    ) -> CallView:
        return await self._command(station_id, "get-local-list-version", {}, wait)

    async def cancel_reservation(
        self, station_id: str, reservation_id: int, wait: float | None = None, origin: str = ""
    ) -> CallView:
        return await self._command(
            station_id, "cancel-reservation", {"reservationId": reservation_id}, wait
        )

    async def remote_stop(
        self, station_id: str, transaction_id: str, wait: float | None = None, origin: str = ""
    ) -> CallView:
        return await self._command(
            station_id, "remote-stop", {"transactionId": transaction_id}, wait
        )

    async def change_availability(
        self,
        station_id: str,
        operative: bool,
        evse_id: int = 0,
        connector_id: int | None = None,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body: dict[str, Any] = {"operative": operative, "evseId": evse_id}
        if connector_id is not None:
            body["connectorId"] = connector_id
        return await self._command(station_id, "availability", body, wait)

    async def unlock_connector(
        self,
        station_id: str,
        evse_id: int,
        connector_id: int = 1,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body = {"evseId": evse_id, "connectorId": connector_id}
        return await self._command(station_id, "unlock", body, wait)

    async def get_configuration(
        self, station_id: str, keys: list[str], wait: float | None = None, origin: str = ""
    ) -> CallView:
        return await self._command(station_id, "get-configuration", {"keys": keys}, wait)

    async def set_configuration(
        self, station_id: str, values: dict[str, str], wait: float | None = None, origin: str = ""
    ) -> CallView:
        return await self._command(station_id, "set-configuration", {"values": values}, wait)

    async def clear_cache(
        self, station_id: str, wait: float | None = None, origin: str = ""
    ) -> CallView:
        return await self._command(station_id, "clear-cache", None, wait)

    async def trigger_message(
        self,
        station_id: str,
        message: str,
        evse_id: int | None = None,
        connector_id: int | None = None,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body: dict[str, Any] = {"requestedMessage": message}
        if evse_id is not None:
            body["evseId"] = evse_id
        return await self._command(station_id, "trigger-message", body, wait)

    async def data_transfer(
        self,
        station_id: str,
        vendor_id: str,
        message_id: str | None = None,
        data: Any = None,
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        body: dict[str, Any] = {"vendorId": vendor_id}
        if message_id:
            body["messageId"] = message_id
        if data is not None:
            body["data"] = data
        return await self._command(station_id, "data-transfer", body, wait)

    async def get_report(
        self,
        station_id: str,
        report_base: str = "FullInventory",
        wait: float | None = None,
        origin: str = "",
    ) -> CallView:
        return await self._command(station_id, "get-report", {"reportBase": report_base}, wait)

    async def register_station(
        self, station_id: str, security_profile: int = 1
    ) -> StationRegistration:
        body = {"securityProfile": security_profile}
        return StationRegistration.model_validate(
            await self._call("POST", f"/cs/{station_id}/registration", body)
        )

    async def rotate_password(
        self, station_id: str, password: str | None = None, timeout: float | None = None
    ) -> PasswordRotation:
        body = {"password": password} if password else None
        return PasswordRotation.model_validate(
            await self._call(
                "POST", f"/cs/{station_id}/password", body, wait=timeout and int(timeout)
            )
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
        sub = RemoteSubscription()
        task = asyncio.create_task(self._read_events(sub), name="sse-reader")
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)
        return sub

    async def _read_events(self, sub: RemoteSubscription) -> None:
        while True:
            try:
                async with self.http.get(
                    f"{self.base}{V0}/events", timeout=aiohttp.ClientTimeout(total=None)
                ) as resp:
                    data_lines: list[str] = []
                    async for raw in resp.content:
                        line = raw.decode().rstrip("\n")
                        if line.startswith("data: "):
                            data_lines.append(line[6:])
                        elif not line and data_lines:
                            with contextlib.suppress(KeyError, TypeError, ValueError):
                                await sub.queue.put(
                                    event_from_json(orjson.loads("".join(data_lines)))
                                )
                            data_lines = []
            except aiohttp.ClientError as exc:
                log.warning("event stream lost (%s); reconnecting", exc)
            # Whatever happened while disconnected is unknown: reload the snapshot.
            await sub.queue.put(Resync(at=_now(), dropped=0))
            await asyncio.sleep(1.0)

    async def close(self) -> None:
        for task in list(self._readers):
            task.cancel()


def _now() -> Any:
    from datetime import UTC, datetime

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
