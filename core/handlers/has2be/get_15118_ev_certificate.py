"""Has2Be Get15118EVCertificate → 2.0.1 (action is always Install in this dialect)."""

from __future__ import annotations

from typing import Any

from core.handlers.types import CallHandler


class Get15118EVCertificate:
    def __init__(self, inner: CallHandler) -> None:
        self.inner = inner

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        version = request.get("15118SchemaVersion") or request.get("iso15118SchemaVersion") or ""
        return await self.inner(
            station_id,
            {
                "iso15118SchemaVersion": version,
                "action": "Install",
                "exiRequest": request["exiRequest"],
            },
        )
