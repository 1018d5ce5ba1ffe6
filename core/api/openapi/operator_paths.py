"""The operator endpoints the console and scripts use: station listing and registration,
boot holds, security profiles, calls, reservations, transactions, the message log, bearer tokens
and the event stream."""

from __future__ import annotations

from core import limits, station_id
from core.api.auth import NAME_PATTERN as API_TOKEN_NAME_PATTERN
from core.api.openapi.operations import (
    CS,
    LIMIT,
    SINCE,
    STATION_FILTER,
    WAIT,
    empty_response,
    json_body,
    json_response,
    operation,
    param,
)
from core.api.openapi.schema import BOOL, STATION_ID_PATTERN, STR, Schema, obj, ref, text, whole

PATHS: dict[str, Schema] = {
    "/cs": {
        "get": operation(
            "listChargeStations",
            "Stations with connection state, OCPP version, last seen, connectors and active "
            "transactions",
            {"200": json_response(ref("StationPage"), "A page of stations in id order.")},
            params=[
                param(
                    "after",
                    {**STR, "pattern": STATION_ID_PATTERN},
                    description="The last station id of the previous page.",
                ),
                LIMIT,
                param("connected", BOOL),
                param("version", {"type": "string", "enum": ["1.6", "2.0.1"]}),
                param(
                    "q",
                    {
                        **STR,
                        "pattern": rf"^{station_id.CHARACTER_CLASS}{{0,{limits.STATION_ID.hi}}}$",
                    },
                    description="Substring of the station id.",
                ),
                param(
                    "status",
                    {**STR, "pattern": r"^[A-Za-z]{1,32}$"},
                    description="A connector reports this status.",
                ),
            ],
        )
    },
    "/cs/{csId}/registration": {
        "post": operation(
            "createStationRegistration",
            "Register a new station and get its connection URL and a generated password "
            "(once); for profile 2, a client certificate from the local CA. An existing id is "
            "refused (409): rotate its password with POST .../password",
            {"201": json_response(ref("StationRegistration"), "Registered.")},
            params=[CS],
            body=json_body(ref("StationRegistrationRequest"), required=False),
            errors=(400, 409),
        )
    },
    "/cs/{csId}/pending-boot": {
        "put": operation(
            "holdBoot",
            "Answer the station's next BootNotification with Pending",
            {"204": empty_response("Set.")},
            params=[CS],
            errors=(400, 404),
        ),
        "delete": operation(
            "releaseBoot",
            "Stop answering the station's boots with Pending",
            {"204": empty_response("Released.")},
            params=[CS],
            errors=(400, 404),
        ),
    },
    "/cs/{csId}/security-profile": {
        "put": operation(
            "setSecurityProfile",
            "Change only the security profile the gateway enforces for the station (nothing "
            "is sent to it); to move a connected station up, POST .../security-profile/upgrade",
            {"204": empty_response("Changed.")},
            params=[CS],
            body=json_body(ref("SecurityProfileChange")),
            errors=(400, 404),
        )
    },
    "/calls": {
        "get": operation(
            "listCalls",
            "CSMS-initiated calls, newest first",
            {"200": json_response({"type": "array", "items": ref("CallRecord")}, "Calls.")},
            params=[STATION_FILTER, LIMIT],
        )
    },
    "/calls/{callId}": {
        "get": operation(
            "getCall",
            "A CSMS-initiated call and its state (with `wait`, once it is final)",
            {"200": json_response(ref("CallRecord"), "The call.")},
            params=[param("callId", text(1, 64, segment=True), "path"), WAIT],
            errors=(400, 404),
        )
    },
    "/reservations": {
        "get": operation(
            "listReservations",
            "Reservations, newest first (active: Requested or Accepted and not expired)",
            {"200": json_response({"type": "array", "items": ref("Reservation")}, "A page.")},
            params=[STATION_FILTER, param("active", BOOL), LIMIT],
        )
    },
    "/transactions": {
        "get": operation(
            "listTransactions",
            "Transactions, newest first",
            {
                "200": json_response(
                    {"type": "array", "items": ref("TransactionSummary")}, "A page."
                )
            },
            params=[
                STATION_FILTER,
                param("active", BOOL),
                SINCE,
                LIMIT,
                param("offset", whole(limits.ROW)),
            ],
        )
    },
    "/transactions/{transactionId}": {
        "get": operation(
            "getTransaction",
            "A transaction with meter values and cost",
            {"200": json_response(ref("TransactionDetail"), "The transaction.")},
            params=[
                param("transactionId", text(1, 36, segment=True), "path"),
                param(
                    "station",
                    {**STR, "pattern": STATION_ID_PATTERN},
                    description="Needed when the id exists at several stations.",
                ),
            ],
            errors=(400, 404, 409),
        )
    },
    "/cs/{csId}/transactions/{transactionId}/close": {
        "post": operation(
            "closeTransaction",
            "Close a transaction its station will never end (a station replaced, a stop lost "
            "for good), with the operator's reason: ended now with stopped reason Other and the "
            "energy known so far. The station's own stop, if it comes after all, replaces it",
            {"200": json_response(ref("TransactionSummary"), "The closed transaction.")},
            params=[CS, param("transactionId", text(1, 36, segment=True), "path")],
            body=json_body(
                obj(
                    {
                        "reason": {
                            **text(limits.CLOSE_REASON.lo, limits.CLOSE_REASON.hi),
                            "description": "Why: kept with the transaction and its station event.",
                        }
                    },
                    required=("reason",),
                )
            ),
            errors=(400, 404, 409),
        )
    },
    "/messages": {
        "get": operation(
            "listMessages",
            "The message log, newest first",
            {"200": json_response({"type": "array", "items": ref("Message")}, "A page.")},
            params=[
                STATION_FILTER,
                param("action", {**STR, "pattern": r"^[A-Za-z0-9]{1,64}$"}),
                param("direction", {"type": "string", "enum": ["in", "out"]}),
                SINCE,
                param(
                    "before",
                    whole(limits.ROW, 1),
                    description="The last id of the previous page.",
                ),
                param("errors", BOOL, description="Only CALLERRORs."),
                LIMIT,
            ],
        )
    },
    "/api-tokens": {
        "get": operation(
            "listApiTokens",
            "The admin API's bearer tokens, by name, with when each was created and last used "
            "(never the secret nor its hash; create them with `csms-tui api-token create`)",
            {"200": json_response({"type": "array", "items": ref("ApiToken")}, "The tokens.")},
        )
    },
    "/api-tokens/{name}": {
        "delete": operation(
            "revokeApiToken",
            "Revoke a bearer token: requests carrying it are refused from now on",
            {"204": empty_response("Revoked.")},
            params=[param("name", {**STR, "pattern": API_TOKEN_NAME_PATTERN}, "path")],
            errors=(400, 404),
        )
    },
    "/events": {
        "get": operation(
            "streamEvents",
            "The core's events as server-sent events (`event:` kind, `data:` JSON, `id:` seq)",
            {
                "200": {
                    "description": "An endless event stream.",
                    "content": {"text/event-stream": {"schema": STR}},
                }
            },
            params=[
                STATION_FILTER,
                param(
                    "kind",
                    STR,
                    description="Comma-separated event kinds (station_connected, message, …).",
                ),
            ],
        )
    },
}
