"""The OCPP 2.0.1 routing table: one line per route. Schemas are derived from the action name."""

from __future__ import annotations

from core.handlers.deps import HandlerDeps
from core.handlers.ocpp201.authorize import Authorize
from core.handlers.ocpp201.boot_notification import BootNotification
from core.handlers.ocpp201.certificates import (
    Get15118EVCertificate,
    GetCertificateStatus,
    SignCertificate,
)
from core.handlers.ocpp201.ev_charging import ProfileOffer
from core.handlers.ocpp201.meter_values import MeterValues
from core.handlers.ocpp201.notify_ev_charging_needs import NotifyEVChargingNeeds
from core.handlers.ocpp201.notify_ev_charging_schedule import NotifyEVChargingSchedule
from core.handlers.ocpp201.notify_report import NotifyReport
from core.handlers.ocpp201.results import (
    CertificateResult,
    GetVariablesResult,
    SetVariablesResult,
)
from core.handlers.ocpp201.set_charging_profile_result import SetChargingProfileResult
from core.handlers.ocpp201.simple import RecordAndReply
from core.handlers.ocpp201.status_notification import StatusNotification
from core.handlers.ocpp201.transaction_event import RunningCostRefusals, TransactionEvent
from core.handlers.reservations import (
    CancelReservationResult,
    ReservationStatusUpdate,
    ReserveNowError,
    ReserveNowResult,
)
from core.handlers.types import CallHandler, ResultHandler, Routes
from core.schemas import SchemaSet
from core.services.boot import BootRecorder, BootRule, Heartbeat
from core.services.trigger_results import TriggerMessageResult

# The 2.0.1 messages a 1.6 station may send through the OCA PnC DataTransfer tunnel.
PNC_ACTIONS = ("Authorize", "GetCertificateStatus", "SignCertificate", "Get15118EVCertificate")
PNC_RESULTS = ("CertificateSigned", "InstallCertificate", "TriggerMessage")


def routes(deps: HandlerDeps) -> Routes:
    s, clock, events = deps.store, deps.clock, deps.events

    def record(event_type: str, reply: dict[str, object] | None = None) -> RecordAndReply:
        return RecordAndReply(reply or {}, event_type, clock, s, events)

    offer = ProfileOffer(clock, s, s, deps.call_maker)
    cost_refusals = RunningCostRefusals()

    return Routes(
        schema_set=SchemaSet.OCPP201,
        calls={
            "Authorize": Authorize(deps.token_auth, deps.contract_validator),
            "BootNotification": BootNotification(
                BootRecorder(
                    clock,
                    s,
                    BootRule(s),
                    events,
                    deps.settings.heartbeat_interval_s,
                    deps.settings.pending_interval_s,
                )
            ),
            "ClearedChargingLimit": record("ClearedChargingLimit"),
            "DataTransfer": record("DataTransfer", {"status": "UnknownVendorId"}),
            "FirmwareStatusNotification": record("FirmwareStatus"),
            "Get15118EVCertificate": Get15118EVCertificate(deps.contract_provider),
            "GetCertificateStatus": GetCertificateStatus(deps.ocsp),
            "Heartbeat": Heartbeat(clock, s),
            "LogStatusNotification": record("LogStatus"),
            "MeterValues": MeterValues(s),
            "NotifyChargingLimit": record("NotifyChargingLimit"),
            "NotifyCustomerInformation": record("NotifyCustomerInformation"),
            "NotifyDisplayMessages": record("NotifyDisplayMessages"),
            "NotifyEVChargingNeeds": NotifyEVChargingNeeds(clock, s, s, s, events, offer),
            "NotifyEVChargingSchedule": NotifyEVChargingSchedule(clock, s, s, s, events, offer),
            "NotifyEvent": record("NotifyEvent"),
            "NotifyMonitoringReport": record("NotifyMonitoringReport"),
            "NotifyReport": NotifyReport(s),
            "PublishFirmwareStatusNotification": record("PublishFirmwareStatus"),
            "ReportChargingProfiles": record("ReportChargingProfiles"),
            "ReservationStatusUpdate": ReservationStatusUpdate(s, s, clock, events),
            "SecurityEventNotification": record("SecurityEvent"),
            "SignCertificate": SignCertificate(deps.station_cert_provider, s),
            "StatusNotification": StatusNotification(clock, s, events),
            "TransactionEvent": TransactionEvent(
                clock,
                s,
                s,
                deps.token_auth,
                deps.tariff,
                events,
                reservations=s,
                call_maker=deps.call_maker,
                cost_refusals=cost_refusals,
                running_cost_interval_s=deps.settings.running_cost_interval_s,
            ),
        },
        results={
            "CancelReservation": CancelReservationResult(s, clock),
            "CertificateSigned": CertificateResult(s, "certificateChain"),
            "GetVariables": GetVariablesResult(s),
            "InstallCertificate": CertificateResult(s, "certificate"),
            "ReserveNow": ReserveNowResult(s, clock),
            "SetChargingProfile": SetChargingProfileResult(s, clock),
            "SetVariables": SetVariablesResult(s),
            "TriggerMessage": TriggerMessageResult(s),
        },
        errors={"ReserveNow": ReserveNowError(s, clock), "CostUpdated": cost_refusals},
    )


def pnc_handlers(routes: Routes) -> dict[str, CallHandler]:
    """The 2.0.1 handlers the 1.6 PnC DataTransfer tunnel dispatches to."""
    return {action: routes.calls[action] for action in PNC_ACTIONS}


def pnc_result_handlers(routes: Routes) -> dict[str, ResultHandler]:
    """The 2.0.1 result handlers for PnC messages tunnelled to 1.6 stations."""
    return {action: routes.results[action] for action in PNC_RESULTS}
