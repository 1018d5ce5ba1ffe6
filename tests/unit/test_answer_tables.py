"""A station's answer read as a table: a composite schedule's periods (1.6 and 2.0.1 shapes),
configuration keys (and unknown ones), variables read; anything else is left to JSON."""

from __future__ import annotations

from csms_tui.answers import AnswerTable, answer_table


def test_a_16_composite_schedule_is_its_periods_in_order() -> None:
    table = answer_table(
        "GetCompositeSchedule",
        {
            "status": "Accepted",
            "connectorId": 1,
            "scheduleStart": "2026-03-14T11:00:00+01:00",  # a station's zone: shown in UTC
            "chargingSchedule": {
                "duration": 3600,
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [
                    {"startPeriod": 1800, "limit": 7400, "numberPhases": 3},
                    {"startPeriod": 0, "limit": 11000},
                ],
            },
        },
    )
    assert table == AnswerTable(
        "Composite schedule of connector/EVSE 1: 2 periods from 2026-03-14 10:00:00 UTC for 3600 s",
        ("Start s", "From UTC", "Limit (W)", "Phases"),
        [("0", "2026-03-14 10:00:00", "11000", "-"), ("1800", "2026-03-14 10:30:00", "7400", "3")],
    )


def test_a_201_composite_schedule_names_its_evse() -> None:
    table = answer_table(
        "GetCompositeSchedule",
        {
            "status": "Accepted",
            "schedule": {
                "evseId": 2,
                "duration": 600,
                "scheduleStart": "2026-03-14T10:00:00Z",
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
            },
        },
    )
    assert table is not None
    assert table.title.startswith("Composite schedule of connector/EVSE 2: 1 period from")
    assert table.rows == [("0", "2026-03-14 10:00:00", "16.0", "-")]


def test_a_refused_or_odd_answer_is_left_to_json() -> None:
    assert answer_table("GetCompositeSchedule", {"status": "Rejected"}) is None
    odd = {"status": "Accepted", "schedule": {"chargingSchedulePeriod": "soon"}}
    assert answer_table("GetCompositeSchedule", odd) is None
    assert answer_table("Reset", {"status": "Accepted"}) is None
    assert answer_table("GetConfiguration", None) is None


def test_configuration_keys_and_unknown_ones() -> None:
    table = answer_table(
        "GetConfiguration",
        {
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
                {"key": "AuthorizationKey", "readonly": False},
            ],
            "unknownKey": ["NoSuchKey"],
        },
    )
    assert table is not None
    assert table.title == "Configuration: 3 keys, 1 unknown"
    assert table.rows == [
        ("HeartbeatInterval", "300", ""),
        ("NumberOfConnectors", "2", "read-only"),
        ("AuthorizationKey", "-", ""),
        ("NoSuchKey", "-", "unknown key"),
    ]


def test_variables_read_are_named_as_the_device_model_is() -> None:
    table = answer_table(
        "GetVariables",
        {
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "attributeValue": "300",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                {
                    "attributeStatus": "UnknownVariable",
                    "attributeType": "Target",
                    "component": {"name": "EVSE", "evse": {"id": 1, "connectorId": 2}},
                    "variable": {"name": "Power", "instance": "L1"},
                },
            ]
        },
    )
    assert table is not None
    assert table.title == "Variables: 2 read, 1 accepted"
    assert table.rows == [
        ("OCPPCommCtrlr/HeartbeatInterval", "300", "Actual", "Accepted"),
        ("EVSE;1;2/Power.L1", "-", "Target", "UnknownVariable"),
    ]
