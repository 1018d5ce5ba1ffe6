"""Reservations of EVSEs."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from core.store.models import Reservation, ReservationStatus
from core.store.sqlite.codecs import req_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteReservationStore(SqliteEngine):
    _RESERVATION_COLS = (
        "reservation_id, station_id, evse_id, id_token, token_type, group_id, expires_at,"
        " status, created_at, updated_at, external_id"
    )

    @staticmethod
    def _reservation(r: tuple[Any, ...]) -> Reservation:
        return Reservation(
            reservation_id=r[0],
            station_id=r[1],
            evse_id=r[2],
            id_token=r[3],
            token_type=r[4],
            group_id=r[5],
            expires_at=req_ts(r[6]),
            status=ReservationStatus(r[7]),
            created_at=req_ts(r[8]),
            updated_at=req_ts(r[9]),
            external_id=r[10],
        )

    async def add_reservation(self, reservation: Reservation) -> int:
        res = reservation

        def job(c: sqlite3.Connection) -> int:
            row = c.execute(
                "INSERT INTO reservations (station_id, evse_id, id_token, token_type, group_id,"
                " expires_at, status, created_at, updated_at, external_id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING reservation_id",
                (
                    res.station_id,
                    res.evse_id,
                    res.id_token,
                    res.token_type,
                    res.group_id,
                    ts(res.expires_at),
                    res.status.value,
                    ts(res.created_at),
                    ts(res.updated_at),
                    res.external_id,
                ),
            ).fetchone()
            return int(row[0])

        res.reservation_id = await self.run(job)
        return res.reservation_id

    async def set_reservation_status(
        self, reservation_id: int, status: ReservationStatus, at: datetime
    ) -> None:
        await self.run(
            lambda c: c.execute(
                "UPDATE reservations SET status=?, updated_at=? WHERE reservation_id=?",
                (status.value, ts(at), reservation_id),
            )
        )

    async def lookup_reservation(self, reservation_id: int) -> Reservation | None:
        def job(c: sqlite3.Connection) -> Reservation | None:
            r = c.execute(
                f"SELECT {self._RESERVATION_COLS} FROM reservations WHERE reservation_id=?",
                (reservation_id,),
            ).fetchone()
            return None if r is None else self._reservation(r)

        return await self.run(job)

    async def lookup_external_reservation(self, external_id: str) -> Reservation | None:
        def job(c: sqlite3.Connection) -> Reservation | None:
            r = c.execute(
                f"SELECT {self._RESERVATION_COLS} FROM reservations WHERE external_id=?"
                " ORDER BY reservation_id DESC LIMIT 1",
                (external_id,),
            ).fetchone()
            return None if r is None else self._reservation(r)

        return await self.run(job)

    async def list_reservations(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        limit: int = 100,
        now: datetime | None = None,
    ) -> list[Reservation]:
        where: list[str] = []
        params: list[Any] = []
        if station_id is not None:
            where.append("station_id=?")
            params.append(station_id)
        if active is not None:
            live = "(status IN ('Requested','Accepted') AND expires_at > ?)"
            where.append(live if active else f"NOT {live}")
            params.append(ts(now or datetime.now(UTC)))
        sql = f"SELECT {self._RESERVATION_COLS} FROM reservations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY reservation_id DESC LIMIT ?"
        params.append(limit)

        def job(c: sqlite3.Connection) -> list[Reservation]:
            return [self._reservation(r) for r in c.execute(sql, params).fetchall()]

        return await self.run(job)
