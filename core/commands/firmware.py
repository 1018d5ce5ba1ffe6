"""Commands on a station's firmware and logs."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from core.application.errors import Invalid
from core.application.rules import check_url, iso, new_request_id
from core.application.views import CallView
from core.commands.base import Command, CommandContext
from core.commands.fields import (
    FirmwareRetries,
    FirmwareRetryInterval,
    Signature,
    SigningCertificate,
    Timestamp,
    Url,
)
from core.ocpp.types import JsonObject, OcppVersion


class UpdateFirmware(Command[CallView]):
    """1.6 UpdateFirmware, or SignedUpdateFirmware (security whitepaper) when a signing
    certificate and signature are given; 2.0.1 UpdateFirmware. Progress arrives as
    (Signed)FirmwareStatusNotification station events."""

    name: ClassVar[str] = "update_firmware"
    path: ClassVar[str] = "update-firmware"
    title: ClassVar[str] = "Update firmware"
    summary: ClassVar[str] = (
        "1.6 UpdateFirmware (SignedUpdateFirmware when signed) / 2.0.1 UpdateFirmware"
    )
    confirm: ClassVar[bool] = True

    location: Url = Field(title="Firmware URL", description="http(s) or ftp(s) URL.")
    retrieve_at: Timestamp | None = Field(None, title="Download at (empty: now)")
    signing_certificate: SigningCertificate | None = Field(None, title="Signing certificate")
    signature: Signature | None = Field(None, title="Signature")
    retries: FirmwareRetries | None = Field(None, title="Retries")
    retry_interval: FirmwareRetryInterval | None = Field(None, title="Retry interval (s)")

    @model_validator(mode="after")
    def _checked(self) -> UpdateFirmware:
        check_url(self.location, "location")
        if (self.signing_certificate is None) != (self.signature is None):
            raise Invalid(
                "give both the signing certificate and the signature, or neither",
                field="signature",
            )
        return self

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> CallView:
        when = iso(self.retrieve_at or ctx.clock.now())
        request_id = new_request_id()
        extra: JsonObject = {}
        if self.retries is not None:
            extra["retries"] = self.retries
        if self.retry_interval is not None:
            extra["retryInterval"] = self.retry_interval

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16 and self.signature is None:
                return "UpdateFirmware", {"location": self.location, "retrieveDate": when, **extra}
            firmware: JsonObject = {"location": self.location, "retrieveDateTime": when}
            if self.signature is not None:
                firmware["signingCertificate"] = self.signing_certificate
                firmware["signature"] = self.signature
            action = "SignedUpdateFirmware" if v is OcppVersion.V16 else "UpdateFirmware"
            return action, {"requestId": request_id, "firmware": firmware, **extra}

        return await ctx.command(station_id, build, wait, origin)


class GetLog(Command[CallView]):
    """Ask the station to upload a log: 1.6 GetDiagnostics (core profile) for the diagnostics
    log, GetLog (security whitepaper) for the security log; 2.0.1 GetLog. Progress arrives as
    Diagnostics/LogStatusNotification station events."""

    name: ClassVar[str] = "get_log"
    path: ClassVar[str] = "get-log"
    title: ClassVar[str] = "Get log"
    summary: ClassVar[str] = "1.6 GetDiagnostics (GetLog for the security log) / 2.0.1 GetLog"

    location: Url = Field(title="Upload URL", description="http(s) or ftp(s) URL.")
    log_type: Literal["DiagnosticsLog", "SecurityLog"] = Field("DiagnosticsLog", title="Log")
    oldest: Timestamp | None = Field(None, title="Oldest entry")
    latest: Timestamp | None = Field(None, title="Latest entry")

    @model_validator(mode="after")
    def _checked(self) -> GetLog:
        check_url(self.location, "location")
        return self

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        if version is OcppVersion.V16 and self.log_type == "DiagnosticsLog":
            request: JsonObject = {"location": self.location}
            if self.oldest is not None:
                request["startTime"] = iso(self.oldest)
            if self.latest is not None:
                request["stopTime"] = iso(self.latest)
            return "GetDiagnostics", request
        log: JsonObject = {"remoteLocation": self.location}
        if self.oldest is not None:
            log["oldestTimestamp"] = iso(self.oldest)
        if self.latest is not None:
            log["latestTimestamp"] = iso(self.latest)
        return "GetLog", {"logType": self.log_type, "requestId": new_request_id(), "log": log}
