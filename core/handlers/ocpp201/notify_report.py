"""2.0.1 NotifyReport: the reported variables are stored as the station's device model
(multi-part reports arrive as several messages with the same requestId and seqNo)."""

from __future__ import annotations

from typing import Any

from core.store.models import DeviceModelVariable
from core.store.protocols import DeviceModelStore


def variables_from_report(report: list[dict[str, Any]]) -> list[DeviceModelVariable]:
    out = []
    for item in report:
        component, variable = item["component"], item["variable"]
        evse = component.get("evse", {})
        characteristics = item.get("variableCharacteristics", {})
        for attribute in item["variableAttribute"]:
            out.append(
                DeviceModelVariable(
                    component=component["name"],
                    variable=variable["name"],
                    component_instance=component.get("instance", ""),
                    evse_id=evse.get("id"),
                    connector_id=evse.get("connectorId"),
                    variable_instance=variable.get("instance", ""),
                    attribute_type=attribute.get("type", "Actual"),
                    value=attribute.get("value"),
                    mutability=attribute.get("mutability", ""),
                    characteristics=characteristics,
                )
            )
    return out


class NotifyReport:
    def __init__(self, device_model: DeviceModelStore) -> None:
        self.device_model = device_model

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        variables = variables_from_report(request.get("reportData", []))
        if variables:
            await self.device_model.upsert_device_model(station_id, variables)
        return {}
