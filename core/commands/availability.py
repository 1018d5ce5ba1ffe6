"""Commands on a station's availability: reset, change availability, unlock a connector."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from core.application.views import CallView
from core.commands.base import Command
from core.commands.fields import ConnectorId, EvseId
from core.ocpp.types import JsonObject, OcppVersion

# 1.6 Soft/Hard and 2.0.1 OnIdle/Immediate are the same two intents.
RESET_16 = {"Soft": "Soft", "OnIdle": "Soft", "Hard": "Hard", "Immediate": "Hard"}
RESET_201 = {"Soft": "OnIdle", "OnIdle": "OnIdle", "Hard": "Immediate", "Immediate": "Immediate"}


class Reset(Command[CallView]):
    name: ClassVar[str] = "reset"
    path: ClassVar[str] = "reset"
    title: ClassVar[str] = "Reset"
    summary: ClassVar[str] = "Reset (1.6 Soft/Hard, 2.0.1 OnIdle/Immediate)"
    confirm: ClassVar[bool] = True

    type: Literal["Soft", "Hard", "OnIdle", "Immediate"] = Field(
        "Soft",
        title="Kind",
        description="Soft = 2.0.1 OnIdle, Hard = 2.0.1 Immediate (and back for 1.6).",
    )
    evse_id: EvseId | None = Field(None, title="EVSE (2.0.1, empty: the station)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        if version is OcppVersion.V16:
            return "Reset", {"type": RESET_16[self.type]}
        request: JsonObject = {"type": RESET_201[self.type]}
        if self.evse_id:
            request["evseId"] = self.evse_id
        return "Reset", request


class ChangeAvailability(Command[CallView]):
    name: ClassVar[str] = "change_availability"
    path: ClassVar[str] = "availability"
    title: ClassVar[str] = "Change availability"
    summary: ClassVar[str] = "ChangeAvailability"

    operative: bool = Field(title="Operative")
    evse_id: EvseId = Field(
        0, title="EVSE / connector (0 = station)", description="1.6: the connectorId."
    )
    connector_id: EvseId | None = Field(None, title="Connector (2.0.1)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        status = "Operative" if self.operative else "Inoperative"
        if version is OcppVersion.V16:
            return "ChangeAvailability", {"connectorId": self.evse_id, "type": status}
        request: JsonObject = {"operationalStatus": status}
        if self.evse_id:
            evse: JsonObject = {"id": self.evse_id}
            if self.connector_id:
                evse["connectorId"] = self.connector_id
            request["evse"] = evse
        return "ChangeAvailability", request


class UnlockConnector(Command[CallView]):
    name: ClassVar[str] = "unlock_connector"
    path: ClassVar[str] = "unlock"
    title: ClassVar[str] = "Unlock connector"
    summary: ClassVar[str] = "UnlockConnector (1.6 takes the connector as evseId)"
    confirm: ClassVar[bool] = True

    evse_id: ConnectorId = Field(title="EVSE (1.6: connector)")
    connector_id: ConnectorId = Field(1, title="Connector (2.0.1)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        if version is OcppVersion.V16:
            return "UnlockConnector", {"connectorId": self.evse_id}
        return "UnlockConnector", {"evseId": self.evse_id, "connectorId": self.connector_id}
