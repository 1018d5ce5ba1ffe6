"""permessage-deflate with a small compressor per connection.

OCPP 2.0.1 requires a CSMS to support permessage-deflate, and a station that offers it gets it.
zlib's default compressor for it (15-bit window, memLevel 8) costs about 256 KiB per
connection, of which its hash table and output buffer (128 KiB) are touched at once: with
10,000 stations, gigabytes for frames that are mostly under 2 KiB. A 2 KiB window with memLevel 4
(22 KiB) compresses OCPP frames nearly as well: their repetition is within a frame or with the
one before (a TransactionEvent with ten sampled values and its answer: 8.9 % of their size
against 7.3 % with the defaults; a 1 KiB window no longer holds such a frame: 29 %).

A compressor may use a smaller window than the one negotiated — the station's decompressor,
sized for the negotiated window, reads the stream all the same (RFC 7692 §7.1.2.1 only bounds it
from above) — so nothing is negotiated differently; only our own side's memory changes.
Decompression (what stations send) keeps the negotiated window: a smaller one could not read it.

aiohttp takes its zlib module process-wide (``aiohttp.set_zlib_backend``): this one passes every
call through to zlib, changing only raw-deflate compressors (negative ``wbits``), which only
websockets use — HTTP's gzip and deflate encodings have a header, so positive ``wbits``.
"""

from __future__ import annotations

import zlib
from typing import Any

import aiohttp

WINDOW_BITS = 11
MEM_LEVEL = 4


class _SmallDeflate:
    MAX_WBITS = zlib.MAX_WBITS
    Z_FULL_FLUSH = zlib.Z_FULL_FLUSH
    Z_SYNC_FLUSH = zlib.Z_SYNC_FLUSH
    Z_BEST_SPEED = zlib.Z_BEST_SPEED
    Z_FINISH = zlib.Z_FINISH
    __name__ = "zlib (small websocket compressors)"

    def compressobj(self, *args: Any, **kwargs: Any) -> Any:
        wbits = kwargs.get("wbits", zlib.MAX_WBITS)
        if not args and wbits < 0:  # raw deflate: permessage-deflate
            kwargs["wbits"] = max(wbits, -WINDOW_BITS)
            kwargs.setdefault("memLevel", MEM_LEVEL)
        return zlib.compressobj(*args, **kwargs)

    def decompressobj(self, *args: Any, **kwargs: Any) -> Any:
        return zlib.decompressobj(*args, **kwargs)

    def compress(self, data: Any, *args: Any, **kwargs: Any) -> bytes:
        return zlib.compress(data, *args, **kwargs)

    def decompress(self, data: Any, *args: Any, **kwargs: Any) -> bytes:
        return zlib.decompress(data, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # anything else aiohttp may read: zlib's own
        return getattr(zlib, name)


def use_small_compressors() -> None:
    """Make aiohttp's websocket compressors small (idempotent, process-wide)."""
    aiohttp.set_zlib_backend(_SmallDeflate())
