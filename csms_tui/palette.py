"""The command palette (``ctrl+p``): what can be done from where the operator is.

The provider asks the console for its context through :class:`PaletteHost`, not the console
class itself: the console lists this provider, so importing it here would be a cycle."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from csms_tui.actions import ACTIONS
from csms_tui.inert import inert

# (argument of the console's `show` action, title): the tabs the palette can switch to.
TABS = (
    ("stations", "Stations"),
    ("messages", "Messages"),
    ("transactions", "Transactions"),
    ("tokens", "Tokens"),
    ("certificates", "Certificates"),
    ("log", "Log"),
    ("operations", "Operations"),
)


@runtime_checkable
class PaletteHost(Protocol):
    """What the palette needs from the console."""

    def context_station(self, screen: Screen[Any]) -> str | None: ...

    def start_action(self, station_id: str, action_id: str, **defaults: str) -> None: ...

    def action_show(self, tab: str) -> None: ...

    def action_export(self, tab: str = "") -> None: ...

    def action_history(self) -> None: ...


class StationCommands(Provider):
    """``ctrl+p``: every action for the station in context (the highlighted row, or the station
    whose detail screen is open), and the screens."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app = self.app
        assert isinstance(app, PaletteHost)
        out: list[tuple[str, Callable[[], Any], str]] = []
        station = app.context_station(self.screen)
        if station is not None:
            shown = inert(station)  # a refused station's id is whatever its URL held
            for action in ACTIONS:
                out.append(
                    (
                        f"{action.title} on {shown}",
                        partial(app.start_action, station, action.id),
                        action.help or f"send {action.title.lower()} to {shown}",
                    )
                )
        for tab, title in TABS:
            out.append((f"Show {title}", partial(app.action_show, tab), f"switch to {title}"))
        out.append(
            (
                "Export the message log",
                partial(app.action_export, "messages"),
                "filtered, as JSON lines",
            )
        )
        out.append(
            (
                "Export transactions",
                partial(app.action_export, "transactions"),
                "the Transactions tab's rows (its filter's), as CSV",
            )
        )
        out.append(("Older messages", app.action_history, "page through the stored log"))
        return out

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
