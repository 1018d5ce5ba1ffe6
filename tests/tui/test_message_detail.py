"""Message payloads on the console: indented, highlighted JSON that stays inert text whatever a
station sent, cut when very long; one time format with its zone; empty states that say what to
do — in the Messages tab's detail and in the stored history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from core.application.views import MessageView
from core.events import Event, MessageLogged
from csms_tui.app import CsmsConsole
from csms_tui.history_screens import MessageHistoryScreen
from csms_tui.panes.messages import EMPTY, NO_MATCH
from csms_tui.payload import MAX_LINES, json_text
from tests.tui.test_snapshots import T0, FixedService, FixedSubscription

pytestmark = pytest.mark.tui

HOSTILE = {
    "vendorId": "\x1b]2;PWNED\x07",
    "data": "[@click=app.quit]quit[/] \u202eevil \x9b31m \x7f",
    "nested": {"list": [1, 2.5, True, None]},
}


def raw_controls(text: str) -> set[str]:
    return {c for c in text if (c < " " and c != "\n") or "\x7f" <= c <= "\x9f" or c == "\u202e"}


def test_a_payload_is_indented_highlighted_and_inert() -> None:
    text = json_text(HOSTILE)
    assert not raw_controls(text.plain)
    lines = text.plain.split("\n")
    assert lines[1] == '  "vendorId": "\\u001b]2;PWNED\\u0007",'  # JSON's own escapes
    assert lines[2] == '  "data": "[@click=app.quit]quit[/] \\u202eevil \\x9b31m \\x7f",'
    styles = {str(span.style) for span in text.spans}
    assert {"json.key", "json.str", "json.number", "json.bool_true", "json.null"} <= styles
    # Markup stays text: the click action is characters on screen, not a link.
    assert all("@click" not in str(span.style) for span in text.spans)


def test_a_very_long_payload_is_cut_and_says_so() -> None:
    text = json_text({"values": list(range(2 * MAX_LINES))})
    lines = text.plain.split("\n")
    assert len(lines) == MAX_LINES + 1
    assert lines[-1] == f"… {MAX_LINES + 4} more lines not shown (an export has them all)"


class QuietService(FixedService):
    """No live messages, and what ``stored`` holds in the store."""

    def __init__(self, live: list[Event], stored: list[MessageView]) -> None:
        self.live, self.stored = live, stored

    def subscribe(self, maxsize: int | None = None) -> FixedSubscription:
        return FixedSubscription(self.live)

    async def list_messages(self, **_: Any) -> list[MessageView]:
        return self.stored


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(5):
        await pilot.pause()


def shown(console: CsmsConsole, selector: str) -> str:
    return str(console.screen.query_one(selector, Static).render())


async def test_the_messages_tab_says_what_to_do_when_empty_or_filtered_out() -> None:
    console = CsmsConsole(service=QuietService([], []))  # type: ignore[arg-type]
    async with console.run_test(size=(130, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert shown(console, "#message-call") == EMPTY

    boot = MessageLogged(
        station_id="CS1",
        at=T0,
        direction="in",
        message_type=2,
        message_id="m1",
        action="DataTransfer",
        payload=HOSTILE,
    )
    console = CsmsConsole(service=QuietService([boot], []))  # type: ignore[arg-type]
    console.follow = False
    async with console.run_test(size=(130, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        call = shown(console, "#message-call")
        assert call.startswith("call CALL DataTransfer · 2026-03-14 09:30:00.000 UTC\n{")
        assert '"vendorId": "\\u001b]2;PWNED\\u0007"' in call
        assert not raw_controls(call)
        await pilot.press("slash", *"nosuchaction", "enter")
        await settle(pilot)
        assert shown(console, "#message-call") == NO_MATCH
        assert not raw_controls(console.export_screenshot())


def stored(i: int, message_type: int, message_id: str, payload: Any) -> MessageView:
    return MessageView(
        id=100 - i,
        station_id="CS1",
        at=T0 - timedelta(seconds=i),
        direction="out" if message_type == 2 else "in",
        message_type=message_type,
        message_id=message_id,
        action="GetVariables",
        payload=payload,
    )


async def test_the_history_shows_a_stored_call_and_its_answer_as_json() -> None:
    answer = stored(0, 3, "c1", {"getVariableResult": [{"attributeStatus": "Accepted"}]})
    call = stored(1, 2, "c1", {"getVariableData": [{"variable": {"name": "\x1b[2J"}}]})
    orphan = stored(2, 3, "c0", {"status": "Accepted"})  # its call is on an older page
    console = CsmsConsole(service=QuietService([], [answer, call, orphan]))  # type: ignore[arg-type]
    async with console.run_test(size=(130, 30)) as pilot:
        await pilot.press("2", "o")
        await settle(pilot)
        assert isinstance(console.screen, MessageHistoryScreen)
        table = console.screen.query_one("#history", DataTable)
        assert [str(c) for c in table.get_row_at(0)[:4]] == [
            "100",
            "2026-03-14 09:30:00.000",
            "CS1",
            "→",
        ]
        call_text = shown(console, "#history-call")
        assert call_text.startswith("call CALL GetVariables · 2026-03-14 09:29:59.000 UTC")
        assert '"name": "\\u001b[2J"' in call_text
        assert '"attributeStatus": "Accepted"' in shown(console, "#history-answer")
        await pilot.press("down", "down")
        await settle(pilot)
        assert "not on the pages read: o reads older ones" in shown(console, "#history-call")


async def test_an_empty_history_says_why_and_what_to_do() -> None:
    console = CsmsConsole(service=QuietService([], []))  # type: ignore[arg-type]
    async with console.run_test(size=(130, 30)) as pilot:
        console.message_filter = "station:CS9 errors"
        await pilot.press("2", "o")
        await settle(pilot)
        summary = shown(console, "#history-summary")
        assert summary.startswith("No stored messages · station CS9 · errors only:")
        assert "esc goes back" in summary
