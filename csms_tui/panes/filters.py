"""Filters with fields, for the tabs whose ``/`` knows them (Transactions, Operations): terms
``name:value`` match one field, any other word must appear somewhere in the row, every match
is a case-insensitive substring (as in the message log's filter)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from textual.widgets import Label

from csms_tui.modals import FilterScreen


@dataclass(frozen=True, slots=True)
class FieldFilter:
    """A parsed filter: ``fields`` by name (values lower case) and the other ``words``."""

    fields: dict[str, str] = field(default_factory=dict)
    words: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fields or self.words)

    def matches(self, values: dict[str, str], cells: Iterable[str]) -> bool:
        """Whether a row with these field ``values`` and these ``cells`` passes."""
        for name, wanted in self.fields.items():
            if wanted not in values.get(name, "").lower():
                return False
        if self.words:
            text = "\x00".join(cells).lower()
            return all(word in text for word in self.words)
        return True


def parse_filter(text: str, names: Collection[str]) -> FieldFilter:
    """``text`` as typed after ``/``; a ``name:value`` whose name is not one of ``names`` is
    an ordinary word (a station id may hold a colon)."""
    fields: dict[str, str] = {}
    words: list[str] = []
    for term in text.lower().split():
        name, sep, value = term.partition(":")
        if sep and value and name in names:
            fields[name] = value
        else:
            words.append(term)
    return FieldFilter(fields, tuple(words))


class HintedFilterScreen(FilterScreen):
    """The filter dialog, saying which fields this tab's filter knows."""

    def __init__(self, current: str, hint: str) -> None:
        super().__init__(current, messages=False)
        self.hint = hint

    def on_mount(self) -> None:
        label = self.query_one("#dialog Label", Label)
        label.update(self.hint)
        label.styles.width = "100%"  # the hint wraps in the dialog instead of being cut
