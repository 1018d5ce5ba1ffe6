"""A small but real eMSP on loopback: an aiohttp OCPI 2.2.1 server that records every request it
receives and a client that calls the CSMS the way an eMSP does. Tests act through it."""

from __future__ import annotations

import asyncio
import base64
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiohttp import web

COUNTRY, PARTY = "NL", "EMS"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def auth(token: str, raw: bool = False) -> dict[str, str]:
    value = token if raw else base64.b64encode(token.encode()).decode()
    return {"Authorization": f"Token {value}"}


def ok(data: Any = None) -> web.Response:
    body: dict[str, Any] = {"status_code": 1000, "timestamp": "2025-01-01T00:00:00Z"}
    if data is not None:
        body["data"] = data
    return web.json_response(body)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    token: str


@dataclass
class Emsp:
    """The eMSP's server side. ``tokens`` are the credentials tokens it accepts."""

    tokens: set[str] = field(default_factory=lambda: {"EMSP-TOKEN-A"})
    received: list[Received] = field(default_factory=list)
    authorize: Callable[[str], tuple[int, dict[str, Any]]] | None = None
    port: int = 0
    cpo_token: str | None = None  # what the eMSP uses to call the CPO (token C / token B)
    cpo_versions: str | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/ocpi/versions", self._versions)
        app.router.add_get("/ocpi/2.2.1", self._details)
        app.router.add_post("/ocpi/2.2.1/credentials", self._credentials)
        app.router.add_route("*", "/ocpi/emsp/2.2.1/locations/{tail:.*}", self._accept)
        app.router.add_route("*", "/ocpi/emsp/2.2.1/sessions/{tail:.*}", self._accept)
        app.router.add_post("/ocpi/emsp/2.2.1/cdrs", self._accept)
        app.router.add_post("/ocpi/emsp/2.2.1/commands/{tail:.*}", self._accept)
        app.router.add_post("/ocpi/emsp/2.2.1/tokens/{uid}/authorize", self._authorize)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        token = base64.b64decode(header.removeprefix("Token ")).decode() if header else ""
        if token not in self.tokens:
            return web.json_response({"status_code": 2000, "timestamp": "x"}, status=401)
        raw = await request.read()
        self.received.append(
            Received(
                request.method,
                request.path_qs,
                dict(request.headers),
                orjson.loads(raw) if raw else None,
                token,
            )
        )
        async with self._changed:
            self._changed.notify_all()
        response: web.StreamResponse = await handler(request)
        return response

    async def wait_for(self, match: Callable[[Received], bool], timeout: float = 5.0) -> Received:
        """The first received request that matches (waiting for it if need be)."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for item in self.received:
                    if match(item):
                        return item
                await self._changed.wait()

    async def _versions(self, request: web.Request) -> web.Response:
        return ok([{"version": "2.2.1", "url": f"{self.url}/ocpi/2.2.1"}])

    async def _details(self, request: web.Request) -> web.Response:
        base = f"{self.url}/ocpi"
        return ok(
            {
                "version": "2.2.1",
                "endpoints": [
                    {
                        "identifier": "credentials",
                        "role": "SENDER",
                        "url": f"{base}/2.2.1/credentials",
                    },
                    {
                        "identifier": "locations",
                        "role": "RECEIVER",
                        "url": f"{base}/emsp/2.2.1/locations",
                    },
                    {
                        "identifier": "sessions",
                        "role": "RECEIVER",
                        "url": f"{base}/emsp/2.2.1/sessions",
                    },
                    {"identifier": "cdrs", "role": "RECEIVER", "url": f"{base}/emsp/2.2.1/cdrs"},
                    {"identifier": "tokens", "role": "SENDER", "url": f"{base}/emsp/2.2.1/tokens"},
                ],
            }
        )

    async def _credentials(self, request: web.Request) -> web.Response:
        """The CPO registers with us: check its versions with its token B, give it token C."""
        theirs = await request.json()
        async with (
            aiohttp.ClientSession() as http,
            http.get(theirs["url"], headers=auth(theirs["token"])) as resp,
        ):
            assert resp.status == 200, await resp.text()
        self.cpo_token, self.cpo_versions = theirs["token"], theirs["url"]
        token_c = f"EMSP-TOKEN-C-{uuid.uuid4().hex[:8]}"
        self.tokens.add(token_c)
        return ok(
            {
                "token": token_c,
                "url": self.versions_url,
                "roles": [
                    {
                        "role": "EMSP",
                        "country_code": COUNTRY,
                        "party_id": PARTY,
                        "business_details": {"name": "Test eMSP"},
                    }
                ],
            }
        )

    async def _accept(self, request: web.Request) -> web.Response:
        return ok()

    async def _authorize(self, request: web.Request) -> web.Response:
        if self.authorize is None:
            return web.json_response({"status_code": 2004, "timestamp": "x"}, status=404)
        status, body = self.authorize(request.match_info["uid"])
        return web.json_response(body, status=status)


def emsp_token(uid: str, whitelist: str = "ALLOWED") -> dict[str, Any]:
    return {
        "country_code": COUNTRY,
        "party_id": PARTY,
        "uid": uid,
        "type": "RFID",
        "contract_id": f"NL-EMS-C{uid[:8]:0>8}",
        "issuer": "Test eMSP",
        "valid": True,
        "whitelist": whitelist,
        "last_updated": "2025-01-01T00:00:00Z",
    }


class CpoClient:
    """The eMSP's client side towards the CPO."""

    def __init__(self, http: aiohttp.ClientSession, token: str, raw: bool = False) -> None:
        self.http = http
        self.token = token
        self.raw = raw

    def headers(self) -> dict[str, str]:
        return {
            **auth(self.token, self.raw),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
            "OCPI-from-country-code": COUNTRY,
            "OCPI-from-party-id": PARTY,
            "OCPI-to-country-code": "GB",
            "OCPI-to-party-id": "TWK",
        }

    async def request(
        self, method: str, url: str, body: Any = None, data: bytes | None = None
    ) -> tuple[int, dict[str, Any], Any]:
        payload = orjson.dumps(body) if body is not None else data
        headers = self.headers()
        if payload is not None:
            headers["Content-Type"] = "application/json"
        async with self.http.request(method, url, data=payload, headers=headers) as resp:
            raw = await resp.read()
            return resp.status, dict(resp.headers), orjson.loads(raw) if raw else None
