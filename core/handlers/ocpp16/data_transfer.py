"""1.6 DataTransfer, including the OCA PnC tunnel: vendor ``org.openchargealliance.iso15118pnc``
carries a 2.0.1 message (messageId = action) as a JSON string in ``data``; it is validated against
the 2.0.1 schema, handled by the injected 2.0.1 handler, and answered as a JSON string."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from core.handlers.types import CallHandler
from core.ocpp.errors import RpcError
from core.schemas import Direction, SchemaSet, validate

log = logging.getLogger(__name__)


class DataTransfer:
    def __init__(self, tunnels: dict[str, tuple[SchemaSet, dict[str, CallHandler]]]) -> None:
        # vendorId -> (schema set of the inner messages, handlers by messageId)
        self.tunnels = tunnels

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        tunnel = self.tunnels.get(request["vendorId"])
        if tunnel is None:
            return {"status": "UnknownVendorId"}
        schema_set, handlers = tunnel
        message_id = request.get("messageId", "")
        handler = handlers.get(message_id)
        if handler is None:
            return {"status": "UnknownMessageId"}
        try:
            inner = orjson.loads(request.get("data") or "")
            if not isinstance(inner, dict):
                raise ValueError("data is not a JSON object")
            validate(schema_set, message_id, Direction.REQUEST, inner)
        except (ValueError, RpcError) as exc:
            # A malformed inner message is the station's error, not ours: reject, don't crash.
            log.info("%s rejected %s/%s: %s", station_id, request["vendorId"], message_id, exc)
            return {"status": "Rejected", "data": orjson.dumps({"error": str(exc)[:200]}).decode()}
        response = await handler(station_id, inner)
        return {"status": "Accepted", "data": orjson.dumps(response).decode()}
