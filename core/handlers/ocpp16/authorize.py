"""1.6 Authorize: the token's status (Accepted / Invalid / Blocked / Expired) from the service."""

from __future__ import annotations

from typing import Any

from core.services.protocols import TokenAuthoriser


class Authorize:
    def __init__(self, token_auth: TokenAuthoriser) -> None:
        self.token_auth = token_auth

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        return {"idTagInfo": await self.token_auth.authorize_16(request["idTag"])}
