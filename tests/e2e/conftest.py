"""End-to-end fixtures: the real embedded core on free ports, real `ocpp` package stations."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.config import config_from_dict
from core.runtime import Csms
from core.store.models import CacheMode, SecurityProfile, StationAuth, Token

T = TypeVar("T")
PASSWORD = "s3cret-password-16"


def basic_header(station_id: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{station_id}:{password}".encode()).decode()


def password_hash(password: str = PASSWORD) -> str:
    return base64.b64encode(hashlib.sha256(password.encode()).digest()).decode()


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 5.0) -> T:
    """Poll ``check`` until it returns something truthy (a condition with a timeout)."""
    async with asyncio.timeout(timeout):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.02)


@pytest.fixture
def csms_settings() -> dict[str, Any]:
    """Configuration sections the ``csms`` fixture adds (none); a test sets some by
    parametrizing this name, e.g. ``{"tariff_service": {"running_cost_interval": 0}}``."""
    return {}


@pytest.fixture
async def csms(tmp_path: Path, csms_settings: dict[str, Any]) -> AsyncIterator[Csms]:
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {
                "ws_addr": "127.0.0.1:0",
                "status_addr": "127.0.0.1:0",
                "call_timeout": "5s",
            },
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
            **csms_settings,
        }
    )
    async with Csms(config) as running:
        yield running


async def register(
    csms: Csms, station_id: str, profile: SecurityProfile = SecurityProfile.BASIC
) -> None:
    await csms.store.register_station(
        station_id, StationAuth(profile, password_hash()), datetime.now(UTC)
    )


async def add_token(csms: Csms, uid: str, **extra: Any) -> None:
    await csms.store.set_token(
        Token(
            country_code="GB",
            party_id="TWK",
            type="RFID",
            uid=uid,
            contract_id="GBTWK012345678V",
            issuer="test",
            valid=True,
            cache_mode=CacheMode.ALWAYS,
            **extra,
        )
    )
