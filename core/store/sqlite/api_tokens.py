"""Admin API tokens (hashes only)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from core.store.models import ApiToken
from core.store.sqlite.codecs import from_ts, req_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteApiTokenStore(SqliteEngine):
    async def add_api_token(self, token: ApiToken) -> None:
        # Creating a token under an existing name replaces it: the old secret and its use
        # record go together.
        await self.run(
            lambda c: c.execute(
                "INSERT INTO api_tokens (name, token_hash, created_at, last_used_at)"
                " VALUES (?,?,?,?)"
                " ON CONFLICT (name) DO UPDATE SET token_hash=excluded.token_hash,"
                " created_at=excluded.created_at, last_used_at=excluded.last_used_at",
                (token.name, token.token_hash, ts(token.created_at), ts(token.last_used_at)),
            )
        )

    async def lookup_api_token(self, token_hash: str) -> ApiToken | None:
        def job(c: sqlite3.Connection) -> ApiToken | None:
            r = c.execute(
                "SELECT name, token_hash, created_at, last_used_at FROM api_tokens"
                " WHERE token_hash=?",
                (token_hash,),
            ).fetchone()
            return None if r is None else ApiToken(r[0], r[1], req_ts(r[2]), from_ts(r[3]))

        return await self.run(job)

    async def list_api_tokens(self) -> list[ApiToken]:
        def job(c: sqlite3.Connection) -> list[ApiToken]:
            rows = c.execute(
                "SELECT name, token_hash, created_at, last_used_at FROM api_tokens ORDER BY name"
            ).fetchall()
            return [ApiToken(r[0], r[1], req_ts(r[2]), from_ts(r[3])) for r in rows]

        return await self.run(job)

    async def touch_api_token(self, token_hash: str, at: datetime) -> None:
        # By hash, not name: a token revoked and created again under the same name meanwhile
        # must not inherit the old one's use.
        await self.run(
            lambda c: c.execute(
                "UPDATE api_tokens SET last_used_at=? WHERE token_hash=?", (ts(at), token_hash)
            )
        )

    async def delete_api_token(self, name: str) -> bool:
        return await self.run(
            lambda c: c.execute("DELETE FROM api_tokens WHERE name=?", (name,)).rowcount > 0
        )
