"""Certificates to install on stations, and client certificates by hash."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.store.models import CertificateStatus, CertificateType, InstallCertificate
from core.store.sqlite.codecs import certificate_hash, from_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteCertificateStore(SqliteEngine):
    async def upsert_install_certificates(
        self, station_id: str, certificates: Sequence[InstallCertificate]
    ) -> None:
        rows = [
            (
                station_id,
                ic.certificate_id,
                ic.certificate_type.value,
                ic.certificate_data,
                ic.status.value,
                ts(ic.send_after),
                ic.attempts,
            )
            for ic in certificates
        ]

        def job(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO install_certificates (station_id, certificate_id, certificate_type,"
                " certificate_data, status, send_after, attempts) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT (station_id, certificate_id) DO UPDATE SET"
                " certificate_type=excluded.certificate_type,"
                " certificate_data=excluded.certificate_data, status=excluded.status,"
                " send_after=excluded.send_after, attempts=excluded.attempts",
                rows,
            )

        await self.run(job)

    @staticmethod
    def _install_cert(r: tuple[Any, ...]) -> InstallCertificate:
        return InstallCertificate(
            certificate_id=r[0],
            certificate_type=CertificateType(r[1]),
            certificate_data=r[2],
            status=CertificateStatus(r[3]),
            send_after=from_ts(r[4]),
            attempts=r[5],
        )

    async def lookup_install_certificates(self, station_id: str) -> list[InstallCertificate]:
        def job(c: sqlite3.Connection) -> list[InstallCertificate]:
            rows = c.execute(
                "SELECT certificate_id, certificate_type, certificate_data, status, send_after,"
                " attempts FROM install_certificates WHERE station_id=? ORDER BY certificate_id",
                (station_id,),
            ).fetchall()
            return [self._install_cert(r) for r in rows]

        return await self.run(job)

    async def claim_due_install_certificates(
        self, now: datetime, lease_until: datetime, limit: int = 50
    ) -> dict[str, list[InstallCertificate]]:
        def job(c: sqlite3.Connection) -> dict[str, list[InstallCertificate]]:
            rows = c.execute(
                "UPDATE install_certificates SET send_after=?, attempts=attempts+1"
                " WHERE (station_id, certificate_id) IN (SELECT station_id, certificate_id"
                " FROM install_certificates WHERE status='Pending'"
                " AND (send_after IS NULL OR send_after<=?) ORDER BY station_id, certificate_id"
                f" LIMIT ?{self.SKIP_LOCKED}) RETURNING station_id, certificate_id, certificate_type,"
                " certificate_data, status, send_after, attempts",
                (ts(lease_until), ts(now), limit),
            ).fetchall()
            out: dict[str, list[InstallCertificate]] = {}
            for r in sorted(rows):
                out.setdefault(r[0], []).append(self._install_cert(r[1:]))
            return out

        return await self.run(job)

    async def set_certificate(self, pem: str) -> str:
        key = certificate_hash(pem)
        await self.run(
            lambda c: c.execute(
                "INSERT INTO certificates (hash, pem) VALUES (?,?)"
                " ON CONFLICT (hash) DO UPDATE SET pem=excluded.pem",
                (key, pem),
            )
        )
        return key

    async def lookup_certificate(self, certificate_hash: str) -> str | None:
        def job(c: sqlite3.Connection) -> str | None:
            row = c.execute(
                "SELECT pem FROM certificates WHERE hash=?", (certificate_hash,)
            ).fetchone()
            return None if row is None else str(row[0])

        return await self.run(job)

    async def delete_certificate(self, certificate_hash: str) -> None:
        await self.run(
            lambda c: c.execute("DELETE FROM certificates WHERE hash=?", (certificate_hash,))
        )
