"""Real-time authorisation: a token we do not know (or one the eMSP says must never be
whitelisted) is asked of the eMSPs (POST ``{tokens}/{uid}/authorize``) before we answer the
station. Wraps the local :class:`~core.services.protocols.TokenAuthoriser`."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from pydantic import ValidationError

from core.ocpi.client import PeerClient, Route
from core.ocpi.envelope import PeerError, Status
from core.ocpi.mapping import token_to_store
from core.ocpi.models import AuthorizationInfo, OcpiToken
from core.ocpi.registration import Registrar
from core.services.protocols import TokenAuthoriser
from core.store.models import CacheMode
from core.store.protocols import TokenStore

log = logging.getLogger(__name__)

# OCPI AllowedType → OCPP authorisation status (1.6 and 2.0.1 share these names).
_ALLOWED = {
    "ALLOWED": "Accepted",
    "BLOCKED": "Blocked",
    "EXPIRED": "Expired",
    "NO_CREDIT": "Invalid",
    "NOT_ALLOWED": "Invalid",
}
_OCPP_TO_OCPI_TYPE = {"ISO14443": "RFID", "ISO15693": "RFID", "eMAID": "APP_USER"}


class RealTimeAuthoriser:
    def __init__(
        self,
        local: TokenAuthoriser,
        tokens: TokenStore,
        registrar: Registrar,
        client: PeerClient,
        country_code: str,
        party_id: str,
    ) -> None:
        self._local = local
        self._tokens = tokens
        self._registrar = registrar
        self._client = client
        self._us = (country_code, party_id)

    async def authorize_16(self, id_tag: str) -> dict[str, Any]:
        if not await self._ask_emsp(id_tag):
            return await self._local.authorize_16(id_tag)
        status = await self.ask(id_tag, "RFID")
        return {"status": status} if status else await self._local.authorize_16(id_tag)

    async def authorize_201(self, id_token: dict[str, Any]) -> dict[str, Any]:
        uid = str(id_token.get("idToken", ""))
        kind = _OCPP_TO_OCPI_TYPE.get(str(id_token.get("type", "")))
        if kind is None or not await self._ask_emsp(uid):
            return await self._local.authorize_201(id_token)
        status = await self.ask(uid, kind)
        return {"status": status} if status else await self._local.authorize_201(id_token)

    async def _ask_emsp(self, uid: str) -> bool:
        """Unknown tokens and NEVER-whitelisted ones need the eMSP's word."""
        token = await self._tokens.lookup_token(uid)
        return token is None or token.cache_mode is CacheMode.NEVER

    async def ask(self, uid: str, token_type: str) -> str | None:
        """The OCPP status the eMSPs give ``uid``, or None when none knows it / none answered."""
        for party in await self._registrar.parties("EMSP"):
            try:
                base = await self._registrar.endpoint(party, "tokens", "SENDER")
                url = f"{base.rstrip('/')}/{uid}/authorize?type={token_type}"
                route = Route(*self._us, party.country_code, party.party_id)
                reply = await self._client.request("POST", url, party.token, None, route, retries=0)
            except PeerError as exc:
                log.warning("OCPI real-time authorisation of %s: %s", uid, exc.message)
                continue
            if reply.http_status == 404 or reply.body.get("status_code") == Status.UNKNOWN_TOKEN:
                continue
            if not reply.ok:
                log.warning("OCPI real-time authorisation of %s: %s", uid, reply.describe())
                continue
            try:
                info = AuthorizationInfo.model_validate(reply.body.get("data"))
            except ValidationError:
                log.warning("OCPI real-time authorisation of %s: no AuthorizationInfo", uid)
                continue
            status = _ALLOWED.get(info.allowed, "Invalid")
            await self._remember(info, status)
            return status
        return None

    async def _remember(self, info: AuthorizationInfo, status: str) -> None:
        """Keep the eMSP's token so the session we push later names its owner — with the
        eMSP's verdict, so a token it refused is not accepted locally next time."""
        if info.token is None:
            return
        try:
            token = token_to_store(OcpiToken.model_validate(info.token))
        except ValidationError:
            log.info("OCPI: the eMSP's token object is incomplete; not stored")
            return
        if status != "Accepted":
            token = dataclasses.replace(token, status=status, valid=False)
        await self._tokens.set_token(token)
