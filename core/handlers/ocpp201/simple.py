"""2.0.1 messages answered with a fixed reply after recording what they carry."""

from __future__ import annotations

from typing import Any

from core.handlers.station_events import RecordStationEvent


class RecordAndReply(RecordStationEvent):
    """Record as a station event, then answer ``reply``."""

    def __init__(self, reply: dict[str, Any], *args: Any) -> None:
        super().__init__(*args)
        self.reply = reply

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        await super().__call__(station_id, request)
        return dict(self.reply)
