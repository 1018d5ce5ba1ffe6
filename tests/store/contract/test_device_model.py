"""Store contract, device model role: reported variables merged by their full key."""

from __future__ import annotations

from core.store.models import DeviceModelVariable
from core.store.protocols import Store


async def test_device_model_round_trips_in_key_order(store: Store) -> None:
    assert await store.lookup_device_model("cs1") == []
    evse = DeviceModelVariable(
        "EVSE",
        "Power",
        component_instance="i",
        evse_id=1,
        connector_id=2,
        variable_instance="v",
        attribute_type="MaxSet",
        value="22000",
        mutability="ReadWrite",
        characteristics={"unit": "W", "dataType": "decimal", "maxLimit": 22000},
    )
    station = DeviceModelVariable("ChargingStation", "Available", value="true")
    security = DeviceModelVariable("SecurityCtrlr", "SecurityProfile", value=None)
    await store.upsert_device_model("cs1", [security, evse, station])
    await store.upsert_device_model("cs2", [station])
    assert await store.lookup_device_model("cs1") == [station, evse, security]
    assert await store.lookup_device_model("cs2") == [station]


async def test_device_model_updates_values_and_keeps_what_a_report_omits(store: Store) -> None:
    first = DeviceModelVariable(
        "OCPPCommCtrlr",
        "HeartbeatInterval",
        value="60",
        mutability="ReadWrite",
        characteristics={"dataType": "integer"},
    )
    other_attribute = DeviceModelVariable(
        "OCPPCommCtrlr", "HeartbeatInterval", attribute_type="Target", value="30"
    )
    await store.upsert_device_model("cs1", [first, other_attribute])
    # A later report of the value alone (no mutability, no characteristics) keeps them.
    await store.upsert_device_model(
        "cs1", [DeviceModelVariable("OCPPCommCtrlr", "HeartbeatInterval", value="120")]
    )
    stored = await store.lookup_device_model("cs1")
    assert stored == [
        DeviceModelVariable(
            "OCPPCommCtrlr",
            "HeartbeatInterval",
            value="120",
            mutability="ReadWrite",
            characteristics={"dataType": "integer"},
        ),
        other_attribute,
    ]
    # One that does carry them replaces them.
    await store.upsert_device_model(
        "cs1",
        [
            DeviceModelVariable(
                "OCPPCommCtrlr",
                "HeartbeatInterval",
                value=None,
                mutability="ReadOnly",
                characteristics={"dataType": "string"},
            )
        ],
    )
    assert (await store.lookup_device_model("cs1"))[0] == DeviceModelVariable(
        "OCPPCommCtrlr",
        "HeartbeatInterval",
        value=None,
        mutability="ReadOnly",
        characteristics={"dataType": "string"},
    )
    await store.upsert_device_model("cs1", [])
    assert len(await store.lookup_device_model("cs1")) == 2
