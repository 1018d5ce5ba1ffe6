"""How values are written to and read from the SQL stores: fixed-width UTC text timestamps,
JSON via orjson, the compact meter-value encoding, and the upsert statement both dialects accept.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from core.clock import second_prefix
from core.store.models import MeterValue, SampledValue, UnitOfMeasure


def ts(dt: datetime | None) -> str | None:
    """Fixed-width UTC text, so that text order is time order: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    if dt is None:
        return None
    utc = dt if dt.tzinfo is UTC else dt.astimezone(UTC)
    return f"{second_prefix(utc)}{utc.microsecond:06d}Z"


def from_ts(text: str | None) -> datetime | None:
    # fromisoformat reads what ts wrote (the Z as UTC) some 30 times faster than strptime.
    if text is None:
        return None
    return datetime.fromisoformat(text)


def req_ts(text: str) -> datetime:
    value = from_ts(text)
    assert value is not None
    return value


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def encode_meter_value(mv: MeterValue) -> str:
    return dumps(
        [
            {
                "v": sv.value,
                "c": sv.context,
                "f": sv.format,
                "m": sv.measurand,
                "p": sv.phase,
                "l": sv.location,
                "u": None
                if sv.unit_of_measure is None
                else [sv.unit_of_measure.unit, sv.unit_of_measure.multiplier],
            }
            for sv in mv.sampled_values
        ]
    )


def decode_sampled_values(text: str) -> list[SampledValue]:
    return [
        SampledValue(
            value=item["v"],
            context=item["c"],
            format=item["f"],
            measurand=item["m"],
            phase=item["p"],
            location=item["l"],
            unit_of_measure=None
            if item["u"] is None
            else UnitOfMeasure(item["u"][0], item["u"][1]),
        )
        for item in orjson.loads(text)
    ]


@functools.cache  # a handful of statements, built once each rather than on every write
def upsert(table: str, columns: str, key: str) -> str:
    """INSERT … ON CONFLICT (key) DO UPDATE: the same text works on SQLite and PostgreSQL."""
    names = [c.strip() for c in columns.split(",")]
    keys = {k.strip() for k in key.split(",")}
    updates = ", ".join(f"{n}=excluded.{n}" for n in names if n not in keys)
    marks = ",".join("?" * len(names))
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


# Rows per statement of insert_rows: powers of two up to this, so that at most nine statements
# of each kind take places in the connection's statement cache. 256 rows of 9 columns stay far
# below the bound parameters either database allows (SQLite 32,766; PostgreSQL 65,535).
_ROWS_PER_STATEMENT = 256


@functools.cache
def _values_statement(head: str, width: int, rows: int, tail: str) -> str:
    row = "(" + ",".join("?" * width) + ")"
    return f"{head} VALUES {','.join([row] * rows)}{tail}"


def insert_rows(c: Any, head: str, rows: Sequence[Sequence[Any]], tail: str = "") -> None:
    """``head VALUES (…),(…),… tail`` for many rows, in few statements.

    Not ``executemany``: that steps once per row, and the sqlite3 module gives up the GIL for
    each step and must take it back from the busy event loop every time — a 1,000-row
    message-log batch took up to a second that way, with every write queued behind it."""
    if not rows:
        return
    width, done = len(rows[0]), 0
    while done < len(rows):
        size = _ROWS_PER_STATEMENT
        while size > len(rows) - done:
            size //= 2
        chunk = rows[done : done + size]
        c.execute(_values_statement(head, width, size, tail), [v for row in chunk for v in row])
        done += size


def certificate_hash(pem: str) -> str:
    """Unpadded base64url SHA-256 of the first certificate's DER (MaEVe's key)."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ValueError("no PEM certificate found") from exc
    digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
