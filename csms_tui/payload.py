"""OCPP payloads on the console: indented JSON, highlighted, and inert.

Rich's ``JSON`` renderable parses and highlights, but it shows strings as they are; a payload is
what a station sent, so here every line is made inert first (JSON escapes the C0 controls in
strings, not DEL, C1 or the bidi overrides) and the highlighter only adds styles to that text —
it never parses markup. A very long payload (a certificate chain, a device-model report) is cut
at :data:`MAX_LINES`: rendering it whole on every cursor move would stall the screen, and the
export and the stored log keep it all."""

from __future__ import annotations

import json
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.text import Text

from core.application.views import MessageView
from core.events import MessageLogged
from core.ocpp.explain import Explanation
from csms_tui.inert import inert
from csms_tui.timefmt import moment_ms

MAX_LINES = 400
DIRECTIONS = {"in": "→", "out": "←"}  # from the station, to the station
MESSAGE_TYPES = {2: "CALL", 3: "RESULT", 4: "ERROR"}
_HIGHLIGHT = JSONHighlighter()


def json_lines(payload: Any) -> list[str]:
    """The payload as indented JSON, one inert string per line."""
    text = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
    return [inert(line) for line in text.split("\n")]


def json_text(payload: Any, max_lines: int = MAX_LINES) -> Text:
    """The payload as highlighted, inert JSON text, cut after ``max_lines`` lines (saying so)."""
    lines = json_lines(payload)
    cut = len(lines) - max_lines
    text = Text("\n".join(lines[:max_lines]), end="")
    _HIGHLIGHT.highlight(text)
    if cut > 0:
        text.append(f"\n… {cut} more lines not shown (an export has them all)", style="italic dim")
    return text


def message_text(title: str, m: MessageLogged | MessageView | None, missing: str) -> Text:
    """A message for a detail pane — the live log's or a stored one: its title, type, action and
    time, the error where it is one, then the payload; ``missing`` says why there is none."""
    if m is None:
        return Text.assemble((title, "bold"), "\n", (missing, "dim"))
    heading = f" {MESSAGE_TYPES.get(m.message_type, '?')} {m.action} · {moment_ms(m.at)}"
    text = Text.assemble((title, "bold"), inert(heading), "\n")
    if m.error_code:
        text.append(inert(f"{m.error_code}: {m.error_description}"), style="bold")
        text.append("\n")
        if m.payload is None:  # a CALLERROR without errorDetails: nothing more to show
            return text
        text.append("errorDetails ", style="dim")
    text.append_text(json_text(m.payload))
    return text


def explanation_text(e: Explanation | None, none: str) -> Text:
    """An error explained, for the pane beside its frame; ``none`` says why there is nothing.

    The got value and the pointer come from what a station sent: inert like the payload."""
    if e is None:
        return Text.assemble(("why", "bold"), "\n", (none, "dim"))
    text = Text.assemble(("why", "bold"), inert(f" {e.code} · OCPP {e.version}"), "\n")
    text.append(inert(e.meaning))
    text.append("\n\n")
    text.append(f"{e.wrong_side} side", style="bold")
    text.append(inert(f": {e.summary}"))
    text.append("\n")
    rows = [
        ("field", e.pointer if e.pointer is not None and e.keyword else None),
        ("rule", e.keyword),
        ("expected", e.expected),
        ("got", e.got),
        ("requirement", e.requirement),
        ("defined in", e.reference),
    ]
    for label, value in rows:
        if value is None:
            continue
        text.append(f"\n{label:<12}", style="dim")
        text.append(inert(value or "(the whole payload)"))
    return text
