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
from core.api.auth import NAME_PATTERN as API_TOKEN_NAME_PATTERN
from core.ocpp.triggers import TRIGGER_MESSAGES_16
from core.ocpp.triggers import TRIGGER_MESSAGES_201 as _TRIGGER_201
from core.service import CSMS_ACTIONS, REPORT_BASES, SYNC_TRIGGERS
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
    "SecurityProfileUpgradeRequest": _obj(
        {
            "securityProfile": {"type": "integer", "enum": [0, 1, 2]},
            "configurationSlot": whole(limits.CONFIGURATION_SLOT, default=1),
        },
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
    "PasswordRotationRequest": _obj({"password": sized(limits.PASSWORD)}),
    "PasswordRotation": _obj(
        {"call": _ref("CallRecord"), "accepted": BOOL, "password": _nullable(STR)},
        required=("call", "accepted"),
    ),
    "ResetCommand": _obj(
        {
            "type": {
                "type": "string",
                "enum": ["Soft", "Hard", "OnIdle", "Immediate"],
                "default": "Soft",
                "description": "Soft = 2.0.1 OnIdle, Hard = 2.0.1 Immediate (and back for 1.6).",
            },
            "evseId": whole(limits.EVSE_ID),
        }
    ),
    "ReserveCommand": _obj(
        {
            "idToken": sized(limits.ID_TOKEN, 1),
            "expiresAt": {**TIME, "description": "When the station may release it (RFC 3339)."},
            "evseId": whole(
                limits.EVSE_ID,
                default=0,
                description="1.6 connectorId (0 = the charge point) / 2.0.1 EVSE (0 = any).",
            ),
            "tokenType": {
                "type": "string",
                "enum": ID_TOKEN_TYPES,
                "default": "ISO14443",
            },
            "groupId": sized(limits.ID_TOKEN, 1),
        },
        required=("idToken", "expiresAt"),
    ),
    "UpdateFirmwareCommand": _obj(
        {
            "location": {
                **text(8, limits.URL.hi),
                "format": "uri",
                "description": "http(s) or ftp(s) URL.",
            },
            "retrieveAt": {**TIME, "description": "When to download (default: now)."},
            "signingCertificate": text(1, 5500),
            "signature": text(1, 800),
            "retries": whole(limits.FIRMWARE_RETRIES),
            "retryInterval": whole(limits.FIRMWARE_RETRY_INTERVAL),
        },
        required=("location",),
    ),
    "GetLogCommand": _obj(
        {
            "location": {**text(8, limits.URL.hi), "format": "uri", "description": "Upload URL."},
            "logType": {
                "type": "string",
                "enum": ["DiagnosticsLog", "SecurityLog"],
                "default": "DiagnosticsLog",
            },
            "oldest": TIME,
            "latest": TIME,
        },
        required=("location",),
    ),
    "LocalListCommand": _obj(
        {
            "updateType": {"type": "string", "enum": ["Full", "Differential"], "default": "Full"},
            "tokens": {
                "type": "array",
                "items": sized(limits.ID_TOKEN, 1),
                "maxItems": limits.LOCAL_LIST_TOKENS,
                "description": "Token uids to send (Full without it: every cacheable token).",
            },
            "remove": {
                "type": "array",
                "items": sized(limits.ID_TOKEN, 1),
                "maxItems": limits.LOCAL_LIST_TOKENS,
            },
            "version": whole(limits.LIST_VERSION),
        }
    ),
    "ChargingProfileCommand": _obj(
        {
            "evseId": whole(limits.EVSE_ID, description="1.6: connectorId."),
            "profile": {
                **ANY_OBJECT,
                "description": "1.6 csChargingProfiles or 2.0.1 ChargingProfileType, as the "
                "station's version defines it (checked against its schema).",
            },
        },
        required=("evseId", "profile"),
    ),
    "ChargingLimitCommand": _obj(
        {
            "evseId": whole(limits.EVSE_ID, description="0: the whole station."),
            "limit": number(limits.CHARGING_LIMIT),
            "unit": {"type": "string", "enum": ["W", "A"], "default": "W"},
            "duration": whole(limits.DURATION_SECONDS, description="Seconds (default: open)."),
            "stackLevel": whole(limits.STACK_LEVEL, default=0),
        },
        required=("evseId", "limit"),
    ),
    "ClearChargingProfileCommand": _obj(
        {
            "id": whole(limits.PROFILE_ID),
            "evseId": whole(limits.EVSE_ID),
            "purpose": {
                "type": "string",
                "enum": [
                    "ChargePointMaxProfile",
                    "ChargingStationMaxProfile",
                    "ChargingStationExternalConstraints",
                    "TxDefaultProfile",
                    "TxProfile",
                ],
            },
            "stackLevel": whole(limits.STACK_LEVEL),
        }
    ),
    "CompositeScheduleCommand": _obj(
        {
            "evseId": whole(limits.EVSE_ID),
            "duration": whole(limits.DURATION_SECONDS, description="Seconds."),
            "unit": {"type": "string", "enum": ["W", "A"]},
        },
        required=("evseId", "duration"),
    ),
    "DisplayMessageCommand": _obj(
        {
            "text": sized(limits.DISPLAY_TEXT),
            "priority": {
                "type": "string",
                "enum": ["AlwaysFront", "InFront", "NormalCycle"],
                "default": "NormalCycle",
            },
            "minutes": whole(limits.MINUTES),
            "id": whole(limits.REQUEST_ID),
            "language": sized(limits.LANGUAGE, 1),
        },
        required=("text",),
    ),
    "ClearDisplayMessageCommand": _obj({"id": whole(limits.REQUEST_ID)}, required=("id",)),
    "TransactionStatusCommand": _obj({"transactionId": sized(limits.TRANSACTION_ID_TEXT, 1)}),
    "CustomerInformationCommand": _obj(
        {
            "report": BOOL,
            "clear": BOOL,
            "customerIdentifier": sized(limits.CUSTOMER_IDENTIFIER, 1),
            "idToken": sized(limits.ID_TOKEN, 1),
            "tokenType": {"type": "string", "enum": ID_TOKEN_TYPES, "default": "ISO14443"},
        },
        required=("report", "clear"),
    ),
    "MonitorCommand": _obj(
        {
            "component": sized(limits.COMPONENT_NAME, 1),
            "variable": sized(limits.COMPONENT_NAME, 1),
            "type": {
                "type": "string",
                "enum": [
                    "UpperThreshold",
                    "LowerThreshold",
                    "Delta",
                    "Periodic",
                    "PeriodicClockAligned",
                ],
            },
            "value": number(limits.MONITOR_VALUE),
            "severity": whole(limits.SEVERITY, default=8),
            "evseId": whole(limits.EVSE_ID),
            "id": whole(limits.REQUEST_ID),
        },
        required=("component", "variable", "type", "value"),
    ),
    "ClearMonitorsCommand": _obj(
        {
            "ids": {
                "type": "array",
                "items": whole(limits.REQUEST_ID),
                "minItems": 1,
                "maxItems": limits.MONITOR_IDS,
            }
        },
        required=("ids",),
    ),
    "MonitoringBaseCommand": _obj(
        {"base": {"type": "string", "enum": ["All", "FactoryDefault", "HardWiredOnly"]}},
        required=("base",),
    ),
    "MonitoringLevelCommand": _obj({"severity": whole(limits.SEVERITY)}, required=("severity",)),
    "CancelReservationCommand": _obj(
        {"reservationId": whole(limits.RESERVATION_ID)}, required=("reservationId",)
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
    "RemoteStartCommand": _obj(
        {
            "idToken": sized(limits.ID_TOKEN, 1),
            "evseId": whole(limits.CONNECTOR_ID),
            "tokenType": {
                "type": "string",
                "enum": ID_TOKEN_TYPES,
                "default": "Central",
            },
            "remoteStartId": whole(limits.REQUEST_ID),
        },
        required=("idToken",),
    ),
    "RemoteStopCommand": _obj(
        {"transactionId": sized(limits.TRANSACTION_ID_TEXT, 1)}, required=("transactionId",)
    ),
    "AvailabilityCommand": _obj(
        {
            "operative": BOOL,
            "evseId": whole(limits.EVSE_ID, default=0),
            "connectorId": whole(limits.CONNECTOR_ID),
        },
        required=("operative",),
    ),
    "UnlockCommand": _obj(
        {
            "evseId": whole(limits.CONNECTOR_ID),
            "connectorId": whole(limits.CONNECTOR_ID, default=1),
        },
        required=("evseId",),
    ),
    "GetConfigurationCommand": _obj(
        {
            "keys": {
                "type": "array",
                "maxItems": 100,
                "items": sized(limits.CONFIGURATION_KEY, 1),
                "description": "1.6 keys, or 2.0.1 `Component/Variable` addresses "
                "(`EVSE@1/Power`, `Component[instance]/Variable[instance]`).",
            }
        }
    ),
    "SetConfigurationCommand": _obj(
        {
            "values": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": sized(limits.CONFIGURATION_KEY, 1),
                "additionalProperties": sized(limits.CONFIGURATION_VALUE),
            }
        },
        required=("values",),
    ),
    "TriggerMessageCommand": _obj(
        {
            "requestedMessage": {
                "type": "string",
                "enum": sorted(TRIGGER_MESSAGES_16 | _TRIGGER_201),
            },
            "evseId": whole(limits.CONNECTOR_ID),
            "connectorId": whole(limits.CONNECTOR_ID),
        },
        required=("requestedMessage",),
    ),
    "DataTransferCommand": _obj(
        {
            "vendorId": sized(limits.VENDOR_ID, 1),
            "messageId": sized(limits.MESSAGE_ID),
            "data": {"description": "Any JSON (a string for OCPP 1.6)."},
        },
        required=("vendorId",),
    ),
    "GetReportCommand": _obj(
        {
            "reportBase": {"type": "string", "enum": list(REPORT_BASES)},
            "requestId": whole(limits.REQUEST_ID),
        }
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


def _command(op_id: str, summary: str, body: str | None) -> Schema:
    # The body is required exactly when its schema has required properties.
    required = bool(body and _SCHEMAS[body].get("required"))
    return {
        "post": _op(
            op_id,
            summary,
            _CALL_RESPONSES,
            params=[_CS, _WAIT],
            body=_body(_ref(body), required=required) if body else None,
            errors=(400, 404, 409),
        )
    }


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
    "/cs/{csId}/password": {
        "post": _op(
            "rotatePassword",
            "Send a new basic-auth password to the station; the stored hash changes only "
            "when the station accepts",
            {"200": _json(_ref("PasswordRotation"), "The station's answer.")},
            params=[_CS, _WAIT],
            body=_body(_ref("PasswordRotationRequest"), required=False),
            errors=(400, 404, 409),
        )
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
    "/cs/{csId}/security-profile/upgrade": {
        "post": _op(
            "upgradeSecurityProfile",
            "Move a connected station to a higher profile: 1.6 ChangeConfiguration "
            "SecurityProfile; 2.0.1 SetNetworkProfile, NetworkConfigurationPriority, Reset "
            "OnIdle. The gateway enforces the new profile only once the station accepted.",
            {"200": _json(_ref("SecurityProfileUpgrade"), "The calls made and the outcome.")},
            params=[_CS, _WAIT],
            body=_body(_ref("SecurityProfileUpgradeRequest")),
            errors=(400, 404, 409),
        )
    },
    "/cs/{csId}/reset": _command(
        "reset", "Reset (1.6 Soft/Hard, 2.0.1 OnIdle/Immediate)", "ResetCommand"
    ),
    "/cs/{csId}/remote-start": _command(
        "remoteStart",
        "1.6 RemoteStartTransaction / 2.0.1 RequestStartTransaction",
        "RemoteStartCommand",
    ),
    "/cs/{csId}/remote-stop": _command(
        "remoteStop",
        "1.6 RemoteStopTransaction / 2.0.1 RequestStopTransaction",
        "RemoteStopCommand",
    ),
    "/cs/{csId}/availability": _command(
        "changeAvailability", "ChangeAvailability", "AvailabilityCommand"
    ),
    "/cs/{csId}/unlock": _command("unlockConnector", "UnlockConnector", "UnlockCommand"),
    "/cs/{csId}/get-configuration": _command(
        "getConfiguration",
        "1.6 GetConfiguration / 2.0.1 GetVariables",
        "GetConfigurationCommand",
    ),
    "/cs/{csId}/set-configuration": _command(
        "setConfiguration",
        "1.6 ChangeConfiguration (one key) / 2.0.1 SetVariables",
        "SetConfigurationCommand",
    ),
    "/cs/{csId}/clear-cache": _command("clearCache", "ClearCache", None),
    "/cs/{csId}/trigger-message": _command(
        "triggerMessage", "TriggerMessage, sent now", "TriggerMessageCommand"
    ),
    "/cs/{csId}/data-transfer": _command("dataTransfer", "DataTransfer", "DataTransferCommand"),
    "/cs/{csId}/get-report": _command(
        "getReport",
        "2.0.1 GetBaseReport / 1.6 GetConfiguration of every key",
        "GetReportCommand",
    ),
    "/cs/{csId}/call/{action}": {
        "post": _op(
            "rawCall",
            "Send any CSMS-initiated action of the station's OCPP version (schema-checked)",
            _CALL_RESPONSES,
            params=[
                _CS,
                _param(
                    "action",
                    {
                        "type": "string",
                        "enum": sorted(set().union(*CSMS_ACTIONS.values())),
                    },
                    "path",
                ),
                _WAIT,
            ],
            body=_body(ANY_OBJECT),
            errors=(400, 404, 409),
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
    "/cs/{csId}/reserve": {
        "post": _op(
            "reserveNow",
            "1.6 / 2.0.1 ReserveNow; the reservation's status follows the station's answer",
            {
                "200": _json(_ref("ReservationCommand"), "Waited: the answer is in."),
                "202": _json(_ref("ReservationCommand"), "Sent: the call is pending."),
            },
            params=[_CS, _WAIT],
            body=_body(_ref("ReserveCommand")),
            errors=(400, 404, 409),
        )
    },
    "/cs/{csId}/update-firmware": _command(
        "updateFirmware",
        "1.6 UpdateFirmware (SignedUpdateFirmware with a signature) / 2.0.1 UpdateFirmware",
        "UpdateFirmwareCommand",
    ),
    "/cs/{csId}/get-log": _command(
        "getLog",
        "Upload a log: 1.6 GetDiagnostics or GetLog (security log) / 2.0.1 GetLog",
        "GetLogCommand",
    ),
    "/cs/{csId}/local-list": _command(
        "sendLocalList",
        "SendLocalList from our tokens (Full or Differential); version defaults to the "
        "station's + 1",
        "LocalListCommand",
    ),
    "/cs/{csId}/get-local-list-version": _command(
        "getLocalListVersion", "GetLocalListVersion", None
    ),
    "/cs/{csId}/charging-profile": _command(
        "setChargingProfile", "SetChargingProfile with a raw profile", "ChargingProfileCommand"
    ),
    "/cs/{csId}/charging-limit": _command(
        "setChargingLimit",
        "Limit power or current from now: a one-period Absolute profile (TxDefaultProfile, "
        "or the station maximum on evseId 0)",
        "ChargingLimitCommand",
    ),
    "/cs/{csId}/clear-charging-profile": _command(
        "clearChargingProfile",
        "ClearChargingProfile by id or criteria (none: every profile)",
        "ClearChargingProfileCommand",
    ),
    "/cs/{csId}/composite-schedule": _command(
        "getCompositeSchedule", "GetCompositeSchedule", "CompositeScheduleCommand"
    ),
    "/cs/{csId}/display-message": _command(
        "setDisplayMessage", "2.0.1 SetDisplayMessage (409 for 1.6)", "DisplayMessageCommand"
    ),
    "/cs/{csId}/clear-display-message": _command(
        "clearDisplayMessage", "2.0.1 ClearDisplayMessage", "ClearDisplayMessageCommand"
    ),
    "/cs/{csId}/get-display-messages": _command(
        "getDisplayMessages",
        "2.0.1 GetDisplayMessages (the messages arrive as NotifyDisplayMessages events)",
        None,
    ),
    "/cs/{csId}/transaction-status": _command(
        "getTransactionStatus",
        "2.0.1 GetTransactionStatus (of one transaction, or of any)",
        "TransactionStatusCommand",
    ),
    "/cs/{csId}/customer-information": _command(
        "customerInformation",
        "2.0.1 CustomerInformation: report and/or clear one customer's data",
        "CustomerInformationCommand",
    ),
    "/cs/{csId}/monitor": _command(
        "setVariableMonitor", "2.0.1 SetVariableMonitoring of one variable", "MonitorCommand"
    ),
    "/cs/{csId}/clear-monitors": _command(
        "clearVariableMonitors", "2.0.1 ClearVariableMonitoring", "ClearMonitorsCommand"
    ),
    "/cs/{csId}/monitoring-base": _command(
        "setMonitoringBase", "2.0.1 SetMonitoringBase", "MonitoringBaseCommand"
    ),
    "/cs/{csId}/monitoring-level": _command(
        "setMonitoringLevel", "2.0.1 SetMonitoringLevel", "MonitoringLevelCommand"
    ),
    "/cs/{csId}/monitoring-report": _command(
        "getMonitoringReport",
        "2.0.1 GetMonitoringReport (the monitors arrive as NotifyMonitoringReport events)",
        None,
    ),
    "/cs/{csId}/cancel-reservation": _command(
        "cancelReservation",
        "CancelReservation of an active reservation",
        "CancelReservationCommand",
    ),
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
    paths = {f"{BASE_PATH}{path}": item for path, item in _PATHS.items()}
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
            "schemas": _SCHEMAS,
            "parameters": _PARAMETERS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi_document() -> Schema:
    """A fresh copy of the document (callers may not mutate the cached one)."""
    return copy.deepcopy(_document())
