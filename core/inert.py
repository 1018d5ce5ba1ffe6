"""Text a station or another remote party controls, made inert for terminals and log files.

A station id, a vendor name or an error description may carry terminal control sequences (ESC
``]2;…BEL`` retitles the operator's terminal, ESC ``[2J`` clears it) or line breaks (a forged
line in csms.log). :func:`inert` replaces every control character with a visible escape, so the
text shows as what it is; :class:`InertFormatter` does that to every log line.
"""

from __future__ import annotations

import logging
import re

# C0 controls, DEL, C1 controls, and the bidirectional overrides and isolates that reorder
# what follows them on screen (U+202A-U+202E, U+2066-U+2069).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str) -> str:
    """``text`` with each control character as a visible escape (ESC → ``\\x1b``, a line
    feed → ``\\x0a``, U+202E → ``\\u202e``); other text is unchanged."""
    if _CONTROL.search(text) is None:  # the usual case: no new string
        return text
    return _CONTROL.sub(_escape, text)


class InertFormatter(logging.Formatter):
    """One record, one line: the formatted message (and every field in it) is made inert.

    A traceback or stack keeps its line breaks, each of its lines made inert and indented, so
    no line of it can pass for a record of its own."""

    def format(self, record: logging.LogRecord) -> str:
        cached = record.exc_text  # another handler's formatter may have cached a raw traceback
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    # These override logging.Formatter's hooks, so they keep its camelCase names.
    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        return inert(super().formatMessage(record))

    def formatException(self, ei: logging._SysExcInfoType) -> str:  # noqa: N802
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    return "\n".join("  " + inert(line) for line in text.split("\n"))
