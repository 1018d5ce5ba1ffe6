"""The admin REST API: aiohttp, routed and validated from the OpenAPI document.

Routes are registered from ``core.api.openapi`` (one handler per operationId), so the document
and the server cannot drift apart: a path without a handler fails at start, and the validation
middleware checks every parameter and body against the document before a handler runs.
Handlers are thin: they call :class:`core.application.service.CsmsService` and turn its views into JSON.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any

import orjson
from aiohttp import web

from core.api import commands
from core.api.auth import AuthResult, BearerAuth, api_token_json
from core.api.metrics import Metrics
from core.api.ocpi_admin import OcpiAdmin, OcpiAdminError
from core.api.openapi import BASE_PATH, openapi_document
from core.api.validation import Operation, RequestInvalid, compile_operations
from core.application.errors import (
    Conflict,
    Invalid,
    NotFound,
    ServiceError,
    StationOffline,
    Unavailable,
)
from core.application.service import CsmsService
from core.application.views import CertificateInput, StationFilter, TokenInput
from core.clock import Clock, parse_iso
from core.commands.base import Command
from core.commands.registry import COMMANDS
from core.config import ApiConfig, ConfigError, is_loopback, split_addr
from core.events import Resync
from core.store.protocols import ApiTokenStore

log = logging.getLogger(__name__)

Handler = Callable[[web.Request, dict[str, Any], Any], Awaitable[web.StreamResponse]]

# Reachable without a token: liveness and the contract itself.
_PUBLIC_PATHS = frozenset({"/health", f"{BASE_PATH}/openapi.json", "/api/openapi.json"})
_SECURITY_HEADERS = {
    "X-XSS-Protection": "1; mode=block",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def _error(
    status: int, error: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    body: dict[str, str] = {"status": HTTPStatus(status).phrase}
    if error:
        body["error"] = error
    response = _json(body, status)
    if headers:
        response.headers.update(headers)
    return response


def _service_error(exc: ServiceError) -> web.Response:
    text = exc.detail
    if isinstance(exc, NotFound | Unavailable):
        return _error(404, text)
    if isinstance(exc, StationOffline | Conflict):
        return _error(409, text)
    if isinstance(exc, Invalid):
        return _error(400, text)
    return _error(500, text)


def _empty(status: int) -> web.Response:
    return web.Response(status=status)


class _Handlers:
    """One coroutine per operationId; each gets (request, parameters, body)."""

    def __init__(
        self,
        service: CsmsService,
        metrics: Metrics,
        ocpi: OcpiAdmin | None,
        closing: asyncio.Event,
        sse_heartbeat: float,
        api_tokens: ApiTokenStore,
    ) -> None:
        self.service = service
        self.api_tokens = api_tokens
        self.metrics = metrics
        self.ocpi = ocpi
        self.closing = closing
        self.sse_heartbeat = sse_heartbeat

    def table(self) -> dict[str, Handler]:
        return {
            **{commands.operation_id(c): self._command_route(c) for c in COMMANDS},
            "health": self.health,
            "metrics": self.get_metrics,
            "registerChargeStation": self.register_charge_station,
            "getChargeStation": self.get_charge_station,
            "deleteChargeStation": self.delete_charge_station,
            "lookupChargeStationAuth": self.lookup_auth,
            "reconfigureChargeStation": self.reconfigure,
            "installChargeStationCertificates": self.install_certificates,
            "triggerChargeStation": self.trigger,
            "getChargeStationLeniency": self.get_leniency,
            "setChargeStationLeniency": self.set_leniency,
            "setToken": self.set_token,
            "listTokens": self.list_tokens,
            "lookupToken": self.lookup_token,
            "deleteToken": self.delete_token,
            "listCertificates": self.list_certificates,
            "uploadCertificate": self.upload_certificate,
            "lookupCertificate": self.lookup_certificate,
            "deleteCertificate": self.delete_certificate,
            "registerParty": self.register_party,
            "registerLocation": self.register_location,
            "listChargeStations": self.list_stations,
            "createStationRegistration": self.create_registration,
            "holdBoot": self.hold_boot,
            "releaseBoot": self.release_boot,
            "setSecurityProfile": self.set_security_profile,
            "listCalls": self.list_calls,
            "getCall": self.get_call,
            "listTransactions": self.list_transactions,
            "listReservations": self.list_reservations,
            "getTransaction": self.get_transaction,
            "closeTransaction": self.close_transaction,
            "listMessages": self.list_messages,
            "streamEvents": self.stream_events,
            "listApiTokens": self.list_api_tokens,
            "revokeApiToken": self.revoke_api_token,
        }

    # -- MaEVe -------------------------------------------------------------------------

    async def health(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        return _json({"status": "OK"})

    async def get_metrics(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        # prometheus_client's Content-Type names the exposition format's version, which scrapers
        # read to pick a parser; it goes in as a header because aiohttp's content_type= refuses
        # one with a charset.
        payload, content_type = self.metrics.exposition()
        return web.Response(body=payload, headers={"Content-Type": content_type})

    async def register_charge_station(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        # MaEVe upserts here; an existing id with other credentials is 409 instead (see
        # CsmsService.set_station_auth: an upsert rotates credentials silently).
        await self.service.set_station_auth(
            p["csId"],
            body["securityProfile"],
            body.get("base64SHA256Password"),
            bool(body.get("invalidUsernameAllowed", False)),
        )
        return _empty(201)

    async def lookup_auth(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        return _json((await self.service.station_auth(p["csId"])).to_json())

    async def reconfigure(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        await self.service.reconfigure(p["csId"], body)
        return _empty(200)

    async def install_certificates(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        certs = [
            CertificateInput(type=c["type"], certificate=c["certificate"], status=c.get("status"))
            for c in body["certificates"]
        ]
        await self.service.install_certificates(p["csId"], certs)
        return _empty(200)

    async def trigger(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        await self.service.set_trigger(p["csId"], body["trigger"])
        return _empty(200)  # MaEVe's server said 201, its specification 200

    async def get_leniency(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        return _json((await self.service.station_leniency(p["csId"])).to_json())

    async def set_leniency(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        view = await self.service.set_station_leniency(
            p["csId"], body["grant"], body.get("noSubprotocol", "")
        )
        return _json(view.to_json())

    async def set_token(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        try:
            token = TokenInput.model_validate(body)
        except ValueError as exc:
            raise Invalid(str(exc).splitlines()[0], field="body") from exc
        await self.service.set_token(token)
        return _empty(201)

    async def list_tokens(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        tokens = await self.service.list_tokens(p["offset"], p["limit"])
        return _json([t.to_json() for t in tokens])

    async def lookup_token(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        return _json((await self.service.get_token(p["tokenUid"])).to_json())

    async def delete_token(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        await self.service.delete_token(p["tokenUid"])
        return _empty(204)

    async def upload_certificate(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        await self.service.store_certificate(body["certificate"])
        return _empty(201)

    async def lookup_certificate(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        pem = await self.service.lookup_certificate(p["certificateHash"])
        return _json({"certificate": pem})

    async def delete_certificate(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        await self.service.delete_certificate(p["certificateHash"])
        return _empty(204)

    def _ocpi(self) -> OcpiAdmin:
        if self.ocpi is None:
            raise Unavailable("OCPI is not configured")
        return self.ocpi

    async def register_party(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        ocpi = self._ocpi()
        try:
            await ocpi.register(body["token"], body.get("url"), body.get("status"))
        except ValueError as exc:
            raise Invalid(str(exc), field="body") from exc
        except OcpiAdminError as exc:
            return _error(500, str(exc))
        return _empty(201)

    async def register_location(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        ocpi = self._ocpi()
        try:
            await ocpi.put_location(p["locationId"], body)
        except ValueError as exc:
            raise Invalid(str(exc), field="body") from exc
        except OcpiAdminError as exc:
            return _error(500, str(exc))
        return _empty(201)

    # -- API tokens ------------------------------------------------------------------------

    async def list_api_tokens(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        return _json([api_token_json(t) for t in await self.api_tokens.list_api_tokens()])

    async def revoke_api_token(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        if not await self.api_tokens.delete_api_token(p["name"]):
            raise NotFound(f"no API token named {p['name']}", field="name")
        return _empty(204)

    # -- stations --------------------------------------------------------------------------

    async def list_stations(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        page = await self.service.list_stations(
            StationFilter(
                connected=p["connected"], ocpp_version=p["version"], text=p["q"], status=p["status"]
            ),
            after=p["after"] or "",
            limit=p["limit"] or 50,
        )
        return _json(page.to_json())

    async def get_charge_station(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        return _json((await self.service.station_detail(p["csId"])).to_json())

    async def delete_charge_station(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        await self.service.delete_station(p["csId"])
        return _empty(204)

    async def create_registration(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        body = body or {}
        registration = await self.service.register_station(
            p["csId"],
            body.get("securityProfile", 1),
            body.get("invalidUsernameAllowed", False),
            body.get("password"),
            csr=body.get("csr"),
            issue_certificate=body.get("issueCertificate", False),
        )
        return _json(registration.to_json(), 201)

    async def hold_boot(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        await self.service.set_pending_boot(p["csId"], True)
        return _empty(204)

    async def release_boot(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        await self.service.set_pending_boot(p["csId"], False)
        return _empty(204)

    async def set_security_profile(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        await self.service.set_security_profile(p["csId"], body["securityProfile"])
        return _empty(204)

    # -- commands --------------------------------------------------------------------------

    def _command_route(self, command: type[Command[Any]]) -> Handler:
        """A station command's route: see :mod:`core.api.commands`."""
        run = commands.handler_for(command, self.service.execute)

        async def route(request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
            view = await run(request, p, body)
            return _json(view.to_json(), commands.response_status(view))

        return route

    # -- records ---------------------------------------------------------------------------

    async def list_certificates(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        return _json((await self.service.list_certificates()).to_json())

    async def list_calls(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        calls = await self.service.list_calls(p["station"], p["limit"] or 100)
        return _json([c.to_json() for c in calls])

    async def get_call(self, request: web.Request, p: dict[str, Any], body: Any) -> web.Response:
        if p["wait"]:
            view = await self.service.wait_call(p["callId"], p["wait"])
        else:
            view = await self.service.get_call(p["callId"])
        return _json(view.to_json())

    async def list_reservations(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        views = await self.service.list_reservations(p["station"], p["active"], p["limit"] or 100)
        return _json([v.to_json() for v in views])

    async def list_transactions(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        txs = await self.service.list_transactions(
            p["station"], p["active"], _since(p["since"]), p["limit"] or 50, p["offset"] or 0
        )
        return _json([t.to_json() for t in txs])

    async def get_transaction(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        detail = await self.service.transaction_detail(p["transactionId"], p["station"])
        return _json(detail.to_json())

    async def close_transaction(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        summary = await self.service.close_transaction(
            p["csId"], p["transactionId"], body["reason"]
        )
        return _json(summary.to_json())

    async def list_messages(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.Response:
        messages = await self.service.list_messages(
            station_id=p["station"],
            action=p["action"],
            direction=p["direction"],
            since=_since(p["since"]),
            before_id=p["before"],
            errors_only=bool(p["errors"]),
            limit=p["limit"] or 100,
        )
        return _json([m.to_json() for m in messages])

    async def stream_events(
        self, request: web.Request, p: dict[str, Any], body: Any
    ) -> web.StreamResponse:
        """Server-sent events until the client goes away or the server stops."""
        station = p["station"]
        kinds = {k.strip() for k in (p["kind"] or "").split(",") if k.strip()}
        response = web.StreamResponse(
            headers={
                **_SECURITY_HEADERS,
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        sub = self.service.subscribe(maxsize=10_000)
        closing = asyncio.ensure_future(self.closing.wait())
        try:
            await response.write(b": connected\n\n")
            while not self.closing.is_set():
                getter = asyncio.ensure_future(sub.get())
                done, _ = await asyncio.wait(
                    {getter, closing},
                    timeout=self.sse_heartbeat,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if getter not in done:
                    getter.cancel()
                    if not done:
                        await response.write(b": keep-alive\n\n")
                    continue
                event = getter.result()
                # A resync concerns every watcher, whatever its filter.
                if not isinstance(event, Resync):
                    if station and event.station_id != station:
                        continue
                    if kinds and event.kind not in kinds:
                        continue
                data = orjson.dumps(event.to_json(), default=str)
                await response.write(
                    b"id: %d\nevent: %s\ndata: %s\n\n" % (event.seq, event.kind.encode(), data)
                )
        except (ConnectionResetError, ConnectionError):
            pass  # the client went away
        finally:
            closing.cancel()
            sub.close()
        return response


def _since(value: str | None) -> datetime | None:
    return _time(value, "since")


def _time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_iso(value)
    except (ValueError, OverflowError) as exc:  # format-valid but out of range, e.g. year 1
        raise RequestInvalid(field, "is out of range") from exc


def _client_address(request: web.Request) -> str:
    return request.remote or "unknown"


class ApiServer:
    """The admin API as a runtime component: ``start()`` binds (port 0 = any free port, read
    back from :attr:`port`), ``stop()`` closes streams and the listener."""

    def __init__(
        self,
        service: CsmsService,
        api_tokens: ApiTokenStore,
        clock: Clock,
        config: ApiConfig | None = None,
        *,
        ocpi: OcpiAdmin | None = None,
        sse_heartbeat: float = 15.0,
    ) -> None:
        self.config = config or ApiConfig()
        self.service = service
        host, port = split_addr(self.config.addr)
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        beyond_loopback = not is_loopback(host)
        if beyond_loopback and not self.config.auth_required:
            raise ConfigError(
                [
                    (
                        "api",
                        "api.auth_required",
                        f"the API would listen on {self.config.addr}, beyond loopback, without "
                        "authentication: set api.auth_required = true",
                    )
                ]
            )
        self.auth = BearerAuth(
            api_tokens,
            clock,
            required=self.config.auth_required or beyond_loopback,
            failures_per_minute=self.config.auth_failures_per_minute,
        )
        self.metrics = Metrics(lambda: len(service.connected_stations()))
        self._closing = asyncio.Event()
        self._handlers = _Handlers(
            service, self.metrics, ocpi, self._closing, sse_heartbeat, api_tokens
        )
        self._document = openapi_document()
        self._operations = compile_operations(self._document)
        self._document_bytes = orjson.dumps(self._document)
        self.app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._stop_metrics: Callable[[], None] | None = None

    # -- app -------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            client_max_size=self.config.max_body_size,
            middlewares=[self._errors_middleware, self._auth_middleware],
        )
        table = self._handlers.table()
        for (method, path), operation in self._operations.items():
            handler = table.get(operation.operation_id)
            if handler is None:
                raise RuntimeError(f"no handler for operation {operation.operation_id}")
            app.router.add_route(method, path, self._endpoint(operation, handler))
        app.router.add_get(f"{BASE_PATH}/openapi.json", self._serve_document)
        app.router.add_get("/api/openapi.json", self._serve_document)  # MaEVe's location
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _serve_document(self, request: web.Request) -> web.Response:
        return web.Response(body=self._document_bytes, content_type="application/json")

    def _endpoint(
        self, operation: Operation, handler: Handler
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            params = operation.parse_params(dict(request.match_info), request.query)
            body = operation.parse_body(await request.read())
            return await handler(request, params, body)

        return endpoint

    @web.middleware
    async def _errors_middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        cors = self._cors_headers(request)
        if request.method == "OPTIONS" and cors:
            response: web.StreamResponse = web.Response(status=204, headers=cors)
        else:
            try:
                response = await handler(request)
            except RequestInvalid as exc:
                response = _error(400, str(exc))
            except ServiceError as exc:
                response = _service_error(exc)
            except web.HTTPException as exc:
                # aiohttp's own 404/405/413…: same JSON shape as ours.
                response = _error(exc.status, exc.reason if exc.status != 404 else None)
                if exc.status == 405:
                    response.headers["Allow"] = exc.headers.get("Allow", "")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s %s failed", request.method, request.path)
                response = _error(500, "internal error (see the server log)")
            response.headers.update(cors)
        if not response.prepared:
            response.headers.update(_SECURITY_HEADERS)
        return response

    def _cors_headers(self, request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin")
        allowed = self.config.cors_origins
        if not origin or not allowed or (origin not in allowed and "*" not in allowed):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }

    @web.middleware
    async def _auth_middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if request.path in _PUBLIC_PATHS:
            return await handler(request)
        client = _client_address(request)
        result = await self.auth.check(client, request.headers.get("Authorization"))
        if result == AuthResult.LIMITED:
            wait = self.auth.retry_after(client)
            return _error(
                429, "too many failed authentication attempts", {"Retry-After": str(wait)}
            )
        if result != AuthResult.OK:
            return _error(
                401,
                "a bearer token is required"
                if result == AuthResult.MISSING
                else "unknown bearer token",
                {"WWW-Authenticate": 'Bearer realm="csms"'},
            )
        return await handler(request)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._closing.clear()
        self._stop_metrics = self.service.watch(self.metrics.observe)
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host or None, self._requested_port)
        await site.start()
        sockets = self._runner.addresses
        self.port = int(sockets[0][1]) if sockets else self._requested_port
        log.info("admin API on http://%s:%s%s", self.host or "0.0.0.0", self.port, BASE_PATH)

    async def _on_shutdown(self, app: web.Application) -> None:
        self._closing.set()  # ends every event stream

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._stop_metrics is not None:
            self._stop_metrics()
            self._stop_metrics = None

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    async def __aenter__(self) -> ApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
