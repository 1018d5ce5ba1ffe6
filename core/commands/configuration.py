"""Commands on a station's configuration and data: read and set keys or variables, reports,
triggered messages, DataTransfer and any raw call."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from core.application.errors import Invalid
from core.application.rules import CSMS_ACTIONS, new_request_id, parse_variable_key
from core.application.views import CallView, call_view
from core.commands.base import Command, CommandContext
from core.commands.fields import (
    ConfigurationKey,
    ConfigurationValue,
    EvseId,
    Form,
    JsonObjectField,
    JsonValue,
    MessageId,
    RequestId,
    VendorId,
    one_of,
)
from core.ocpp.triggers import TRIGGER_MESSAGES_16, TRIGGER_MESSAGES_201
from core.ocpp.types import JsonObject, OcppVersion

_TRIGGERS = tuple(sorted(TRIGGER_MESSAGES_16 | TRIGGER_MESSAGES_201))
TriggerMessageName = Annotated[
    str,
    AfterValidator(one_of(_TRIGGERS)),
    Field(json_schema_extra={"enum": list(_TRIGGERS)}),
    Form("choice", choices=_TRIGGERS),
]
_ACTIONS = tuple(sorted(set[str]().union(*CSMS_ACTIONS.values())))
CsmsAction = Annotated[
    str,
    AfterValidator(one_of(_ACTIONS)),
    Field(json_schema_extra={"enum": list(_ACTIONS)}),
    Form("choice", choices=_ACTIONS),
]


class GetConfiguration(Command[CallView]):
    """1.6 GetConfiguration (no keys = all); 2.0.1 GetVariables with keys written
    ``Component[.instance]/Variable[.instance]`` or ``Component.Variable``."""

    name: ClassVar[str] = "get_configuration"
    path: ClassVar[str] = "get-configuration"
    title: ClassVar[str] = "Get configuration"
    summary: ClassVar[str] = "1.6 GetConfiguration / 2.0.1 GetVariables"

    keys: list[ConfigurationKey] = Field(
        default_factory=list,
        title="Keys",
        description="1.6 keys or 2.0.1 Component/Variable addresses (1.6: none = all).",
        max_length=1000,
    )

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> CallView:
        version = await ctx.connected_version(station_id)
        if version is OcppVersion.V16:
            request: JsonObject = {"key": list(self.keys)} if self.keys else {}
            return await ctx.command(
                station_id, lambda v: ("GetConfiguration", request), wait, origin
            )
        if not self.keys:
            raise Invalid(
                "OCPP 2.0.1 needs at least one Component.Variable (or use get_report)",
                field="keys",
            )
        data: list[JsonObject] = [
            {"component": c, "variable": var} for c, var in map(parse_variable_key, self.keys)
        ]
        return await ctx.command_in_parts(
            station_id, "GetVariables", "getVariableData", "getVariableResult", data, wait, origin
        )


class SetConfiguration(Command[CallView]):
    """1.6 ChangeConfiguration (one key per call, as 1.6 allows); 2.0.1 SetVariables."""

    name: ClassVar[str] = "set_configuration"
    path: ClassVar[str] = "set-configuration"
    title: ClassVar[str] = "Set configuration / variable"
    summary: ClassVar[str] = "1.6 ChangeConfiguration (one key) / 2.0.1 SetVariables"

    values: dict[ConfigurationKey, ConfigurationValue] = Field(
        title="Key = value",
        description="1.6 key or 2.0.1 Component/Variable → the value to set.",
        min_length=1,
        max_length=1000,
    )

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> CallView:
        version = await ctx.connected_version(station_id)
        if version is OcppVersion.V16:
            if len(self.values) != 1:
                raise Invalid("OCPP 1.6 ChangeConfiguration sets one key per call", field="values")
            ((key, value),) = self.values.items()
            change: JsonObject = {"key": key, "value": value}
            return await ctx.command(
                station_id, lambda v: ("ChangeConfiguration", change), wait, origin
            )
        data: list[JsonObject] = []
        for key, value in self.values.items():
            component, variable = parse_variable_key(key)
            data.append({"component": component, "variable": variable, "attributeValue": value})
        return await ctx.command_in_parts(
            station_id, "SetVariables", "setVariableData", "setVariableResult", data, wait, origin
        )


class GetReport(Command[CallView]):
    """2.0.1 GetBaseReport (the station answers with NotifyReport, stored as its device
    model); 1.6 has no reports, so the full GetConfiguration stands in."""

    name: ClassVar[str] = "get_report"
    path: ClassVar[str] = "get-report"
    title: ClassVar[str] = "Get report"
    summary: ClassVar[str] = "2.0.1 GetBaseReport / 1.6 GetConfiguration of every key"

    report_base: Literal["FullInventory", "ConfigurationInventory", "SummaryInventory"] = Field(
        "FullInventory", title="Report"
    )
    request_id: RequestId | None = Field(None, title="Request id (empty: generated)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        if version is OcppVersion.V16:
            return "GetConfiguration", {}
        rid = self.request_id if self.request_id is not None else new_request_id()
        return "GetBaseReport", {"requestId": rid, "reportBase": self.report_base}


class TriggerMessage(Command[CallView]):
    """An immediate TriggerMessage (the seed's stored trigger is ``POST /cs/{csId}/trigger``)."""

    name: ClassVar[str] = "trigger_message"
    path: ClassVar[str] = "trigger-message"
    title: ClassVar[str] = "Trigger message"
    summary: ClassVar[str] = "TriggerMessage, sent now"
    form_defaults: ClassVar[dict[str, str]] = {"requested_message": "StatusNotification"}

    requested_message: TriggerMessageName = Field(title="Message")
    evse_id: EvseId | None = Field(None, title="EVSE / connector (optional)")
    connector_id: EvseId | None = Field(None, title="Connector (2.0.1, optional)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        allowed = TRIGGER_MESSAGES_16 if version is OcppVersion.V16 else TRIGGER_MESSAGES_201
        if self.requested_message not in allowed:
            raise Invalid(
                f"OCPP {version.short} can trigger {', '.join(sorted(allowed))}",
                field="requestedMessage",
            )
        request: JsonObject = {"requestedMessage": self.requested_message}
        if version is OcppVersion.V16:
            if self.evse_id:
                request["connectorId"] = self.evse_id
        elif self.evse_id:
            evse: JsonObject = {"id": self.evse_id}
            if self.connector_id:
                evse["connectorId"] = self.connector_id
            request["evse"] = evse
        return "TriggerMessage", request


class DataTransfer(Command[CallView]):
    name: ClassVar[str] = "data_transfer"
    path: ClassVar[str] = "data-transfer"
    title: ClassVar[str] = "Data transfer"
    summary: ClassVar[str] = "DataTransfer (1.6 data is a string; 2.0.1 any JSON)"

    vendor_id: VendorId = Field(title="Vendor id")
    message_id: MessageId | None = Field(None, title="Message id")
    data: JsonValue = Field(None, title="Data (text or JSON)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        request: JsonObject = {"vendorId": self.vendor_id}
        if self.message_id:
            request["messageId"] = self.message_id
        if self.data is not None:
            if version is OcppVersion.V16 and not isinstance(self.data, str):
                raise Invalid("OCPP 1.6 DataTransfer data is a string", field="data")
            request["data"] = self.data
        return "DataTransfer", request


class RawCall(Command[CallView]):
    """Any CSMS-initiated action of the station's version; the call maker checks the payload
    against the action's schema before anything is sent."""

    name: ClassVar[str] = "raw_call"
    path: ClassVar[str] = "call/{action}"
    title: ClassVar[str] = "Any call (raw JSON)"
    summary: ClassVar[str] = (
        "Send any CSMS-initiated action of the station's OCPP version (schema-checked)"
    )
    confirm: ClassVar[bool] = True
    body_field: ClassVar[str | None] = "payload"
    form_defaults: ClassVar[dict[str, str]] = {"payload": "{}"}

    action: CsmsAction = Field(title="Action", description="e.g. GetTransactionStatus")
    payload: JsonObjectField = Field(default_factory=dict, title="Payload")

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> CallView:
        version = await ctx.connected_version(station_id)
        if self.action not in CSMS_ACTIONS[version]:
            raise Invalid(
                f"{self.action} is not a CSMS-initiated OCPP {version.short} action",
                field="action",
            )
        record = await ctx.send(
            station_id, self.action, dict(self.payload), version=version, origin=origin
        )
        return call_view(await ctx.wait_for(record, wait))
