"""The console's small dialogs: questions and forms over the screen that opened them, each
dismissed with its answer (``ModalScreen[T]``) for the caller to act on."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from core import limits
from csms_tui.actions import BoundedInput
from csms_tui.inert import plain
from csms_tui.resilience import KeepsRunning


class ConfirmScreen(KeepsRunning, ModalScreen[bool]):
    """A yes/no question for destructive actions. No has the focus: an Enter meant for the
    form behind (or pressed twice) must not reset a station; y and n answer directly."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            # wraps (a Label cuts a long question); plain: it may name a refused station's id
            yield Static(plain(self.question), id="question")
            with Horizontal():
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_cancel(self) -> None:
        self.dismiss(False)


class FilterScreen(KeepsRunning, ModalScreen[str | None]):
    """Filter a list: words every shown row contains; the message log also knows fields."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel")
    ]

    def __init__(self, current: str, messages: bool = True) -> None:
        super().__init__()
        self.current = current
        self.messages = messages

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                "Filter messages: words match station, action or error code; "
                "station:ID action:NAME dir:in|out errors; empty = all"
                if self.messages
                else "Filter: rows containing every word (any column); empty = all"
            )
            yield BoundedInput(value=self.current, id="filter", max_length=limits.FORM_TEXT.hi)

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
