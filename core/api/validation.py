"""Request validation against the OpenAPI document, compiled with jsonschema-rs.

MaEVe had a validation middleware that matched request URIs against spec paths without the
``/api/v0`` prefix and so never validated anything; here the route's own template is the key, so
every parameter and body is checked, and a test asserts every route has an operation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
import orjson

from core.api.openapi import Schema

_INTEGER = re.compile(r"^-?[0-9]{1,18}$")


class RequestInvalid(Exception):
    """400: ``field`` is the parameter name or the body's JSON path."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(slots=True)
class Parameter:
    name: str
    location: str  # path | query
    required: bool
    type: str
    validator: Any
    default: Any = None


@dataclass(slots=True)
class Operation:
    operation_id: str
    parameters: list[Parameter] = field(default_factory=list)
    body_validator: Any = None
    body_required: bool = False

    def parse_params(self, path: dict[str, str], query: Any) -> dict[str, Any]:
        """Coerce and validate the operation's parameters. An unknown or repeated query
        parameter is refused: ``?limt=5`` should not silently mean "no limit"."""
        known = {p.name for p in self.parameters if p.location == "query"}
        for key in query:
            if key not in known:
                raise RequestInvalid(key or "(empty name)", "is not a parameter of this operation")
            if len(query.getall(key)) > 1:
                raise RequestInvalid(key, "is given more than once")
        values: dict[str, Any] = {}
        for param in self.parameters:
            raw = path.get(param.name) if param.location == "path" else query.get(param.name)
            if raw is None:
                if param.required:
                    raise RequestInvalid(param.name, "is required")
                values[param.name] = param.default
                continue
            value = _coerce(param, raw)
            _check(param.validator, value, param.name)
            values[param.name] = value
        return values

    def parse_body(self, raw: bytes) -> Any:
        if self.body_validator is None:
            return None
        if not raw.strip():
            if self.body_required:
                raise RequestInvalid("body", "a JSON body is required")
            return None
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise RequestInvalid("body", f"not valid JSON ({exc.msg})") from exc
        _check(self.body_validator, body, "")
        return body


def _coerce(param: Parameter, raw: str) -> Any:
    if param.type == "integer":
        if not _INTEGER.fullmatch(raw):
            raise RequestInvalid(param.name, f"{raw!r} is not an integer")
        return int(raw)
    if param.type == "number":
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise RequestInvalid(param.name, f"{raw!r} is not a number")
        return number
    if param.type == "boolean":
        if raw not in ("true", "false"):
            raise RequestInvalid(param.name, f"{raw!r} is not true or false")
        return raw == "true"
    return raw


def _check(validator: Any, value: Any, prefix: str) -> None:
    if validator.is_valid(value):
        return
    error = next(iter(validator.iter_errors(value)))
    path = [str(p) for p in error.instance_path]
    kind = type(error.kind).__name__
    reason = error.message
    if kind == "Required":
        path.append(str(error.kind.property))
        reason = "is required"
    elif kind == "AdditionalProperties":
        unexpected = list(getattr(error.kind, "unexpected", []) or [])
        if unexpected:
            path.append(str(unexpected[0]))
            reason = "is not a known property"
    where = "/".join(([prefix] if prefix else []) + path) or "body"
    raise RequestInvalid(where, reason)


def _resolve(document: Schema, item: Schema) -> Schema:
    ref = item.get("$ref")
    if not ref:
        return item
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def _compile(document: Schema, schema: Schema) -> Any:
    # Local "$ref"s point into the document's components; keep those it reaches resolvable
    # from the root. Only those: a validator given every component took some 0.5 MB of native
    # memory, and the API compiles one for each parameter and body (some 80 MB in all).
    components: dict[str, dict[str, Any]] = {}
    for kind, name in _reached(document, schema):
        components.setdefault(kind, {})[name] = document["components"][kind][name]
    root = {**schema, "components": components} if components else schema
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def _reached(document: Schema, schema: Schema) -> set[tuple[str, str]]:
    """The (kind, name) of every component ``schema`` refers to, directly or through others."""
    reached: set[tuple[str, str]] = set()
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                kind, name = ref.removeprefix("#/components/").split("/", 1)
                if (kind, name) not in reached:
                    reached.add((kind, name))
                    pending.append(document["components"][kind][name])
            pending.extend(node.values())
    return reached


def compile_operations(document: Schema) -> dict[tuple[str, str], Operation]:
    """(METHOD, path template) → compiled :class:`Operation`."""
    operations: dict[tuple[str, str], Operation] = {}
    for path, item in document["paths"].items():
        for method, spec in item.items():
            op = Operation(spec["operationId"])
            for raw_param in spec.get("parameters", []):
                param = _resolve(document, raw_param)
                schema = param["schema"]
                op.parameters.append(
                    Parameter(
                        name=param["name"],
                        location=param["in"],
                        required=bool(param.get("required", False)),
                        type=str(schema.get("type", "string")),
                        validator=_compile(document, schema),
                        default=schema.get("default"),
                    )
                )
            body = spec.get("requestBody")
            if body is not None:
                op.body_validator = _compile(
                    document, body["content"]["application/json"]["schema"]
                )
                op.body_required = bool(body.get("required", False))
            operations[(method.upper(), path)] = op
    return operations
