"""The OCPP 1.6 routing table: one line per route. Schemas are derived from the action name."""

from __future__ import annotations

from core.handlers.call_maker import PNC_VENDOR_ID
from core.handlers.deps import HandlerDeps
from core.handlers.has2be import routes as has2be
from core.handlers.ocpp16.authorize import Authorize
from core.handlers.ocpp16.boot_notification import BootNotification
from core.handlers.ocpp16.data_transfer import DataTransfer
from core.handlers.ocpp16.meter_values import MeterValues
from core.handlers.ocpp16.results import (
    ChangeConfigurationError,
    ChangeConfigurationResult,
    DataTransferResult,
    GetConfigurationResult,
)
from core.handlers.ocpp16.sign_certificate import SignCertificate
from core.handlers.ocpp16.start_transaction import StartTransaction
from core.handlers.ocpp16.status_notification import StatusNotification
from core.handlers.ocpp16.stop_transaction import StopTransaction
from core.handlers.reservations import CancelReservationResult, ReserveNowError, ReserveNowResult
from core.handlers.station_events import RecordStationEvent
from core.handlers.types import CallHandler, ResultHandler, Routes
from core.schemas import SchemaSet
from core.services.boot import BootRecorder, BootRule, Heartbeat
from core.services.trigger_results import TriggerMessageResult


def routes(
    deps: HandlerDeps,
    pnc: dict[str, CallHandler] | None = None,
    pnc_results: dict[str, ResultHandler] | None = None,
) -> Routes:
    s, clock, events = deps.store, deps.clock, deps.events

    def record(event_type: str) -> RecordStationEvent:
        return RecordStationEvent(event_type, clock, s, events)

    tunnels = {
        PNC_VENDOR_ID: (SchemaSet.OCPP201, pnc or {}),
        has2be.VENDOR_ID: (SchemaSet.HAS2BE, has2be.routes(pnc) if pnc else {}),
    }
    return Routes(
        schema_set=SchemaSet.OCPP16,
        calls={
            "Authorize": Authorize(deps.token_auth),
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
            "DataTransfer": DataTransfer(tunnels),
            "DiagnosticsStatusNotification": record("DiagnosticsStatus"),
            "FirmwareStatusNotification": record("FirmwareStatus"),
            "Heartbeat": Heartbeat(clock, s),
            "LogStatusNotification": record("LogStatus"),
            "MeterValues": MeterValues(clock, s, s, events),
            "SecurityEventNotification": record("SecurityEvent"),
            "SignCertificate": SignCertificate(deps.station_cert_provider, s),
            "SignedFirmwareStatusNotification": record("SignedFirmwareStatus"),
            "StartTransaction": StartTransaction(clock, s, deps.token_auth, events, reservations=s),
            "StatusNotification": StatusNotification(clock, s, events),
            "StopTransaction": StopTransaction(clock, s, s, deps.token_auth, deps.tariff, events),
        },
        results={
            "CancelReservation": CancelReservationResult(s, clock),
            "ChangeConfiguration": ChangeConfigurationResult(s, deps.call_maker),
            "DataTransfer": DataTransferResult(pnc_results or {}),
            "GetConfiguration": GetConfigurationResult(s),
            "ReserveNow": ReserveNowResult(s, clock),
            "TriggerMessage": TriggerMessageResult(s),
        },
        errors={
            "ChangeConfiguration": ChangeConfigurationError(s),
            "ReserveNow": ReserveNowError(s, clock),
        },
    )
