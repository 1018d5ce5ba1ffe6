"""`w` on the Messages tab and in the stored history: why an exchange failed, beside its frames,
from the real core, for a station that sends a payload its schema refuses."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.widgets import DataTable, Static

from core.application.views import MessageView, message_view
from core.events import Event, MessageLogged
from core.ocpp.explain import explain
from core.runtime import Csms
from core.schemas import Direction, SchemaSet, first_violation
from core.store.models import LoggedMessage
from csms_tui.app import CsmsConsole
from csms_tui.history_screens import MessageHistoryScreen
from tests.e2e.conftest import register
from tests.tui.test_console import core_config, station_socket, wait_until
from tests.tui.test_snapshots import T0, FixedService, FixedSubscription, settle

pytestmark = pytest.mark.tui


def text_of(console: CsmsConsole, selector: str) -> str:
    return str(console.screen.query_one(selector, Static).render())


async def test_w_explains_the_error_beside_the_frame(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSWHY")
        console = CsmsConsole(service=csms.service)
        async with console.run_test(size=(160, 40)) as pilot, station_socket(csms, "CSWHY") as ws:
            boot = {"chargePointVendor": "V", "chargePointModel": "M"}
            await ws.send(orjson.dumps([2, "b1", "BootNotification", boot]).decode())
            await ws.recv()
            await ws.send(orjson.dumps([2, "a1", "Authorize", {"idTag": "T" * 25}]).decode())
            error = orjson.loads(await ws.recv())
            assert error[2] == "PropertyConstraintViolation"
            assert error[4]["pointer"] == "/idTag"

            await pilot.press("2")  # Messages, following: the CALLERROR is selected
            await wait_until(
                pilot, lambda: "PropertyConstraint" in text_of(console, "#message-result")
            )
            why = console.screen.query_one("#message-why-scroll")
            assert not why.display
            await pilot.press("w")
            await wait_until(pilot, lambda: "maxLength" in text_of(console, "#message-why"))
            shown = text_of(console, "#message-why")
            assert why.display
            assert "PropertyConstraintViolation · OCPP 1.6" in shown
            assert "station side: The CSMS refused the station's Authorize call" in shown
            assert "/idTag" in shown
            assert "at most 20 characters" in shown
            assert "25 characters" in shown
            assert "ocpp16/Authorize.json: maxLength at /idTag" in shown
            assert "OCPP-J 1.6 §4.2.3" in shown
            # The frames stay in view beside it.
            assert "Authorize" in text_of(console, "#message-call")
            await pilot.press("w")
            await pilot.pause()
            assert not why.display

            # The stored history: the same key, on a stored page.
            await pilot.press("o")
            await wait_until(pilot, lambda: isinstance(console.screen, MessageHistoryScreen))
            table = console.screen.query_one("#history", DataTable)
            await wait_until(pilot, lambda: table.row_count >= 4)
            assert "w: why" in text_of(console, "#history-summary")
            await pilot.press("w")
            row = next(
                i for i in range(table.row_count) if "Property" in str(table.get_row_at(i)[-1])
            )
            table.move_cursor(row=row)
            await wait_until(pilot, lambda: "maxLength" in text_of(console, "#history-why"))
            assert "/idTag" in text_of(console, "#history-why")
            # A boot that went well has nothing to explain, and says so.
            boot_row = next(
                i for i in range(table.row_count) if "BootNotification" in str(table.get_row_at(i))
            )
            table.move_cursor(row=boot_row)
            await wait_until(pilot, lambda: "No error here" in text_of(console, "#history-why"))


# A fixed exchange for the snapshot and the README's screenshot: a 1.6 station's Authorize with
# an idTag too long, the CSMS's CALLERROR, and its explanation as the core works it out.
_TAG = "04E91C5A2B3F6D7E8A9B0C1D2E"
_FRAMES = [
    LoggedMessage("CS-ALPHA", T0, "in", 2, "a-17", "Authorize", {"idTag": _TAG}, id=41),
    LoggedMessage(
        "CS-ALPHA",
        T0 + timedelta(milliseconds=3),
        "out",
        4,
        "a-17",
        "Authorize",
        None,
        "PropertyConstraintViolation",
        'Authorize request: idTag: "04E91C5A2B3F6D7E8A9B0C1D2E" is longer than 20 characters',
        id=42,
    ),
]


def _stored() -> list[MessageView]:
    details = first_violation(SchemaSet.OCPP16, "Authorize", Direction.REQUEST, {"idTag": _TAG})
    call, error = _FRAMES
    why = explain(error.error_code, "1.6", "csms", error.action, error.error_description, details)
    return [message_view(error, why), message_view(call)]


class ExplainedService(FixedService):
    def subscribe(self, maxsize: int | None = None) -> FixedSubscription:
        live: list[Event] = [
            MessageLogged(
                station_id=f.station_id,
                at=f.at,
                seq=i + 1,
                direction=f.direction,
                message_type=f.message_type,
                message_id=f.message_id,
                action=f.action,
                payload=f.payload,
                error_code=f.error_code,
                error_description=f.error_description,
            )
            for i, f in enumerate(_FRAMES)
        ]
        return FixedSubscription(live)

    async def list_messages(self, **_: Any) -> list[MessageView]:
        return _stored()


def explained_app() -> CsmsConsole:
    return CsmsConsole(service=ExplainedService())  # type: ignore[arg-type]


def test_explained_error_snapshot(snap_compare: Any) -> None:
    assert snap_compare(explained_app(), terminal_size=(130, 30), run_before=settle("2", "w"))
