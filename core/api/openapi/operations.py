"""How an operation is written down: its parameters (shared ones as components), its bodies
and its answers, with the error answers every operation shares."""

from __future__ import annotations

from core import limits
from core.api.openapi.schema import STATION_ID_PATTERN, STR, TIME, Schema, ref, whole

PARAMETERS: dict[str, Schema] = {
    "csId": {
        "name": "csId",
        "in": "path",
        "required": True,
        "description": "The charge station's identity (up to 48 characters).",
        "schema": {**STR, "pattern": STATION_ID_PATTERN},
    },
    "wait": {
        "name": "wait",
        "in": "query",
        "description": "Wait up to this many seconds for the station's answer (200); "
        "without it, or if the station has not answered in time, 202 with the pending record.",
        "schema": {"type": "number", "minimum": 0, "maximum": 300},
    },
}


def param(name: str, schema: Schema, where: str = "query", description: str = "") -> Schema:
    spec: Schema = {"name": name, "in": where, "schema": schema}
    if where == "path":
        spec["required"] = True
    if description:
        spec["description"] = description
    return spec


CS: Schema = {"$ref": "#/components/parameters/csId"}
WAIT: Schema = {"$ref": "#/components/parameters/wait"}


def json_response(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def empty_response(description: str) -> Schema:
    return {"description": description}


def error_responses(*codes: int) -> dict[str, Schema]:
    reasons = {
        400: "The request does not match this document (`error` names the field).",
        401: "A bearer token is required (or the one given is unknown).",
        404: "Not found.",
        409: "Not possible in the station's current state (offline, not booted, …).",
        429: "Too many failed authentication attempts from this address.",
        500: "The request failed on the server (for OCPI: the push to a party failed).",
    }
    out = {str(code): json_response(ref("Error"), reasons[code]) for code in (*codes, 401, 429)}
    if "400" in out:
        # A request the HTTP layer cannot even parse (a request line or header over 8 KiB, a
        # control character in a header) is refused before the API sees it, in plain text.
        out["400"]["content"]["text/plain"] = {"schema": {"type": "string"}}
        out["400"]["description"] += " Plain text when the HTTP request itself is malformed."
    return out


def json_body(schema: Schema, required: bool = True) -> Schema:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def operation(
    op_id: str,
    summary: str,
    responses: dict[str, Schema],
    *,
    params: list[Schema] | None = None,
    body: Schema | None = None,
    tag: str = "operator",
    errors: tuple[int, ...] = (400,),
) -> Schema:
    op: Schema = {
        "operationId": op_id,
        "summary": summary,
        "tags": [tag],
        "responses": {**responses, **error_responses(*errors)},
    }
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = body
    return op


LIMIT: Schema = param("limit", whole(limits.PAGE_LIMIT))
STATION_FILTER: Schema = param(
    "station", {**STR, "pattern": STATION_ID_PATTERN}, description="Station id."
)
SINCE: Schema = param("since", TIME, description="RFC 3339 with a time zone.")
