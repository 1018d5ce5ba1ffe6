"""Compiled JSON-schema validators for every routed message, loaded once and cached.

File names are derived from (version, action, direction) by the convention of each schema set —
never hand-typed — so a route cannot point at a schema that does not exist (the seed had one):

in ``core/ocpp/schemas/`` (package data, installed with the wheel):

* ``ocpp16``:  ``<Action>.json`` / ``<Action>Response.json`` (the OCA 1.6 set)
* ``ocpp201``: ``<Action>Request.json`` / ``<Action>Response.json`` (the OCA 2.0.1 set)
* ``has2be``:  ``<Action>Request.json`` / ``<Action>Response.json`` (written by us)

Validation uses jsonschema-rs (compiled, ~4 µs per TransactionEvent here) and maps the failing
keyword to the precise OCPP-J error kind.

Two limits the schema files leave implicit are added when they are compiled, so a value the
schema allows but the CSMS cannot hold is refused with the right error, not an InternalError:

* integers: 2.0.1 defines its integer as 32 bits (Part 2, primitive datatypes); 1.6 names no
  size, so its integers get the store's 64 bits (a lifetime meter register in Wh can pass 2**31).
* ``date-time``: RFC 3339, and a moment that exists in UTC — ``0001-01-01T00:00:00+14:00``
  is well-formed but lies before year 1 once converted.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson

from core.ocpp.errors import ErrorKind, RpcError
from core.ocpp.violations import violation


class SchemaSet(StrEnum):
    OCPP16 = "ocpp16"
    OCPP201 = "ocpp201"
    HAS2BE = "has2be"


class Direction(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"


def schemas_dir() -> Path:
    """Where the schema files live: ``$CSMS_SCHEMAS_DIR``, or ``core/ocpp/schemas`` — package
    data, so an installed wheel carries them, not only a checkout."""
    override = os.environ.get("CSMS_SCHEMAS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "ocpp" / "schemas"


def schema_path(schema_set: SchemaSet, action: str, direction: Direction) -> Path:
    if direction is Direction.RESPONSE:
        name = f"{action}Response.json"
    elif schema_set is SchemaSet.OCPP16:
        name = f"{action}.json"
    else:
        name = f"{action}Request.json"
    return schemas_dir() / schema_set.value / name


# The failing keyword decides the code: a wrong JSON type is a type constraint, a value outside
# its allowed set/range/length a property constraint, a missing or extra-repeated item an
# occurrence constraint, anything else (unknown properties, …) a format violation.
_KIND_BY_KEYWORD: dict[str, ErrorKind] = {
    "Type": ErrorKind.TYPE_CONSTRAINT_VIOLATION,
    "Enum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "Constant": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "MaxLength": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "MinLength": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "Minimum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "Maximum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "ExclusiveMinimum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "ExclusiveMaximum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "MultipleOf": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "Pattern": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "Format": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "Required": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "MinItems": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "MaxItems": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "UniqueItems": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "MinProperties": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "MaxProperties": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
}


_INTEGER_RANGE = {
    SchemaSet.OCPP201: (-(2**31), 2**31 - 1),
    SchemaSet.HAS2BE: (-(2**31), 2**31 - 1),
    SchemaSet.OCPP16: (-(2**63), 2**63 - 1),
}
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _date_time(text: str) -> bool:
    global _last_date_time
    if text == _last_date_time:  # the CSMS's own answers carry the same time for a millisecond
        return True
    if _RFC3339.fullmatch(text) is None:
        return False
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        return False
    _last_date_time = text
    return True


# The last text _date_time found valid: every Heartbeat and boot answer is validated, and at
# thousands a second most carry the millisecond the one before did (a regex and a parse, 1.3 µs,
# against a comparison).
_last_date_time: str | None = None


def _bound_integers(node: Any, low: int, high: int) -> None:
    """Give every integer in the schema the range the CSMS can hold (in place)."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            node.setdefault("minimum", low)
            node.setdefault("maximum", high)
        for value in node.values():
            _bound_integers(value, low, high)
    elif isinstance(node, list):
        for item in node:
            _bound_integers(item, low, high)


class SchemaMissingError(LookupError):
    """A route names an action whose schema file does not exist."""


@cache
def _compiled(schema_set: SchemaSet, action: str, direction: Direction) -> Any:
    path = schema_path(schema_set, action, direction)
    try:
        raw = path.read_text(encoding="utf-8-sig")  # the OCA 2.0.1 files may carry a BOM
    except FileNotFoundError as exc:
        raise SchemaMissingError(f"no schema file {path.name} in {path.parent}") from exc
    schema = orjson.loads(raw)
    _bound_integers(schema, *_INTEGER_RANGE[schema_set])
    # The OCA files declare "format": "date-time"; validate formats so a garbage timestamp is a
    # PropertyConstraintViolation here rather than a crash in a handler.
    return jsonschema_rs.validator_for(
        schema, validate_formats=True, formats={"date-time": _date_time}
    )


def has_schema(schema_set: SchemaSet, action: str, direction: Direction) -> bool:
    return schema_path(schema_set, action, direction).is_file()


def validate(schema_set: SchemaSet, action: str, direction: Direction, payload: Any) -> None:
    """Raise :class:`RpcError` with the precise kind when ``payload`` does not fit the schema."""
    validator = _compiled(schema_set, action, direction)
    if validator.is_valid(payload):  # fast path: no error objects built for valid messages
        return
    error = next(iter(validator.iter_errors(payload)))
    keyword = type(error.kind).__name__
    kind = _KIND_BY_KEYWORD.get(keyword, ErrorKind.FORMAT_VIOLATION)
    where = "/".join(str(p) for p in error.instance_path) or "(root)"
    # The details travel in the CALLERROR's errorDetails, so the station learns the field and
    # the rule too, not only the CSMS's log.
    details: dict[str, object] = {**violation(error)}
    raise RpcError(kind, f"{action} {direction.value}: {where}: {error.message}", details)


def first_violation(
    schema_set: SchemaSet, action: str, direction: Direction, payload: Any
) -> dict[str, str] | None:
    """The details :func:`validate` would give ``payload``; None when it is valid or no schema
    exists. For explaining a stored message after the fact, when its error details were not
    kept."""
    try:
        validator = _compiled(schema_set, action, direction)
    except SchemaMissingError:
        return None
    if validator.is_valid(payload):
        return None
    return violation(next(iter(validator.iter_errors(payload))))
