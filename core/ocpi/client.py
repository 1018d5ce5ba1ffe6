"""Calls to other OCPI parties: versions discovery and module requests with OCPI's headers."""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from pydantic import ValidationError

from core.ocpi.envelope import PeerError, Status
from core.ocpi.models import Endpoint, Version, VersionDetails

log = logging.getLogger(__name__)

# Versions we can talk, best first. 2.2 objects are a subset of 2.2.1 for what we exchange.
SUPPORTED_VERSIONS = ("2.2.1", "2.2")


def token_header(token: str) -> str:
    """OCPI 2.2.1: the credentials token travels base64-encoded."""
    return "Token " + base64.b64encode(token.encode()).decode()


@dataclass(frozen=True, slots=True)
class Route:
    """Who a module request is from and to (the OCPI-from/to routing headers)."""

    from_country: str
    from_party: str
    to_country: str
    to_party: str

    def headers(self) -> dict[str, str]:
        return {
            "OCPI-from-country-code": self.from_country,
            "OCPI-from-party-id": self.from_party,
            "OCPI-to-country-code": self.to_country,
            "OCPI-to-party-id": self.to_party,
        }


@dataclass(frozen=True, slots=True)
class Reply:
    http_status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.http_status < 300 and self.body.get("status_code") == Status.SUCCESS

    def describe(self) -> str:
        message = self.body.get("status_message") or ""
        return f"HTTP {self.http_status}, OCPI {self.body.get('status_code')} {message}".strip()


class PeerClient:
    """One aiohttp session for every outbound OCPI call; :meth:`close` when done."""

    def __init__(self, timeout: float = 10.0, retries: int = 2) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries = retries
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        url: str,
        token: str,
        body: Any = None,
        route: Route | None = None,
        *,
        retries: int | None = None,
    ) -> Reply:
        """One OCPI request; transport failures and 5xx answers are retried, a 4xx is final.
        Raises :class:`PeerError` when every try failed to produce an answer."""
        tries = 1 + (self._retries if retries is None else retries)
        last = ""
        for attempt in range(tries):
            if attempt:
                await asyncio.sleep(0.2 * attempt)
            try:
                reply = await self._once(method, url, token, body, route)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            if reply.http_status < 500:
                return reply
            last = reply.describe()
        raise PeerError(f"{method} {url} failed: {last}")

    async def _once(
        self, method: str, url: str, token: str, body: Any, route: Route | None
    ) -> Reply:
        headers = {
            "Authorization": token_header(token),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        if route is not None:
            headers.update(route.headers())
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        async with self._http().request(method, url, data=data, headers=headers) as resp:
            raw = await resp.read()
        parsed: Any = orjson.loads(raw) if raw.strip() else {}
        if not isinstance(parsed, dict):
            raise ValueError(f"the answer of {url} is not an OCPI envelope")
        return Reply(resp.status, parsed)

    # -- discovery -----------------------------------------------------------------------------

    async def version_details(self, versions_url: str, token: str) -> VersionDetails:
        """GET the party's versions, pick the best one we support, GET its endpoints."""
        reply = await self.request("GET", versions_url, token)
        if not reply.ok:
            raise PeerError(f"GET {versions_url}: {reply.describe()}")
        try:
            versions = [Version.model_validate(v) for v in reply.body.get("data") or []]
        except ValidationError as exc:
            raise PeerError(
                f"GET {versions_url}: not a version list ({exc.errors()[0]['msg']})"
            ) from None
        chosen = _best(versions)
        if chosen is None:
            offered = ", ".join(v.version for v in versions) or "none"
            raise PeerError(f"{versions_url} offers no version we support (offered: {offered})")
        reply = await self.request("GET", chosen.url, token)
        if not reply.ok:
            raise PeerError(f"GET {chosen.url}: {reply.describe()}")
        try:
            return VersionDetails.model_validate(reply.body.get("data"))
        except ValidationError as exc:
            raise PeerError(
                f"GET {chosen.url}: not version details ({exc.errors()[0]['msg']})"
            ) from None


def _best(versions: list[Version]) -> Version | None:
    by_name = {v.version: v for v in versions}
    for name in SUPPORTED_VERSIONS:
        if name in by_name:
            return by_name[name]
    return None


def find_endpoint(details: VersionDetails, identifier: str, role: str) -> Endpoint | None:
    for endpoint in details.endpoints:
        if endpoint.identifier == identifier and endpoint.role == role:
            return endpoint
    return None
