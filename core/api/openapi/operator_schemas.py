"""Component schemas of the operator endpoints' own bodies: station registration, security
profile changes, password rotation, reservations and the API's bearer tokens."""

from __future__ import annotations

from core import limits
from core.api.openapi.schema import (
    BOOL,
    INT,
    STR,
    TEXT,
    TIME,
    Schema,
    nullable,
    obj,
    ref,
    sized,
    text,
)
from core.station_certificates import CSR_MAX_LENGTH

SCHEMAS: dict[str, Schema] = {
    "ApiToken": obj(
        {
            "name": STR,
            "createdAt": TIME,
            "lastUsedAt": nullable(
                {
                    **TIME,
                    "description": "When the token last authenticated a request (recorded at "
                    "most once a minute); null if never.",
                }
            ),
        },
        required=("name", "createdAt", "lastUsedAt"),
    ),
    "StationRegistrationRequest": obj(
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
    "StationRegistration": obj(
        {
            "stationId": TEXT,
            "securityProfile": INT,
            "url": TEXT,
            "password": nullable({**TEXT, "description": "Shown once; only its hash is kept."}),
            "invalidUsernameAllowed": BOOL,
            "certificate": nullable(
                {**TEXT, "description": "PEM: the station's certificate, then the CA's."}
            ),
            "privateKey": nullable(
                {**TEXT, "description": "PEM (PKCS#8) when the key was generated; shown once."}
            ),
        },
        required=("stationId", "securityProfile", "url", "invalidUsernameAllowed"),
    ),
    "SecurityProfileChange": obj(
        {"securityProfile": {"type": "integer", "enum": [-1, 0, 1, 2]}},
        required=("securityProfile",),
    ),
    "SecurityProfileUpgrade": obj(
        {
            "accepted": BOOL,
            "securityProfile": {"type": "integer"},
            "calls": {"type": "array", "items": ref("CallRecord")},
        },
        required=("accepted", "securityProfile", "calls"),
    ),
    "PasswordRotation": obj(
        {"call": ref("CallRecord"), "accepted": BOOL, "password": nullable(STR)},
        required=("call", "accepted"),
    ),
    "Reservation": obj(
        {
            "reservationId": INT,
            "stationId": STR,
            "evseId": INT,
            "idToken": STR,
            "tokenType": STR,
            "groupId": nullable(STR),
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
    "ReservationCommand": obj(
        {"reservation": ref("Reservation"), "call": ref("CallRecord")},
        required=("reservation", "call"),
    ),
}
