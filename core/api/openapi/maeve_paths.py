"""MaEVe's endpoints, with its paths, bodies and status codes (one deliberate change:
``POST /cs/{csId}/trigger`` answers 200 as MaEVe's own specification says, where MaEVe's server
answered 201), plus the operator's reads and deletes that sit on the same paths."""

from __future__ import annotations

from core import limits
from core.api.openapi.operations import (
    CS,
    empty_response,
    error_responses,
    json_body,
    json_response,
    operation,
    param,
)
from core.api.openapi.schema import STR, Schema, ref, text, whole

PATHS: dict[str, Schema] = {
    "/cs/{csId}": {
        "post": operation(
            "registerChargeStation",
            "Register a station's authentication details. Unlike MaEVe's upsert, an existing "
            "id is refused (409) unless the body is what is stored already: credentials change "
            "only through POST .../password (rotation) or after DELETE",
            {"201": empty_response("Registered (or already registered with these details).")},
            params=[CS],
            body=json_body(ref("ChargeStationAuth")),
            tag="maeve",
            errors=(400, 409),
        ),
        "get": operation(
            "getChargeStation",
            "A station's identity, runtime, connectors, settings, certificates and recent "
            "events, messages and calls",
            {"200": json_response(ref("StationDetail"), "The station.")},
            params=[CS],
            errors=(400, 404),
        ),
        "delete": operation(
            "deleteChargeStation",
            "Forget a station and everything stored about it",
            {"204": empty_response("Deleted.")},
            params=[CS],
            errors=(400, 404),
        ),
    },
    "/cs/{csId}/auth": {
        "get": operation(
            "lookupChargeStationAuth",
            "A station's authentication details",
            {"200": json_response(ref("ChargeStationAuthResponse"), "The details.")},
            params=[CS],
            tag="maeve",
            errors=(400, 404),
        )
    },
    "/cs/{csId}/reconfigure": {
        "post": operation(
            "reconfigureChargeStation",
            "Store settings to push to the station (sync)",
            {"200": empty_response("Stored as Pending.")},
            params=[CS],
            body=json_body(ref("ChargeStationSettings")),
            tag="maeve",
            errors=(400, 404),
        )
    },
    "/cs/{csId}/certificates": {
        "post": operation(
            "installChargeStationCertificates",
            "Store certificates to install on the station (sync)",
            {"200": empty_response("Stored.")},
            params=[CS],
            body=json_body(ref("ChargeStationInstallCertificates")),
            tag="maeve",
            errors=(400, 404),
        )
    },
    "/cs/{csId}/trigger": {
        "post": operation(
            "triggerChargeStation",
            "Store a trigger to send to the station (sync); 200 as MaEVe's spec says",
            {"200": empty_response("Stored as Pending.")},
            params=[CS],
            body=json_body(ref("ChargeStationTrigger")),
            tag="maeve",
            errors=(400, 404),
        )
    },
    "/token": {
        "post": operation(
            "setToken",
            "Create or update a token (by uid)",
            {"201": empty_response("Stored.")},
            body=json_body(ref("Token")),
            tag="maeve",
        ),
        "get": operation(
            "listTokens",
            "A page of tokens",
            {"200": json_response({"type": "array", "items": ref("TokenView")}, "Tokens.")},
            params=[
                param("offset", whole(limits.ROW, default=0)),
                param(
                    "limit",
                    {"type": "integer", "minimum": 1, "default": 20},
                    description="Clamped to 100.",
                ),
            ],
            tag="maeve",
        ),
    },
    "/token/{tokenUid}": {
        "get": operation(
            "lookupToken",
            "One token",
            {"200": json_response(ref("TokenView"), "The token.")},
            params=[param("tokenUid", text(1, 36, segment=True), "path")],
            tag="maeve",
            errors=(400, 404),
        ),
        "delete": operation(
            "deleteToken",
            "Delete a token",
            {"204": empty_response("Deleted.")},
            params=[param("tokenUid", text(1, 36, segment=True), "path")],
            errors=(400, 404),
        ),
    },
    "/certificates": {
        "get": operation(
            "listCertificates",
            "Every station's installed and pending certificates, and the CSMS's own",
            {"200": json_response(ref("CertificateOverview"), "The certificates.")},
        )
    },
    "/certificate": {
        "post": operation(
            "uploadCertificate",
            "Store a client certificate (TLS offload looks it up by hash)",
            {"201": empty_response("Stored.")},
            body=json_body(ref("Certificate")),
            tag="maeve",
        )
    },
    "/certificate/{certificateHash}": {
        "get": operation(
            "lookupCertificate",
            "A stored client certificate",
            {"200": json_response(ref("Certificate"), "The PEM.")},
            params=[
                param(
                    "certificateHash",
                    {**STR, "pattern": r"^[A-Za-z0-9_-]{1,128}$"},
                    "path",
                    "Unpadded base64url SHA-256 of the DER.",
                )
            ],
            tag="maeve",
            errors=(400, 404),
        ),
        "delete": operation(
            "deleteCertificate",
            "Delete a stored client certificate (idempotent)",
            {"204": empty_response("Deleted (or never there).")},
            params=[
                param("certificateHash", {**STR, "pattern": r"^[A-Za-z0-9_-]{1,128}$"}, "path")
            ],
            tag="maeve",
        ),
    },
    "/register": {
        "post": operation(
            "registerParty",
            "OCPI: register with a party (with url) or store a registration token",
            {"201": empty_response("Registered.")},
            body=json_body(ref("Registration")),
            tag="maeve",
            errors=(400, 404, 500),
        )
    },
    "/location/{locationId}": {
        "post": operation(
            "registerLocation",
            "OCPI: store a location and push it to every registered eMSP",
            {"201": empty_response("Stored and pushed.")},
            params=[param("locationId", {**STR, "pattern": r"^[A-Za-z0-9._-]{1,36}$"}, "path")],
            body=json_body(ref("Location")),
            tag="maeve",
            errors=(400, 404, 500),
        )
    },
}


def unprefixed_paths() -> dict[str, Schema]:
    """Endpoints outside ``/api/v0`` (as in MaEVe): health and metrics."""
    return {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness",
                "tags": ["maeve"],
                "security": [],
                "responses": {"200": json_response(ref("Health"), "Up.")},
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
                    **error_responses(),
                },
            }
        },
    }
