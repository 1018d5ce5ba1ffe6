"""Every station command, in the order the console's menu offers them. Adding a command: one
model in a topic module, one line here, its tests — the REST endpoint, the OpenAPI body, the
remote client and the console's form derive from the model."""

from __future__ import annotations

from typing import Any

from core.commands.authorization import (
    ClearCache,
    CustomerInformation,
    GetLocalListVersion,
    SendLocalList,
)
from core.commands.availability import ChangeAvailability, Reset, UnlockConnector
from core.commands.base import Command
from core.commands.configuration import (
    DataTransfer,
    GetConfiguration,
    GetReport,
    RawCall,
    SetConfiguration,
    TriggerMessage,
)
from core.commands.display import ClearDisplayMessage, GetDisplayMessages, SetDisplayMessage
from core.commands.firmware import GetLog, UpdateFirmware
from core.commands.monitoring import (
    ClearVariableMonitors,
    GetMonitoringReport,
    SetMonitoringBase,
    SetMonitoringLevel,
    SetVariableMonitor,
)
from core.commands.security import RotatePassword, UpgradeSecurityProfile
from core.commands.smart_charging import (
    ClearChargingProfile,
    GetCompositeSchedule,
    SetChargingLimit,
    SetChargingProfile,
)
from core.commands.transactions import (
    CancelReservation,
    GetTransactionStatus,
    RemoteStart,
    RemoteStop,
    ReserveNow,
)

COMMANDS: tuple[type[Command[Any]], ...] = (
    RemoteStart,
    RemoteStop,
    ReserveNow,
    CancelReservation,
    GetTransactionStatus,
    Reset,
    ChangeAvailability,
    UnlockConnector,
    TriggerMessage,
    GetConfiguration,
    SetConfiguration,
    GetReport,
    ClearCache,
    SendLocalList,
    GetLocalListVersion,
    UpdateFirmware,
    GetLog,
    SetChargingLimit,
    SetChargingProfile,
    ClearChargingProfile,
    GetCompositeSchedule,
    SetDisplayMessage,
    ClearDisplayMessage,
    GetDisplayMessages,
    SetVariableMonitor,
    ClearVariableMonitors,
    SetMonitoringBase,
    SetMonitoringLevel,
    GetMonitoringReport,
    CustomerInformation,
    DataTransfer,
    RawCall,
    RotatePassword,
    UpgradeSecurityProfile,
)

BY_NAME: dict[str, type[Command[Any]]] = {c.name: c for c in COMMANDS}
