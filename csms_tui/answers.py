"""A station's answer to a CSMS call, readable: the answers that are lists of things become a
table — a composite schedule its periods, a configuration or a device-model read its keys and
values — and the caller shows any other answer as JSON. Every cell is the station's text: the
screen shows it inert (``csms_tui.inert.plain``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from csms_tui.timefmt import moment


@dataclass(frozen=True, slots=True)
class AnswerTable:
    """``title`` says what the rows are; ``rows`` hold one string per column."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def answer_table(action: str, response: dict[str, Any] | None) -> AnswerTable | None:
    """The answer as a table, or None where it is not a list of things (show it as JSON)."""
    render = _TABLES.get(action)
    if render is None or not isinstance(response, dict):
        return None
    try:
        return render(response)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None  # a shape the schema allowed and this reading did not foresee: JSON then


def _when(text: object) -> datetime | None:
    """A station's timestamp in UTC (one without a zone read as UTC, as OCPP means it)."""
    try:
        at = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _text(value: object) -> str:
    return "-" if value is None else str(value)


def _schedule(response: dict[str, Any]) -> AnswerTable | None:
    # 2.0.1 answers {"schedule": {...}}; 1.6 {"connectorId", "scheduleStart", "chargingSchedule"}.
    schedule = response.get("schedule") or response.get("chargingSchedule")
    if not isinstance(schedule, dict):
        return None
    start = _when(
        schedule.get("scheduleStart")
        or response.get("scheduleStart")
        or schedule.get("startSchedule")
        or ""
    )
    periods = sorted(schedule["chargingSchedulePeriod"], key=lambda p: p["startPeriod"])
    duration = schedule.get("duration")
    unit = schedule.get("chargingRateUnit", "")
    rows: list[tuple[str, ...]] = [
        (
            str(period["startPeriod"]),
            f"{start + timedelta(seconds=period['startPeriod']):%Y-%m-%d %H:%M:%S}"
            if start
            else "-",
            str(period["limit"]),
            _text(period.get("numberPhases")),
        )
        for period in periods
    ]
    where = schedule.get("evseId", response.get("connectorId"))
    title = (
        "Composite schedule"
        + (f" of connector/EVSE {where}" if where is not None else "")
        + f": {len(rows)} period{'' if len(rows) == 1 else 's'}"
        + (f" from {moment(start)}" if start else "")
        + (f" for {duration} s" if duration is not None else "")
    )
    columns = ("Start s", "From UTC", f"Limit ({unit})" if unit else "Limit", "Phases")
    return AnswerTable(title, columns, rows)


def _configuration(response: dict[str, Any]) -> AnswerTable:
    rows: list[tuple[str, ...]] = [
        (str(item["key"]), _text(item.get("value")), "read-only" if item.get("readonly") else "")
        for item in response.get("configurationKey", [])
    ]
    unknown = [str(key) for key in response.get("unknownKey", [])]
    rows += [(key, "-", "unknown key") for key in unknown]
    title = f"Configuration: {len(rows) - len(unknown)} keys" + (
        f", {len(unknown)} unknown" if unknown else ""
    )
    return AnswerTable(title, ("Key", "Value", "Access"), rows)


def _variables(response: dict[str, Any]) -> AnswerTable:
    """One row per variable read, named as the station detail names device-model variables:
    ``Component[;EVSE[;connector]]/Variable`` (instances after a dot)."""
    rows: list[tuple[str, ...]] = []
    for result in response["getVariableResult"]:
        component, variable = result["component"], result["variable"]
        name = str(component["name"])
        if component.get("instance"):
            name += f".{component['instance']}"
        evse = component.get("evse")
        if isinstance(evse, dict):
            name += f";{evse.get('id')}"
            if evse.get("connectorId") is not None:
                name += f";{evse['connectorId']}"
        name += f"/{variable['name']}"
        if variable.get("instance"):
            name += f".{variable['instance']}"
        rows.append(
            (
                name,
                _text(result.get("attributeValue")),
                str(result.get("attributeType") or "Actual"),
                str(result.get("attributeStatus", "")),
            )
        )
    accepted = sum(1 for row in rows if row[3] == "Accepted")
    title = f"Variables: {len(rows)} read, {accepted} accepted"
    return AnswerTable(title, ("Component/variable", "Value", "Attribute", "Status"), rows)


_TABLES: dict[str, Callable[[dict[str, Any]], AnswerTable | None]] = {
    "GetCompositeSchedule": _schedule,
    "GetConfiguration": _configuration,
    "GetVariables": _variables,
}
