"""Schemathesis against the served OpenAPI document: no 5xx, no response outside the document.

The server runs in this test's event loop on a free port; schemathesis runs as its CLI in a
subprocess (its client is synchronous). A station is registered, booted and "connected", and a
background task answers every call sent to it, so commands with ``?wait=`` finish at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

import pytest

from core.api.server import ApiServer
from core.config import ApiConfig
from tests.api.harness import Env, service_env

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        # Not negative_data_rejection: for query strings, schemathesis counts e.g. the string
        # "0" for an integer parameter as negative, though it is the same on the wire.
    ]
)


async def _answer_everything(env: Env) -> None:
    while True:
        _, station_id, message = await env.wire.sent.get()
        # Accepted fits most answers; where it does not, the router records the call as an
        # error — either way the call is final and any waiter wakes.
        await env.answer(station_id, message, {"status": "Accepted"})


async def _seed(env: Env) -> None:
    await env.boot("CS1", "2.0.1")
    await env.boot("CS16", "1.6")
    await env.store.start_transaction_16("CS16", 1, "TAG", 0.0, env.clock.now(), 1)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("method", ["positive", "negative"])
async def test_schemathesis_finds_nothing(method: str) -> None:
    async with service_env() as env:
        await _seed(env)
        server = ApiServer(env.service, env.store, env.clock, ApiConfig(addr="127.0.0.1:0"))
        await server.start()
        station = asyncio.create_task(_answer_everything(env))
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{server.url}/api/v0/openapi.json",
                "--checks",
                CHECKS,
                "--data-generation-method",
                method,
                "--exclude-operation-id",
                "streamEvents",  # endless by design; tested in test_api.py
                "--hypothesis-max-examples",
                "30",
                "--hypothesis-derandomize",
                "--hypothesis-deadline",
                "None",
                "--request-timeout",
                "20000",
                "--no-color",
                # Bearer auth is tested on its own (test_api.py); garbage Authorization headers
                # are refused by aiohttp's HTTP parser before any handler runs.
                "--generation-with-security-parameters",
                "false",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            output, _ = await proc.communicate()
        finally:
            station.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await station
            await server.stop()
        text = output.decode(errors="replace")
        assert proc.returncode == 0, text[-6000:]
