"""Bearer-token authentication for the admin API, with failed attempts rate-limited.

Tokens are created by ``csms-tui api-token create`` and stored only as their hex SHA-256, so a
copy of the database does not hand out API access. A token is high-entropy (256 bits), so a fast
unsalted hash is enough; the rate limit stops online guessing from one address.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections import OrderedDict, deque
from datetime import UTC, datetime, timedelta
from typing import Any

from core.clock import Clock
from core.store.models import ApiToken
from core.store.protocols import ApiTokenStore

log = logging.getLogger(__name__)

_WINDOW = timedelta(minutes=1)
_MAX_TRACKED = 10_000
# Last use is recorded at most this often per token. Writing on every request would put a write
# transaction (the SQLite writer thread, a PostgreSQL commit) behind every API call, competing
# with the stations' traffic; "used in the last minute" is as precise as an operator deciding
# whether a token is still in use needs.
LAST_USE_RESOLUTION = timedelta(minutes=1)
# A name is shown in tables and used as a URL path segment (DELETE /api/v0/api-tokens/{name}).
NAME_PATTERN = r"^[A-Za-z0-9._:@-]{1,64}$"
_NAME = re.compile(NAME_PATTERN)


def generate_api_token() -> str:
    return "csms_" + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_json(token: ApiToken) -> dict[str, Any]:
    """What the API shows of a token: never the secret, nor its hash."""
    return {
        "name": token.name,
        "createdAt": _iso(token.created_at),
        "lastUsedAt": None if token.last_used_at is None else _iso(token.last_used_at),
    }


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def api_token_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a token, or None."""
    if _NAME.fullmatch(name) is None:
        return "1-64 characters of A-Z a-z 0-9 . _ : @ -"
    return None


class TokenExists(ValueError):
    """A token of that name exists: replacing it must be asked for."""


async def create_api_token(
    store: ApiTokenStore, name: str, at: datetime, replace: bool = False
) -> str:
    """Create and store a token; returns it (shown once — only its hash is kept). An existing
    name is refused unless ``replace``: replacing silently would cut off whoever uses it."""
    problem = api_token_name_problem(name)
    if problem is not None:
        raise ValueError(f"token name: {problem}")
    if not replace and any(t.name == name for t in await store.list_api_tokens()):
        raise TokenExists(
            f"a token named {name!r} exists: `csms-tui api-token revoke {name}` first, or "
            "create it with --replace (whoever uses the old one is cut off)"
        )
    token = generate_api_token()
    await store.add_api_token(ApiToken(name=name, token_hash=hash_api_token(token), created_at=at))
    return token


class AuthResult:
    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"
    LIMITED = "limited"


class BearerAuth:
    """Checks ``Authorization: Bearer …``. A presented token is always checked, even where
    auth is optional, so a wrong token never silently works as "no token"."""

    def __init__(
        self, tokens: ApiTokenStore, clock: Clock, required: bool, failures_per_minute: int
    ) -> None:
        self._tokens = tokens
        self._clock = clock
        self.required = required
        self._limit = failures_per_minute
        self._failures: OrderedDict[str, deque[datetime]] = OrderedDict()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again (0 = now)."""
        now = self._clock.now()
        failures = self._recent(client, now)
        if len(failures) < self._limit:
            return 0
        return max(1, int((failures[0] + _WINDOW - now).total_seconds()) + 1)

    async def check(self, client: str, header: str | None) -> str:
        if self.retry_after(client):
            return AuthResult.LIMITED
        if header is None:
            return AuthResult.MISSING if self.required else AuthResult.OK
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            # Looked up on every request, never cached: a revoked token stops working at once.
            found = await self._tokens.lookup_api_token(hash_api_token(token))
            if found is not None:
                await self._record_use(found)
                return AuthResult.OK
        self._fail(client)
        return AuthResult.INVALID

    async def _record_use(self, token: ApiToken) -> None:
        now = self._clock.now()
        if token.last_used_at is not None and now - token.last_used_at < LAST_USE_RESOLUTION:
            return
        try:
            await self._tokens.touch_api_token(token.token_hash, now)
        except Exception:  # a missed use record must not refuse a valid request
            log.exception("could not record the use of API token %s", token.name)

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        failures = self._failures.get(client)
        if failures is None:
            return deque()
        while failures and failures[0] + _WINDOW <= now:
            failures.popleft()
        if not failures:
            del self._failures[client]
        return failures

    def _fail(self, client: str) -> None:
        failures = self._failures.setdefault(client, deque())
        self._failures.move_to_end(client)
        failures.append(self._clock.now())
        while len(self._failures) > _MAX_TRACKED:
            self._failures.popitem(last=False)
