"""Has2Be GetCertificateStatus → 2.0.1 GetCertificateStatus (same fields)."""

from __future__ import annotations

from typing import Any

from core.handlers.types import CallHandler


class GetCertificateStatus:
    def __init__(self, inner: CallHandler) -> None:
        self.inner = inner

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        return await self.inner(station_id, {"ocspRequestData": request["ocspRequestData"]})
