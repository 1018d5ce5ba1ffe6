"""2.0.1 variable monitoring: set and clear monitors, the base and level, the report."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from core import limits
from core.application.rules import new_request_id
from core.application.views import CallView
from core.commands.base import V201_ONLY, Command
from core.commands.fields import ComponentName, EvseId, MonitorValue, RequestId, Severity
from core.ocpp.types import JsonObject, OcppVersion

MonitorKind = Literal[
    "UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned"
]


class _Monitoring(Command[CallView]):
    versions = V201_ONLY
    feature: ClassVar[str] = "variable monitoring"


class SetVariableMonitor(_Monitoring):
    """2.0.1 SetVariableMonitoring of one variable; the station's NotifyEvent reports become
    its events. ``id`` replaces that monitor."""

    name: ClassVar[str] = "set_variable_monitor"
    path: ClassVar[str] = "monitor"
    title: ClassVar[str] = "Monitor a variable (2.0.1)"
    summary: ClassVar[str] = "2.0.1 SetVariableMonitoring; the station's reports show as its events"
    form_defaults: ClassVar[dict[str, str]] = {"type": "UpperThreshold"}

    component: ComponentName = Field(title="Component", description="e.g. EVSE")
    variable: ComponentName = Field(title="Variable", description="e.g. Power")
    type: MonitorKind = Field(title="Type")
    value: MonitorValue = Field(title="Value")
    severity: Severity = Field(8, title="Severity (0 most urgent … 9)")
    evse_id: EvseId | None = Field(None, title="EVSE")
    id: RequestId | None = Field(None, title="Monitor id (replaces it)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        target: JsonObject = {"name": self.component}
        if self.evse_id is not None:
            target["evse"] = {"id": self.evse_id}
        monitor: JsonObject = {
            "value": self.value,
            "type": self.type,
            "severity": self.severity,
            "component": target,
            "variable": {"name": self.variable},
        }
        if self.id is not None:
            monitor["id"] = self.id
        return "SetVariableMonitoring", {"setMonitoringData": [monitor]}


class ClearVariableMonitors(_Monitoring):
    name: ClassVar[str] = "clear_variable_monitors"
    path: ClassVar[str] = "clear-monitors"
    title: ClassVar[str] = "Clear monitors (2.0.1)"
    summary: ClassVar[str] = "2.0.1 ClearVariableMonitoring"
    confirm: ClassVar[bool] = True

    ids: list[RequestId] = Field(title="Monitor ids", min_length=1, max_length=limits.MONITOR_IDS)

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        return "ClearVariableMonitoring", {"id": list(self.ids)}


class SetMonitoringBase(_Monitoring):
    name: ClassVar[str] = "set_monitoring_base"
    path: ClassVar[str] = "monitoring-base"
    title: ClassVar[str] = "Monitoring base (2.0.1)"
    summary: ClassVar[str] = "2.0.1 SetMonitoringBase"
    confirm: ClassVar[bool] = True

    base: Literal["All", "FactoryDefault", "HardWiredOnly"] = Field(title="Base")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        return "SetMonitoringBase", {"monitoringBase": self.base}


class SetMonitoringLevel(_Monitoring):
    """Only events of ``severity`` or more urgent (lower) are reported."""

    name: ClassVar[str] = "set_monitoring_level"
    path: ClassVar[str] = "monitoring-level"
    title: ClassVar[str] = "Monitoring level (2.0.1)"
    summary: ClassVar[str] = "2.0.1 SetMonitoringLevel: report events this urgent or more"

    severity: Severity = Field(title="Severity (0 most urgent … 9)")

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        return "SetMonitoringLevel", {"severity": self.severity}


class GetMonitoringReport(_Monitoring):
    name: ClassVar[str] = "get_monitoring_report"
    path: ClassVar[str] = "monitoring-report"
    title: ClassVar[str] = "Monitoring report (2.0.1)"
    summary: ClassVar[str] = (
        "2.0.1 GetMonitoringReport; the monitors arrive as NotifyMonitoringReport events"
    )

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        return "GetMonitoringReport", {"requestId": new_request_id()}
