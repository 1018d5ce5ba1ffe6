"""Text a station or a remote party controls, shown on the console as what it is.

Three ways such text reaches the screen, three helpers:

- :func:`inert` (from ``core.inert``): control characters as visible escapes (``\\x1b``), for
  plain-text places (LineTable cells, the Log tab).
- :func:`plain`: a Rich ``Text`` that is never parsed as markup, for DataTable cells and
  ``Static`` contents (a ``str`` there is markup: ``[@click=app.quit]`` would be an action).
- :func:`markup_safe`: for station text inside a markup string (``notify``, ``Label``). Every
  ``[`` is escaped: ``rich.markup.escape`` leaves ``[$accent]``, ``[B]`` and ``[ on red]`` alone,
  which Textual's content markup reads as styles (the text in them vanishes).
"""

from __future__ import annotations

from rich.text import Text

from core.inert import inert

__all__ = ["inert", "markup_safe", "plain"]


def plain(value: object, style: str = "") -> Text:
    """``value`` as text that is displayed as it is: inert, never markup."""
    return Text(inert(str(value)), style=style, end="")


def markup_safe(value: object) -> str:
    """``value`` inert and with every ``[`` escaped, to put inside console markup. A trailing
    backslash is shown as ``\\x5c``: raw, it would escape the ``[`` of the markup after it."""
    text = inert(str(value)).replace("[", "\\[")
    return text[:-1] + "\\x5c" if text.endswith("\\") else text
