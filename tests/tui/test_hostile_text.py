"""What stations and strangers send is shown as what it is: the real console on the real core,
with a station id from the URL that would retitle, clear or forge, and a registered station whose
boot texts carry control sequences and markup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import websockets
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from textual.content import Content
from textual.widgets import RichLog, Static
from websockets.typing import Subprotocol

from core.runtime import Csms
from csms_tui.actions import describe_answer
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.screens import StationDetailScreen
from tests.e2e.conftest import basic_header, register
from tests.fixtures.running import service_of
from tests.tui.test_console import core_config, station_socket, wait_until

pytestmark = pytest.mark.tui

RAW = "\x1b\x07\x9b\u202e"  # ESC, BEL, CSI (C1), right-to-left override
IDS = {
    "%1B%5D2%3BPWNED%07": "\x1b]2;PWNED\x07",
    "%1B%5B2J%1B%5B5%3B5HINJECTED": "\x1b[2J\x1b[5;5HINJECTED",
    "CS1%0A2026-01-01%20INFO%20core%3A%20forged": "CS1\n2026-01-01 INFO core: forged",
}


def no_raw_controls(text: str) -> bool:
    return not any(c in text for c in RAW)


async def knock(csms: Csms, path: str) -> int:
    with pytest.raises(websockets.InvalidStatus) as info:
        await websockets.connect(
            f"ws://127.0.0.1:{csms.ports['ws']}/ws/{path}",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": basic_header("CS1")},
        )
    return int(info.value.response.status_code)


async def test_refused_hostile_ids_are_inert_in_the_table_and_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Csms(core_config(tmp_path)) as csms:
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(160, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            for path in IDS:
                assert await knock(csms, path) == 400
            await wait_until(pilot, lambda: all(raw in stations.rows for raw in IDS.values()))
            lines = [stations.render_line(y).text for y in range(stations.row_count + 1)]
            shown = "\n".join(lines)
            assert no_raw_controls(shown)
            assert "\n" not in "".join(lines)
            assert "\\x1b]2;PWNED\\x07" in shown
            assert "\\x1b[2J\\x1b[5;5HINJECTED" in shown
            assert "CS1\\x0a2026" in shown  # the rest is cut to the column's width
            assert no_raw_controls(app.export_screenshot())

            app.action_show("log")
            log_view = app.query_one("#log", RichLog)
            await wait_until(
                pilot, lambda: sum("refused" in s.text for s in log_view.lines) >= 2 * len(IDS)
            )
            log_lines = [strip.text for strip in log_view.lines]
            assert all(no_raw_controls(line) for line in log_lines)
            assert not any(line.startswith("2026-01-01 INFO core: forged") for line in log_lines)
            assert any("refused \\x1b]2;PWNED\\x07" in line for line in log_lines)
            await pilot.pause()
            assert no_raw_controls(app.export_screenshot())


class Station(Cp16):
    pass


async def test_station_texts_are_inert_on_the_detail_screen(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSH")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(160, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            async with station_socket(csms, "CSH") as ws:
                cp = Station("CSH", ws)
                task = asyncio.create_task(cp.start())
                await cp.call(
                    call16.BootNotification(
                        charge_point_vendor="\x1b]2;V\x07",
                        charge_point_model="[$accent]M[/]",
                        charge_point_serial_number="\x1b[2J",
                        firmware_version="[@click=app.quit]fw",
                    )
                )
                await wait_until(pilot, lambda: "online" in stations.get_cell("CSH", "state"))
                lines = [stations.render_line(y).text for y in range(stations.row_count + 1)]
                assert any("\\x1b]2;V\\x07 [$acce…" in line for line in lines)  # cut to width
                detail = StationDetailScreen(service_of(csms), "CSH")
                app.push_screen(detail)

                def identity() -> str:
                    found = detail.query("#identity")
                    return str(found.first(Static).render()) if found else ""

                await wait_until(pilot, lambda: "serial" in identity())
                assert "\\x1b]2;V\\x07 [$accent]M[/]" in identity()
                assert "serial \\x1b[2J" in identity()
                assert "[@click=app.quit]fw" in identity()
                await pilot.pause()
                assert no_raw_controls(app.export_screenshot())
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await task


def test_notifications_of_answers_are_inert_and_not_markup() -> None:
    call = SimpleNamespace(
        state="answered",
        action="DataTransfer",
        request={},
        response={"status": "[$accent]Accepted\x1b]2;PWNED\x07[/]"},
    )
    message, _ = describe_answer("CS1", call)
    assert no_raw_controls(message)
    assert Content.from_markup(message).plain == (
        "CS1 answered DataTransfer: [$accent]Accepted\\x1b]2;PWNED\\x07[/]"
    )
    error = SimpleNamespace(
        state="error", action="Reset", error_code="[B]x", error_description="\x1b[2Jgone\\"
    )
    message, severity = describe_answer("CS1", error)
    assert severity == "error"
    assert Content.from_markup(message).plain == (
        "Reset on CS1: refused with an error ([B]x: \\x1b[2Jgone\\)"
    )
