"""Commands that change how a station logs in. The credential handling itself stays with the
application service (it decides what is stored, and only once the station accepted)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from core.application.views import PasswordRotation, SecurityProfileUpgrade
from core.commands.base import Command, CommandContext
from core.commands.fields import ConfigurationSlot, Password


class RotatePassword(Command[PasswordRotation]):
    name: ClassVar[str] = "rotate_password"
    path: ClassVar[str] = "password"
    title: ClassVar[str] = "Rotate password"
    summary: ClassVar[str] = (
        "Send the station a new basic-auth password (1.6 ChangeConfiguration AuthorizationKey "
        "/ 2.0.1 SetVariables BasicAuthPassword); stored only when it accepts"
    )
    confirm: ClassVar[bool] = True
    warning: ClassVar[str] = (
        "A new password is sent to the connected station; once it accepts, its old password "
        "stops working and the new one is shown once. If it refuses or does not answer, "
        "nothing changes."
    )
    result = PasswordRotation

    password: Password | None = Field(None, title="Password (empty: generated)")

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> PasswordRotation:
        return await ctx.rotate_password(station_id, self.password, wait)


class UpgradeSecurityProfile(Command[SecurityProfileUpgrade]):
    name: ClassVar[str] = "upgrade_security_profile"
    path: ClassVar[str] = "security-profile/upgrade"
    title: ClassVar[str] = "Upgrade security profile"
    summary: ClassVar[str] = (
        "Move a connected station to a higher profile: 1.6 ChangeConfiguration "
        "SecurityProfile; 2.0.1 SetNetworkProfile, NetworkConfigurationPriority, Reset OnIdle. "
        "The gateway enforces the new profile only once the station accepted."
    )
    confirm: ClassVar[bool] = True
    warning: ClassVar[str] = (
        "The station reconnects with the new profile; a station that cannot (no TLS listener, "
        "no client certificate) stays unreachable until it is reset on site."
    )
    result = SecurityProfileUpgrade

    security_profile: Literal[0, 1, 2] = Field(title="Security profile")
    configuration_slot: ConfigurationSlot = Field(1, title="Network slot (2.0.1)")

    async def run(
        self, ctx: CommandContext, station_id: str, wait: float | None, origin: str
    ) -> SecurityProfileUpgrade:
        return await ctx.upgrade_security_profile(
            station_id, self.security_profile, self.configuration_slot, wait
        )
