"""The REST face of :mod:`core.commands`: one ``POST /cs/{csId}/<path>`` per command, its OpenAPI
body generated from the command's model and one handler that parses the body into the command
and runs it. Nothing here names a command: adding one to the registry adds its endpoint."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic.alias_generators import to_camel

from core.application.views import CallView, ReservationCommand, View
from core.commands.base import Command

Schema = dict[str, Any]
CommandHandler = Callable[[web.Request, dict[str, Any], Any], Awaitable[View]]

_PATH_FIELD = re.compile(r"\{(\w+)\}")


def operation_id(command: type[Command[Any]]) -> str:
    return to_camel(command.name)


def body_schema_name(command: type[Command[Any]]) -> str:
    return f"{command.__name__}Command"


def path_fields(command: type[Command[Any]]) -> list[str]:
    """The fields a command takes from its URL (``call/{action}``), as their API names."""
    return _PATH_FIELD.findall(command.path)


def openapi_schema(schema: Schema) -> Schema:
    """A pydantic JSON schema as OpenAPI 3.0 states a request body: an optional field is
    omitted rather than null (``anyOf [X, null]`` → ``X``), as the API has always taken it."""
    if isinstance(schema, dict):
        any_of = schema.get("anyOf")
        if isinstance(any_of, list):
            kept = [s for s in any_of if s != {"type": "null"}]
            if len(kept) == 1 and len(kept) != len(any_of):
                merged = {k: v for k, v in schema.items() if k != "anyOf"}
                merged.update(kept[0])
                if merged.get("default", 0) is None:
                    del merged["default"]
                schema = merged
        return {k: openapi_schema(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [openapi_schema(s) for s in schema]
    return schema


def body_schema(command: type[Command[Any]]) -> Schema:
    """What the command's REST body must be: its fields (less those in the URL), or the one
    ``body_field``'s schema."""
    schema = openapi_schema(command.model_json_schema(by_alias=True))
    properties: Schema = schema.get("properties", {})
    if command.body_field is not None:
        field: Schema = properties[to_camel(command.body_field)]
        return {k: v for k, v in field.items() if k not in ("default", "title")}
    for name in path_fields(command):
        properties.pop(name, None)
    required = [r for r in schema.get("required", []) if r not in path_fields(command)]
    out: Schema = {
        "type": "object",
        "description": (command.__doc__ or command.summary).strip().split("\n\n")[0],
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        out["required"] = required
    return out


def path_parameter_schema(command: type[Command[Any]], name: str) -> Schema:
    schema = openapi_schema(command.model_json_schema(by_alias=True))
    field: Schema = schema["properties"][name]
    return {k: v for k, v in field.items() if k not in ("title", "description")}


def body_required(command: type[Command[Any]]) -> bool:
    """A body is required exactly when the command has a required field outside the URL."""
    if command.body_field is not None:
        return True
    return bool(body_schema(command).get("required"))


def response_status(view: View) -> int:
    """202 while the station's answer is still pending, else 200."""
    call = view.call if isinstance(view, ReservationCommand) else view
    return 202 if isinstance(call, CallView) and call.state == "pending" else 200


def handler_for(
    command: type[Command[Any]], execute: Callable[..., Awaitable[View]]
) -> CommandHandler:
    """The route handler: URL fields and the body → the command → ``execute``."""
    from_url = path_fields(command)

    async def handle(request: web.Request, p: dict[str, Any], body: Any) -> View:
        data: dict[str, Any]
        if command.body_field is not None:
            data = {to_camel(command.body_field): body if body is not None else {}}
        else:
            data = dict(body or {})
        for name in from_url:
            data[name] = p[name]
        parsed = command.parse(data)
        return await execute(p["csId"], parsed, wait=p["wait"] or None)

    return handle
