"""Smart charging commands: profiles, a simple limit, clearing them, the composite schedule."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from core.application.rules import iso, new_request_id
from core.application.views import CallView
from core.commands.base import Command, CommandContext
from core.commands.fields import (
    ChargingLimit,
    ChargingRateUnit,
    DurationSeconds,
    EvseId,
    JsonObjectField,
    ProfileId,
    StackLevel,
)
from core.ocpp.types import JsonObject, OcppVersion

ChargingProfilePurpose = Literal[
    "ChargePointMaxProfile",
    "ChargingStationMaxProfile",
    "ChargingStationExternalConstraints",
    "TxDefaultProfile",
    "TxProfile",
]


def _set_profile(evse_id: int, profile: JsonObject, version: OcppVersion) -> tuple[str, JsonObject]:
    if version is OcppVersion.V16:
        return "SetChargingProfile", {"connectorId": evse_id, "csChargingProfiles": profile}
    return "SetChargingProfile", {"evseId": evse_id, "chargingProfile": profile}


class SetChargingProfile(Command[CallView]):
    """SetChargingProfile with a profile in the station's version's shape (1.6
    csChargingProfiles / 2.0.1 ChargingProfileType); schema-checked before it is sent."""

    name: ClassVar[str] = "set_charging_profile"
    path: ClassVar[str] = "charging-profile"
    title: ClassVar[str] = "Set charging profile (JSON)"
    summary: ClassVar[str] = "SetChargingProfile with a profile in the station's version's shape"

    evse_id: EvseId = Field(title="EVSE / connector", description="1.6: connectorId.")
    profile: JsonObjectField = Field(
        title="Profile",
        description="1.6 csChargingProfiles or 2.0.1 ChargingProfileType, as the station's "
        "version defines it (checked against its schema).",
    )

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        return _set_profile(self.evse_id, dict(self.profile), version)


class SetChargingLimit(Command[CallView]):
    """A one-period Absolute profile from now: TxDefaultProfile on an EVSE/connector, the
    station-wide maximum on 0 (1.6 ChargePointMaxProfile / 2.0.1 ChargingStationMaxProfile)."""

    name: ClassVar[str] = "set_charging_limit"
    path: ClassVar[str] = "charging-limit"
    title: ClassVar[str] = "Limit charging"
    summary: ClassVar[str] = (
        "SetChargingProfile: a one-period profile from now (TxDefault, or the station maximum)"
    )
    form_defaults: ClassVar[dict[str, str]] = {"evse_id": "1"}

    evse_id: EvseId = Field(title="EVSE / connector (0 = whole station)")
    limit: ChargingLimit = Field(title="Limit", description="e.g. 7400 (W) or 16 (A)")
    unit: ChargingRateUnit = Field("W", title="Unit")
    duration: DurationSeconds | None = Field(
        None, title="For seconds (empty: until cleared)", description="Seconds (default: open)."
    )
    stack_level: StackLevel = Field(0, title="Stack level")

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> CallView:
        schedule: JsonObject = {
            "startSchedule": iso(ctx.clock.now()),
            "chargingRateUnit": self.unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": self.limit}],
        }
        if self.duration is not None:
            schedule["duration"] = self.duration
        profile_id = new_request_id()
        whole_station = self.evse_id == 0

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                profile: JsonObject = {
                    "chargingProfileId": profile_id,
                    "stackLevel": self.stack_level,
                    "chargingProfilePurpose": "ChargePointMaxProfile" if whole_station
                    else "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": schedule,
                }  # fmt: skip
            else:
                profile = {
                    "id": profile_id,
                    "stackLevel": self.stack_level,
                    "chargingProfilePurpose": "ChargingStationMaxProfile" if whole_station
                    else "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": [{"id": 1, **schedule}],
                }  # fmt: skip
            return _set_profile(self.evse_id, profile, v)

        return await ctx.command(station_id, build, wait, origin)


class ClearChargingProfile(Command[CallView]):
    """ClearChargingProfile: by id, or every profile matching the criteria (none: all)."""

    name: ClassVar[str] = "clear_charging_profile"
    path: ClassVar[str] = "clear-charging-profile"
    title: ClassVar[str] = "Clear charging profiles"
    summary: ClassVar[str] = "ClearChargingProfile by id or criteria (none: every profile)"
    confirm: ClassVar[bool] = True

    id: ProfileId | None = Field(None, title="Profile id")
    evse_id: EvseId | None = Field(None, title="EVSE / connector (empty: all)")
    purpose: ChargingProfilePurpose | None = Field(None, title="Purpose")
    stack_level: StackLevel | None = Field(None, title="Stack level")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        request: JsonObject = {}
        if version is OcppVersion.V16:
            for key, value in (
                ("id", self.id),
                ("connectorId", self.evse_id),
                ("chargingProfilePurpose", self.purpose),
                ("stackLevel", self.stack_level),
            ):
                if value is not None:
                    request[key] = value
            return "ClearChargingProfile", request
        if self.id is not None:
            request["chargingProfileId"] = self.id
        criteria: JsonObject = {}
        for key, value in (
            ("evseId", self.evse_id),
            ("chargingProfilePurpose", self.purpose),
            ("stackLevel", self.stack_level),
        ):
            if value is not None:
                criteria[key] = value
        if criteria:
            request["chargingProfileCriteria"] = criteria
        return "ClearChargingProfile", request


class GetCompositeSchedule(Command[CallView]):
    name: ClassVar[str] = "get_composite_schedule"
    path: ClassVar[str] = "composite-schedule"
    title: ClassVar[str] = "Get composite schedule"
    summary: ClassVar[str] = "GetCompositeSchedule for the coming seconds"
    form_defaults: ClassVar[dict[str, str]] = {"evse_id": "1", "duration": "3600"}

    evse_id: EvseId = Field(title="EVSE / connector")
    duration: DurationSeconds = Field(title="Duration (s)")
    unit: ChargingRateUnit | None = Field(None, title="Unit (empty: the station's)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        key = "connectorId" if version is OcppVersion.V16 else "evseId"
        request: JsonObject = {key: self.evse_id, "duration": self.duration}
        if self.unit is not None:
            request["chargingRateUnit"] = self.unit
        return "GetCompositeSchedule", request
