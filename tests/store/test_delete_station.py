"""Deleting a station removes everything keyed by it (both store implementations)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from core.clock import FixedClock
from core.store.models import Reservation, ReservationStatus, SecurityProfile, StationAuth
from core.store.sqlite import STATION_TABLES, SqliteStore


async def test_a_deleted_station_leaves_no_reservation(
    store: SqliteStore, clock: FixedClock
) -> None:
    now = clock.now()
    for station_id in ("gone", "kept"):
        await store.register_station(station_id, StationAuth(SecurityProfile.BASIC, "x"), now)
        await store.add_reservation(
            Reservation(
                station_id=station_id,
                evse_id=1,
                id_token="TAG",
                token_type="ISO14443",
                expires_at=now + timedelta(hours=1),
                status=ReservationStatus.ACCEPTED,
                created_at=now,
                updated_at=now,
            )
        )
    assert await store.delete_station("gone") is True
    assert await store.list_reservations("gone") == []
    assert len(await store.list_reservations("kept")) == 1


async def test_every_table_keyed_by_a_station_is_cleared_with_it(tmp_path: Path) -> None:
    """A table added with a station_id column and forgotten in the delete list would keep a
    deleted station's data (reservations once did)."""
    store = SqliteStore(str(tmp_path / "csms.db"))
    await store.open()
    await store.close()
    with sqlite3.connect(tmp_path / "csms.db") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        keyed = {
            t
            for t in tables
            if any(c[1] == "station_id" for c in db.execute(f"PRAGMA table_info({t})"))
        }
    assert keyed - {"stations"} == set(STATION_TABLES)
