"""Component schemas of the answers: one per view in :mod:`core.application.views` (stations,
transactions, calls, messages, certificates, tokens), as the handlers serialise them."""

from __future__ import annotations

from core.api.openapi.schema import (
    ANY_OBJECT,
    BOOL,
    INT,
    NUM,
    STR,
    TIME,
    Schema,
    nullable,
    obj,
    ref,
)

SCHEMAS: dict[str, Schema] = {
    "Connector": obj(
        {
            "evseId": INT,
            "connectorId": INT,
            "status": STR,
            "errorCode": STR,
            "info": STR,
            "updatedAt": nullable(TIME),
        },
        required=("evseId", "connectorId", "status"),
    ),
    "TransactionSummary": obj(
        {
            "stationId": STR,
            "transactionId": STR,
            "active": BOOL,
            "idToken": STR,
            "tokenType": STR,
            "evseId": INT,
            "connectorId": INT,
            "startedAt": nullable(TIME),
            "endedAt": nullable(TIME),
            "meterStartWh": nullable(NUM),
            "meterStopWh": nullable(NUM),
            "energyWh": nullable(NUM),
            "chargingState": STR,
            "stoppedReason": STR,
            "cost": nullable(NUM),
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
            "closeReason": {
                **STR,
                "description": "Why an operator closed it because its station never would "
                "(empty when the station ended it).",
            },
        },
        required=("stationId", "transactionId", "active"),
        closed=False,  # TransactionDetail extends it
    ),
    "TransactionDetail": {
        "allOf": [
            ref("TransactionSummary"),
            obj(
                {
                    "triggerReason": STR,
                    "offline": BOOL,
                    "remoteStartId": nullable(INT),
                    "stopIdToken": STR,
                    "seqNoGaps": {"type": "array", "items": INT},
                    "meterValues": {
                        "type": "array",
                        "items": obj(
                            {
                                "timestamp": TIME,
                                "sampledValues": {
                                    "type": "array",
                                    "items": obj(
                                        {
                                            "value": NUM,
                                            "measurand": nullable(STR),
                                            "unit": nullable(STR),
                                            "phase": nullable(STR),
                                            "context": nullable(STR),
                                            "location": nullable(STR),
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
    "StationSummary": obj(
        {
            "stationId": STR,
            "connected": BOOL,
            "securityProfile": INT,
            "pendingBoot": BOOL,
            "registeredAt": TIME,
            "ocppVersion": nullable(STR),
            "vendor": STR,
            "model": STR,
            "serialNumber": STR,
            "firmwareVersion": STR,
            "bootStatus": STR,
            "lastBootAt": nullable(TIME),
            "lastSeenAt": nullable(TIME),
            "connectors": {"type": "array", "items": ref("Connector")},
            "activeTransactions": {"type": "array", "items": ref("TransactionSummary")},
        },
        required=("stationId", "connected", "securityProfile", "pendingBoot", "registeredAt"),
        closed=False,  # StationDetail extends it
    ),
    "StationPage": obj(
        {
            "stations": {"type": "array", "items": ref("StationSummary")},
            "nextAfter": nullable({**STR, "description": "Pass as `after` for the next page."}),
        },
        required=("stations",),
    ),
    "StationDetail": {
        "allOf": [
            ref("StationSummary"),
            obj(
                {
                    "invalidUsernameAllowed": BOOL,
                    "hasPassword": BOOL,
                    "bootReason": STR,
                    "settings": {
                        "type": "array",
                        "items": obj(
                            {
                                "name": STR,
                                "value": STR,
                                "status": STR,
                                "sendAfter": nullable(TIME),
                            },
                            required=("name", "value", "status"),
                        ),
                    },
                    "deviceModel": {
                        "type": "array",
                        "items": obj(
                            {
                                "component": STR,
                                "variable": STR,
                                "componentInstance": STR,
                                "evseId": nullable(INT),
                                "connectorId": nullable(INT),
                                "variableInstance": STR,
                                "attributeType": STR,
                                "value": nullable(STR),
                                "mutability": STR,
                            },
                            required=("component", "variable"),
                        ),
                    },
                    "certificates": {
                        "type": "array",
                        "items": obj(
                            {
                                "certificateId": STR,
                                "certificateType": STR,
                                "status": STR,
                                "attempts": INT,
                                "sendAfter": nullable(TIME),
                                "subject": STR,
                                "notAfter": nullable(TIME),
                            },
                            required=("certificateId", "certificateType", "status"),
                        ),
                    },
                    "trigger": nullable(
                        obj(
                            {
                                "message": STR,
                                "status": STR,
                                "attempts": INT,
                                "sendAfter": nullable(TIME),
                            },
                            required=("message", "status"),
                        )
                    ),
                    "recentEvents": {
                        "type": "array",
                        "items": obj(
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
                    "recentMessages": {"type": "array", "items": ref("Message")},
                    "recentCalls": {"type": "array", "items": ref("CallRecord")},
                    "reservations": {"type": "array", "items": ref("Reservation")},
                },
                required=("settings", "deviceModel", "certificates", "recentEvents"),
                closed=False,
            ),
        ]
    },
    "CertificateOverview": obj(
        {
            "stations": {
                "type": "array",
                "items": obj(
                    {
                        "stationId": STR,
                        "certificateId": STR,
                        "certificateType": STR,
                        "status": STR,
                        "attempts": INT,
                        "sendAfter": nullable(TIME),
                        "subject": STR,
                        "notAfter": nullable(TIME),
                    },
                    required=("stationId", "certificateId", "certificateType", "status"),
                ),
            },
            "own": {
                "type": "array",
                "items": obj(
                    {
                        "role": STR,
                        "path": STR,
                        "subject": STR,
                        "issuer": STR,
                        "notAfter": nullable(TIME),
                        "fingerprint": STR,
                        "error": STR,
                    },
                    required=("role", "path"),
                ),
            },
        },
        required=("stations", "own"),
    ),
    "Message": obj(
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
            "explanation": {"nullable": True, "allOf": [ref("Explanation")]},
        },
        required=("id", "stationId", "at", "direction", "messageType", "messageId"),
    ),
    "Explanation": obj(
        {
            "code": {**STR, "description": "The error code as sent (or recorded)."},
            "version": {"type": "string", "enum": ["1.6", "2.0.1"]},
            "meaning": {**STR, "description": "What the code means in that version's OCPP-J."},
            "wrongSide": {
                "type": "string",
                "enum": ["station", "csms"],
                "description": "Whose message or behaviour the error points at.",
            },
            "fault": {
                "type": "string",
                "enum": ["message", "receiver", "refused", "unanswered", "unknown"],
                "description": "message: it broke a rule; receiver: the receiver could not act "
                "on it; refused: turned away for a security reason; unanswered: no answer came; "
                "unknown: the code does not say.",
            },
            "summary": STR,
            "reference": {**STR, "description": "The OCPP-J section that defines the code."},
            "requirement": {
                **nullable(STR),
                "description": "The specific rule broken, when known: a schema file with its "
                "keyword and pointer, or a requirement id.",
            },
            "pointer": {**nullable(STR), "description": "JSON pointer (RFC 6901) of the field."},
            "keyword": {**nullable(STR), "description": "The JSON-schema keyword that failed."},
            "expected": nullable(STR),
            "got": {**nullable(STR), "description": "The value that came, clipped."},
        },
        required=("code", "version", "meaning", "wrongSide", "fault", "summary", "reference"),
    ),
    "CallRecord": obj(
        {
            "callId": {**STR, "description": "The OCPP message id of the call."},
            "stationId": STR,
            "action": STR,
            "request": ANY_OBJECT,
            "ocppVersion": STR,
            "state": {"type": "string", "enum": ["pending", "answered", "error", "timed-out"]},
            "origin": STR,
            "createdAt": TIME,
            "completedAt": nullable(TIME),
            "latencyMs": nullable(NUM),
            "response": nullable(ANY_OBJECT),
            "errorCode": STR,
            "errorDescription": STR,
            "callIds": {
                "type": "array",
                "items": STR,
                "description": "When the station takes the request only in parts (its "
                "ItemsPerMessage/BytesPerMessage), the ids of all the calls it went as; "
                "the record then stands for them together. Empty otherwise.",
            },
            "explanation": {"nullable": True, "allOf": [ref("Explanation")]},
        },
        required=("callId", "stationId", "action", "request", "ocppVersion", "state", "createdAt"),
    ),
    "TokenView": obj(
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
