"""The real runtime with OCPI on, a real eMSP on loopback, and helpers to register them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from core.config import config_from_dict
from core.runtime import Csms
from tests.ocpi.emsp import COUNTRY, PARTY, CpoClient, Emsp, auth, free_port

V0 = "/api/v0"


@dataclass
class Env:
    csms: Csms
    emsp: Emsp
    api: aiohttp.ClientSession
    http: aiohttp.ClientSession

    @property
    def ocpi(self) -> str:
        return f"http://127.0.0.1:{self.csms.ports['ocpi']}/ocpi"

    @property
    def cpo(self) -> str:
        return f"{self.ocpi}/2.2.1/cpo"

    async def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        kw: dict[str, Any] = {} if body is None else {"data": orjson.dumps(body)}
        async with self.api.request(method, f"{V0}{path}", **kw) as resp:
            raw = await resp.read()
            return resp.status, orjson.loads(raw) if raw else None

    async def emsp_registers(self, token_a: str = "TOKEN-A-FOR-EMSP") -> CpoClient:
        """The eMSP-initiated handshake; returns the eMSP's client holding token C."""
        status, _ = await self.admin("POST", "/register", {"token": token_a})
        assert status == 201
        client = CpoClient(self.http, token_a)
        status, _, body = await client.request("GET", f"{self.ocpi}/versions")
        assert status == 200, body
        details_url = next(v["url"] for v in body["data"] if v["version"] == "2.2.1")
        status, _, details = await client.request("GET", details_url)
        credentials_url = next(
            e["url"] for e in details["data"]["endpoints"] if e["identifier"] == "credentials"
        )
        token_b = "EMSP-TOKEN-B"
        self.emsp.tokens.add(token_b)
        status, _, body = await client.request(
            "POST",
            credentials_url,
            {
                "token": token_b,
                "url": self.emsp.versions_url,
                "roles": [
                    {
                        "role": "EMSP",
                        "country_code": COUNTRY,
                        "party_id": PARTY,
                        "business_details": {"name": "Test eMSP"},
                    }
                ],
            },
        )
        assert status == 200, body
        return CpoClient(self.http, body["data"]["token"])


def ocpi_config(tmp_path: Path, port: int, **ocpi: Any) -> dict[str, Any]:
    return {
        "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
        "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "127.0.0.1:0"},
        "api": {"addr": "127.0.0.1:0", "host": "127.0.0.1"},
        "sync": {"enabled": False},
        "observability": {"log_file": ""},
        "ocpi": {
            "addr": f"127.0.0.1:{port}",
            "external_url": f"http://127.0.0.1:{port}",
            "country_code": "GB",
            "party_id": "TWK",
            "push_retries": 0,
            "push_timeout": 5.0,
            "command_timeout": 5.0,
            **ocpi,
        },
    }


@pytest.fixture
async def emsp() -> AsyncIterator[Emsp]:
    server = Emsp()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def env(tmp_path: Path, emsp: Emsp) -> AsyncIterator[Env]:
    # OCPI tells peers its own URL, so the port is chosen before the start (not 0).
    config = config_from_dict(ocpi_config(tmp_path, free_port()))
    async with (
        Csms(config) as csms,
        aiohttp.ClientSession(base_url=f"http://127.0.0.1:{csms.ports['api']}") as api,
        aiohttp.ClientSession() as http,
    ):
        yield Env(csms, emsp, api, http)


__all__ = ["Env", "auth"]
