"""Authorisation tokens (OCPI-shaped), by uid."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from core.store.models import CacheMode, Token
from core.store.sqlite.codecs import from_ts, ts, upsert
from core.store.sqlite.engine import SqliteEngine


class SqliteTokenStore(SqliteEngine):
    _TOKEN_COLS = (
        "country_code, party_id, type, uid, contract_id, issuer, valid, cache_mode,"
        " visual_number, group_id, language_code, status, expiry_date, last_updated"
    )

    @staticmethod
    def _token(r: tuple[Any, ...]) -> Token:
        return Token(
            country_code=r[0],
            party_id=r[1],
            type=r[2],
            uid=r[3],
            contract_id=r[4],
            issuer=r[5],
            valid=bool(r[6]),
            cache_mode=CacheMode(r[7]),
            visual_number=r[8],
            group_id=r[9],
            language_code=r[10],
            status=r[11],
            expiry_date=from_ts(r[12]),
            last_updated=from_ts(r[13]),
        )

    async def set_token(self, token: Token) -> None:
        now = ts(datetime.now(UTC))

        def job(c: sqlite3.Connection) -> None:
            c.execute(
                upsert("tokens", self._TOKEN_COLS, "uid"),
                (
                    token.country_code,
                    token.party_id,
                    token.type,
                    token.uid,
                    token.contract_id,
                    token.issuer,
                    int(token.valid),
                    token.cache_mode.value,
                    token.visual_number,
                    token.group_id,
                    token.language_code,
                    token.status,
                    ts(token.expiry_date),
                    now,
                ),
            )

        await self.run(job)

    async def lookup_token(self, uid: str) -> Token | None:
        def job(c: sqlite3.Connection) -> Token | None:
            r = c.execute(
                f"SELECT {self._TOKEN_COLS} FROM tokens WHERE uid=?",
                (uid,),
            ).fetchone()
            return None if r is None else self._token(r)

        return await self.run(job)

    async def list_tokens(self, offset: int = 0, limit: int = 20) -> list[Token]:
        def job(c: sqlite3.Connection) -> list[Token]:
            rows = c.execute(
                f"SELECT {self._TOKEN_COLS} FROM tokens ORDER BY uid LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            return [self._token(r) for r in rows]

        return await self.run(job)

    async def delete_token(self, uid: str) -> bool:
        return await self.run(
            lambda c: c.execute("DELETE FROM tokens WHERE uid=?", (uid,)).rowcount > 0
        )
