"""OCPI 2.2.1 objects we send or accept, as pydantic models.

Incoming objects ignore unknown fields (OCPI asks receivers to be lenient: a newer peer may add
fields); outgoing objects are dumped without ``None`` values, because OCPI's optional fields are
absent rather than ``null``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

from core.clock import iso

CiString2 = Annotated[str, StringConstraints(min_length=2, max_length=2)]
CiString3 = Annotated[str, StringConstraints(min_length=3, max_length=3)]
CiString36 = Annotated[str, StringConstraints(min_length=1, max_length=36)]


class OcpiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


# OCPI DateTime is RFC 3339 in UTC; we always write it with a ``Z``.
DateTime = Annotated[datetime, PlainSerializer(iso, when_used="json")]


class Stamped(OcpiModel):
    """An object with OCPI DateTime fields."""


# -- versions and credentials -------------------------------------------------------------------


class Version(OcpiModel):
    version: str
    url: str


class Endpoint(OcpiModel):
    identifier: str
    role: str  # SENDER | RECEIVER
    url: str


class VersionDetails(OcpiModel):
    version: str
    endpoints: list[Endpoint]


class BusinessDetails(OcpiModel):
    name: str
    website: str | None = None


class CredentialsRole(OcpiModel):
    role: str  # CPO | EMSP | HUB | NAP | NSP | OTHER | SCSP
    country_code: CiString2
    party_id: CiString3
    business_details: BusinessDetails | None = None


class Credentials(OcpiModel):
    token: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    url: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    roles: Annotated[list[CredentialsRole], Field(min_length=1)]


# -- locations -----------------------------------------------------------------------------------


class EvseStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


class GeoLocation(OcpiModel):
    latitude: str
    longitude: str


class Connector(Stamped):
    id: CiString36
    standard: str
    format: str
    power_type: str
    max_voltage: int
    max_amperage: int
    max_electric_power: int | None = None
    tariff_ids: list[str] | None = None
    last_updated: DateTime


class Evse(Stamped):
    uid: CiString36
    evse_id: str | None = None
    status: EvseStatus = EvseStatus.UNKNOWN
    capabilities: list[str] | None = None
    connectors: Annotated[list[Connector], Field(min_length=1)]
    last_updated: DateTime


class Location(Stamped):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    publish: bool = True
    name: str | None = None
    address: str
    city: str
    postal_code: str | None = None
    state: str | None = None
    country: str
    coordinates: GeoLocation
    parking_type: str | None = None
    evses: list[Evse] | None = None
    time_zone: str = "UTC"
    last_updated: DateTime


# -- tokens --------------------------------------------------------------------------------------


class TokenType(StrEnum):
    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(StrEnum):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class OcpiToken(Stamped):
    country_code: CiString2
    party_id: CiString3
    uid: CiString36
    type: TokenType
    contract_id: CiString36
    visual_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    issuer: Annotated[str, StringConstraints(max_length=64)]
    group_id: Annotated[str, StringConstraints(max_length=36)] | None = None
    valid: bool
    whitelist: WhitelistType
    language: Annotated[str, StringConstraints(min_length=2, max_length=2)] | None = None
    default_profile_type: str | None = None
    last_updated: DateTime


class LocationReferences(OcpiModel):
    location_id: CiString36
    evse_uids: list[str] | None = None


class AuthorizationInfo(OcpiModel):
    allowed: str  # ALLOWED | BLOCKED | EXPIRED | NO_CREDIT | NOT_ALLOWED
    token: dict[str, Any] | None = None
    location: LocationReferences | None = None
    authorization_reference: str | None = None


# -- sessions and CDRs ---------------------------------------------------------------------------


class CdrToken(OcpiModel):
    country_code: str
    party_id: str
    uid: str
    type: str
    contract_id: str


class Price(OcpiModel):
    excl_vat: float
    incl_vat: float | None = None


class CdrDimension(OcpiModel):
    type: str  # ENERGY | TIME | …
    volume: float


class ChargingPeriod(Stamped):
    start_date_time: DateTime
    dimensions: list[CdrDimension]
    tariff_id: str | None = None


class Session(Stamped):
    country_code: str
    party_id: str
    id: CiString36
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: float
    cdr_token: CdrToken
    auth_method: str  # AUTH_REQUEST | COMMAND | WHITELIST
    authorization_reference: str | None = None
    location_id: str
    evse_uid: str
    connector_id: str
    currency: str
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None
    status: str  # ACTIVE | COMPLETED | INVALID | PENDING | RESERVATION
    last_updated: DateTime


class CdrLocation(OcpiModel):
    id: str
    name: str | None = None
    address: str
    city: str
    postal_code: str | None = None
    country: str
    coordinates: GeoLocation
    evse_uid: str
    evse_id: str
    connector_id: str
    connector_standard: str
    connector_format: str
    connector_power_type: str


class Cdr(Stamped):
    country_code: str
    party_id: str
    id: CiString36
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: str | None = None
    cdr_token: CdrToken
    auth_method: str
    cdr_location: CdrLocation
    currency: str
    tariffs: list[dict[str, Any]] | None = None
    charging_periods: Annotated[list[ChargingPeriod], Field(min_length=1)]
    total_cost: Price
    total_energy: float
    total_time: float
    last_updated: DateTime


# -- tariffs -------------------------------------------------------------------------------------


class PriceComponent(OcpiModel):
    type: str  # ENERGY | FLAT | PARKING_TIME | TIME
    price: float
    vat: float | None = None
    step_size: int


class TariffElement(OcpiModel):
    price_components: Annotated[list[PriceComponent], Field(min_length=1)]


class Tariff(Stamped):
    country_code: str
    party_id: str
    id: CiString36
    currency: str
    type: str | None = None
    elements: Annotated[list[TariffElement], Field(min_length=1)]
    last_updated: DateTime


# -- commands ------------------------------------------------------------------------------------


class CommandType(StrEnum):
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class StartSession(OcpiModel):
    response_url: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    token: OcpiToken
    location_id: CiString36
    evse_uid: CiString36 | None = None
    connector_id: CiString36 | None = None
    authorization_reference: str | None = None


class ReserveNow(OcpiModel):
    response_url: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    token: OcpiToken
    expiry_date: AwareDatetime
    reservation_id: CiString36
    location_id: CiString36
    evse_uid: CiString36 | None = None
    authorization_reference: str | None = None


class CancelReservation(OcpiModel):
    response_url: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    reservation_id: CiString36


class StopSession(OcpiModel):
    response_url: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    session_id: CiString36


class UnlockConnector(OcpiModel):
    response_url: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36


class CommandResponse(OcpiModel):
    result: str  # ACCEPTED | NOT_SUPPORTED | REJECTED | UNKNOWN_SESSION
    timeout: int
    message: list[dict[str, str]] | None = None


class CommandResult(OcpiModel):
    result: str  # ACCEPTED | EVSE_OCCUPIED | FAILED | NOT_SUPPORTED | REJECTED | TIMEOUT | …
    message: list[dict[str, str]] | None = None


def display_text(text: str) -> list[dict[str, str]]:
    """OCPI DisplayText list in English: the reason a command was refused, for people."""
    return [{"language": "en", "text": text[:512]}]
