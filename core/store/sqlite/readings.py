"""Decoded meter readings of recent transactions, so that a transaction's events do not decode
all its readings again each time.

A transaction's every new event needs all its readings so far (meter start/stop, the tariff's
cost: see transactions.py), so a session of n readings would decode n(n+1)/2 of them — an
eight-hour session at one reading a minute, over a hundred thousand. :class:`ReadingCache` keeps
the decoded readings of recent transactions by row id, each with the stored text it was decoded
from. The rows are still read every time, whoever wrote them (another manager included), but a
row whose text is the one cached is not decoded again: comparing two strings costs next to
nothing beside decoding one. The text is compared, not only the id, because SQLite gives the id
of a row rolled back to the next row inserted. The readings a job writes are handed to the cache
as they are written (:meth:`ReadingCache.add`), with the text they were encoded to, so that an
event decodes none at all: only rows written elsewhere, or pushed out, are decoded.
The readings handed out are the cached objects: callers read them, never change them.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict

from core.store.models import MeterValue
from core.store.sqlite.codecs import decode_sampled_values, req_ts

_Decoded = tuple[str, str, MeterValue]

# Decoded readings held, over all transactions (a reading of ten sampled values is ~3 KiB).
READINGS_HELD = 20_000


class ReadingCache:
    """Decoded readings of the transactions used most recently, by row id. Used on the store's
    writer thread only (inside jobs), so it needs no lock."""

    def __init__(self, held: int = READINGS_HELD) -> None:
        self._held = held
        self._count = 0
        # (station, transaction) → row id → (timestamp text, sampled-values text, decoded)
        self._by_tx: OrderedDict[tuple[str, str], dict[int, _Decoded]] = OrderedDict()

    def load(self, c: sqlite3.Connection, station_id: str, transaction_id: str) -> list[MeterValue]:
        """The transaction's readings, oldest first."""
        key = (station_id, transaction_id)
        known = self._by_tx.pop(key, {})
        rows = c.execute(
            "SELECT id, timestamp, sampled_values FROM meter_values WHERE station_id=? AND"
            " transaction_id=? ORDER BY timestamp, id",
            (station_id, transaction_id),
        ).fetchall()
        current: dict[int, _Decoded] = {}
        for row_id, stamp, text in rows:
            cached = known.get(row_id)
            if cached is not None and cached[1] == text and cached[0] == stamp:
                current[row_id] = cached
            else:
                current[row_id] = (
                    stamp,
                    text,
                    MeterValue(req_ts(stamp), decode_sampled_values(text)),
                )
        self._count += len(current) - len(known)  # readings gone (a deleted station) leave too
        if len(current) <= self._held:
            self._by_tx[key] = current
        else:
            self._count -= len(current)
        self._trim()
        return [decoded[2] for decoded in current.values()]

    def add(
        self,
        station_id: str,
        transaction_id: str,
        row_id: int,
        stamp: str,
        text: str,
        reading: MeterValue,
    ) -> None:
        """A reading just written as row ``row_id``, with the timestamp and sampled-values text
        it was stored as. What is held is what decoding the row would give (the time read back
        from its text; the sampled values are the written ones, which decode to equal values),
        so a later load need not decode it. Should the write be rolled back, the text check of
        :meth:`load` keeps the row id from being mistaken for another row's."""
        key = (station_id, transaction_id)
        held = self._by_tx.get(key)
        if held is None:
            held = self._by_tx[key] = {}
        else:
            self._by_tx.move_to_end(key)
        if row_id not in held:
            self._count += 1
        held[row_id] = (stamp, text, MeterValue(req_ts(stamp), list(reading.sampled_values)))
        self._trim()

    def _trim(self) -> None:
        while self._count > self._held:
            self._count -= len(self._by_tx.popitem(last=False)[1])

    @property
    def held(self) -> int:
        """Readings held now."""
        return self._count

    def forget(self, station_id: str, transaction_id: str) -> None:
        """An ended transaction's readings are rarely asked for again."""
        self._count -= len(self._by_tx.pop((station_id, transaction_id), {}))
