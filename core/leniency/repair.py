"""Repairing a payload that failed validation, under the payload leniencies a station holds.

The message's schema is walked alongside the payload (``$ref`` into its ``definitions``
followed), and only what a granted leniency names is changed: an enumeration value whose only
difference from one of the schema's values is letter case, a property an object schema without
``additionalProperties`` does not define, a ``date-time`` without an offset. The caller
validates the result again: a repair that leaves the payload invalid is no repair, and the
station is refused as the spec says, for the original reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from core.leniency import Leniency
from core.schemas import Direction, SchemaSet, schema_path
from core.store.models import LeniencyUse

# A date-time as RFC 3339 has it, but without the offset it requires.
_NO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?")
# A station's property names and values go into the detail: keep it to one short line.
_DETAIL_MAX = 200


@cache
def _schema(schema_set: SchemaSet, action: str, direction: Direction) -> Any:
    path = schema_path(schema_set, action, direction)
    return orjson.loads(path.read_text(encoding="utf-8-sig"))


def _pointer_part(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


@dataclass
class _Walk:
    root: Any
    granted: frozenset[str]
    uses: list[tuple[Leniency, str, str]]  # (leniency, JSON pointer, what was done)

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
            ref: str = node["$ref"]
            target: Any = self.root
            for part in ref.removeprefix("#/").split("/") if ref.startswith("#/") else ():
                target = target.get(part) if isinstance(target, dict) else None
            node, seen = target, seen + 1
        return node if isinstance(node, dict) else {}

    def value(self, node: Any, value: Any, pointer: str) -> Any:
        node = self.resolve(node)
        if isinstance(value, dict):
            return self.object(node, value, pointer)
        if isinstance(value, list) and "items" in node:
            return [self.value(node["items"], v, f"{pointer}/{i}") for i, v in enumerate(value)]
        if isinstance(value, str):
            return self.string(node, value, pointer)
        return value

    def object(self, node: dict[str, Any], value: dict[str, Any], pointer: str) -> Any:
        properties = node.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        drop = (
            node.get("additionalProperties") is False and Leniency.EXTRA_PROPERTIES in self.granted
        )
        out: dict[str, Any] = {}
        for key, item in value.items():
            where = f"{pointer}/{_pointer_part(key)}"
            if key in properties:
                out[key] = self.value(properties[key], item, where)
            elif drop:
                self.uses.append((Leniency.EXTRA_PROPERTIES, where, "dropped"))
            else:
                out[key] = item
        return out

    def string(self, node: dict[str, Any], value: str, pointer: str) -> str:
        allowed = node.get("enum")
        if (
            isinstance(allowed, list)
            and value not in allowed
            and Leniency.ENUM_CASE in self.granted
        ):
            same = [a for a in allowed if isinstance(a, str) and a.lower() == value.lower()]
            if len(same) == 1:
                self.uses.append((Leniency.ENUM_CASE, pointer, f"{value!r} read as {same[0]!r}"))
                return same[0]
        if (
            node.get("format") == "date-time"
            and Leniency.TIMESTAMP_WITHOUT_OFFSET in self.granted
            and _NO_OFFSET.fullmatch(value)
        ):
            self.uses.append((Leniency.TIMESTAMP_WITHOUT_OFFSET, pointer, f"{value!r} read as UTC"))
            return value + "Z"
        return value


def repair(
    schema_set: SchemaSet,
    action: str,
    direction: Direction,
    payload: Any,
    granted: frozenset[str],
) -> tuple[Any, list[LeniencyUse]]:
    """The payload with what the granted leniencies allow repaired (a new object; the given one
    is not changed), and one use per repair. No uses: nothing the grants cover was wrong."""
    walk = _Walk(_schema(schema_set, action, direction), granted, [])
    fixed = walk.value(walk.root, payload, "")
    uses = [
        LeniencyUse(str(name), f"{action} {direction.value} {pointer or '/'}: {what}"[:_DETAIL_MAX])
        for name, pointer, what in walk.uses
    ]
    return fixed, uses
