"""Token authorisation for both OCPP versions, honouring status, expiry, validity and groupId."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import Clock, iso
from core.store.models import CacheMode, Token
from core.store.protocols import TokenStore

# idToken types the CSMS accepts without a lookup (2.0.1 C01): the station or the CSMS itself
# decided; `Local` tokens are only valid on the station, never for the CSMS.
_ACCEPT_WITHOUT_LOOKUP = frozenset({"NoAuthorization", "Central"})


def token_status(token: Token, now: datetime) -> str:
    """Accepted | Blocked | Expired | Invalid — an explicit status wins over `valid`."""
    if token.expiry_date is not None and token.expiry_date <= now:
        return "Expired"
    if token.status:
        return token.status
    return "Accepted" if token.valid else "Invalid"


def id_tag_info(token: Token, now: datetime) -> dict[str, Any]:
    """1.6 IdTagInfo for a token we know."""
    info: dict[str, Any] = {"status": token_status(token, now)}
    if token.expiry_date is not None:
        info["expiryDate"] = iso(token.expiry_date)
    elif token.cache_mode is CacheMode.NEVER:
        info["expiryDate"] = iso(now)
    if token.group_id:
        info["parentIdTag"] = token.group_id[:20]
    return info


def id_token_info(token: Token, now: datetime) -> dict[str, Any]:
    """2.0.1 IdTokenInfo for a token we know."""
    info: dict[str, Any] = {"status": token_status(token, now)}
    if token.group_id:
        info["groupIdToken"] = {"idToken": token.group_id, "type": "Central"}
    if token.language_code:
        info["language1"] = token.language_code
    if token.cache_mode is CacheMode.NEVER:
        info["cacheExpiryDateTime"] = iso(now)
    elif token.expiry_date is not None:
        info["cacheExpiryDateTime"] = iso(token.expiry_date)
    return info


class TokenAuthService:
    def __init__(self, tokens: TokenStore, clock: Clock) -> None:
        self._tokens = tokens
        self._clock = clock

    async def authorize_201(self, id_token: dict[str, Any]) -> dict[str, Any]:
        token_type = id_token.get("type", "")
        if token_type in _ACCEPT_WITHOUT_LOOKUP:
            return {"status": "Accepted"}
        if token_type == "Local":
            return {"status": "Invalid"}
        token = await self._tokens.lookup_token(str(id_token.get("idToken", "")))
        if token is None:
            return {"status": "Unknown"}
        return id_token_info(token, self._clock.now())

    async def authorize_16(self, id_tag: str) -> dict[str, Any]:
        token = await self._tokens.lookup_token(id_tag)
        if token is None:
            return {"status": "Invalid"}
        return id_tag_info(token, self._clock.now())
