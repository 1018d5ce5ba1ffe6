"""OCPI registrations and parties."""

from __future__ import annotations

import sqlite3

from core.store.models import OcpiParty, OcpiRegistration
from core.store.sqlite.codecs import upsert
from core.store.sqlite.engine import SqliteEngine


class SqliteOcpiStore(SqliteEngine):
    async def set_registration(self, registration: OcpiRegistration) -> None:
        await self.run(
            lambda c: c.execute(
                upsert("ocpi_registrations", "token, status", "token"),
                (registration.token, registration.status),
            )
        )

    async def lookup_registration(self, token: str) -> OcpiRegistration | None:
        def job(c: sqlite3.Connection) -> OcpiRegistration | None:
            r = c.execute(
                "SELECT token, status FROM ocpi_registrations WHERE token=?", (token,)
            ).fetchone()
            return None if r is None else OcpiRegistration(r[0], r[1])

        return await self.run(job)

    async def delete_registration(self, token: str) -> None:
        await self.run(
            lambda c: c.execute("DELETE FROM ocpi_registrations WHERE token=?", (token,))
        )

    async def set_party(self, party: OcpiParty) -> None:
        await self.run(
            lambda c: c.execute(
                upsert(
                    "ocpi_parties",
                    "role, country_code, party_id, url, token",
                    "role, country_code, party_id",
                ),
                (party.role, party.country_code, party.party_id, party.url, party.token),
            )
        )

    async def lookup_party(self, role: str, country_code: str, party_id: str) -> OcpiParty | None:
        def job(c: sqlite3.Connection) -> OcpiParty | None:
            r = c.execute(
                "SELECT role, country_code, party_id, url, token FROM ocpi_parties WHERE role=?"
                " AND country_code=? AND party_id=?",
                (role, country_code, party_id),
            ).fetchone()
            return None if r is None else OcpiParty(*r)

        return await self.run(job)

    async def list_parties(self, role: str) -> list[OcpiParty]:
        def job(c: sqlite3.Connection) -> list[OcpiParty]:
            rows = c.execute(
                "SELECT role, country_code, party_id, url, token FROM ocpi_parties WHERE role=?"
                " ORDER BY country_code, party_id",
                (role,),
            ).fetchall()
            return [OcpiParty(*r) for r in rows]

        return await self.run(job)
