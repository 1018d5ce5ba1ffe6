"""JSON log lines for log collectors (``observability.log_format = "json"``).

Each record becomes one JSON object on one line, built as a dict and serialised, never assembled
from strings: a message, a station id or a traceback carrying quotes, line breaks or control
characters stays inside its string. Fields: ``t`` (UTC, ISO 8601, milliseconds), ``level``,
``logger``, ``msg``, ``exc`` and ``stack`` when the record has them, and every ``extra=`` field
under its own name.
"""

from __future__ import annotations

import json
import logging
import math
import re
from datetime import UTC, datetime
from typing import Any

import orjson

# What every LogRecord carries; anything else on a record came from ``extra=`` and is logged.
_STANDARD = frozenset(
    {
        *vars(logging.LogRecord("", 0, "", 0, "", None, None)),
        "message",
        "asctime",
        "taskName",  # 3.12+; listed so 3.11 and later write the same fields
    }
)
# Structural names a caller's ``extra`` must not replace.
_RESERVED = frozenset({"t", "level", "logger", "msg", "exc", "stack"})

# Valid inside JSON strings, so serialisers write them as they are, yet a terminal that shows
# the log may act on them (C1 CSI, bidirectional overrides) and line-splitting tools break lines
# at U+0085, U+2028 and U+2029; written as \u escapes instead, which decode to the same text.
_TERMINAL_ACTIVE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _u_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _plain(value: Any) -> Any:
    """``value`` reduced to what any JSON encoder takes: lone surrogates (text decoded with
    ``surrogateescape``, a broken pair) shown as their escape, non-finite floats and unknown
    objects as text, keys as text."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {_plain(str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return _plain(str(value))


class JsonFormatter(logging.Formatter):
    """One record, one JSON object, one line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "t": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        return _TERMINAL_ACTIVE.sub(_u_escape, _dumps(out))


def _dumps(out: dict[str, Any]) -> str:
    try:
        return orjson.dumps(out, default=str, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except (TypeError, ValueError):
        # orjson refuses lone surrogates and integers beyond 64 bits; the slow path takes both.
        return json.dumps(_plain(out), ensure_ascii=False, allow_nan=False)
