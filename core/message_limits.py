"""How much a 2.0.1 station takes in one GetVariables or SetVariables, and requests split to fit.

A station states it in its device model: ``DeviceDataCtrlr.ItemsPerMessage`` and
``DeviceDataCtrlr.BytesPerMessage``, each with the action as the variable instance (2.0.1
Part 2, B06/B05; TC_B_08). A request beyond either is refused by the station (the spec lets it
answer OccurrenceConstraintViolation / FormatViolation), so the CSMS sends several instead.
Unknown limits — no NotifyReport yet — leave a request whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from core.store.protocols import DeviceModelStore

JsonObject = dict[str, Any]

# The frame around a payload: [2,"<36-character id>","SetVariables",…] — what BytesPerMessage
# counts beyond the payload itself.
_FRAME_OVERHEAD = 64


async def per_message_limits(
    store: DeviceModelStore, station_id: str, action: str
) -> tuple[int | None, int | None]:
    """(items, bytes) the station accepts in one ``action``, None where it has not said."""
    items: int | None = None
    size: int | None = None
    for v in await store.lookup_device_model(station_id):
        if v.component != "DeviceDataCtrlr" or v.variable_instance != action:
            continue
        if v.attribute_type != "Actual" or v.value is None:
            continue
        try:
            number = int(v.value)
        except ValueError:
            continue
        if number <= 0:
            continue
        if v.variable == "ItemsPerMessage":
            items = number
        elif v.variable == "BytesPerMessage":
            size = number
    return items, size


def split(
    key: str,
    items: Sequence[JsonObject],
    max_items: int | None,
    max_bytes: int | None,
    action: str,
) -> list[JsonObject]:
    """Payloads ``{key: [...]}`` in order, each within both limits. An item too big for
    ``max_bytes`` on its own travels alone: the station then says so for that item only."""
    if not items:
        return [{key: []}]
    payloads: list[JsonObject] = []
    chunk: list[JsonObject] = []
    for item in items:
        candidate = [*chunk, item]
        fits = max_items is None or len(candidate) <= max_items
        if fits and max_bytes is not None:
            size = len(orjson.dumps({key: candidate})) + len(action) + _FRAME_OVERHEAD
            fits = size <= max_bytes
        if fits or not chunk:
            chunk = candidate
        else:
            payloads.append({key: chunk})
            chunk = [item]
    payloads.append({key: chunk})
    return payloads
