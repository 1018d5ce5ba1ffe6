"""Tables that stay cheap at any update rate: one string per row, rendered only when on screen.

Textual's `DataTable` renders every cell through Rich and drops all its cached rows whenever any
cell changes, so a full-screen table of 1,000 live stations costs tens of milliseconds per
repaint, and its `remove_row` re-indexes every row (measured by `bench/bench_tui.py`). These
widgets give each column a width, format a row into one line when it is drawn, and keep the
selection on its row key (or message) while rows change around it.

- `LineTable` is the shared part: header line, cursor, keys, scrolling, rendering.
- `KeyedTable` holds rows by key, updated in place (stations, transactions).
- `MessageLog` (in `message_log.py`) is an append-only window that follows the newest row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

ERROR = "error"
MUTED = "muted"


def fit(text: str, width: int) -> str:
    """`text` padded or cut (with an ellipsis) to exactly `width` characters."""
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


class LineTable(ScrollView, can_focus=True):
    """A header line, rows of fixed-width columns below it, and a cursor row."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-table--header",
        "line-table--cursor",
        "line-table--error",
        "line-table--muted",
    }
    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        overflow-x: hidden;
        overflow-y: scroll;
    }
    LineTable > .line-table--header {
        color: $primary;
        text-style: bold;
    }
    LineTable > .line-table--cursor {
        background: $secondary 30%;
    }
    LineTable:focus > .line-table--cursor {
        background: $accent 50%;
        text-style: bold;
    }
    LineTable > .line-table--error {
        color: $error;
    }
    LineTable > .line-table--muted {
        color: $text-muted;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another row (at most once per burst of changes)."""

        def __init__(self, table: LineTable, data: Any) -> None:
            super().__init__()
            self.table = table
            self.data = data

        @property
        def control(self) -> LineTable:
            return self.table

    def __init__(self, titles: Sequence[str], widths: Sequence[int], *, id: str | None) -> None:
        """`widths` of 0 take what is left of the line (the last column only)."""
        super().__init__(id=id)
        self.titles = tuple(titles)
        self.widths = list(widths)
        self._posted: object = None
        # `self.size` asks the compositor for the widget's region on every call: too dear per
        # update, so the height is kept from resize events.
        self._height = 0

    # --- what subclasses provide -----------------------------------------------------------------

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    @property
    def cursor_row(self) -> int:
        """Index of the selected row, -1 when there is none."""
        raise NotImplementedError

    def _set_cursor(self, index: int) -> None:
        raise NotImplementedError

    def _row(self, index: int) -> tuple[Sequence[str], str, Any]:
        """(cells, tone, identity) of the row at `index`; tone is "", ERROR or MUTED."""
        raise NotImplementedError

    def _user_moved(self, index: int) -> None:
        """Hook: the user (not new data) moved the cursor to `index`."""

    # --- shared behaviour --------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._height = event.size.height

    def _set_height(self, rows: int) -> None:
        # Assigning virtual_size re-lays out the whole screen, so only a new height is assigned
        # (the compositor sets the width). +1: the header line.
        if self.virtual_size.height != rows + 1:
            self.virtual_size = Size(self.virtual_size.width, rows + 1)

    def move_cursor(self, *, row: int) -> None:
        """Select the row at `row` (clamped) and scroll it into view."""
        if self.row_count:
            self._select(max(0, min(row, self.row_count - 1)))
            self.refresh()

    def _select(self, index: int) -> None:
        self._set_cursor(index)
        visible = max(1, self._height - 1)
        top = self.scroll_offset.y
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + visible:
            self.scroll_to(y=index - visible + 1, animate=False, immediate=True)
        identity = self._row(index)[2]
        if identity != self._posted:
            self._posted = identity
            self.post_message(self.Highlighted(self, identity))

    def _move_to(self, index: int) -> None:
        if self.row_count:
            index = max(0, min(index, self.row_count - 1))
            self._user_moved(index)
            self.move_cursor(row=index)

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor_row + direction * max(1, self._height - 2))

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(self.row_count - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y > 0:
            self._move_to(self.scroll_offset.y + offset.y - 1)

    def _line(self, cells: Sequence[str]) -> str:
        return "  ".join(
            fit(cell, width) if width else cell
            for cell, width in zip(cells, self.widths, strict=False)
        )

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("line-table--header")
            return Strip([Segment(self._line(self.titles), style)]).crop_extend(0, width, style)
        index = self.scroll_offset.y + y - 1
        if not 0 <= index < self.row_count:
            return Strip.blank(width, base)
        cells, tone, _ = self._row(index)
        style = base
        if tone:
            style += self.get_component_rich_style(f"line-table--{tone}")
        if index == self.cursor_row:
            style += self.get_component_rich_style("line-table--cursor")
        return Strip([Segment(self._line(cells), style)]).crop_extend(0, width, style)


class KeyedTable(LineTable):
    """Rows by key, in insertion order, updated in place; column widths grow with the content."""

    def __init__(self, columns: Sequence[tuple[str, str, int]], *, id: str | None = None) -> None:
        """`columns` are (key, title, maximum width); the last column takes the rest."""
        super().__init__(
            [title for _, title, _ in columns],
            [len(title) for _, title, _ in columns[:-1]] + [0],
            id=id,
        )
        self.column_keys = [key for key, _, _ in columns]
        self._max = [limit for _, _, limit in columns]
        self._column_index = {key: i for i, key in enumerate(self.column_keys)}
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._cells: dict[str, list[str]] = {}
        self._tones: dict[str, str] = {}
        self._cursor_key: str | None = None

    @property
    def rows(self) -> dict[str, list[str]]:
        """The rows' cells by key (read-only use: membership, iteration)."""
        return self._cells

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def cursor_row(self) -> int:
        return self._index.get(self._cursor_key, -1) if self._cursor_key is not None else -1

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key

    def _set_cursor(self, index: int) -> None:
        self._cursor_key = self._keys[index]

    def _row(self, index: int) -> tuple[Sequence[str], str, Any]:
        key = self._keys[index]
        return self._cells[key], self._tones.get(key, ""), key

    def get_cell(self, key: str, column: str) -> str:
        return self._cells[key][self._column_index[column]]

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def get_row_at(self, index: int) -> list[str]:
        return self._cells[self._keys[index]]

    def _grow(self, cells: Sequence[str]) -> None:
        for i, cell in enumerate(cells[:-1]):
            if len(cell) > self.widths[i] and self.widths[i] < self._max[i]:
                self.widths[i] = min(len(cell), self._max[i])

    def upsert(self, key: str, row: dict[str, str], tone: str = "") -> None:
        """Add the row, or change the cells that differ; repaints only if something changed."""
        cells = [row.get(column, "") for column in self.column_keys]
        current = self._cells.get(key)
        if current is None:
            self._index[key] = len(self._keys)
            self._keys.append(key)
            self._set_height(len(self._keys))
        elif current == cells and self._tones.get(key, "") == tone:
            return
        self._cells[key] = cells
        self._tones[key] = tone
        self._grow(cells)
        if self._cursor_key is None:
            self._select(0)
        self.refresh()

    def remove_row(self, key: str) -> None:
        index = self._index.pop(key)
        del self._keys[index]
        del self._cells[key]
        self._tones.pop(key, None)
        for k in self._keys[index:]:
            self._index[k] -= 1
        self._set_height(len(self._keys))
        if self._cursor_key == key:
            self._cursor_key = None
            if self._keys:
                self._select(min(index, len(self._keys) - 1))
        self.refresh()

    def clear(self) -> None:
        self._keys.clear()
        self._index.clear()
        self._cells.clear()
        self._tones.clear()
        self._cursor_key = None
        self._posted = None
        self._set_height(0)
        self.refresh()
