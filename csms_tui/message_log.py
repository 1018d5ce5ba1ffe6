"""The live message log: a bounded window that costs O(1) per message at any rate.

The newest `window` rows are kept in a deque; each row has a sequence number, so the selection
stays on its message while older rows fall off the top, and the view keeps still while the user
reads (see `line_table` for why this is not a `DataTable`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from csms_tui.line_table import ERROR, LineTable


@dataclass(slots=True)
class _Row:
    seq: int
    cells: Sequence[str]
    error: bool
    data: Any


class MessageLog(LineTable):
    """Appends rows; follows the newest one until the user moves the cursor away."""

    class FollowChanged(Message):
        """The user moved away from the newest row (following stops) or back to it (resumes)."""

        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    def __init__(
        self,
        columns: Sequence[tuple[str, int]],
        window: int,
        *,
        follow: bool = True,
        id: str | None = None,
    ) -> None:
        """`columns` are (title, width); a width of 0 takes what is left of the line."""
        super().__init__([t for t, _ in columns], [w for _, w in columns], id=id)
        self.follow = follow
        self._rows: deque[_Row] = deque(maxlen=window)
        self._seq = 0
        self._cursor = -1  # the selected row's sequence number

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        if not self._rows or self._cursor < 0:
            return -1
        return self._cursor - self._rows[0].seq

    def _set_cursor(self, index: int) -> None:
        self._cursor = self._rows[index].seq

    def _row(self, index: int) -> tuple[Sequence[str], str, Any]:
        row = self._rows[index]
        return row.cells, ERROR if row.error else "", row.data

    def _user_moved(self, index: int) -> None:
        newest = index == len(self._rows) - 1
        if self.follow != newest:
            self.follow = newest
            self.post_message(self.FollowChanged(newest))

    @property
    def selected(self) -> Any:
        index = self.cursor_row
        return self._rows[index].data if index >= 0 else None

    def rows(self) -> list[Any]:
        return [row.data for row in self._rows]

    def add(self, rows: Iterable[tuple[Sequence[str], bool, Any]]) -> None:
        """Append rows of (cells, is_error, data); the oldest fall off beyond the window."""
        first = self._rows[0].seq if self._rows else None
        added = False
        for cells, error, data in rows:
            self._seq += 1
            self._rows.append(_Row(self._seq, cells, error, data))
            added = True
        if not added:
            return
        self._set_height(len(self._rows))
        if self.follow:
            self._select(len(self._rows) - 1)
        else:
            dropped = self._rows[0].seq - first if first is not None else 0
            if self._cursor < self._rows[0].seq:
                self._select(0)
            if dropped:  # keep the same messages on screen while older ones leave the window
                self.scroll_to(
                    y=max(0, self.scroll_offset.y - dropped), animate=False, immediate=True
                )
        self.refresh()

    def clear(self) -> None:
        self._rows.clear()
        self._cursor = -1
        self._posted = None
        self._set_height(0)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()
