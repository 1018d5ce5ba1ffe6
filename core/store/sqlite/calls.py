"""CSMS-initiated calls and their outcomes."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import orjson

from core.store.models import CallRecord, CallState
from core.store.sqlite.codecs import dumps, from_ts, req_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteCallStore(SqliteEngine):
    _CALL_COLS = (
        "call_id, station_id, action, request, ocpp_version, created_at, state, origin,"
        " response, error_code, error_description, completed_at"
    )

    @staticmethod
    def _call(r: tuple[Any, ...]) -> CallRecord:
        return CallRecord(
            call_id=r[0],
            station_id=r[1],
            action=r[2],
            request=orjson.loads(r[3]),
            ocpp_version=r[4],
            created_at=req_ts(r[5]),
            state=CallState(r[6]),
            origin=r[7],
            response=None if r[8] is None else orjson.loads(r[8]),
            error_code=r[9],
            error_description=r[10],
            completed_at=from_ts(r[11]),
        )

    async def create_call(self, call: CallRecord) -> None:
        await self.run(
            lambda c: c.execute(
                f"INSERT INTO calls ({self._CALL_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    call.call_id,
                    call.station_id,
                    call.action,
                    dumps(call.request),
                    call.ocpp_version,
                    ts(call.created_at),
                    call.state.value,
                    call.origin,
                    None if call.response is None else dumps(call.response),
                    call.error_code,
                    call.error_description,
                    ts(call.completed_at),
                ),
            )
        )

    async def complete_call(
        self,
        call_id: str,
        state: CallState,
        at: datetime,
        response: dict[str, object] | None = None,
        error_code: str = "",
        error_description: str = "",
    ) -> CallRecord | None:
        def job(c: sqlite3.Connection) -> CallRecord | None:
            r = c.execute(
                "UPDATE calls SET state=?, completed_at=?, response=?, error_code=?,"
                " error_description=? WHERE call_id=? AND state='pending'"
                f" RETURNING {self._CALL_COLS}",
                (
                    state.value,
                    ts(at),
                    None if response is None else dumps(response),
                    error_code,
                    error_description,
                    call_id,
                ),
            ).fetchone()
            return None if r is None else self._call(r)

        return await self.run(job)

    async def expire_calls(
        self, created_before: datetime, at: datetime, error_description: str
    ) -> list[CallRecord]:
        def job(c: sqlite3.Connection) -> list[CallRecord]:
            rows = c.execute(
                "UPDATE calls SET state=?, completed_at=?, error_description=?"
                " WHERE state='pending' AND created_at < ?"
                f" RETURNING {self._CALL_COLS}",
                (CallState.TIMED_OUT.value, ts(at), error_description, ts(created_before)),
            ).fetchall()
            return [self._call(r) for r in rows]

        return await self.run(job)

    async def lookup_call(self, call_id: str) -> CallRecord | None:
        def job(c: sqlite3.Connection) -> CallRecord | None:
            r = c.execute(
                f"SELECT {self._CALL_COLS} FROM calls WHERE call_id=?",
                (call_id,),
            ).fetchone()
            return None if r is None else self._call(r)

        return await self.run(job)

    async def list_calls(self, station_id: str | None = None, limit: int = 100) -> list[CallRecord]:
        def job(c: sqlite3.Connection) -> list[CallRecord]:
            if station_id is None:
                rows = c.execute(
                    f"SELECT {self._CALL_COLS} FROM calls ORDER BY created_at DESC LIMIT ?",
                    (limit,),
                ).fetchall()
            else:
                rows = c.execute(
                    f"SELECT {self._CALL_COLS} FROM calls WHERE station_id=?"
                    " ORDER BY created_at DESC LIMIT ?",
                    (station_id, limit),
                ).fetchall()
            return [self._call(r) for r in rows]

        return await self.run(job)
