"""The OCPI 2.2.1 CPO HTTP interface (aiohttp): versions, credentials and the CPO modules.

Every request needs a credentials token (``Authorization: Token <base64>``, or the raw token the
seed used). A token A (PENDING) may only read versions and register. Every answer is an OCPI
envelope, errors included: a bad request gets status 2001 and says what was wrong, an unknown
object 2003/2004, and nothing a client sends turns into an unhandled 500.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web
from pydantic import ValidationError

from core.clock import Clock
from core.config import OcpiConfig, split_addr
from core.ocpi.commands import Commands
from core.ocpi.envelope import (
    NotFound,
    OcpiError,
    Page,
    Status,
    envelope,
    parse_page,
    respond,
)
from core.ocpi.mapping import (
    build_cdr,
    build_tariff,
    find_place,
    first_error,
    token_from_store,
    token_to_store,
)
from core.ocpi.models import Endpoint, Location, OcpiToken, Version, VersionDetails
from core.ocpi.pusher import OcpiDataStore, Pusher
from core.ocpi.registration import Caller, Registrar
from core.services.protocols import TariffService
from core.store.models import Transaction

log = logging.getLogger(__name__)

VERSIONS = ("2.2.1", "2.2")  # 2.2 for the seed's peers: same modules, same URLs
_MODULES = (  # (identifier, role, path below the version)
    ("credentials", "SENDER", "credentials"),
    ("locations", "SENDER", "cpo/locations"),
    ("sessions", "SENDER", "cpo/sessions"),
    ("cdrs", "SENDER", "cpo/cdrs"),
    ("tariffs", "SENDER", "cpo/tariffs"),
    ("tokens", "RECEIVER", "cpo/tokens"),
    ("commands", "RECEIVER", "cpo/commands"),
)
CALLER = web.RequestKey("ocpi_caller", Caller)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class OcpiServer:
    def __init__(
        self,
        config: OcpiConfig,
        registrar: Registrar,
        pusher: Pusher,
        commands: Commands,
        store: OcpiDataStore,
        tariff: TariffService,
        clock: Clock,
    ) -> None:
        self.config = config
        self._registrar = registrar
        self._pusher = pusher
        self._commands = commands
        self._store = store
        self._tariff = tariff
        self._clock = clock
        self._started = clock.now()
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self.app = self._build_app()

    @property
    def base(self) -> str:
        return f"{self.config.external_url.rstrip('/')}/ocpi"

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=1024 * 1024)
        v = "/ocpi/{version}"
        r = app.router
        r.add_get("/ocpi/versions", self.versions)
        r.add_get(v, self.version_details)
        r.add_route("*", f"{v}/credentials", self.credentials)
        r.add_get(f"{v}/cpo/locations", self.list_locations)
        r.add_get(f"{v}/cpo/locations/{{location_id}}", self.get_location)
        r.add_get(f"{v}/cpo/locations/{{location_id}}/{{evse_uid}}", self.get_location)
        r.add_get(
            f"{v}/cpo/locations/{{location_id}}/{{evse_uid}}/{{connector_id}}", self.get_location
        )
        r.add_get(f"{v}/cpo/sessions", self.list_sessions)
        r.add_get(f"{v}/cpo/cdrs", self.list_cdrs)
        r.add_get(f"{v}/cpo/tariffs", self.list_tariffs)
        r.add_route("*", f"{v}/cpo/tokens/{{country_code}}/{{party_id}}/{{uid}}", self.token)
        r.add_post(f"{v}/cpo/commands/{{command}}", self.command)
        return app

    async def start(self) -> int:
        host, port = split_addr(self.config.addr)
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host or None, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        log.info("OCPI listening on %s:%s", host or "*", self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- middleware: ids, authentication, the envelope for every failure -------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
        correlation_id = request.headers.get("X-Correlation-ID") or str(uuid.uuid4())
        try:
            await self._authenticate(request)
            response = await handler(request)
        except OcpiError as exc:
            response = respond(self._clock.now(), code=exc.code, message=exc.message, http=exc.http)
        except web.HTTPException as exc:  # no such route / method: still an OCPI answer
            response = respond(
                self._clock.now(),
                code=Status.CLIENT_ERROR,
                message=f"{request.method} {request.path}: {exc.reason}",
                http=exc.status,
            )
        except Exception:
            log.exception("OCPI: %s %s failed", request.method, request.path)
            response = respond(
                self._clock.now(), code=Status.SERVER_ERROR, message="internal error", http=500
            )
        response.headers["X-Request-ID"] = request_id
        response.headers["X-Correlation-ID"] = correlation_id
        self._routing_headers(request, response)
        return response

    def _routing_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """A module answer is from us to the requesting party (the request's OCPI-from)."""
        country = request.headers.get("OCPI-from-country-code")
        party = request.headers.get("OCPI-from-party-id")
        if country and party and "/cpo/" in request.path:
            response.headers["OCPI-from-country-code"] = self.config.country_code
            response.headers["OCPI-from-party-id"] = self.config.party_id
            response.headers["OCPI-to-country-code"] = country
            response.headers["OCPI-to-party-id"] = party

    async def _authenticate(self, request: web.Request) -> None:
        caller = await self._registrar.authenticate(request.headers.get("Authorization"))
        if caller.pending and not _open_to_token_a(request):
            raise OcpiError(
                "this token may only read versions and register (POST credentials)",
                Status.CLIENT_ERROR,
                403,
            )
        request[CALLER] = caller

    # -- versions and credentials ------------------------------------------------------------------

    async def versions(self, request: web.Request) -> web.Response:
        data = [Version(version=v, url=f"{self.base}/{v}").to_json() for v in VERSIONS]
        return self._ok(data)

    async def version_details(self, request: web.Request) -> web.Response:
        version = _version(request)
        endpoints = [
            Endpoint(identifier=ident, role=role, url=f"{self.base}/{VERSIONS[0]}/{path}")
            for ident, role, path in _MODULES
        ]
        return self._ok(VersionDetails(version=version, endpoints=endpoints).to_json())

    async def credentials(self, request: web.Request) -> web.Response:
        _version(request)
        caller = request[CALLER]
        if request.method == "GET":
            return self._ok(self._registrar.our_credentials(caller.token).to_json())
        if request.method == "POST":
            ours = await self._registrar.accept(caller, await _json_body(request))
            return self._ok(ours.to_json())
        if request.method == "PUT":
            ours = await self._registrar.update(caller, await _json_body(request))
            return self._ok(ours.to_json())
        if request.method == "DELETE":
            await self._registrar.unregister(caller)
            return self._ok()
        raise OcpiError(f"{request.method} is not a credentials method", http=405)

    # -- locations ---------------------------------------------------------------------------------

    async def list_locations(self, request: web.Request) -> web.Response:
        _version(request)
        page = parse_page(request.query, self.config.page_limit)
        located = [
            loc
            for loc in await self._pusher.locations()
            if loc.publish and _in_range(loc.last_updated, page)
        ]
        return self._page(request, page, [loc.to_json() for loc in located])

    async def get_location(self, request: web.Request) -> web.Response:
        _version(request)
        location_id = request.match_info["location_id"]
        stored = await self._store.lookup_location(location_id)
        if stored is None:
            raise NotFound(f"unknown location {location_id}", Status.UNKNOWN_LOCATION)
        location = Location.model_validate(stored.data)
        evse_uid = request.match_info.get("evse_uid")
        if evse_uid is None:
            return self._ok(location.to_json())
        evse = next((e for e in location.evses or [] if e.uid == evse_uid), None)
        if evse is None:
            raise NotFound(
                f"location {location_id} has no EVSE {evse_uid}", Status.UNKNOWN_LOCATION
            )
        connector_id = request.match_info.get("connector_id")
        if connector_id is None:
            return self._ok(evse.to_json())
        connector = next((c for c in evse.connectors if c.id == connector_id), None)
        if connector is None:
            raise NotFound(
                f"EVSE {evse_uid} has no connector {connector_id}", Status.UNKNOWN_LOCATION
            )
        return self._ok(connector.to_json())

    # -- sessions, CDRs, tariffs -------------------------------------------------------------------

    async def _transactions(self, page: Page, ended_only: bool) -> list[Transaction]:
        """Our transactions at published locations, last change inside the page's dates."""
        locations = await self._pusher.locations()
        found: list[Transaction] = []
        offset, size = 0, 1000
        while True:
            batch = await self._store.list_transactions(
                active=False if ended_only else None,
                since=page.date_from,
                limit=size,
                offset=offset,
            )
            for tx in batch:
                changed = tx.ended_at or tx.started_at
                cc, pid = self.config.country_code, self.config.party_id
                if _in_range(changed, page) and find_place(locations, tx, cc, pid) is not None:
                    found.append(tx)
            if len(batch) < size:
                break
            offset += size
        found.sort(key=lambda t: t.ended_at or t.started_at or self._started)
        return found

    async def list_sessions(self, request: web.Request) -> web.Response:
        _version(request)
        page = parse_page(request.query, self.config.page_limit)
        txs = await self._transactions(page, ended_only=False)
        locations = await self._pusher.locations()
        sessions = []
        for tx in txs[page.offset : page.offset + page.limit]:
            session = await self._pusher.session_of(tx, locations)  # listed with its energy
            if session is not None:
                sessions.append(session.to_json())
        return self._page(request, page, sessions, total=len(txs), sliced=True)

    async def list_cdrs(self, request: web.Request) -> web.Response:
        _version(request)
        page = parse_page(request.query, self.config.page_limit)
        txs = await self._transactions(page, ended_only=True)
        locations = await self._pusher.locations()
        cc, pid = self.config.country_code, self.config.party_id
        cdrs = []
        for tx in txs[page.offset : page.offset + page.limit]:
            session = await self._pusher.session_of(tx, locations)  # listed with its energy
            place = find_place(locations, tx, cc, pid)
            if session is None or place is None:
                continue
            tariff = build_tariff(self._tariff, cc, pid, session.start_date_time)
            cdrs.append(build_cdr(session, place, tariff, self._clock.now()))
        return self._page(request, page, cdrs, total=len(txs), sliced=True)

    async def list_tariffs(self, request: web.Request) -> web.Response:
        _version(request)
        page = parse_page(request.query, self.config.page_limit)
        tariff = build_tariff(
            self._tariff, self.config.country_code, self.config.party_id, self._started
        )
        tariffs = [tariff.to_json()] if _in_range(tariff.last_updated, page) else []
        return self._page(request, page, tariffs)

    # -- tokens (receiver) -------------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        _version(request)
        country, party, uid = (
            request.match_info["country_code"],
            request.match_info["party_id"],
            request.match_info["uid"],
        )
        token_type = request.query.get("type", "RFID")
        if request.method == "GET":
            return self._ok((await self._known_token(country, party, uid, token_type)).to_json())
        if request.method == "PUT":
            token = _parse_token(await _json_body(request))
            _same_identity(token, country, party, uid)
            await self._store.set_token(token_to_store(token))
            return self._ok()
        if request.method == "PATCH":
            current = await self._known_token(country, party, uid, token_type)
            patch = await _json_body(request)
            if not isinstance(patch, dict) or "last_updated" not in patch:
                raise OcpiError("a token PATCH is an object and must contain last_updated")
            token = _parse_token({**current.to_json(), **patch})
            _same_identity(token, country, party, uid)
            await self._store.set_token(token_to_store(token))
            return self._ok()
        raise OcpiError(f"{request.method} is not a tokens receiver method", http=405)

    async def _known_token(self, country: str, party: str, uid: str, token_type: str) -> OcpiToken:
        stored = await self._store.lookup_token(uid)
        if (
            stored is None
            or stored.country_code.upper() != country.upper()
            or stored.party_id.upper() != party.upper()
            or stored.type != token_type
        ):
            raise NotFound(
                f"unknown token {country}/{party}/{uid} ({token_type})", Status.UNKNOWN_TOKEN
            )
        return token_from_store(stored, self._clock.now())

    # -- commands (receiver) -----------------------------------------------------------------------

    async def command(self, request: web.Request) -> web.Response:
        _version(request)
        sender = None
        country = request.headers.get("OCPI-from-country-code")
        party = request.headers.get("OCPI-from-party-id")
        if country and party:
            sender = (country, party)
        answer = await self._commands.handle(
            request.match_info["command"], await _json_body(request), sender
        )
        return self._ok(answer.to_json())

    # -- answers -----------------------------------------------------------------------------------

    def _ok(self, data: Any = None) -> web.Response:
        return respond(self._clock.now(), data)

    def _page(
        self,
        request: web.Request,
        page: Page,
        items: Sequence[Any],
        *,
        total: int | None = None,
        sliced: bool = False,
    ) -> web.Response:
        """One page of ``items`` (all matches, or the page itself when ``sliced``)."""
        shown = list(items) if sliced else list(items[page.offset : page.offset + page.limit])
        count = len(items) if total is None else total
        url = f"{self.config.external_url.rstrip('/')}{request.path}"
        query = {k: v for k, v in request.query.items() if k not in ("offset", "limit")}
        headers = page.headers(count, len(shown), url, query)
        body = orjson.dumps(envelope(self._clock.now(), shown))
        return web.Response(body=body, content_type="application/json", headers=headers)


def _open_to_token_a(request: web.Request) -> bool:
    path = request.path.rstrip("/")
    if request.method == "GET" and (path == "/ocpi/versions" or path.count("/") == 2):
        return True
    return request.method == "POST" and path.endswith("/credentials")


def _version(request: web.Request) -> str:
    version = request.match_info.get("version", "")
    if version not in VERSIONS:
        raise NotFound(f"unsupported OCPI version {version!r}", Status.UNSUPPORTED_VERSION)
    return version


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        raise OcpiError("the request needs a JSON body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise OcpiError(f"the body is not JSON: {exc}") from None


def _parse_token(body: Any) -> OcpiToken:
    try:
        return OcpiToken.model_validate(body)
    except ValidationError as exc:
        raise OcpiError(f"invalid token: {first_error(exc)}") from None


def _same_identity(token: OcpiToken, country: str, party: str, uid: str) -> None:
    if (token.country_code.upper(), token.party_id.upper(), token.uid) != (
        country.upper(),
        party.upper(),
        uid,
    ):
        raise OcpiError(
            f"the token's country_code/party_id/uid ({token.country_code}/{token.party_id}/"
            f"{token.uid}) differ from the URL ({country}/{party}/{uid})"
        )


def _in_range(at: datetime | None, page: Page) -> bool:
    if at is None:
        return page.date_from is None and page.date_to is None
    if page.date_from is not None and at < page.date_from:
        return False
    return not (page.date_to is not None and at >= page.date_to)
