"""Has2Be Authorize → 2.0.1 Authorize. Only two certificate statuses exist in the dialect:
Accepted, or CertificateRevoked for any other outcome. A token that is not accepted simply has no
certificate status (the seed dereferenced it and crashed)."""

from __future__ import annotations

from typing import Any

from core.handlers.types import CallHandler


class Authorize:
    def __init__(self, inner: CallHandler) -> None:
        self.inner = inner

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        converted: dict[str, Any] = {"idToken": request["idToken"]}
        if "15118CertificateHashData" in request:
            converted["iso15118CertificateHashData"] = request["15118CertificateHashData"]
        if "certificate" in request:
            converted["certificate"] = request["certificate"]
        result = await self.inner(station_id, converted)
        info = result["idTokenInfo"]
        response: dict[str, Any] = {"idTokenInfo": {"status": info["status"]}}
        if "cacheExpiryDateTime" in info:
            response["idTokenInfo"]["cacheExpiryDateTime"] = info["cacheExpiryDateTime"]
        if "certificateStatus" in result:
            accepted = result["certificateStatus"] == "Accepted"
            response["certificateStatus"] = "Accepted" if accepted else "CertificateRevoked"
        return response
