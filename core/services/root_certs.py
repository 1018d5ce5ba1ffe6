"""Trust roots for contract-certificate validation: PEM ``file``s, the ``opcp`` root pool
(Hubject's ``/v1/root/rootCerts``, cached for ``ttl``), or a ``composite`` of several."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from cryptography import x509

from core.config import ConfigError
from core.services.http_auth import TokenSource, auth_headers, token_source

log = logging.getLogger(__name__)


class RootCertificateProvider(Protocol):
    async def roots(self) -> list[x509.Certificate]: ...


class RootCertificateError(Exception):
    """The roots could not be fetched."""


def load_pem_certificates(text: str, where: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(text.encode())
    except ValueError as exc:
        raise ValueError(f"{where}: no readable PEM certificate ({exc})") from exc


class StaticRoots:
    def __init__(self, certificates: Sequence[x509.Certificate]) -> None:
        self._certificates = list(certificates)

    async def roots(self) -> list[x509.Certificate]:
        return list(self._certificates)


def file_roots(files: Sequence[str], where: str) -> StaticRoots:
    """Read at start-up, so a missing or unreadable file stops the start naming it."""
    certificates: list[x509.Certificate] = []
    for name in files:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{where}.file.files: cannot read {name}: {exc.strerror}") from exc
        try:
            certificates.extend(load_pem_certificates(text, name))
        except ValueError as exc:
            raise ConfigError(f"{where}.file.files: {exc}") from exc
    return StaticRoots(certificates)


class CompositeRoots:
    def __init__(self, providers: Sequence[RootCertificateProvider]) -> None:
        self.providers = list(providers)

    async def roots(self) -> list[x509.Certificate]:
        out: list[x509.Certificate] = []
        for provider in self.providers:
            out.extend(await provider.roots())
        return out


class OpcpRoots:
    """GET ``{url}/v1/root/rootCerts``; ``RootCertificateCollection.rootCertificates[]
    .caCertificate`` holds base64 DER. One retry with a refreshed token; a failed refresh keeps
    serving the previous pool rather than failing every validation."""

    def __init__(self, url: str, auth: TokenSource, ttl: float) -> None:
        self.url, self.auth, self.ttl = url.rstrip("/"), auth, ttl
        self._cached: list[x509.Certificate] | None = None
        self._until = 0.0

    async def roots(self) -> list[x509.Certificate]:
        if self._cached is not None and time.monotonic() < self._until:
            return list(self._cached)
        try:
            fetched = await self._fetch()
        except RootCertificateError:
            if self._cached is None:
                raise
            log.warning("keeping the previous OPCP root pool: refresh failed", exc_info=True)
            return list(self._cached)
        self._cached, self._until = fetched, time.monotonic() + self.ttl
        return list(fetched)

    async def _fetch(self) -> list[x509.Certificate]:
        url = f"{self.url}/v1/root/rootCerts"
        last = "no attempt"
        for attempt in range(2):
            headers = await auth_headers(self.auth, refresh=attempt > 0)
            try:
                async with (
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
                    http.get(url, headers=headers) as resp,
                ):
                    if resp.status != 200:
                        last = f"HTTP {resp.status}"
                        continue
                    data: Any = await resp.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                last = str(exc)
                continue
            return _parse_pool(data)
        raise RootCertificateError(f"{url}: {last}")


def _parse_pool(data: Any) -> list[x509.Certificate]:
    try:
        entries = data["RootCertificateCollection"]["rootCertificates"]
        return [
            x509.load_der_x509_certificate(base64.b64decode(e["caCertificate"])) for e in entries
        ]
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise RootCertificateError(f"unreadable root certificate pool: {exc}") from exc


def root_provider(section: dict[str, Any], where: str) -> RootCertificateProvider:
    """Build from a validated ``RootCertProviderConfig`` dump."""
    kind = section.get("type", "file")
    if kind == "file":
        return file_roots((section.get("file") or {}).get("files", []), where)
    if kind == "composite":
        nested = (section.get("composite") or {}).get("providers", [])
        return CompositeRoots(
            [root_provider(p, f"{where}.composite.providers[{i}]") for i, p in enumerate(nested)]
        )
    if kind == "opcp":
        opcp = section.get("opcp") or {}
        return OpcpRoots(
            opcp["url"],
            token_source(opcp["auth"], f"{where}.opcp.auth"),
            float(opcp.get("ttl", 86400.0)),
        )
    raise ConfigError(f"{where}.type: unknown root certificate provider {kind!r}")
