"""Bearer-token authentication for the admin API, with failed attempts rate-limited.

Tokens are created by ``csms-tui api-token create`` and stored only as their hex SHA-256, so a
copy of the database does not hand out API access. A token is high-entropy (256 bits), so a fast
unsalted hash is enough; the rate limit stops online guessing from one address.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict, deque
from datetime import datetime, timedelta

from core.clock import Clock
from core.store.models import ApiToken
from core.store.protocols import ApiTokenStore

_WINDOW = timedelta(minutes=1)
_MAX_TRACKED = 10_000


def generate_api_token() -> str:
    return "csms_" + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_api_token(store: ApiTokenStore, name: str, at: datetime) -> str:
    """Create and store a token; returns it (shown once — only its hash is kept)."""
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
            found = await self._tokens.lookup_api_token(hash_api_token(token))
            if found is not None:
                return AuthResult.OK
        self._fail(client)
        return AuthResult.INVALID

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
