"""The console on a laptop at a site (80×24): the key bar keeps help and quit in view (the
tab keys fold into one ``1-7 tabs``), and the screens are pinned by snapshots at that size."""

from __future__ import annotations

from typing import Any

import pytest

from csms_tui.key_footer import KeyFooter
from tests.tui.test_snapshots import app, settle


@pytest.mark.parametrize("width", [80, 100])
async def test_the_key_bar_keeps_help_and_quit_in_view(width: int) -> None:
    console = app()
    async with console.run_test(size=(width, 24)) as pilot:
        for _ in range(5):
            await pilot.pause()
        bar = str(console.screen.query_one(KeyFooter).render())
        assert len(bar.rstrip()) <= width
        assert "? Help" in bar
        assert "q Quit" in bar
        assert "1-7 tabs" in bar


async def test_a_wide_terminal_shows_every_tab_key() -> None:
    console = app()
    async with console.run_test(size=(200, 50)) as pilot:
        for _ in range(5):
            await pilot.pause()
        bar = str(console.screen.query_one(KeyFooter).render())
        assert "1 Stations" in bar
        assert "6 Log" in bar
        assert "q Quit" in bar


SMALL = [
    ("stations-80x24", ()),
]


@pytest.mark.parametrize(("name", "keys"), SMALL, ids=[n for n, _ in SMALL])
def test_small_terminal_snapshot(snap_compare: Any, name: str, keys: tuple[str, ...]) -> None:
    assert snap_compare(app(), terminal_size=(80, 24), run_before=settle(*keys))
