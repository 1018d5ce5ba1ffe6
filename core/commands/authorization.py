"""Commands on what a station authorises by itself: its local list and cache, and 2.0.1
customer information."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from core import limits
from core.application.errors import Invalid
from core.application.rules import new_request_id
from core.application.views import CallView
from core.commands.base import V201_ONLY, Command, CommandContext
from core.commands.fields import CustomerIdentifier, IdTokenText, IdTokenType, ListVersion
from core.ocpp.types import JsonObject, OcppVersion
from core.services.token_auth import id_tag_info, id_token_info, ocpp201_token_type
from core.store.models import CacheMode, Token


class GetLocalListVersion(Command[CallView]):
    name: ClassVar[str] = "get_local_list_version"
    path: ClassVar[str] = "get-local-list-version"
    title: ClassVar[str] = "Get local list version"
    summary: ClassVar[str] = "GetLocalListVersion"

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        return "GetLocalListVersion", {}


class SendLocalList(Command[CallView]):
    """SendLocalList built from our tokens (status, expiry, group as authorisation gives them).
    Full: ``tokens`` or, when absent, every token that may be cached (not whitelist NEVER); an
    empty list empties the station's list. Differential: ``tokens`` updated, ``remove``
    deleted. Without ``version``, the station's version + 1 (GetLocalListVersion first)."""

    name: ClassVar[str] = "send_local_list"
    path: ClassVar[str] = "local-list"
    title: ClassVar[str] = "Send local list"
    summary: ClassVar[str] = "SendLocalList from the token list; the version follows the station's"

    update_type: Literal["Full", "Differential"] = Field("Full", title="Update")
    tokens: list[IdTokenText] | None = Field(
        None,
        title="Tokens",
        description="Token uids to send (Full without it: every cacheable token).",
        max_length=limits.LOCAL_LIST_TOKENS,
    )
    remove: list[IdTokenText] = Field(
        default_factory=list, title="Remove (Differential)", max_length=limits.LOCAL_LIST_TOKENS
    )
    version: ListVersion | None = Field(None, title="List version (empty: the station's + 1)")

    @model_validator(mode="after")
    def _consistent(self) -> SendLocalList:
        if self.update_type == "Full" and self.remove:
            raise Invalid("a Full list replaces everything: nothing to remove", field="remove")
        if self.update_type == "Differential" and not self.tokens and not self.remove:
            raise Invalid("name the tokens to update or remove", field="tokens")
        return self

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> CallView:
        station_version = await ctx.connected_version(station_id)
        uids = self.tokens if self.update_type == "Full" else self.tokens or []
        tokens = await _local_list_tokens(ctx, uids)
        version = self.version
        if version is None:
            version = await _next_list_version(ctx, station_id, origin)
        now = ctx.clock.now()
        v16 = station_version is OcppVersion.V16
        entries: list[JsonObject] = []
        for token in tokens:
            if v16 and len(token.uid) > 20 and uids is None:
                continue  # a 1.6 idTag holds at most 20 characters: such a token cannot be listed
            if v16:
                entries.append({"idTag": token.uid, "idTagInfo": id_tag_info(token, now)})
            else:
                entries.append(
                    {
                        "idToken": {"idToken": token.uid, "type": ocpp201_token_type(token.type)},
                        "idTokenInfo": id_token_info(token, now),
                    }
                )
        for uid in self.remove:
            entries.append(
                {"idTag": uid} if v16 else {"idToken": {"idToken": uid, "type": "ISO14443"}}
            )
        request: JsonObject = (
            {"listVersion": version, "updateType": self.update_type}
            if v16
            else {"versionNumber": version, "updateType": self.update_type}
        )
        if entries:
            request["localAuthorizationList"] = entries
        return await ctx.command(station_id, lambda v: ("SendLocalList", request), wait, origin)


async def _local_list_tokens(ctx: CommandContext, uids: list[str] | None) -> list[Token]:
    """The named tokens, or (None) every token that may be cached."""
    if uids is None:
        found: list[Token] = []
        offset = 0
        while offset < 100_000:
            page = await ctx.store.list_tokens(offset, 100)
            found += [t for t in page if t.cache_mode is not CacheMode.NEVER]
            if len(page) < 100:
                break
            offset += len(page)
        return found
    tokens: list[Token] = []
    for i, uid in enumerate(uids):
        token = await ctx.store.lookup_token(uid)
        if token is None:
            raise Invalid(f"unknown token {uid}", field=f"tokens/{i}")
        tokens.append(token)
    return tokens


async def _next_list_version(ctx: CommandContext, station_id: str, origin: str) -> int:
    """The station's list version + 1; 1 when it has none, does not say, cannot, or is at the
    end of the 32-bit range."""
    record = await GetLocalListVersion().run(ctx, station_id, 10, origin)
    response = record.response or {}
    current = response.get("listVersion", response.get("versionNumber"))
    if isinstance(current, int) and 0 <= current < limits.LIST_VERSION.hi:
        return current + 1
    return 1


class ClearCache(Command[CallView]):
    name: ClassVar[str] = "clear_cache"
    path: ClassVar[str] = "clear-cache"
    title: ClassVar[str] = "Clear authorisation cache"
    summary: ClassVar[str] = "ClearCache"
    confirm: ClassVar[bool] = True

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        return "ClearCache", {}


class CustomerInformation(Command[CallView]):
    """2.0.1 CustomerInformation about one customer (an identifier or an id token): report it
    (arrives as NotifyCustomerInformation events) and/or clear it on the station."""

    name: ClassVar[str] = "customer_information"
    path: ClassVar[str] = "customer-information"
    title: ClassVar[str] = "Customer information (2.0.1)"
    summary: ClassVar[str] = "2.0.1 CustomerInformation: report and/or clear one customer's data"
    versions = V201_ONLY
    feature: ClassVar[str] = "CustomerInformation"
    confirm: ClassVar[bool] = True

    report: bool = Field(title="Report")
    clear: bool = Field(title="Clear")
    customer_identifier: CustomerIdentifier | None = Field(None, title="Customer identifier")
    id_token: IdTokenText | None = Field(None, title="Id token")
    token_type: IdTokenType = Field("ISO14443", title="Token type")

    @model_validator(mode="after")
    def _consistent(self) -> CustomerInformation:
        if not (self.report or self.clear):
            raise Invalid("ask for a report, a clear or both", field="report")
        if (self.customer_identifier is None) == (self.id_token is None):
            raise Invalid("name the customer by customerIdentifier or by idToken", field="idToken")
        return self

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        request: JsonObject = {
            "requestId": new_request_id(),
            "report": self.report,
            "clear": self.clear,
        }
        if self.customer_identifier is not None:
            request["customerIdentifier"] = self.customer_identifier
        else:
            request["idToken"] = {"idToken": self.id_token, "type": self.token_type}
        return "CustomerInformation", request
