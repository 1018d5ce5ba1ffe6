"""Credentials: who may call us, whom we call, and the token A/B/C handshakes both ways.

Tokens we hand out are stored as registrations (``PENDING`` = a token A that may only
register; ``REGISTERED`` = a token B/C for everything else). Parties we call are stored with the
versions URL and the token *they* gave us. A party we have forgotten (DELETE credentials) keeps
its row with an empty URL, because the store has no delete for parties; such rows are skipped.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import string
from dataclasses import dataclass

from pydantic import ValidationError

from core.config import OcpiConfig
from core.ocpi.client import PeerClient, find_endpoint
from core.ocpi.envelope import OcpiError, PeerError, Unauthorized
from core.ocpi.models import (
    BusinessDetails,
    Credentials,
    CredentialsRole,
    Endpoint,
    VersionDetails,
)
from core.store.models import OcpiParty, OcpiRegistration
from core.store.protocols import OcpiStore

log = logging.getLogger(__name__)

PENDING = "PENDING"
REGISTERED = "REGISTERED"
VERSION = "2.2.1"
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "-"


def generate_token(length: int = 64) -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(length))


def token_from_header(value: str | None) -> list[str]:
    """The candidate tokens of an ``Authorization: Token …`` header: the base64-decoded form
    (OCPI 2.2.1) first, then the raw form (the seed's OCPI 2.2 and many 2.1.1 peers)."""
    if not value:
        return []
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "token" or not credential:
        return []
    candidates = []
    try:
        decoded = base64.b64decode(credential, validate=True).decode("ascii")
        if decoded.isprintable() and decoded:
            candidates.append(decoded)
    except (binascii.Error, UnicodeDecodeError):
        pass
    candidates.append(credential)
    return candidates


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request's token and whether it may only register (token A)."""

    token: str
    pending: bool


class Registrar:
    def __init__(self, config: OcpiConfig, store: OcpiStore, client: PeerClient) -> None:
        self.config = config
        self._store = store
        self._client = client
        # Which parties a token we issued belongs to (for PUT/DELETE credentials). Kept in
        # memory: after a restart, DELETE still revokes the token but cannot name the party.
        self._links: dict[str, list[OcpiParty]] = {}
        self._details: dict[tuple[str, str], VersionDetails] = {}

    # -- what we announce ------------------------------------------------------------------------

    @property
    def versions_url(self) -> str:
        return f"{self.config.external_url.rstrip('/')}/ocpi/versions"

    def our_credentials(self, token: str) -> Credentials:
        name = self.config.business_name or f"{self.config.country_code}*{self.config.party_id}"
        return Credentials(
            token=token,
            url=self.versions_url,
            roles=[
                CredentialsRole(
                    role="CPO",
                    country_code=self.config.country_code,
                    party_id=self.config.party_id,
                    business_details=BusinessDetails(name=name),
                )
            ],
        )

    # -- inbound authentication ------------------------------------------------------------------

    async def authenticate(self, header: str | None) -> Caller:
        candidates = token_from_header(header)
        if not candidates:
            raise Unauthorized("missing or malformed Authorization header (want: Token <token>)")
        for token in candidates:
            registration = await self._store.lookup_registration(token)
            if registration is not None:
                return Caller(token, registration.status.upper() == PENDING)
        raise Unauthorized("unknown credentials token")

    async def store_registration(self, token: str, status: str | None) -> None:
        """The admin API's ``/register`` without a URL: a token A for a party to register with."""
        chosen = (status or PENDING).upper()
        if chosen not in (PENDING, REGISTERED):
            raise ValueError(f"status must be PENDING or REGISTERED, got {status!r}")
        if not token:
            raise ValueError("token must not be empty")
        await self._store.set_registration(OcpiRegistration(token, chosen))

    # -- the party registers with us (we are the server of the handshake) -------------------------

    async def accept(self, caller: Caller, body: object) -> Credentials:
        """POST credentials: the caller (token A) gives us token B and its versions URL."""
        if not caller.pending:
            raise OcpiError("already registered: use PUT to update credentials", http=405)
        credentials = _parse_credentials(body)
        our_token = await self._connect(credentials)
        await self._store.delete_registration(caller.token)
        return self.our_credentials(our_token)

    async def update(self, caller: Caller, body: object) -> Credentials:
        """PUT credentials: a registered party gives us new details; it gets a new token."""
        if caller.pending:
            raise OcpiError("not registered yet: use POST to register", http=405)
        credentials = _parse_credentials(body)
        our_token = await self._connect(credentials)
        await self._store.delete_registration(caller.token)
        self._links.pop(caller.token, None)
        return self.our_credentials(our_token)

    async def unregister(self, caller: Caller) -> None:
        """DELETE credentials: revoke the caller's token and stop calling its parties."""
        if caller.pending:
            raise OcpiError("not registered", http=405)
        await self._store.delete_registration(caller.token)
        for party in self._links.pop(caller.token, []):
            await self._store.set_party(
                OcpiParty(party.role, party.country_code, party.party_id, "", "")
            )

    async def _connect(self, credentials: Credentials) -> str:
        """Reach the party with its token B, store it, issue our token C."""
        details = await self._client.version_details(credentials.url, credentials.token)
        if find_endpoint_any(details, "credentials") is None:
            raise PeerError(f"{credentials.url} announces no credentials endpoint")
        parties = await self._store_parties(credentials, details)
        our_token = generate_token()
        await self._store.set_registration(OcpiRegistration(our_token, REGISTERED))
        self._links[our_token] = parties
        log.info("OCPI: registered %s", ", ".join(_name(p) for p in parties))
        return our_token

    async def _store_parties(
        self, credentials: Credentials, details: VersionDetails
    ) -> list[OcpiParty]:
        parties = [
            OcpiParty(r.role, r.country_code, r.party_id, credentials.url, credentials.token)
            for r in credentials.roles
        ]
        for party in parties:
            await self._store.set_party(party)
            self._details[(party.url, party.token)] = details
        return parties

    # -- we register with a party (we are the client of the handshake) ----------------------------

    async def register_with(self, versions_url: str, token_a: str) -> list[OcpiParty]:
        """The admin API's ``/register`` with a URL: token A from the party, handshake, store."""
        if not token_a:
            raise ValueError("token must not be empty")
        if await self._store.lookup_registration(token_a) is not None:
            raise ValueError("this token is one of ours (already registered here)")
        details = await self._client.version_details(versions_url, token_a)
        endpoint = find_endpoint_any(details, "credentials")
        if endpoint is None:
            raise PeerError(f"{versions_url} announces no credentials endpoint")
        token_b = generate_token()
        # Stored before the POST: the party fetches our versions with token B meanwhile.
        await self._store.set_registration(OcpiRegistration(token_b, REGISTERED))
        try:
            theirs = await self._post_credentials(endpoint.url, token_a, token_b)
            their_details = await self._client.version_details(theirs.url, theirs.token)
            parties = await self._store_parties(theirs, their_details)
        except BaseException:
            await self._store.delete_registration(token_b)
            raise
        self._links[token_b] = parties
        log.info("OCPI: registered with %s", ", ".join(_name(p) for p in parties))
        return parties

    async def _post_credentials(self, url: str, token_a: str, token_b: str) -> Credentials:
        ours = self.our_credentials(token_b).to_json()
        reply = await self._client.request("POST", url, token_a, ours)
        if not reply.ok:
            raise PeerError(f"POST {url}: {reply.describe()}")
        try:
            return Credentials.model_validate(reply.body.get("data"))
        except ValidationError as exc:
            raise PeerError(f"POST {url} answered no credentials: {_first_error(exc)}") from exc

    # -- parties we push to ------------------------------------------------------------------------

    async def parties(self, role: str = "EMSP") -> list[OcpiParty]:
        return [p for p in await self._store.list_parties(role) if p.url and p.token]

    async def party(self, role: str, country_code: str, party_id: str) -> OcpiParty | None:
        found = await self._store.lookup_party(role, country_code, party_id)
        return found if found is not None and found.url and found.token else None

    async def endpoint(self, party: OcpiParty, identifier: str, role: str = "RECEIVER") -> str:
        """The party's URL of a module (cached; discovered with its versions on first use)."""
        key = (party.url, party.token)
        details = self._details.get(key)
        if details is None:
            details = await self._client.version_details(party.url, party.token)
            self._details[key] = details
        found = find_endpoint(details, identifier, role)
        if found is None:
            raise PeerError(f"{_name(party)} has no {identifier} {role.lower()} endpoint")
        return found.url


def find_endpoint_any(details: VersionDetails, identifier: str) -> Endpoint | None:
    """Credentials is announced with either role by different implementations."""
    return find_endpoint(details, identifier, "SENDER") or find_endpoint(
        details, identifier, "RECEIVER"
    )


def _parse_credentials(body: object) -> Credentials:
    try:
        return Credentials.model_validate(body)
    except ValidationError as exc:
        raise OcpiError(f"invalid credentials object: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "body"
    return f"{where}: {error['msg']}"


def _name(party: OcpiParty) -> str:
    return f"{party.role} {party.country_code}*{party.party_id}"
