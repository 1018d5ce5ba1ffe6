"""Every station command in the registry is reachable everywhere an operator reaches stations:
the REST API serves it (with its OpenAPI body), the remote client sends it through that API and
gets the station's call back, and the console's menu offers it. Adding a command to the registry
without a sample here fails the first test: a command is added with its tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from pydantic.alias_generators import to_camel

from core.api.openapi import BASE_PATH, openapi_document
from core.application.errors import NotFound
from core.application.views import CallView, ReservationCommand
from core.commands.base import Command
from core.commands.registry import BY_NAME, COMMANDS
from csms_tui.actions import ACTIONS
from csms_tui.remote import RemoteService
from tests.api.test_api import running_api

# A valid instance of each command (fields as an operator gives them).
SAMPLES: dict[str, dict[str, Any]] = {
    "remote_start": {"id_token": "TAG1", "evse_id": 1},
    "remote_stop": {"transaction_id": "42"},
    "reserve_now": {"id_token": "TAG1", "expires_at": "2099-01-01T00:00:00Z", "evse_id": 1},
    "cancel_reservation": {"reservation_id": 1},
    "get_transaction_status": {"transaction_id": "tx-1"},
    "reset": {"type": "Hard"},
    "change_availability": {"operative": False, "evse_id": 1},
    "unlock_connector": {"evse_id": 1, "connector_id": 1},
    "trigger_message": {"requested_message": "StatusNotification"},
    "get_configuration": {"keys": ["OCPPCommCtrlr/HeartbeatInterval"]},
    "set_configuration": {"values": {"OCPPCommCtrlr/HeartbeatInterval": "60"}},
    "get_report": {"report_base": "SummaryInventory"},
    "clear_cache": {},
    "send_local_list": {"update_type": "Full", "version": 3},
    "get_local_list_version": {},
    "update_firmware": {"location": "https://fw.example/v2.bin", "retries": 2},
    "get_log": {"location": "ftp://logs.example/up", "log_type": "SecurityLog"},
    "set_charging_limit": {"evse_id": 1, "limit": 7400.0, "duration": 600},
    "set_charging_profile": {"evse_id": 1, "profile": {"id": 1}},
    "clear_charging_profile": {"evse_id": 1},
    "get_composite_schedule": {"evse_id": 1, "duration": 3600},
    "set_display_message": {"text": "Welcome", "minutes": 5},
    "clear_display_message": {"id": 7},
    "get_display_messages": {},
    "set_variable_monitor": {"component": "EVSE", "variable": "Power", "type": "Delta", "value": 1},
    "clear_variable_monitors": {"ids": [1, 2]},
    "set_monitoring_base": {"base": "All"},
    "set_monitoring_level": {"severity": 4},
    "get_monitoring_report": {},
    "customer_information": {"report": True, "clear": False, "id_token": "TAG1"},
    "data_transfer": {"vendor_id": "com.acme", "message_id": "ping", "data": {"a": [1]}},
    "raw_call": {"action": "GetTransactionStatus", "payload": {}},
    "rotate_password": {},
    "upgrade_security_profile": {"security_profile": 1},
}

# What reaches a 2.0.1 station when the command is sent (None: it needs state first — a
# reservation to cancel, a password the station must take — so only its route is checked).
ACTION_201: dict[str, str | None] = {
    "remote_start": "RequestStartTransaction",
    "remote_stop": "RequestStopTransaction",
    "reserve_now": "ReserveNow",
    "cancel_reservation": None,
    "get_transaction_status": "GetTransactionStatus",
    "reset": "Reset",
    "change_availability": "ChangeAvailability",
    "unlock_connector": "UnlockConnector",
    "trigger_message": "TriggerMessage",
    "get_configuration": "GetVariables",
    "set_configuration": "SetVariables",
    "get_report": "GetBaseReport",
    "clear_cache": "ClearCache",
    "send_local_list": "SendLocalList",
    "get_local_list_version": "GetLocalListVersion",
    "update_firmware": "UpdateFirmware",
    "get_log": "GetLog",
    "set_charging_limit": "SetChargingProfile",
    "set_charging_profile": None,  # the sample profile is not a valid ChargingProfileType
    "clear_charging_profile": "ClearChargingProfile",
    "get_composite_schedule": "GetCompositeSchedule",
    "set_display_message": "SetDisplayMessage",
    "clear_display_message": "ClearDisplayMessage",
    "get_display_messages": "GetDisplayMessages",
    "set_variable_monitor": "SetVariableMonitoring",
    "clear_variable_monitors": "ClearVariableMonitoring",
    "set_monitoring_base": "SetMonitoringBase",
    "set_monitoring_level": "SetMonitoringLevel",
    "get_monitoring_report": "GetMonitoringReport",
    "customer_information": "CustomerInformation",
    "data_transfer": "DataTransfer",
    "raw_call": "GetTransactionStatus",
    "rotate_password": None,
    "upgrade_security_profile": None,
}


def _sample(name: str) -> Command[Any]:
    return BY_NAME[name].parse(SAMPLES[name])


def test_every_command_has_a_sample_and_a_unique_name_and_path() -> None:
    assert set(SAMPLES) == set(BY_NAME) == set(ACTION_201)
    assert len({c.path for c in COMMANDS}) == len(COMMANDS)
    for command in COMMANDS:
        assert command.title, command.name
        assert command.summary, command.name


def test_the_api_document_and_the_console_menu_offer_every_command() -> None:
    paths = openapi_document()["paths"]
    for command in COMMANDS:
        operation = paths[f"{BASE_PATH}/cs/{{csId}}/{command.path}"]["post"]
        assert operation["operationId"] == to_camel(command.name)
    assert [a.id for a in ACTIONS] == [c.name for c in COMMANDS]
    for action, command in zip(ACTIONS, COMMANDS, strict=True):
        assert action.title == command.title
        assert action.confirm == command.confirm
        assert [f.name for f in action.fields] == [
            n for n, f in command.model_fields.items() if not f.exclude
        ]


@pytest.mark.parametrize("name", sorted(SAMPLES))
async def test_the_remote_client_reaches_every_command_through_the_api(name: str) -> None:
    async with running_api() as api:
        env = api.env
        async with aiohttp.ClientSession() as http:
            remote = RemoteService(http, api.server.url)
            # An unknown station: the route exists, the body passes the served document, and
            # the refusal comes back as the error the local service raises.
            with pytest.raises(NotFound, match="GHOST"):  # not a missing route's bare 404
                await remote.execute("GHOST", _sample(name))
            action = ACTION_201[name]
            if action is None:
                return
            await env.boot("CS201", "2.0.1")
            command = _sample(name)
            if name == "reserve_now":
                command = command.model_copy(
                    update={"expires_at": env.clock.now() + timedelta(hours=1)}
                )
            view = await remote.execute("CS201", command)
            call = view.call if isinstance(view, ReservationCommand) else view
            assert isinstance(call, CallView)
            sent = [(await env.wire.next())[2] for _ in call.call_ids or [call.call_id]]
            assert sent[-1].action == action
            assert sent[-1].id == call.call_id
