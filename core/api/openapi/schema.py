"""The building blocks of the document's schemas: OpenAPI 3.0 fragments for the primitive
types and the helpers that state a bound from :mod:`core.limits` once, so the API refuses what the
service would."""

from __future__ import annotations

from typing import Any

from core import limits, station_id

Schema = dict[str, Any]

STATION_ID_PATTERN = station_id.PATTERN


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(
    properties: dict[str, Schema], required: tuple[str, ...] = (), closed: bool = True
) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


def nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


STR: Schema = {"type": "string"}
# Request strings that reach the store: no NUL (PostgreSQL text cannot hold it). The length is
# in the pattern too, so generators (schemathesis) draw valid strings instead of filtering.
TEXT: Schema = {"type": "string", "pattern": "^[^\\u0000]*$"}


def text(min_length: int = 0, max_length: int | None = None, segment: bool = False) -> Schema:
    """A stored string of ``min_length``..``max_length`` characters; ``segment``: usable as a
    URL path segment (no ``/``)."""
    # A path segment: printable ASCII without space, "/", "{" and "}" (ids are hex, digits or
    # UUIDs in practice).
    chars = "[!-.0-z|~]" if segment else "[^\\u0000]"
    upper = "" if max_length is None else str(max_length)
    schema: Schema = {"type": "string", "pattern": f"^{chars}{{{min_length},{upper}}}$"}
    if min_length:
        schema["minLength"] = min_length
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def whole(bound: limits.Bound, minimum: int | None = None, **extra: Any) -> Schema:
    """An integer within ``bound`` from ``core.limits`` (the service checks the same bound);
    ``minimum`` narrows its lower end where the API asks more (an EVSE from 1, not 0)."""
    low = bound.lo if minimum is None else max(bound.lo, minimum)
    return {"type": "integer", "minimum": low, "maximum": bound.hi, **extra}


def sized(length: limits.Length, min_length: int | None = None) -> Schema:
    """A stored string as long as ``length`` from ``core.limits`` allows (at least
    ``min_length``, default the bound's own minimum)."""
    return text(length.lo if min_length is None else min_length, length.hi)


INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
ANY_OBJECT: Schema = {"type": "object", "additionalProperties": True}
