"""2.0.1 display messages: show one on the station's screen, clear one, list them."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field

from core.application.rules import iso, new_request_id
from core.application.views import CallView
from core.commands.base import V201_ONLY, Command, CommandContext
from core.commands.fields import DisplayText, Language, Minutes, RequestId
from core.ocpp.types import JsonObject, OcppVersion


class SetDisplayMessage(Command[CallView]):
    """2.0.1 SetDisplayMessage (UTF-8 text, shown from now, for ``minutes`` if given)."""

    name: ClassVar[str] = "set_display_message"
    path: ClassVar[str] = "display-message"
    title: ClassVar[str] = "Show a message (2.0.1)"
    summary: ClassVar[str] = "2.0.1 SetDisplayMessage on the station's display"
    versions = V201_ONLY
    feature: ClassVar[str] = "display messages"

    text: DisplayText = Field(title="Text")
    priority: Literal["NormalCycle", "InFront", "AlwaysFront"] = Field(
        "NormalCycle", title="Priority"
    )
    minutes: Minutes | None = Field(None, title="For minutes (empty: until cleared)")
    id: RequestId | None = Field(None, title="Message id (empty: generated)")
    language: Language | None = Field(None, title="Language")

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> CallView:
        content: JsonObject = {"format": "UTF8", "content": self.text}
        if self.language:
            content["language"] = self.language
        now = ctx.clock.now()
        message: JsonObject = {
            "id": self.id if self.id is not None else new_request_id(),
            "priority": self.priority,
            "message": content,
            "startDateTime": iso(now),
        }
        if self.minutes is not None:
            message["endDateTime"] = iso(now + timedelta(minutes=self.minutes))
        request: JsonObject = {"message": message}

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            self.supports(v)
            return "SetDisplayMessage", request

        return await ctx.command(station_id, build, wait, origin)


class ClearDisplayMessage(Command[CallView]):
    name: ClassVar[str] = "clear_display_message"
    path: ClassVar[str] = "clear-display-message"
    title: ClassVar[str] = "Clear a message (2.0.1)"
    summary: ClassVar[str] = "2.0.1 ClearDisplayMessage"
    versions = V201_ONLY
    feature: ClassVar[str] = "display messages"

    id: RequestId = Field(title="Message id")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        return "ClearDisplayMessage", {"id": self.id}


class GetDisplayMessages(Command[CallView]):
    name: ClassVar[str] = "get_display_messages"
    path: ClassVar[str] = "get-display-messages"
    title: ClassVar[str] = "List messages (2.0.1)"
    summary: ClassVar[str] = (
        "2.0.1 GetDisplayMessages; the messages arrive as NotifyDisplayMessages events"
    )
    versions = V201_ONLY
    feature: ClassVar[str] = "display messages"

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        return "GetDisplayMessages", {"requestId": new_request_id()}
