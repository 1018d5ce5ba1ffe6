"""The gateway's small permessage-deflate compressors: what they write, a station's decompressor
sized for the negotiated window reads; only websocket compressors change."""

from __future__ import annotations

import tracemalloc
import zlib
from collections.abc import Iterator

import orjson
import pytest
from aiohttp.compression_utils import ZLibBackend, ZLibCompressor, set_zlib_backend

from core.gateway.deflate import use_small_compressors


@pytest.fixture
def small() -> Iterator[None]:
    before = ZLibBackend._zlib_backend
    use_small_compressors()
    try:
        yield
    finally:
        set_zlib_backend(before)


def _frames() -> list[bytes]:
    frames = []
    for n in range(200):
        sampled = [
            {"value": n * 1.5 + i, "measurand": "Voltage", "phase": "L1-N"} for i in range(10)
        ]
        payload = {"eventType": "Updated", "seqNo": n, "meterValue": [{"sampledValue": sampled}]}
        frames.append(orjson.dumps([2, str(n), "TransactionEvent", payload]))
        frames.append(orjson.dumps([3, str(n), {"totalCost": n / 7}]))
    return frames


def test_a_default_decompressor_reads_every_frame(small: None) -> None:
    # As aiohttp's websocket writer makes them: raw deflate, context kept between frames.
    compressor = ZLibCompressor(level=zlib.Z_BEST_SPEED, wbits=-15)
    station = zlib.decompressobj(-15)  # the negotiated 15-bit window
    for frame in _frames():
        data = compressor.compress_sync(frame) + compressor._compressor.flush(zlib.Z_SYNC_FLUSH)
        assert station.decompress(data) == frame


def test_websocket_compressors_are_small_and_http_ones_unchanged(small: None) -> None:
    tracemalloc.start()
    try:
        websocket = [ZLibCompressor(level=zlib.Z_BEST_SPEED, wbits=-15) for _ in range(20)]
        small_size = tracemalloc.get_traced_memory()[0] / 20
        http = [ZLibCompressor(encoding="deflate") for _ in range(20)]
        http_size = tracemalloc.get_traced_memory()[0] / 20 - small_size
    finally:
        tracemalloc.stop()
    assert len(websocket) == len(http) == 20  # alive while measured
    assert small_size < 32 * 1024 < 200 * 1024 < http_size  # zlib's defaults: ~256 KiB
