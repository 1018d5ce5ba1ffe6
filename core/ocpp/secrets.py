"""Keep station passwords out of logs and records (OCPP 2.0.1 A01.FR.09: never log passwords).

A password rotation sends the new password to the station (1.6 ChangeConfiguration
AuthorizationKey, 2.0.1 SetVariables SecurityCtrlr/BasicAuthPassword). The frame on the wire must
carry it; every copy we keep — message log, events, call records, stored settings — must not."""

from __future__ import annotations

from typing import Any

REDACTED = "********"
_SECRET_KEYS_16 = frozenset({"AuthorizationKey"})
_SECRET_VARIABLES_201 = frozenset({"BasicAuthPassword"})


def redact(action: str, payload: Any) -> Any:
    """A copy of ``payload`` with secrets replaced; the original is returned when there are none."""
    if not isinstance(payload, dict):
        return payload
    if action == "ChangeConfiguration" and payload.get("key") in _SECRET_KEYS_16:
        return {**payload, "value": REDACTED}
    if action == "SetVariables" and isinstance(payload.get("setVariableData"), list):
        items = payload["setVariableData"]
        if any(_secret_variable(i) for i in items):
            return {
                **payload,
                "setVariableData": [
                    {**i, "attributeValue": REDACTED} if _secret_variable(i) else i for i in items
                ],
            }
    return payload


def _secret_variable(item: Any) -> bool:
    return isinstance(item, dict) and item.get("variable", {}).get("name") in _SECRET_VARIABLES_201
