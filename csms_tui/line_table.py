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

from core.inert import inert

ERROR = "error"
WARNING = "warning"
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
        "line-table--warning",
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
    LineTable > .line-table--warning {
        color: $warning;
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

    def _header_note(self) -> str:
        """Hook: text after the column titles (e.g. the filter in force)."""
        return ""

    def _cell_tones(self, index: int) -> dict[int, str]:
        """Hook: cells of the row at `index` with a tone of their own (column → tone), e.g. a
        faulted connector's cell in the error colour on a row that is otherwise plain."""
        return {}

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
        # Cells hold what stations sent (ids, vendors, error texts): a segment's text goes to
        # the terminal as it is, so control characters are shown as escapes (core.inert).
        return "  ".join(
            fit(inert(cell), width) if width else inert(cell)
            for cell, width in zip(cells, self.widths, strict=False)
        )

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("line-table--header")
            header = self._line(self.titles) + inert(self._header_note())
            return Strip([Segment(header, style)]).crop_extend(0, width, style)
        index = self.scroll_offset.y + y - 1
        if not 0 <= index < self.row_count:
            return Strip.blank(width, base)
        cells, tone, _ = self._row(index)
        style = base
        if tone:
            style += self.get_component_rich_style(f"line-table--{tone}")
        cursor = self.get_component_rich_style("line-table--cursor")
        line_style = style + cursor if index == self.cursor_row else style
        tones = self._cell_tones(index)
        if not tones:
            return Strip([Segment(self._line(cells), line_style)]).crop_extend(0, width, line_style)
        # Cells with their own tone: one segment per cell (only these rows pay for it). The
        # gap goes with the cell before it: a segment of spaces alone is left out of an SVG
        # screenshot's text, which would then run the cells together.
        segments: list[Segment] = []
        pairs = list(zip(cells, self.widths, strict=False))
        for column, (cell, cell_width) in enumerate(pairs):
            # The tone last: its colour says something, on the cursor's row too.
            cell_style = line_style
            if column in tones:
                cell_style += self.get_component_rich_style(f"line-table--{tones[column]}")
            text = fit(inert(cell), cell_width) if cell_width else inert(cell)
            gap = "  " if column < len(pairs) - 1 else ""
            segments.append(Segment(text + gap, cell_style))
        return Strip(segments).crop_extend(0, width, line_style)


def matches(terms: Sequence[str], cells: Sequence[str]) -> bool:
    """Every term (lower case) appears in some cell."""
    if not terms:
        return True
    text = "\x00".join(cells).lower()
    return all(term in text for term in terms)


class KeyedTable(LineTable):
    """Rows by key, in insertion order, updated in place; column widths grow with the content.

    `set_filter` shows only the rows whose cells contain every word; rows keep updating (and
    appear or disappear as they start or stop matching) while the filter is on.
    """

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
        self._cell_tone: dict[str, dict[int, str]] = {}  # only rows with toned cells
        self._cursor_key: str | None = None
        self._terms: list[str] = []
        self._view: list[str] | None = None  # the keys shown while a filter is on
        self._view_index: dict[str, int] = {}

    # --- filtering ---------------------------------------------------------------------------------

    @property
    def filter(self) -> str:
        return " ".join(self._terms)

    def set_filter(self, text: str) -> None:
        self._terms = text.lower().split()
        self._refilter()
        self.refresh()

    def _refilter(self) -> None:
        if self._terms:
            self._view = [k for k in self._keys if matches(self._terms, self._cells[k])]
            self._view_index = {k: i for i, k in enumerate(self._view)}
        else:
            self._view = None
            self._view_index = {}
        self._set_height(self.row_count)
        if self.cursor_row < 0 and self.row_count:
            self._select(0)

    def _header_note(self) -> str:
        if not self._terms:
            return ""
        return f"   [filter: {self.filter} · {self.row_count} of {len(self._keys)}]"

    @property
    def _order(self) -> list[str]:
        return self._keys if self._view is None else self._view

    def _position(self, key: str) -> int:
        index = self._index if self._view is None else self._view_index
        return index.get(key, -1)

    # --- rows --------------------------------------------------------------------------------------

    @property
    def rows(self) -> dict[str, list[str]]:
        """Every row's cells by key, shown or filtered out (read-only use)."""
        return self._cells

    @property
    def row_count(self) -> int:
        """Rows shown (all of them unless a filter is on)."""
        return len(self._order)

    @property
    def cursor_row(self) -> int:
        return self._position(self._cursor_key) if self._cursor_key is not None else -1

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key if self.cursor_row >= 0 else None

    def _set_cursor(self, index: int) -> None:
        self._cursor_key = self._order[index]

    def _row(self, index: int) -> tuple[Sequence[str], str, Any]:
        key = self._order[index]
        return self._cells[key], self._tones.get(key, ""), key

    def _cell_tones(self, index: int) -> dict[int, str]:
        return self._cell_tone.get(self._order[index], {})

    def get_cell(self, key: str, column: str) -> str:
        return self._cells[key][self._column_index[column]]

    def get_row_index(self, key: str) -> int:
        """The row's position among those shown (-1 if filtered out)."""
        return self._position(key)

    def get_row_at(self, index: int) -> list[str]:
        return self._cells[self._order[index]]

    def _grow(self, cells: Sequence[str]) -> None:
        for i, cell in enumerate(cells[:-1]):
            if len(cell) > self.widths[i] and self.widths[i] < self._max[i]:
                self.widths[i] = min(len(cell), self._max[i])

    def upsert(
        self,
        key: str,
        row: dict[str, str],
        tone: str = "",
        cell_tones: dict[str, str] | None = None,
    ) -> None:
        """Add the row, or change the cells that differ; repaints only if something changed.
        `cell_tones` gives cells a tone of their own (column key → tone)."""
        cells = [row.get(column, "") for column in self.column_keys]
        by_index = {self._column_index[c]: t for c, t in (cell_tones or {}).items() if t}
        current = self._cells.get(key)
        if current is None:
            self._index[key] = len(self._keys)
            self._keys.append(key)
        elif (
            current == cells
            and self._tones.get(key, "") == tone
            and self._cell_tone.get(key, {}) == by_index
        ):
            return
        self._cells[key] = cells
        self._tones[key] = tone
        if by_index:
            self._cell_tone[key] = by_index
        else:
            self._cell_tone.pop(key, None)
        self._grow(cells)
        if self._view is None:
            self._set_height(len(self._keys))
        elif matches(self._terms, cells) != (key in self._view_index):
            self._refilter()  # only when the row starts or stops matching
        if self._cursor_key is None and self.row_count:
            self._select(0)
        self.refresh()

    def set_cell(self, key: str, column: str, value: str) -> None:
        """Change one cell of an existing row (a station's last contact on each frame): no
        new row, no filter change unless the row starts or stops matching."""
        cells = self._cells.get(key)
        index = self._column_index[column]
        if cells is None or cells[index] == value:
            return
        cells[index] = value
        self._grow(cells)
        if self._view is not None and matches(self._terms, cells) != (key in self._view_index):
            self._refilter()
        self.refresh()

    def remove_row(self, key: str) -> None:
        position = self._position(key)
        index = self._index.pop(key)
        del self._keys[index]
        del self._cells[key]
        self._tones.pop(key, None)
        self._cell_tone.pop(key, None)
        for k in self._keys[index:]:
            self._index[k] -= 1
        if self._view is not None:
            self._refilter()
        self._set_height(self.row_count)
        if self._cursor_key == key:
            self._cursor_key = None
            if self.row_count:
                self._select(min(max(position, 0), self.row_count - 1))
        self.refresh()

    def clear(self) -> None:
        self._keys.clear()
        self._index.clear()
        self._cells.clear()
        self._tones.clear()
        self._cell_tone.clear()
        self._cursor_key = None
        self._posted = None
        self._refilter()
        self.refresh()
