"""The token list authorisation checks (MaEVe's ``/token`` endpoints)."""

from __future__ import annotations

from core import limits
from core.application.base import ServiceBase
from core.application.errors import Invalid, NotFound
from core.application.rules import check_aware, check_int
from core.application.views import TokenInput, TokenView, token_view
from core.store.models import CacheMode, Token


class TokenAdmin(ServiceBase):
    """Create or update, read, page through and delete tokens."""

    async def set_token(self, token: TokenInput) -> TokenView:
        """Upsert by uid; the contract id is normalised (eMAID) or rejected."""
        try:
            contract_id = self._normalise_emaid(token.contract_id)
        except ValueError as exc:
            raise Invalid(str(exc), field="contractId") from exc
        check_aware(token.expiry_date, "expiryDate")
        stored = Token(
            country_code=token.country_code,
            party_id=token.party_id,
            type=token.type,
            uid=token.uid,
            contract_id=contract_id,
            issuer=token.issuer,
            valid=token.valid,
            cache_mode=CacheMode(token.cache_mode),
            visual_number=token.visual_number,
            group_id=token.group_id,
            language_code=token.language_code,
            status=token.status,
            expiry_date=token.expiry_date,
        )
        await self._store.set_token(stored)
        return await self.get_token(token.uid)

    async def get_token(self, uid: str) -> TokenView:
        token = await self._store.lookup_token(uid)
        if token is None:
            raise NotFound(f"no token {uid}", field="tokenUid")
        return token_view(token)

    async def list_tokens(self, offset: int = 0, limit: int = 20) -> list[TokenView]:
        check_int(offset, limits.ROW, "offset")
        if limit < 1:
            raise Invalid("must be at least 1", field="limit")
        # The seed clamps the page size to 100 rather than refusing larger ones.
        return [token_view(t) for t in await self._store.list_tokens(offset, min(limit, 100))]

    async def delete_token(self, uid: str) -> None:
        if not await self._store.delete_token(uid):
            raise NotFound(f"no token {uid}", field="tokenUid")
