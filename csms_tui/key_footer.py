"""The console's key bar: one line of text for the active bindings.

Textual's `Footer` rebuilds a widget per key (with styles) whenever the bindings change, which is
on every tab switch and focus change here: ~25 ms per switch, measured by `bench/bench_tui.py`
under load. This bar renders the same keys as one `Text` and keeps clicks working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widgets import Static


class KeyFooter(Static):
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def __init__(self) -> None:
        super().__init__("")
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        if not self.is_attached:
            return
        accent = self.app.current_theme.accent or "yellow"
        entries: list[_Entry] = []
        seen: set[str] = set()
        for _, binding, enabled, _ in screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            entries.append(
                _Entry(self.app.get_key_display(binding), binding.description, binding.key,
                       binding.action, enabled)
            )  # fmt: skip
        width = self.size.width or self.app.size.width
        text = Text(no_wrap=True, overflow="ellipsis")
        spans: list[tuple[int, int, str]] = []
        for entry in fit(entries, width):
            start = len(text)
            text.append(
                f" {entry.key_display} ", style=f"bold {accent}" if entry.enabled else "dim"
            )
            text.append(f"{entry.description} ", style="" if entry.enabled else "dim")
            spans.append((start, len(text), entry.key))
        self._spans = spans
        self.update(text)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return


@dataclass(frozen=True, slots=True)
class _Entry:
    key_display: str
    description: str
    key: str
    action: str
    enabled: bool

    @property
    def width(self) -> int:
        return len(self.key_display) + len(self.description) + 3


# Always shown, whatever the width: how to get help and how to leave.
_ESSENTIAL = ("toggle_help", "quit")


def fit(entries: list[_Entry], width: int) -> list[_Entry]:
    """The keys that fit in ``width`` columns (a laptop at a site: 80). First the tab keys
    become one ``1-6 tabs``; then the screen's own keys are dropped from the end — help and
    quit stay, so the rest is one ``?`` away."""
    if sum(e.width for e in entries) <= width:
        return entries
    tabs = [e for e in entries if e.action.startswith("show(")]
    if len(tabs) > 1:
        first = entries.index(tabs[0])
        merged = _Entry(
            f"{tabs[0].key_display}-{tabs[-1].key_display}", "tabs", tabs[0].key, "show()", True
        )
        entries = [e for e in entries if e not in tabs]
        entries.insert(first, merged)
    essential = [e for e in entries if e.action in _ESSENTIAL]
    others = [e for e in entries if e.action not in _ESSENTIAL]
    while others and sum(e.width for e in others + essential) > width:
        others.pop()
    return others + essential
