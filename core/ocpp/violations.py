"""One schema violation, said the way a person fixing the message needs it: where (a JSON
pointer, RFC 6901), which rule (the JSON-schema keyword), what it asks for and what came.

The result goes into the CALLERROR's errorDetails (a free-form object in OCPP-J) and into the
message log, so every value is a short string: a 5 kB DataTransfer blob must not come back in
the error about it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import orjson

MAX_GOT = 80
MAX_EXPECTED = 120


class SchemaError(Protocol):
    """What is read of a jsonschema-rs ``ValidationError`` (typed here so tests can build one)."""

    @property
    def instance_path(self) -> Any: ...
    @property
    def instance(self) -> Any: ...
    @property
    def kind(self) -> Any: ...
    @property
    def message(self) -> str: ...


def pointer(path: Any) -> str:
    """RFC 6901: ``~`` and ``/`` inside a name are escaped; the whole document is ``""``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json(value: Any, limit: int = MAX_GOT) -> str:
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # not JSON (cannot come from a parsed frame, but never fail here)
        text = repr(value)
    return _clip(text, limit)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _listed(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)


def _expected(keyword: str, value: Any) -> str | None:
    """What the rule asks for, in words; None for keywords read from the message instead."""
    phrases: dict[str, Callable[[Any], str]] = {
        "type": lambda v: "type " + " or ".join(v if isinstance(v, list) else [v]),
        "enum": lambda v: "one of " + _listed(v),
        "const": lambda v: "exactly " + _json(v),
        "maxLength": lambda v: f"at most {v} characters",
        "minLength": lambda v: f"at least {v} characters",
        "maximum": lambda v: f"at most {v}",
        "minimum": lambda v: f"at least {v}",
        "exclusiveMaximum": lambda v: f"less than {v}",
        "exclusiveMinimum": lambda v: f"more than {v}",
        "multipleOf": lambda v: f"a multiple of {v}",
        "pattern": lambda v: f"text matching {v}",
        "format": lambda v: f"a valid {v}",
        "required": lambda v: "present",
        "maxItems": lambda v: f"at most {v} items",
        "minItems": lambda v: f"at least {v} items",
        "uniqueItems": lambda v: "no repeated items",
        "maxProperties": lambda v: f"at most {v} properties",
        "minProperties": lambda v: f"at least {v} properties",
        "additionalProperties": lambda v: "only the properties the schema names",
    }
    phrase = phrases.get(keyword)
    return None if phrase is None else _clip(phrase(value), MAX_EXPECTED)


def _got(keyword: str, instance: Any, value: Any) -> str:
    if keyword == "required":
        return "absent"
    if keyword == "additionalProperties":
        return "unexpected " + _listed(value)
    if keyword in ("maxLength", "minLength") and isinstance(instance, str):
        return f"{len(instance)} characters: {_json(instance)}"
    if keyword in ("maxItems", "minItems") and isinstance(instance, list):
        return f"{len(instance)} items"
    if keyword == "type":
        return f"{_json(instance)} ({_json_type(instance)})"
    return _json(instance)


def violation(error: SchemaError) -> dict[str, str]:
    """The errorDetails of a schema violation: pointer, keyword, expected, got."""
    keyword = str(getattr(error.kind, "name", "") or type(error.kind).__name__)
    value = getattr(error.kind, "value", None)
    path = list(error.instance_path)
    if keyword == "required":
        path.append(value)  # point at the field that is missing, not at its parent
    elif keyword == "additionalProperties" and isinstance(value, list) and len(value) == 1:
        path.append(value[0])
    expected = _expected(keyword, value)
    return {
        "pointer": pointer(path),
        "keyword": keyword,
        "expected": expected if expected is not None else _clip(error.message, MAX_EXPECTED),
        "got": _clip(_got(keyword, error.instance, value), MAX_GOT),
    }
