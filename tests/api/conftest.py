"""Fixtures of the API tests that run the real core: the embedded runtime on free ports and an
HTTP client on its admin API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from core.config import config_from_dict
from core.runtime import Csms


@pytest.fixture
async def csms(tmp_path: Path) -> AsyncIterator[Csms]:
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": "127.0.0.1:0"},
            "api": {"addr": "127.0.0.1:0", "host": "127.0.0.1"},
            "sync": {"enabled": False},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(config) as running:
        yield running


@pytest.fixture
async def http(csms: Csms) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{csms.ports['api']}") as session:
        yield session
