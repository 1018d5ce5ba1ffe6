"""Long station forms on a laptop at a site (80×24): the remote-start form has more fields than
the terminal has lines, so its fields scroll while Send stays in view, and every field can be
reached."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from csms_tui.actions import ActionFormScreen
from tests.tui.test_console import wait_until
from tests.tui.test_snapshots import app, settle

pytestmark = pytest.mark.tui

SMALL = (80, 24)


def in_view(widget: Widget, screen: Region) -> bool:
    """Wholly on screen and inside every scrolling container around it: what a user sees."""
    region = widget.region
    if not region or not screen.contains_region(region):
        return False
    visible = widget.screen.find_widget(widget).visible_region
    return bool(visible) and visible.size == region.size


async def open_remote_start(pilot: Pilot[Any]) -> ActionFormScreen:
    await settle("s")(pilot)
    form = pilot.app.screen
    assert isinstance(form, ActionFormScreen)
    assert form.action.id == "remote_start"
    return form


async def test_every_field_and_send_can_be_reached_at_80x24() -> None:
    console = app()
    async with console.run_test(size=SMALL) as pilot:
        form = await open_remote_start(pilot)
        screen = form.region
        fields = list(form.query_one("#fields").query("Input, Select").results(Widget))
        assert len(fields) == len(form.action.fields)
        send = form.query_one("#send", Button)
        # More fields than fit: the form is scrolled, not cut, and Send is shown from the start.
        assert not all(in_view(f, screen) for f in fields)
        assert in_view(send, screen)
        for field in fields:  # focus each in turn, as a user tabbing through
            field.focus()
            # The scroll to a focused field may be animated: waited for, not one frame.
            await wait_until(pilot, partial(in_view, field, screen), timeout=3)
            assert in_view(send, screen), field.id
        assert isinstance(fields[-1], Input | Select)
        send.focus()
        await pilot.pause()
        assert in_view(send, screen)


def test_remote_start_form_snapshot_80x24(snap_compare: Any) -> None:
    assert snap_compare(app(), terminal_size=SMALL, run_before=settle("s"))
