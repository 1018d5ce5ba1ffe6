"""The admin API's OpenAPI 3.0 document, written by hand — it is the contract.

The server validates every parameter and body against this document (``core.api.validation``)
and the test-suite runs schemathesis against the served copy, so a handler that answers outside
it fails a test. MaEVe's endpoints keep their paths, bodies and status codes (one deliberate
change: ``POST /cs/{csId}/trigger`` answers 200 as MaEVe's own specification says, where MaEVe's
server answered 201).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from core import limits, station_id
from core.api import commands
from core.api.auth import NAME_PATTERN as API_TOKEN_NAME_PATTERN
from core.commands.registry import COMMANDS
from core.service import SYNC_TRIGGERS
from core.station_certificates import CSR_MAX_LENGTH

Schema = dict[str, Any]

BASE_PATH = "/api/v0"
STATION_ID_PATTERN = station_id.PATTERN


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(
    properties: dict[str, Schema], required: tuple[str, ...] = (), closed: bool = True
) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


def _nullable(schema: Schema) -> Schema:
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


def number(bound: limits.NumberBound, **extra: Any) -> Schema:
    """A number within ``bound`` from ``core.limits``."""
    return {"type": "number", "minimum": bound.lo, "maximum": bound.hi, **extra}


def sized(length: limits.Length, min_length: int | None = None) -> Schema:
    """A stored string as long as ``length`` from ``core.limits`` allows (at least
    ``min_length``, default the bound's own minimum)."""
    return text(length.lo if min_length is None else min_length, length.hi)


INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
ANY_OBJECT: Schema = {"type": "object", "additionalProperties": True}
# 2.0.1 IdTokenEnumType (1.6 carries only the idTag).
ID_TOKEN_TYPES = [
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
]

_SCHEMAS: dict[str, Schema] = {
    "Error": _obj(
        {
            "status": {**STR, "description": "The HTTP reason phrase."},
            "error": {**STR, "description": "`<field>: <reason>` for a bad request."},
        },
        required=("status",),
    ),
    "Health": _obj({"status": {"type": "string", "enum": ["OK"]}}, required=("status",)),
    # -- MaEVe's bodies -------------------------------------------------------------------
    "ChargeStationAuth": _obj(
        {
            "securityProfile": {
                "type": "integer",
                "enum": [-1, 0, 1, 2],
                "description": "0 = basic auth without TLS, 1 = TLS + basic auth, "
                "2 = TLS + client certificate; -1 = no authentication (lab use only).",
            },
            "base64SHA256Password": {
                "type": "string",
                "maxLength": 64,
                "pattern": "^[A-Za-z0-9+/]{43}=$",
                "description": "base64(SHA-256(password)), e.g. from `csms-tui auth encode-password`.",
            },
            "invalidUsernameAllowed": BOOL,
        },
        required=("securityProfile",),
        closed=False,
    ),
    "ChargeStationAuthResponse": _obj(
        {
            "securityProfile": {"type": "integer", "enum": [-1, 0, 1, 2]},
            "base64SHA256Password": TEXT,
            "invalidUsernameAllowed": BOOL,
        },
        required=("securityProfile", "invalidUsernameAllowed"),
    ),
    "ChargeStationSettings": {
        "type": "object",
        "description": "Setting name → value; stored Pending and pushed to the station by sync "
        "(OCPP 1.6 values are limited to 500 characters).",
        "propertyNames": text(1, 100),
        "additionalProperties": text(0, 1000),
    },
    "ChargeStationInstallCertificates": _obj(
        {
            "certificates": {
                "type": "array",
                "items": _obj(
                    {
                        "type": {"type": "string", "enum": ["V2G", "MO", "MF", "CSMS"]},
                        "certificate": {
                            **TEXT,
                            "description": "PEM; the id is the hex SHA-256 of the leaf DER.",
                        },
                        "status": {"type": "string", "enum": ["Accepted", "Rejected", "Pending"]},
                    },
                    required=("type", "certificate"),
                    closed=False,
                ),
            }
        },
        required=("certificates",),
        closed=False,
    ),
    "ChargeStationTrigger": _obj(
        {"trigger": {"type": "string", "enum": list(SYNC_TRIGGERS)}},
        required=("trigger",),
        closed=False,
    ),
    "Token": _obj(
        {
            "countryCode": text(2, 2),
            "partyId": text(3, 3),
            "type": {"type": "string", "enum": ["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]},
            "uid": sized(limits.ID_TOKEN, 1),
            "contractId": {
                **TEXT,
                "description": "eMAID, normalised before storing (e.g. GB-TWK-C12345678-X).",
                "pattern": r"^[A-Za-z]{2}-?[A-Za-z0-9]{3}-?[A-Za-z0-9]{9}(-?[A-Za-z0-9])?$",
            },
            "visualNumber": TEXT,
            "issuer": TEXT,
            "groupId": sized(limits.ID_TOKEN),
            "valid": BOOL,
            "languageCode": text(2, 2),
            "cacheMode": {
                "type": "string",
                "enum": ["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"],
            },
            "lastUpdated": {**TIME, "readOnly": True},
            "status": {
                "type": "string",
                "enum": ["Accepted", "Blocked", "Expired", "Invalid"],
                "description": "Overrides `valid` in authorisation when set.",
            },
            "expiryDate": TIME,
        },
        required=(
            "countryCode",
            "partyId",
            "type",
            "uid",
            "contractId",
            "issuer",
            "valid",
            "cacheMode",
        ),
        closed=False,
    ),
    "Certificate": _obj({"certificate": TEXT}, required=("certificate",), closed=False),
    "Registration": _obj(
        {
            "token": text(0, 64),
            "url": TEXT,
            "status": {"type": "string", "enum": ["PENDING", "REGISTERED"]},
        },
        required=("token",),
        closed=False,
    ),
    "Location": _obj(
        {
            "country_code": text(2, 2),
            "party_id": text(3, 3),
            "name": text(0, 255),
            "address": text(0, 45),
            "city": text(0, 45),
            "postal_code": text(0, 10),
            "country": text(3, 3),
            "coordinates": _obj(
                {
                    "latitude": {**TEXT, "pattern": r"^-?[0-9]{1,2}\.[0-9]{5,7}$"},
                    "longitude": {**TEXT, "pattern": r"^-?[0-9]{1,3}\.[0-9]{5,7}$"},
                },
                required=("latitude", "longitude"),
                closed=False,
            ),
            "parking_type": {
                "type": "string",
                "enum": [
                    "ALONG_MOTORWAY",
                    "PARKING_GARAGE",
                    "PARKING_LOT",
                    "ON_DRIVEWAY",
                    "ON_STREET",
                    "UNDERGROUND_GARAGE",
                ],
            },
            "evses": {
                "type": "array",
                "items": _obj(
                    {
                        "uid": text(1, 36),
                        "evse_id": text(0, 48),
                        "connectors": {
                            "type": "array",
                            "minItems": 1,
                            "items": _obj(
                                {
                                    "id": text(1, 36),
                                    "standard": text(1),
                                    "format": {"type": "string", "enum": ["SOCKET", "CABLE"]},
                                    "power_type": {
                                        "type": "string",
                                        "enum": ["AC_1_PHASE", "AC_3_PHASE", "DC"],
                                    },
                                    "max_voltage": {"type": "integer", "minimum": 0},
                                    "max_amperage": {"type": "integer", "minimum": 0},
                                },
                                required=(
                                    "id",
                                    "standard",
                                    "format",
                                    "power_type",
                                    "max_voltage",
                                    "max_amperage",
                                ),
                                closed=False,
                            ),
                        },
                    },
                    required=("uid", "connectors"),
                    closed=False,
                ),
            },
        },
        required=("country_code", "party_id", "address", "city", "country", "coordinates"),
        closed=False,
    ),
    # -- operator bodies ------------------------------------------------------------------
    "ApiToken": _obj(
        {
            "name": STR,
            "createdAt": TIME,
            "lastUsedAt": _nullable(
                {
                    **TIME,
                    "description": "When the token last authenticated a request (recorded at "
                    "most once a minute); null if never.",
                }
            ),
        },
        required=("name", "createdAt", "lastUsedAt"),
    ),
    "StationRegistrationRequest": _obj(
        {
            "securityProfile": {"type": "integer", "enum": [-1, 0, 1, 2], "default": 1},
            "invalidUsernameAllowed": {**BOOL, "default": False},
            "password": {
                **sized(limits.PASSWORD),
                "description": "Generated (16 characters) when omitted for profiles 0 and 1.",
            },
            "csr": {
                **text(1, CSR_MAX_LENGTH),
                "description": "Profile 2: the station's PKCS#10 CSR (PEM) with CN = the "
                "station id and O = the configured api.org_name, signed by the local CA "
                '([charge_station_cert_provider] type "local"; 409 when none is configured).',
            },
            "issueCertificate": {
                **BOOL,
                "default": False,
                "description": "Profile 2: generate a key and a certificate from the local CA; "
                "both are in the answer, once.",
            },
        }
    ),
    "StationRegistration": _obj(
        {
            "stationId": TEXT,
            "securityProfile": INT,
            "url": TEXT,
            "password": _nullable({**TEXT, "description": "Shown once; only its hash is kept."}),
            "invalidUsernameAllowed": BOOL,
            "certificate": _nullable(
                {**TEXT, "description": "PEM: the station's certificate, then the CA's."}
            ),
            "privateKey": _nullable(
                {**TEXT, "description": "PEM (PKCS#8) when the key was generated; shown once."}
            ),
        },
        required=("stationId", "securityProfile", "url", "invalidUsernameAllowed"),
    ),
    "SecurityProfileChange": _obj(
        {"securityProfile": {"type": "integer", "enum": [-1, 0, 1, 2]}},
        required=("securityProfile",),
    ),
    "SecurityProfileUpgrade": _obj(
        {
            "accepted": BOOL,
            "securityProfile": {"type": "integer"},
            "calls": {"type": "array", "items": _ref("CallRecord")},
        },
        required=("accepted", "securityProfile", "calls"),
    ),
    "PasswordRotation": _obj(
        {"call": _ref("CallRecord"), "accepted": BOOL, "password": _nullable(STR)},
        required=("call", "accepted"),
    ),
    "Reservation": _obj(
        {
            "reservationId": INT,
            "stationId": STR,
            "evseId": INT,
            "idToken": STR,
            "tokenType": STR,
            "groupId": _nullable(STR),
            "expiresAt": TIME,
            "status": {
                "type": "string",
                "enum": [
                    "Requested",
                    "Accepted",
                    "Faulted",
                    "Occupied",
                    "Rejected",
                    "Unavailable",
                    "Failed",
                    "Cancelled",
                    "Expired",
                    "Removed",
                    "Used",
                ],
            },
            "active": BOOL,
            "createdAt": TIME,
            "updatedAt": TIME,
        },
        required=(
            "reservationId",
            "stationId",
            "evseId",
            "idToken",
            "tokenType",
            "expiresAt",
            "status",
            "active",
            "createdAt",
            "updatedAt",
        ),
    ),
    "ReservationCommand": _obj(
        {"reservation": _ref("Reservation"), "call": _ref("CallRecord")},
        required=("reservation", "call"),
    ),
    # -- views ----------------------------------------------------------------------------
    "Connector": _obj(
        {
            "evseId": INT,
            "connectorId": INT,
            "status": STR,
            "errorCode": STR,
            "info": STR,
            "updatedAt": _nullable(TIME),
        },
        required=("evseId", "connectorId", "status"),
    ),
    "TransactionSummary": _obj(
        {
            "stationId": STR,
            "transactionId": STR,
            "active": BOOL,
            "idToken": STR,
            "tokenType": STR,
            "evseId": INT,
            "connectorId": INT,
            "startedAt": _nullable(TIME),
            "endedAt": _nullable(TIME),
            "meterStartWh": _nullable(NUM),
            "meterStopWh": _nullable(NUM),
            "energyWh": _nullable(NUM),
            "chargingState": STR,
            "stoppedReason": STR,
            "cost": _nullable(NUM),
            "currency": STR,
            "authorized": {
                **BOOL,
                "description": "False when the CSMS refused the start and the station ran it "
                "anyway (an offline start); its energy is still recorded.",
            },
            "authStatus": {
                **STR,
                "description": "The idTagInfo/idTokenInfo status the start was answered with.",
            },
        },
        required=("stationId", "transactionId", "active"),
        closed=False,  # TransactionDetail extends it
    ),
    "TransactionDetail": {
        "allOf": [
            _ref("TransactionSummary"),
            _obj(
                {
                    "triggerReason": STR,
                    "offline": BOOL,
                    "remoteStartId": _nullable(INT),
                    "stopIdToken": STR,
                    "seqNoGaps": {"type": "array", "items": INT},
                    "meterValues": {
                        "type": "array",
                        "items": _obj(
                            {
                                "timestamp": TIME,
                                "sampledValues": {
                                    "type": "array",
                                    "items": _obj(
                                        {
                                            "value": NUM,
                                            "measurand": _nullable(STR),
                                            "unit": _nullable(STR),
                                            "phase": _nullable(STR),
                                            "context": _nullable(STR),
                                            "location": _nullable(STR),
                                        },
                                        required=("value",),
                                    ),
                                },
                            },
                            required=("timestamp", "sampledValues"),
                        ),
                    },
                },
                required=("meterValues",),
                closed=False,
            ),
        ]
    },
    "StationSummary": _obj(
        {
            "stationId": STR,
            "connected": BOOL,
            "securityProfile": INT,
            "pendingBoot": BOOL,
            "registeredAt": TIME,
            "ocppVersion": _nullable(STR),
            "vendor": STR,
            "model": STR,
            "serialNumber": STR,
            "firmwareVersion": STR,
            "bootStatus": STR,
            "lastBootAt": _nullable(TIME),
            "lastSeenAt": _nullable(TIME),
            "connectors": {"type": "array", "items": _ref("Connector")},
            "activeTransactions": {"type": "array", "items": _ref("TransactionSummary")},
        },
        required=("stationId", "connected", "securityProfile", "pendingBoot", "registeredAt"),
        closed=False,  # StationDetail extends it
    ),
    "StationPage": _obj(
        {
            "stations": {"type": "array", "items": _ref("StationSummary")},
            "nextAfter": _nullable({**STR, "description": "Pass as `after` for the next page."}),
        },
        required=("stations",),
    ),
    "StationDetail": {
        "allOf": [
            _ref("StationSummary"),
            _obj(
                {
                    "invalidUsernameAllowed": BOOL,
                    "hasPassword": BOOL,
                    "bootReason": STR,
                    "settings": {
                        "type": "array",
                        "items": _obj(
                            {
                                "name": STR,
                                "value": STR,
                                "status": STR,
                                "sendAfter": _nullable(TIME),
                            },
                            required=("name", "value", "status"),
                        ),
                    },
                    "deviceModel": {
                        "type": "array",
                        "items": _obj(
                            {
                                "component": STR,
                                "variable": STR,
                                "componentInstance": STR,
                                "evseId": _nullable(INT),
                                "connectorId": _nullable(INT),
                                "variableInstance": STR,
                                "attributeType": STR,
                                "value": _nullable(STR),
                                "mutability": STR,
                            },
                            required=("component", "variable"),
                        ),
                    },
                    "certificates": {
                        "type": "array",
                        "items": _obj(
                            {
                                "certificateId": STR,
                                "certificateType": STR,
                                "status": STR,
                                "attempts": INT,
                                "sendAfter": _nullable(TIME),
                                "subject": STR,
                                "notAfter": _nullable(TIME),
                            },
                            required=("certificateId", "certificateType", "status"),
                        ),
                    },
                    "trigger": _nullable(
                        _obj(
                            {
                                "message": STR,
                                "status": STR,
                                "attempts": INT,
                                "sendAfter": _nullable(TIME),
                            },
                            required=("message", "status"),
                        )
                    ),
                    "recentEvents": {
                        "type": "array",
                        "items": _obj(
                            {
                                "id": INT,
                                "stationId": STR,
                                "at": TIME,
                                "eventType": STR,
                                "detail": ANY_OBJECT,
                            },
                            required=("id", "stationId", "at", "eventType"),
                        ),
                    },
                    "recentMessages": {"type": "array", "items": _ref("Message")},
                    "recentCalls": {"type": "array", "items": _ref("CallRecord")},
                    "reservations": {"type": "array", "items": _ref("Reservation")},
                },
                required=("settings", "deviceModel", "certificates", "recentEvents"),
                closed=False,
            ),
        ]
    },
    "CertificateOverview": _obj(
        {
            "stations": {
                "type": "array",
                "items": _obj(
                    {
                        "stationId": STR,
                        "certificateId": STR,
                        "certificateType": STR,
                        "status": STR,
                        "attempts": INT,
                        "sendAfter": _nullable(TIME),
                        "subject": STR,
                        "notAfter": _nullable(TIME),
                    },
                    required=("stationId", "certificateId", "certificateType", "status"),
                ),
            },
            "own": {
                "type": "array",
                "items": _obj(
                    {
                        "role": STR,
                        "path": STR,
                        "subject": STR,
                        "issuer": STR,
                        "notAfter": _nullable(TIME),
                        "fingerprint": STR,
                        "error": STR,
                    },
                    required=("role", "path"),
                ),
            },
        },
        required=("stations", "own"),
    ),
    "Message": _obj(
        {
            "id": INT,
            "stationId": STR,
            "at": TIME,
            "direction": {"type": "string", "enum": ["in", "out"]},
            "messageType": {"type": "integer", "enum": [2, 3, 4]},
            "messageId": STR,
            "action": STR,
            "payload": {"nullable": True, "description": "The frame's payload (any JSON)."},
            "errorCode": STR,
            "errorDescription": STR,
        },
        required=("id", "stationId", "at", "direction", "messageType", "messageId"),
    ),
    "CallRecord": _obj(
        {
            "callId": {**STR, "description": "The OCPP message id of the call."},
            "stationId": STR,
            "action": STR,
            "request": ANY_OBJECT,
            "ocppVersion": STR,
            "state": {"type": "string", "enum": ["pending", "answered", "error", "timed-out"]},
            "origin": STR,
            "createdAt": TIME,
            "completedAt": _nullable(TIME),
            "latencyMs": _nullable(NUM),
            "response": _nullable(ANY_OBJECT),
            "errorCode": STR,
            "errorDescription": STR,
            "callIds": {
                "type": "array",
                "items": STR,
                "description": "When the station takes the request only in parts (its "
                "ItemsPerMessage/BytesPerMessage), the ids of all the calls it went as; "
                "the record then stands for them together. Empty otherwise.",
            },
        },
        required=("callId", "stationId", "action", "request", "ocppVersion", "state", "createdAt"),
    ),
    "TokenView": _obj(
        {
            "countryCode": STR,
            "partyId": STR,
            "type": STR,
            "uid": STR,
            "contractId": STR,
            "visualNumber": STR,
            "issuer": STR,
            "groupId": STR,
            "valid": BOOL,
            "languageCode": STR,
            "cacheMode": STR,
            "lastUpdated": TIME,
            "status": STR,
            "expiryDate": TIME,
        },
        required=(
            "countryCode",
            "partyId",
            "type",
            "uid",
            "contractId",
            "issuer",
            "valid",
            "cacheMode",
        ),
    ),
}

# -- parameters ---------------------------------------------------------------------------

_PARAMETERS: dict[str, Schema] = {
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


def _param(name: str, schema: Schema, where: str = "query", description: str = "") -> Schema:
    param: Schema = {"name": name, "in": where, "schema": schema}
    if where == "path":
        param["required"] = True
    if description:
        param["description"] = description
    return param


_CS = {"$ref": "#/components/parameters/csId"}
_WAIT = {"$ref": "#/components/parameters/wait"}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _empty(description: str) -> Schema:
    return {"description": description}


def _errors(*codes: int) -> dict[str, Schema]:
    reasons = {
        400: "The request does not match this document (`error` names the field).",
        401: "A bearer token is required (or the one given is unknown).",
        404: "Not found.",
        409: "Not possible in the station's current state (offline, not booted, …).",
        429: "Too many failed authentication attempts from this address.",
        500: "The request failed on the server (for OCPI: the push to a party failed).",
    }
    out = {str(code): _json(_ref("Error"), reasons[code]) for code in (*codes, 401, 429)}
    if "400" in out:
        # A request the HTTP layer cannot even parse (a request line or header over 8 KiB, a
        # control character in a header) is refused before the API sees it, in plain text.
        out["400"]["content"]["text/plain"] = {"schema": {"type": "string"}}
        out["400"]["description"] += " Plain text when the HTTP request itself is malformed."
    return out


def _body(schema: Schema, required: bool = True) -> Schema:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _op(
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
        "responses": {**responses, **_errors(*errors)},
    }
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = body
    return op


_CALL_RESPONSES = {
    "200": _json(_ref("CallRecord"), "Waited: the call in its final state."),
    "202": _json(_ref("CallRecord"), "Sent: the call is pending (poll `/calls/{callId}`)."),
}


_RESULTS = {
    "CallView": "CallRecord",
    "ReservationCommand": "ReservationCommand",
    "PasswordRotation": "PasswordRotation",
    "SecurityProfileUpgrade": "SecurityProfileUpgrade",
}


def _command_paths() -> dict[str, Schema]:
    """One POST per station command, generated from :mod:`core.commands.registry`."""
    paths: dict[str, Schema] = {}
    for command in COMMANDS:
        result = _RESULTS[command.result.__name__]
        responses = (
            _CALL_RESPONSES
            if result == "CallRecord"
            else {"200": _json(_ref(result), "The answer."), "202": _json(_ref(result), "Sent.")}
            if result == "ReservationCommand"
            else {"200": _json(_ref(result), "The calls made and the outcome.")}
        )
        params: list[Schema] = [_CS]
        params += [
            _param(name, commands.path_parameter_schema(command, name), "path")
            for name in commands.path_fields(command)
        ]
        params.append(_WAIT)
        paths[f"/cs/{{csId}}/{command.path}"] = {
            "post": _op(
                commands.operation_id(command),
                command.summary,
                responses,
                params=params,
                body=_body(
                    _ref(commands.body_schema_name(command)),
                    required=commands.body_required(command),
                ),
                errors=(400, 404, 409),
            )
        }
    return paths


def _command_schemas() -> dict[str, Schema]:
    return {commands.body_schema_name(c): commands.body_schema(c) for c in COMMANDS}


_LIMIT = _param("limit", whole(limits.PAGE_LIMIT))
_STATION_FILTER = _param(
    "station", {**STR, "pattern": STATION_ID_PATTERN}, description="Station id."
)
_SINCE = _param("since", TIME, description="RFC 3339 with a time zone.")

_PATHS: dict[str, Schema] = {
    # -- MaEVe's endpoints ----------------------------------------------------------------
    "/cs/{csId}": {
        "post": _op(
            "registerChargeStation",
            "Register a station's authentication details. Unlike MaEVe's upsert, an existing "
            "id is refused (409) unless the body is what is stored already: credentials change "
            "only through POST .../password (rotation) or after DELETE",
            {"201": _empty("Registered (or already registered with these details).")},
            params=[_CS],
            body=_body(_ref("ChargeStationAuth")),
            tag="maeve",
            errors=(400, 409),
        ),
        "get": _op(
            "getChargeStation",
            "A station's identity, runtime, connectors, settings, certificates and recent "
            "events, messages and calls",
            {"200": _json(_ref("StationDetail"), "The station.")},
            params=[_CS],
            errors=(400, 404),
        ),
        "delete": _op(
            "deleteChargeStation",
            "Forget a station and everything stored about it",
            {"204": _empty("Deleted.")},
            params=[_CS],
            errors=(400, 404),
        ),
    },
    "/cs/{csId}/auth": {
        "get": _op(
            "lookupChargeStationAuth",
            "A station's authentication details",
            {"200": _json(_ref("ChargeStationAuthResponse"), "The details.")},
            params=[_CS],
            tag="maeve",
            errors=(400, 404),
        )
    },
    "/cs/{csId}/reconfigure": {
        "post": _op(
            "reconfigureChargeStation",
            "Store settings to push to the station (sync)",
            {"200": _empty("Stored as Pending.")},
            params=[_CS],
            body=_body(_ref("ChargeStationSettings")),
            tag="maeve",
            errors=(400, 404),
        )
    },
    "/cs/{csId}/certificates": {
        "post": _op(
            "installChargeStationCertificates",
            "Store certificates to install on the station (sync)",
            {"200": _empty("Stored.")},
            params=[_CS],
            body=_body(_ref("ChargeStationInstallCertificates")),
            tag="maeve",
            errors=(400, 404),
        )
    },
    "/cs/{csId}/trigger": {
        "post": _op(
            "triggerChargeStation",
            "Store a trigger to send to the station (sync); 200 as MaEVe's spec says",
            {"200": _empty("Stored as Pending.")},
            params=[_CS],
            body=_body(_ref("ChargeStationTrigger")),
            tag="maeve",
            errors=(400, 404),
        )
    },
    "/token": {
        "post": _op(
            "setToken",
            "Create or update a token (by uid)",
            {"201": _empty("Stored.")},
            body=_body(_ref("Token")),
            tag="maeve",
        ),
        "get": _op(
            "listTokens",
            "A page of tokens",
            {"200": _json({"type": "array", "items": _ref("TokenView")}, "Tokens.")},
            params=[
                _param("offset", whole(limits.ROW, default=0)),
                _param(
                    "limit",
                    {"type": "integer", "minimum": 1, "default": 20},
                    description="Clamped to 100.",
                ),
            ],
            tag="maeve",
        ),
    },
    "/token/{tokenUid}": {
        "get": _op(
            "lookupToken",
            "One token",
            {"200": _json(_ref("TokenView"), "The token.")},
            params=[_param("tokenUid", text(1, 36, segment=True), "path")],
            tag="maeve",
            errors=(400, 404),
        ),
        "delete": _op(
            "deleteToken",
            "Delete a token",
            {"204": _empty("Deleted.")},
            params=[_param("tokenUid", text(1, 36, segment=True), "path")],
            errors=(400, 404),
        ),
    },
    "/certificates": {
        "get": _op(
            "listCertificates",
            "Every station's installed and pending certificates, and the CSMS's own",
            {"200": _json(_ref("CertificateOverview"), "The certificates.")},
        )
    },
    "/certificate": {
        "post": _op(
            "uploadCertificate",
            "Store a client certificate (TLS offload looks it up by hash)",
            {"201": _empty("Stored.")},
            body=_body(_ref("Certificate")),
            tag="maeve",
        )
    },
    "/certificate/{certificateHash}": {
        "get": _op(
            "lookupCertificate",
            "A stored client certificate",
            {"200": _json(_ref("Certificate"), "The PEM.")},
            params=[
                _param(
                    "certificateHash",
                    {**STR, "pattern": r"^[A-Za-z0-9_-]{1,128}$"},
                    "path",
                    "Unpadded base64url SHA-256 of the DER.",
                )
            ],
            tag="maeve",
            errors=(400, 404),
        ),
        "delete": _op(
            "deleteCertificate",
            "Delete a stored client certificate (idempotent)",
            {"204": _empty("Deleted (or never there).")},
            params=[
                _param("certificateHash", {**STR, "pattern": r"^[A-Za-z0-9_-]{1,128}$"}, "path")
            ],
            tag="maeve",
        ),
    },
    "/register": {
        "post": _op(
            "registerParty",
            "OCPI: register with a party (with url) or store a registration token",
            {"201": _empty("Registered.")},
            body=_body(_ref("Registration")),
            tag="maeve",
            errors=(400, 404, 500),
        )
    },
    "/location/{locationId}": {
        "post": _op(
            "registerLocation",
            "OCPI: store a location and push it to every registered eMSP",
            {"201": _empty("Stored and pushed.")},
            params=[_param("locationId", {**STR, "pattern": r"^[A-Za-z0-9._-]{1,36}$"}, "path")],
            body=_body(_ref("Location")),
            tag="maeve",
            errors=(400, 404, 500),
        )
    },
    # -- operator endpoints ---------------------------------------------------------------
    "/cs": {
        "get": _op(
            "listChargeStations",
            "Stations with connection state, OCPP version, last seen, connectors and active "
            "transactions",
            {"200": _json(_ref("StationPage"), "A page of stations in id order.")},
            params=[
                _param(
                    "after",
                    {**STR, "pattern": STATION_ID_PATTERN},
                    description="The last station id of the previous page.",
                ),
                _LIMIT,
                _param("connected", BOOL),
                _param("version", {"type": "string", "enum": ["1.6", "2.0.1"]}),
                _param(
                    "q",
                    {
                        **STR,
                        "pattern": rf"^{station_id.CHARACTER_CLASS}{{0,{limits.STATION_ID.hi}}}$",
                    },
                    description="Substring of the station id.",
                ),
                _param(
                    "status",
                    {**STR, "pattern": r"^[A-Za-z]{1,32}$"},
                    description="A connector reports this status.",
                ),
            ],
        )
    },
    "/cs/{csId}/registration": {
        "post": _op(
            "createStationRegistration",
            "Register a new station and get its connection URL and a generated password "
            "(once); for profile 2, a client certificate from the local CA. An existing id is "
            "refused (409): rotate its password with POST .../password",
            {"201": _json(_ref("StationRegistration"), "Registered.")},
            params=[_CS],
            body=_body(_ref("StationRegistrationRequest"), required=False),
            errors=(400, 409),
        )
    },
    "/cs/{csId}/pending-boot": {
        "put": _op(
            "holdBoot",
            "Answer the station's next BootNotification with Pending",
            {"204": _empty("Set.")},
            params=[_CS],
            errors=(400, 404),
        ),
        "delete": _op(
            "releaseBoot",
            "Stop answering the station's boots with Pending",
            {"204": _empty("Released.")},
            params=[_CS],
            errors=(400, 404),
        ),
    },
    "/cs/{csId}/security-profile": {
        "put": _op(
            "setSecurityProfile",
            "Change only the security profile the gateway enforces for the station (nothing "
            "is sent to it); to move a connected station up, POST .../security-profile/upgrade",
            {"204": _empty("Changed.")},
            params=[_CS],
            body=_body(_ref("SecurityProfileChange")),
            errors=(400, 404),
        )
    },
    "/calls": {
        "get": _op(
            "listCalls",
            "CSMS-initiated calls, newest first",
            {"200": _json({"type": "array", "items": _ref("CallRecord")}, "Calls.")},
            params=[_STATION_FILTER, _LIMIT],
        )
    },
    "/calls/{callId}": {
        "get": _op(
            "getCall",
            "A CSMS-initiated call and its state (with `wait`, once it is final)",
            {"200": _json(_ref("CallRecord"), "The call.")},
            params=[_param("callId", text(1, 64, segment=True), "path"), _WAIT],
            errors=(400, 404),
        )
    },
    "/reservations": {
        "get": _op(
            "listReservations",
            "Reservations, newest first (active: Requested or Accepted and not expired)",
            {"200": _json({"type": "array", "items": _ref("Reservation")}, "A page.")},
            params=[_STATION_FILTER, _param("active", BOOL), _LIMIT],
        )
    },
    "/transactions": {
        "get": _op(
            "listTransactions",
            "Transactions, newest first",
            {"200": _json({"type": "array", "items": _ref("TransactionSummary")}, "A page.")},
            params=[
                _STATION_FILTER,
                _param("active", BOOL),
                _SINCE,
                _LIMIT,
                _param("offset", whole(limits.ROW)),
            ],
        )
    },
    "/transactions/{transactionId}": {
        "get": _op(
            "getTransaction",
            "A transaction with meter values and cost",
            {"200": _json(_ref("TransactionDetail"), "The transaction.")},
            params=[
                _param("transactionId", text(1, 36, segment=True), "path"),
                _param(
                    "station",
                    {**STR, "pattern": STATION_ID_PATTERN},
                    description="Needed when the id exists at several stations.",
                ),
            ],
            errors=(400, 404, 409),
        )
    },
    "/messages": {
        "get": _op(
            "listMessages",
            "The message log, newest first",
            {"200": _json({"type": "array", "items": _ref("Message")}, "A page.")},
            params=[
                _STATION_FILTER,
                _param("action", {**STR, "pattern": r"^[A-Za-z0-9]{1,64}$"}),
                _param("direction", {"type": "string", "enum": ["in", "out"]}),
                _SINCE,
                _param(
                    "before",
                    whole(limits.ROW, 1),
                    description="The last id of the previous page.",
                ),
                _param("errors", BOOL, description="Only CALLERRORs."),
                _LIMIT,
            ],
        )
    },
    "/api-tokens": {
        "get": _op(
            "listApiTokens",
            "The admin API's bearer tokens, by name, with when each was created and last used "
            "(never the secret nor its hash; create them with `csms-tui api-token create`)",
            {"200": _json({"type": "array", "items": _ref("ApiToken")}, "The tokens.")},
        )
    },
    "/api-tokens/{name}": {
        "delete": _op(
            "revokeApiToken",
            "Revoke a bearer token: requests carrying it are refused from now on",
            {"204": _empty("Revoked.")},
            params=[_param("name", {**STR, "pattern": API_TOKEN_NAME_PATTERN}, "path")],
            errors=(400, 404),
        )
    },
    "/events": {
        "get": _op(
            "streamEvents",
            "The core's events as server-sent events (`event:` kind, `data:` JSON, `id:` seq)",
            {
                "200": {
                    "description": "An endless event stream.",
                    "content": {"text/event-stream": {"schema": STR}},
                }
            },
            params=[
                _STATION_FILTER,
                _param(
                    "kind",
                    STR,
                    description="Comma-separated event kinds (station_connected, message, …).",
                ),
            ],
        )
    },
}


def _unprefixed_paths() -> dict[str, Schema]:
    """Endpoints outside ``/api/v0`` (as in MaEVe): health and metrics."""
    return {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness",
                "tags": ["maeve"],
                "security": [],
                "responses": {"200": _json(_ref("Health"), "Up.")},
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics",
                "tags": ["maeve"],
                "responses": {
                    "200": {
                        "description": "Prometheus text exposition format.",
                        "content": {"text/plain": {"schema": STR}},
                    },
                    **_errors(),
                },
            }
        },
    }


@cache
def _document() -> Schema:
    paths = {f"{BASE_PATH}{path}": item for path, item in {**_PATHS, **_command_paths()}.items()}
    paths.update(_unprefixed_paths())
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "csms-tui admin API",
            "version": "0.1.0",
            "description": "MaEVe's manager API (same paths, bodies and status codes) plus the "
            "operator endpoints the console and scripts use. Errors are "
            '`{"status": "<reason>", "error": "<field>: <reason>"}`. Bearer tokens '
            "(`csms-tui api-token create`) are required when the API listens beyond loopback.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {}],
        "paths": paths,
        "components": {
            "schemas": {**_SCHEMAS, **_command_schemas()},
            "parameters": _PARAMETERS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi_document() -> Schema:
    """A fresh copy of the document (callers may not mutate the cached one)."""
    return copy.deepcopy(_document())
