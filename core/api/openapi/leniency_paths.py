"""Per-station leniency: read a station's grants and counts, replace what the API grants."""

from __future__ import annotations

from core.api.openapi.operations import CS, json_body, json_response, operation
from core.api.openapi.schema import INT, STR, TIME, Schema, obj, ref
from core.application.leniency import GRANTABLE, SUBPROTOCOLS
from core.leniency import NAMES

_NAME: Schema = {"type": "string", "enum": list(NAMES)}
_LIST: Schema = {"type": "array", "items": _NAME}

PATHS: dict[str, Schema] = {
    "/cs/{csId}/leniency": {
        "get": operation(
            "getChargeStationLeniency",
            "The leniencies the station is granted (by the configuration and through the API) "
            "and how many violations each has let through, with the latest",
            {"200": json_response(ref("Leniency"), "The station's leniency.")},
            params=[CS],
            errors=(400, 404),
        ),
        "put": operation(
            "setChargeStationLeniency",
            "Replace what the API grants the station (the configuration's grants stay); an "
            "empty grant and no noSubprotocol revoke them",
            {"200": json_response(ref("Leniency"), "The station's leniency, as now granted.")},
            params=[CS],
            body=json_body(ref("LeniencyGrant")),
            errors=(400, 404),
        ),
    },
}

SCHEMAS: dict[str, Schema] = {
    "LeniencyGrant": obj(
        {
            "grant": {
                "type": "array",
                "items": {"type": "string", "enum": list(GRANTABLE)},
                "maxItems": len(GRANTABLE),
                "uniqueItems": True,
                "description": "Leniency names; no-subprotocol is granted with noSubprotocol.",
            },
            "noSubprotocol": {
                "type": "string",
                "enum": ["", *SUBPROTOCOLS],
                "description": "The subprotocol a handshake without one is taken to speak; "
                '"" grants nothing.',
            },
        },
        required=("grant",),
    ),
    "Leniency": obj(
        {
            "stationId": STR,
            "granted": _LIST,
            "stored": _LIST,
            "fromConfig": _LIST,
            "noSubprotocol": STR,
            "counts": {
                "type": "array",
                "items": obj(
                    {"name": _NAME, "count": INT, "lastAt": TIME, "lastDetail": STR},
                    required=("name", "count", "lastAt", "lastDetail"),
                ),
            },
            "names": {
                "type": "array",
                "items": obj({"name": _NAME, "reason": STR}, required=("name", "reason")),
            },
        },
        required=("stationId", "granted", "stored", "fromConfig", "noSubprotocol", "counts"),
    ),
}
