"""The console's own tables: bounded, follow/pause, selection kept by key while rows change."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from csms_tui.line_table import ERROR, KeyedTable
from csms_tui.message_log import MessageLog


class Holder(App[None]):
    def __init__(self, widget: Any) -> None:
        super().__init__()
        self.widget = widget
        self.highlighted: list[Any] = []
        self.following: list[bool] = []

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_mount(self) -> None:
        self.widget.focus()

    def on_line_table_highlighted(self, event: KeyedTable.Highlighted) -> None:
        self.highlighted.append(event.data)

    def on_message_log_follow_changed(self, event: MessageLog.FollowChanged) -> None:
        self.following.append(event.following)


def rows(*names: str) -> list[tuple[list[str], bool, str]]:
    return [([name, "x"], name.startswith("err"), name) for name in names]


async def test_message_log_keeps_a_bounded_window_and_follows_the_newest() -> None:
    log = MessageLog([("Name", 10), ("Rest", 0)], window=5)
    app = Holder(log)
    async with app.run_test(size=(40, 10)) as pilot:
        log.add(rows("a", "b", "c"))
        log.add(rows("d", "e", "f", "g"))
        await pilot.pause()
        assert log.rows() == ["c", "d", "e", "f", "g"]  # the two oldest fell off
        assert log.selected == "g"
        assert log.cursor_row == 4
        assert app.highlighted[-1] == "g"
        assert app.highlighted.count("g") == 1  # one announcement per burst, not per row


async def test_moving_up_pauses_and_the_selection_stays_on_its_message() -> None:
    log = MessageLog([("Name", 10), ("Rest", 0)], window=5)
    app = Holder(log)
    async with app.run_test(size=(40, 10)) as pilot:
        log.add(rows("a", "b", "c", "d", "e"))
        await pilot.press("up", "up")
        assert not log.follow
        assert app.following == [False]
        assert log.selected == "c"
        log.add(rows("f", "g"))  # a and b fall off; c is now the first row
        await pilot.pause()
        assert log.selected == "c"
        assert log.cursor_row == 0
        log.add(rows("h"))  # c falls off: the cursor goes to the oldest row left
        assert log.selected == "d"
        await pilot.press("end")
        assert log.selected == "h"
        assert log.follow
        assert app.following == [False, True]
        log.add(rows("i"))
        assert log.selected == "i"


async def test_message_log_renders_the_header_and_the_rows() -> None:
    log = MessageLog([("Name", 6), ("Rest", 0)], window=10)
    app = Holder(log)
    async with app.run_test(size=(30, 6)) as pilot:
        log.add(rows("abcdefgh", "err1"))
        await pilot.pause()
        lines = [log.render_line(y).text for y in range(3)]
        assert lines[0].startswith("Name    Rest")
        assert lines[1].startswith("abcde…  x")  # cut to the column's width
        assert lines[2].startswith("err1    x")


async def test_keyed_table_updates_in_place_and_keeps_the_selected_key() -> None:
    table = KeyedTable([("id", "Id", 8), ("state", "State", 10), ("seen", "Seen", 0)])
    app = Holder(table)
    async with app.run_test(size=(40, 10)) as pilot:
        for key in ("S1", "S2", "S3"):
            table.upsert(key, {"id": key, "state": "online", "seen": "-"})
        await pilot.press("down")
        assert table.cursor_key == "S2"
        table.upsert("S2", {"id": "S2", "state": "offline", "seen": "10:00"}, ERROR)
        table.upsert("S0", {"id": "S0", "state": "online", "seen": "-"})
        assert table.get_cell("S2", "state") == "offline"
        assert table.cursor_key == "S2"
        assert table.get_row_index("S0") == 3
        table.remove_row("S1")
        assert table.cursor_key == "S2"
        assert table.cursor_row == 0
        assert list(table.rows) == ["S2", "S3", "S0"]
        table.remove_row("S2")  # the selected row goes: the cursor takes its neighbour
        assert table.cursor_key == "S3"
        table.upsert("LONG-STATION-ID", {"id": "LONG-STATION-ID", "state": "x", "seen": "-"})
        assert table.widths[0] == 8  # grown to its maximum, not beyond
        assert table.render_line(3).text.startswith("LONG-ST…")  # header, S3, S0, LONG
