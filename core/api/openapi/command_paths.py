"""The station commands' endpoints and bodies, generated from :mod:`core.commands.registry`
(nothing here names a command: adding one to the registry adds its endpoint)."""

from __future__ import annotations

from core.api import commands
from core.api.openapi.operations import CS, WAIT, json_body, json_response, operation, param
from core.api.openapi.schema import Schema, ref
from core.commands.registry import COMMANDS

_CALL_RESPONSES: dict[str, Schema] = {
    "200": json_response(ref("CallRecord"), "Waited: the call in its final state."),
    "202": json_response(ref("CallRecord"), "Sent: the call is pending (poll `/calls/{callId}`)."),
}


# A command's result view → the component schema that states it.
_RESULTS: dict[str, str] = {
    "CallView": "CallRecord",
    "ReservationCommand": "ReservationCommand",
    "PasswordRotation": "PasswordRotation",
    "SecurityProfileUpgrade": "SecurityProfileUpgrade",
}


def command_paths() -> dict[str, Schema]:
    """One POST per station command, generated from :mod:`core.commands.registry`."""
    paths: dict[str, Schema] = {}
    for command in COMMANDS:
        result = _RESULTS[command.result.__name__]
        responses = (
            _CALL_RESPONSES
            if result == "CallRecord"
            else {
                "200": json_response(ref(result), "The answer."),
                "202": json_response(ref(result), "Sent."),
            }
            if result == "ReservationCommand"
            else {"200": json_response(ref(result), "The calls made and the outcome.")}
        )
        params: list[Schema] = [CS]
        params += [
            param(name, commands.path_parameter_schema(command, name), "path")
            for name in commands.path_fields(command)
        ]
        params.append(WAIT)
        paths[f"/cs/{{csId}}/{command.path}"] = {
            "post": operation(
                commands.operation_id(command),
                command.summary,
                responses,
                params=params,
                body=json_body(
                    ref(commands.body_schema_name(command)),
                    required=commands.body_required(command),
                ),
                errors=(400, 404, 409),
            )
        }
    return paths


def command_schemas() -> dict[str, Schema]:
    return {commands.body_schema_name(c): commands.body_schema(c) for c in COMMANDS}
