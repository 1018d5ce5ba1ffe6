"""Changing the credentials a station connects with. Password rotation and security-profile
upgrades send calls and switch what the gateway enforces only once the station accepts, so a
refusal or a timeout never locks a station out; replacing a password (for a station that is
offline or lost it) changes only the stored hash."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from core import limits
from core.application.command_context import StationCommands
from core.application.errors import Invalid
from core.application.rules import (
    answer_accepted,
    check_int,
    check_length,
    generate_password,
    parse_security_profile,
    response_accepted,
)
from core.application.views import (
    CallView,
    PasswordRotation,
    SecurityProfileUpgrade,
    StationRegistration,
    call_view,
)
from core.credentials import hash_password
from core.events import MessageLogged, Subscription
from core.ocpp.types import JsonObject, MessageType, OcppVersion
from core.store.models import CallRecord, CallState, SecurityProfile

log = logging.getLogger(__name__)


class StationSecurity(StationCommands):
    """Password replacement and rotation, security-profile upgrade; built on the command
    context, through which the last two send their calls."""

    async def upgrade_security_profile(
        self,
        station_id: str,
        security_profile: int,
        configuration_slot: int = 1,
        timeout: float | None = None,
    ) -> SecurityProfileUpgrade:
        """Move a connected station up to a higher security profile (OCPP forbids going down)
        and switch what the gateway enforces only once the station has accepted:

        - 1.6 (security whitepaper): ChangeConfiguration ``SecurityProfile``; the station
          reconnects with the new profile.
        - 2.0.1 (B09/A05): SetNetworkProfile into ``configuration_slot`` with our URL for that
          profile, NetworkConfigurationPriority with that slot first, then Reset OnIdle.
        """
        check_int(configuration_slot, limits.CONFIGURATION_SLOT, "configurationSlot")
        station = await self._station(station_id)
        profile = parse_security_profile(security_profile)
        current = station.auth.security_profile
        if profile is SecurityProfile.NO_AUTH or profile <= current:
            raise Invalid(
                f"must be higher than the current profile ({int(current)}): OCPP stations "
                "refuse to go down; PUT the profile to change only what the gateway enforces",
                field="securityProfile",
            )
        if profile is not SecurityProfile.TLS_CLIENT_CERT and station.auth.password_hash is None:
            raise Invalid(
                "the station has no password yet: rotate its password first",
                field="securityProfile",
            )
        version = await self.connected_version(station_id)
        ocpp_profile = int(profile) + 1  # OCPP numbers the profiles 1..3
        calls: list[CallView] = []

        async def call(action: str, request: JsonObject) -> CallRecord:
            record = await self.send(station_id, action, request, version=version, origin="api")
            final = await self._calls.wait(record.call_id, timeout)
            calls.append(call_view(final))
            return final

        def done(final: CallRecord) -> bool:
            return final.state is CallState.ANSWERED and answer_accepted(final)

        if version is OcppVersion.V16:
            accepted = done(
                await call(
                    "ChangeConfiguration", {"key": "SecurityProfile", "value": str(ocpp_profile)}
                )
            )
        else:
            accepted = await self._upgrade_201(
                call, done, profile, ocpp_profile, station_id, configuration_slot
            )
        if accepted:
            station.auth.security_profile = profile
            await self._store.register_station(station_id, station.auth, station.registered_at)
        return SecurityProfileUpgrade(
            accepted=accepted, security_profile=int(station.auth.security_profile), calls=calls
        )

    async def _upgrade_201(
        self,
        call: Callable[[str, JsonObject], Awaitable[CallRecord]],
        done: Callable[[CallRecord], bool],
        profile: SecurityProfile,
        ocpp_profile: int,
        station_id: str,
        slot: int,
    ) -> bool:
        # The station appends "/<its id>" to ocppCsmsUrl.
        url = self._urls.url_for(station_id, profile).rsplit("/", 1)[0]
        network = {
            "configurationSlot": slot,
            "connectionData": {
                "ocppVersion": "OCPP20",
                "ocppTransport": "JSON",
                "ocppCsmsUrl": url,
                "messageTimeout": 30,
                "securityProfile": ocpp_profile,
                "ocppInterface": "Wired0",
            },
        }
        if not done(await call("SetNetworkProfile", network)):
            return False
        # Keep the station's other slots as fallbacks, after the new one.
        priority = str(slot)
        read = await call(
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "NetworkConfigurationPriority"},
                    }
                ]
            },
        )
        results = (read.response or {}).get("getVariableResult") or []
        if results and results[0].get("attributeStatus") == "Accepted":
            others = [
                p.strip()
                for p in str(results[0].get("attributeValue", "")).split(",")
                if p.strip() and p.strip() != str(slot)
            ]
            priority = ",".join([str(slot), *others])
        priority_set = await call(
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "NetworkConfigurationPriority"},
                        "attributeValue": priority,
                    }
                ]
            },
        )
        if not done(priority_set):
            return False
        # RebootRequired is an acceptance here: this Reset is the reboot ("Scheduled": it
        # happens when the running transaction ends).
        reset = await call("Reset", {"type": "OnIdle"})
        return reset.state is CallState.ANSWERED and (reset.response or {}).get("status") in (
            "Accepted",
            "Scheduled",
        )

    async def replace_password(
        self, station_id: str, password: str | None = None
    ) -> StationRegistration:
        """Store a new basic-auth password for the station without sending it (for a station
        that is not connected, or lost its password): the old password stops working at once,
        and the station must be given the new one, shown once here, before it next connects.
        :meth:`rotate_password` is the way for a connected station."""
        station = await self._station(station_id)
        if password is None:
            password = generate_password()
        else:
            check_length(password, limits.PASSWORD, "password")
        station.auth.password_hash = hash_password(password)
        await self._store.register_station(station_id, station.auth, station.registered_at)
        profile = station.auth.security_profile
        return StationRegistration(
            station_id=station_id,
            security_profile=int(profile),
            url=self._urls.url_for(station_id, profile),
            password=password,
            invalid_username_allowed=station.auth.invalid_username_allowed,
        )

    async def rotate_password(
        self, station_id: str, password: str | None = None, timeout: float | None = None
    ) -> PasswordRotation:
        """Send a new basic-auth password to the station and switch the stored hash only when
        the station accepts it, so a refusal or a timeout never locks the station out."""
        station = await self._station(station_id)
        version = await self.connected_version(station_id)
        if password is None:
            # 1.6 AuthorizationKey is specified as up to 40 hex digits; 2.0.1 BasicAuthPassword
            # as 16-40 characters. Hex digits satisfy both readings.
            password = (
                secrets.token_hex(20) if version is OcppVersion.V16 else generate_password(24)
            )
        else:
            check_length(password, limits.PASSWORD, "password")
        if version is OcppVersion.V16:
            action = "ChangeConfiguration"
            request: JsonObject = {"key": "AuthorizationKey", "value": password}
        else:
            action = "SetVariables"
            request = {
                "setVariableData": [
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                        "attributeValue": password,
                    }
                ]
            }
        # Listening before sending: an answer that comes after the wait is still seen.
        answers = self._events.subscribe(maxsize=10_000)
        try:
            record = await self.send(station_id, action, request, version=version, origin="api")
            final = await self._calls.wait(record.call_id, timeout)
        except BaseException:
            answers.close()
            raise
        accepted = final.state is CallState.ANSWERED and answer_accepted(final)
        if accepted:
            answers.close()
            station.auth.password_hash = hash_password(password)
            await self._store.register_station(station_id, station.auth, station.registered_at)
        elif final.state in (CallState.PENDING, CallState.TIMED_OUT):
            # The station may still take it: a yes after the wait (or after the call timed out)
            # must leave the CSMS with the password the station now has, or its next login is
            # refused. The hash is kept in memory for that, never the password.
            _follow(self._store_late_yes(answers, station_id, final, hash_password(password)))
        else:
            answers.close()
        return PasswordRotation(
            call=call_view(final), accepted=accepted, password=password if accepted else None
        )

    async def _store_late_yes(
        self, answers: Subscription, station_id: str, call: CallRecord, password_hash: str
    ) -> None:
        """Store ``password_hash`` when the station's answer to ``call`` arrives and accepts
        it (within :data:`LATE_ANSWER_WINDOW`)."""
        try:
            async with asyncio.timeout(LATE_ANSWER_WINDOW):
                async for event in answers:
                    if (
                        isinstance(event, MessageLogged)
                        and event.direction == "in"
                        and event.message_id == call.call_id
                    ):
                        break
                else:
                    return
        except TimeoutError:
            log.warning("%s never answered its password rotation %s", station_id, call.call_id)
            return
        finally:
            answers.close()
        if event.message_type != MessageType.CALL_RESULT or not response_accepted(
            call.action, event.payload or {}
        ):
            return
        station = await self._store.lookup_station(station_id)
        if station is None:
            return  # deleted meanwhile: nothing to keep
        station.auth.password_hash = password_hash
        await self._store.register_station(station_id, station.auth, station.registered_at)
        log.warning(
            "%s accepted its new password late (call %s): stored, its old password no longer works",
            station_id,
            call.call_id,
        )


# How long a password rotation keeps listening for a station's late answer.
LATE_ANSWER_WINDOW = 600.0
# Follow-ups in flight: a task is kept referenced until it ends (asyncio holds tasks weakly).
_FOLLOWING: set[asyncio.Task[None]] = set()


def _follow(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(work, name="password-rotation-late-answer")
    _FOLLOWING.add(task)
    task.add_done_callback(_FOLLOWING.discard)
