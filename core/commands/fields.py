"""The field types station commands are declared with: each a bound from :mod:`core.limits`
carried three ways at once — the check pydantic runs (with the limit's own reason), the
``minimum``/``maximum``/``maxLength`` the OpenAPI document states, and a :class:`Form` hint the
console's form reads (its input cuts typing at the bound)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from core import limits


@dataclass(frozen=True, slots=True)
class Form:
    """How the console asks for a field: ``kind`` is text | int | number | json | object |
    choice | list | pairs | time | bool, with the bound its input is cut at."""

    kind: str
    bound: limits.Bound | limits.NumberBound | None = None
    length: limits.Length | None = None
    choices: tuple[str, ...] = ()


def one_of(values: tuple[str, ...]) -> Callable[[str], str]:
    """The check of a text that must be one of ``values`` — a list computed at import, which a
    ``Literal`` cannot hold (its field also states them as the schema's ``enum``)."""

    def check(value: str) -> str:
        if value not in values:
            raise ValueError(f"must be one of {', '.join(values)}")
        return value

    return check


def _whole(bound: limits.Bound) -> Any:
    return BeforeValidator(lambda value: bound.check("", value))


def _decimal(bound: limits.NumberBound) -> Any:
    return BeforeValidator(lambda value: bound.check("", value))


def _sized(length: limits.Length) -> Any:
    # Before pydantic's own length check, so a refusal gives the bound's reason.
    def check(value: Any) -> Any:
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError("must not contain NUL characters")
            length.check("", value)
        return value

    return BeforeValidator(check)


def _within_years(value: Any) -> Any:
    """A time a store and a station can hold: 1900..9999 in UTC."""
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 1900 <= year <= 9999:
        raise ValueError("must be between the years 1900 and 9999")
    return value


def _json_value(value: Any) -> Any:
    limits.check_json("", value)
    return value


# Whole numbers
EvseId = Annotated[
    int, Field(ge=0, le=limits.INT32_MAX), _whole(limits.EVSE_ID), Form("int", limits.EVSE_ID)
]
ConnectorId = Annotated[
    int,
    Field(ge=1, le=limits.INT32_MAX),
    _whole(limits.CONNECTOR_ID),
    Form("int", limits.CONNECTOR_ID),
]
ReservationId = Annotated[
    int,
    Field(ge=1, le=limits.INT32_MAX),
    _whole(limits.RESERVATION_ID),
    Form("int", limits.RESERVATION_ID),
]
RequestId = Annotated[
    int, Field(ge=0, le=limits.INT32_MAX), _whole(limits.REQUEST_ID), Form("int", limits.REQUEST_ID)
]
ProfileId = Annotated[
    int, Field(ge=0, le=limits.INT32_MAX), _whole(limits.PROFILE_ID), Form("int", limits.PROFILE_ID)
]
ListVersion = Annotated[
    int,
    Field(ge=1, le=limits.INT32_MAX),
    _whole(limits.LIST_VERSION),
    Form("int", limits.LIST_VERSION),
]
Severity = Annotated[int, Field(ge=0, le=9), _whole(limits.SEVERITY), Form("int", limits.SEVERITY)]
StackLevel = Annotated[
    int, Field(ge=0, le=1000), _whole(limits.STACK_LEVEL), Form("int", limits.STACK_LEVEL)
]
DurationSeconds = Annotated[
    int,
    Field(ge=1, le=limits.INT32_MAX),
    _whole(limits.DURATION_SECONDS),
    Form("int", limits.DURATION_SECONDS),
]
Minutes = Annotated[
    int, Field(ge=1, le=525_600), _whole(limits.MINUTES), Form("int", limits.MINUTES)
]
FirmwareRetries = Annotated[
    int, Field(ge=0, le=100), _whole(limits.FIRMWARE_RETRIES), Form("int", limits.FIRMWARE_RETRIES)
]
FirmwareRetryInterval = Annotated[
    int,
    Field(ge=0, le=86_400),
    _whole(limits.FIRMWARE_RETRY_INTERVAL),
    Form("int", limits.FIRMWARE_RETRY_INTERVAL),
]
ConfigurationSlot = Annotated[
    int,
    Field(ge=0, le=100),
    _whole(limits.CONFIGURATION_SLOT),
    Form("int", limits.CONFIGURATION_SLOT),
]

# Numbers
ChargingLimit = Annotated[
    float,
    Field(ge=limits.CHARGING_LIMIT.lo, le=limits.CHARGING_LIMIT.hi),
    _decimal(limits.CHARGING_LIMIT),
    Form("number", limits.CHARGING_LIMIT),
]
MonitorValue = Annotated[
    float,
    Field(ge=limits.MONITOR_VALUE.lo, le=limits.MONITOR_VALUE.hi),
    _decimal(limits.MONITOR_VALUE),
    Form("number", limits.MONITOR_VALUE),
]


def _text(length: limits.Length, min_length: int | None = None) -> Any:
    lo = length.lo if min_length is None else min_length
    return Field(min_length=lo, max_length=length.hi, pattern="^[^\\u0000]*$")


# Texts
IdTokenText = Annotated[
    str,
    _text(limits.ID_TOKEN, 1),
    _sized(limits.ID_TOKEN),
    Form("text", length=limits.ID_TOKEN),
]
TransactionIdText = Annotated[
    str,
    _text(limits.TRANSACTION_ID_TEXT),
    _sized(limits.TRANSACTION_ID_TEXT),
    Form("text", length=limits.TRANSACTION_ID_TEXT),
]
ConfigurationKey = Annotated[
    str,
    _text(limits.CONFIGURATION_KEY),
    _sized(limits.CONFIGURATION_KEY),
    Form("text", length=limits.CONFIGURATION_KEY),
]
ConfigurationValue = Annotated[
    str,
    _text(limits.CONFIGURATION_VALUE),
    _sized(limits.CONFIGURATION_VALUE),
    Form("text", length=limits.CONFIGURATION_VALUE),
]
Url = Annotated[
    str,
    Field(min_length=8, max_length=limits.URL.hi, json_schema_extra={"format": "uri"}),
    _sized(limits.URL),
    Form("text", length=limits.URL),
]
DisplayText = Annotated[
    str,
    _text(limits.DISPLAY_TEXT),
    _sized(limits.DISPLAY_TEXT),
    Form("text", length=limits.DISPLAY_TEXT),
]
ComponentName = Annotated[
    str,
    _text(limits.COMPONENT_NAME),
    _sized(limits.COMPONENT_NAME),
    Form("text", length=limits.COMPONENT_NAME),
]
VendorId = Annotated[
    str, _text(limits.VENDOR_ID), _sized(limits.VENDOR_ID), Form("text", length=limits.VENDOR_ID)
]
MessageId = Annotated[
    str, _text(limits.MESSAGE_ID), _sized(limits.MESSAGE_ID), Form("text", length=limits.MESSAGE_ID)
]
CustomerIdentifier = Annotated[
    str,
    _text(limits.CUSTOMER_IDENTIFIER),
    _sized(limits.CUSTOMER_IDENTIFIER),
    Form("text", length=limits.CUSTOMER_IDENTIFIER),
]
Language = Annotated[
    str, _text(limits.LANGUAGE), _sized(limits.LANGUAGE), Form("text", length=limits.LANGUAGE)
]
Password = Annotated[
    str, _text(limits.PASSWORD), _sized(limits.PASSWORD), Form("text", length=limits.PASSWORD)
]
SigningCertificate = Annotated[str, Field(min_length=1, max_length=5500), Form("text")]
Signature = Annotated[str, Field(min_length=1, max_length=800), Form("text")]

# Times, with a zone (a time without one means something else at every site).
Timestamp = Annotated[AwareDatetime, AfterValidator(_within_years), Form("time")]

# JSON a client gives (raw payloads, charging profiles, DataTransfer data): bounded in depth and
# size before the encoder sees it.
JsonObjectField = Annotated[dict[str, Any], AfterValidator(_json_value), Form("object")]
JsonValue = Annotated[Any, AfterValidator(_json_value), Form("json")]

# 2.0.1 IdTokenEnumType (1.6 carries only the idTag).
IdTokenType = Literal[
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
]
ChargingRateUnit = Literal["W", "A"]
