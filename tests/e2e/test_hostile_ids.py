"""Station ids from the URL that carry terminal control sequences or line breaks: refused before
any lookup, and never written raw to a log line."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest
import websockets
from websockets.typing import Subprotocol

from core.events import ConnectionRefused
from core.inert import InertFormatter
from core.runtime import Csms
from tests.e2e.conftest import basic_header
from tests.fixtures.running import service_of

pytestmark = pytest.mark.e2e

RETITLE = "%1B%5D2%3BPWNED%07"  # ESC ] 2 ; PWNED BEL: sets the terminal's title
CLEAR = "%1B%5B2J%1B%5B5%3B5HINJECTED"  # ESC [2J ESC [5;5H: clears the screen, moves the cursor
FORGED = "CS1%0A2026-01-01%20INFO%20core%3A%20forged"  # a second log line


async def _status(csms: Csms, path: str) -> int:
    with pytest.raises(websockets.InvalidStatus) as info:
        await websockets.connect(
            f"ws://127.0.0.1:{csms.ports['ws']}/ws/{path}",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": basic_header("CS1")},
        )
    return int(info.value.response.status_code)


@pytest.mark.parametrize("path", [RETITLE, CLEAR, FORGED, "CS%3A1", "CS%E2%80%AE1"])
async def test_control_characters_in_the_id_are_refused_and_logged_escaped(
    csms: Csms, path: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log_file = tmp_path / "csms.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(InertFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    sub = service_of(csms).subscribe()
    try:
        with caplog.at_level(logging.INFO, logger="core.gateway"):
            assert await _status(csms, path) == 400
    finally:
        root.removeHandler(handler)
        handler.close()
    refused = await sub.get()
    assert isinstance(refused, ConnectionRefused)
    assert refused.http_status == 400
    assert refused.reason.startswith("invalid station id: must not contain")
    # Published for the operator as it came (the console makes it inert), the reason is ASCII.
    assert refused.reason.isascii()
    assert "\x1b" not in refused.reason
    messages = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused ")]
    assert len(messages) == 1
    assert not any(c in messages[0] for c in "\x1b\x07\n\u202e")
    lines = [
        line for line in log_file.read_text(encoding="utf-8").splitlines() if "refused" in line
    ]
    assert len(lines) == 1
    forged = [
        line for line in log_file.read_text(encoding="utf-8").splitlines() if "forged" in line
    ]
    assert forged == ([lines[0]] if path == FORGED else [])
    if path in (RETITLE, CLEAR):
        assert "refused \\x1b" in lines[0]
    if path == FORGED:
        assert "refused CS1\\x0a2026-01-01 INFO core: forged" in lines[0]


async def test_unknown_but_valid_id_is_still_404(csms: Csms) -> None:
    assert await _status(csms, "CS-unknown.1") == 404


async def test_rest_registration_refuses_an_id_that_cannot_log_in(csms: Csms) -> None:
    url = f"http://127.0.0.1:{csms.ports['api']}/api/v0/cs/CS:1/registration"
    async with aiohttp.ClientSession() as http, http.post(url, json={"securityProfile": 0}) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["error"].startswith("csId: ")  # the OpenAPI pattern is core.station_id's
    assert await csms.store.lookup_station_auth("CS:1") is None
