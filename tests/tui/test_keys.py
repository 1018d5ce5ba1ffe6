"""The console's keys mean the same everywhere: `1`…`6` go to their tab from a detail or history
screen too, a tab's own keys act only on that tab (never from a screen above it), and a form of
choices only starts on its first list."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Select, TabbedContent

from csms_tui.actions import BY_ID, ActionFormScreen
from csms_tui.app import CsmsConsole
from csms_tui.history_screens import MessageHistoryScreen
from csms_tui.modals import TokenFormScreen
from csms_tui.screens import StationDetailScreen
from tests.tui.test_snapshots import app


async def _settle(pilot: Pilot[Any]) -> None:
    for _ in range(5):
        await pilot.pause()


@pytest.mark.parametrize(
    ("key", "tab"), [("2", "messages"), ("3", "transactions"), ("6", "log-pane")]
)
async def test_a_tab_key_on_the_station_detail_goes_to_that_tab(key: str, tab: str) -> None:
    console: CsmsConsole = app()
    async with console.run_test(size=(130, 30)) as pilot:
        await _settle(pilot)
        await pilot.press("enter")  # the highlighted station's detail
        await _settle(pilot)
        assert isinstance(console.screen, StationDetailScreen)
        await pilot.press(key)
        await _settle(pilot)
        assert console.screen is console.screen_stack[0]
        assert console.screen_stack[0].query_one(TabbedContent).active == tab


async def test_another_tab_s_key_does_nothing_on_the_message_history() -> None:
    console: CsmsConsole = app()
    async with console.run_test(size=(130, 30)) as pilot:
        await _settle(pilot)
        await pilot.press("2", "o")  # Messages, then its older history
        await _settle(pilot)
        assert isinstance(console.screen, MessageHistoryScreen)
        await pilot.press("a")  # Add token belongs to the Tokens tab
        await _settle(pilot)
        assert isinstance(console.screen, MessageHistoryScreen)
        assert not any(isinstance(s, TokenFormScreen) for s in console.screen_stack)
        await pilot.press("5")  # and Certificates is one key away
        await _settle(pilot)
        assert console.screen_stack[0].query_one(TabbedContent).active == "certificates"
        await pilot.press("6")  # from Certificates on to the Log
        await _settle(pilot)
        assert console.screen_stack[0].query_one(TabbedContent).active == "log-pane"


async def test_a_form_of_choices_only_starts_on_its_first_list() -> None:
    host: App[None] = App()
    async with host.run_test() as pilot:
        host.push_screen(ActionFormScreen(BY_ID["set_monitoring_base"], "CS"))
        await _settle(pilot)
        assert isinstance(host.focused, Select)
        await pilot.press("enter")  # opens the list rather than sending a guess
        await _settle(pilot)
        assert isinstance(host.screen, ActionFormScreen)
        assert host.screen.query_one(Select).expanded
