"""Bearer tokens for outbound HTTP calls to certificate services (OPCP, Hubject) — the seed's
``HttpAuth`` choices: ``env_token``, ``fixed_token``, ``oauth2_token`` (client credentials) and
``hubject_test_token`` (scraped from Hubject's public test page).

Callers ask for a token per request and pass ``refresh=True`` when a call was refused, so a
cached token that expired early is replaced on the retry."""

from __future__ import annotations

import os
import re
import time
from typing import Any, Protocol

import aiohttp

from core.config import ConfigError

_TIMEOUT = aiohttp.ClientTimeout(total=30)


class TokenSource(Protocol):
    async def token(self, refresh: bool = False) -> str: ...


class HttpAuthError(Exception):
    """No token could be obtained."""


class FixedToken:
    def __init__(self, token: str) -> None:
        self._token = token

    async def token(self, refresh: bool = False) -> str:
        return self._token


def env_token(variable: str) -> FixedToken:
    """Read once at start-up: a missing variable is a configuration error, not a runtime one."""
    value = os.environ.get(variable)
    if not value:
        raise ConfigError(f"environment variable {variable} (http auth env_token) is not set")
    return FixedToken(value)


class _Cached:
    def __init__(self) -> None:
        self._value: str | None = None
        self._until = 0.0

    def get(self, refresh: bool) -> str | None:
        if refresh or self._value is None or time.monotonic() >= self._until:
            return None
        return self._value

    def put(self, value: str, ttl: float) -> str:
        self._value, self._until = value, time.monotonic() + ttl
        return value


class OAuth2ClientCredentials:
    """POST JSON ``{grant_type, client_id, client_secret}``; cache ``access_token`` for
    ``expires_in`` seconds (a minute less, so it is not used at the edge of expiry)."""

    def __init__(self, url: str, client_id: str, client_secret: str) -> None:
        self.url, self.client_id, self.client_secret = url, client_id, client_secret
        self._cache = _Cached()

    async def token(self, refresh: bool = False) -> str:
        cached = self._cache.get(refresh)
        if cached is not None:
            return cached
        body = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            async with (
                aiohttp.ClientSession(timeout=_TIMEOUT) as http,
                http.post(self.url, json=body) as resp,
            ):
                if resp.status != 200:
                    raise HttpAuthError(f"token endpoint {self.url} answered HTTP {resp.status}")
                data: Any = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise HttpAuthError(f"token endpoint {self.url}: {exc}") from exc
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise HttpAuthError(f"token endpoint {self.url} returned no access_token")
        expires = data.get("expires_in", 300)
        ttl = max(1.0, float(expires) - 60) if isinstance(expires, int | float) else 240.0
        return self._cache.put(token, ttl)


_BEARER = re.compile(r"Bearer\s+([A-Za-z0-9\-_.=+/]+)")


class HubjectTestToken:
    """The seed's trick for Hubject's test environment: the public docs page embeds a bearer
    token; GET it (JSON ``{title, data}``) and extract ``Bearer <token>``."""

    def __init__(self, url: str, ttl: float) -> None:
        self.url, self.ttl = url, ttl
        self._cache = _Cached()

    async def token(self, refresh: bool = False) -> str:
        cached = self._cache.get(refresh)
        if cached is not None:
            return cached
        try:
            async with (
                aiohttp.ClientSession(timeout=_TIMEOUT) as http,
                http.get(self.url) as resp,
            ):
                if resp.status != 200:
                    raise HttpAuthError(f"{self.url} answered HTTP {resp.status}")
                data: Any = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise HttpAuthError(f"{self.url}: {exc}") from exc
        text = data.get("data") if isinstance(data, dict) else None
        match = _BEARER.search(text) if isinstance(text, str) else None
        if match is None:
            raise HttpAuthError(f"{self.url}: no bearer token in the page")
        return self._cache.put(match.group(1), self.ttl)


def token_source(section: dict[str, Any], where: str) -> TokenSource:
    """Build from a validated ``HttpAuthConfig`` dump; ``where`` names the config key."""
    kind = section.get("type")
    chosen = section.get(str(kind)) or {}
    if kind == "fixed_token":
        return FixedToken(chosen["token"])
    if kind == "env_token":
        return env_token(chosen["variable"])
    if kind == "oauth2_token":
        secret = chosen.get("client_secret") or ""
        if not secret:
            variable = chosen.get("client_secret_env_var") or ""
            secret = os.environ.get(variable, "")
            if not secret:
                raise ConfigError(
                    f"{where}.oauth2_token: environment variable {variable} is not set"
                )
        return OAuth2ClientCredentials(chosen["url"], chosen["client_id"], secret)
    if kind == "hubject_test_token":
        return HubjectTestToken(chosen["url"], float(chosen.get("ttl", 86400.0)))
    raise ConfigError(f"{where}.type: unknown http auth type {kind!r}")


async def auth_headers(source: TokenSource, refresh: bool = False) -> dict[str, str]:
    """OPCP wants the token twice: as ``x-api-key`` and as a bearer token."""
    token = await source.token(refresh)
    return {"x-api-key": token, "Authorization": f"Bearer {token}"}
