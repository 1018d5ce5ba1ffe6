"""Component schemas of MaEVe's manager API: its request bodies, kept as MaEVe states them
(open objects where MaEVe accepts extra members), and the error and health answers."""

from __future__ import annotations

from core import limits
from core.api.openapi.schema import BOOL, STR, TEXT, TIME, Schema, obj, sized, text
from core.application.rules import SYNC_TRIGGERS

SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        {
            "status": {**STR, "description": "The HTTP reason phrase."},
            "error": {**STR, "description": "`<field>: <reason>` for a bad request."},
        },
        required=("status",),
    ),
    "Health": obj({"status": {"type": "string", "enum": ["OK"]}}, required=("status",)),
    # -- MaEVe's bodies -------------------------------------------------------------------
    "ChargeStationAuth": obj(
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
    "ChargeStationAuthResponse": obj(
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
    "ChargeStationInstallCertificates": obj(
        {
            "certificates": {
                "type": "array",
                "items": obj(
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
    "ChargeStationTrigger": obj(
        {"trigger": {"type": "string", "enum": list(SYNC_TRIGGERS)}},
        required=("trigger",),
        closed=False,
    ),
    "Token": obj(
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
    "Certificate": obj({"certificate": TEXT}, required=("certificate",), closed=False),
    "Registration": obj(
        {
            "token": text(0, 64),
            "url": TEXT,
            "status": {"type": "string", "enum": ["PENDING", "REGISTERED"]},
        },
        required=("token",),
        closed=False,
    ),
    "Location": obj(
        {
            "country_code": text(2, 2),
            "party_id": text(3, 3),
            "name": text(0, 255),
            "address": text(0, 45),
            "city": text(0, 45),
            "postal_code": text(0, 10),
            "country": text(3, 3),
            "coordinates": obj(
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
                "items": obj(
                    {
                        "uid": text(1, 36),
                        "evse_id": text(0, 48),
                        "connectors": {
                            "type": "array",
                            "minItems": 1,
                            "items": obj(
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
}
