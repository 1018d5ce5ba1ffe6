"""Our stored data as OCPI objects and back: locations, EVSE status, tokens, sessions, CDRs and
the tariff. Pure functions: no I/O, the caller passes what it read and the time."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from core.ocpi.models import (
    Cdr,
    CdrDimension,
    CdrLocation,
    CdrToken,
    ChargingPeriod,
    Evse,
    EvseStatus,
    Location,
    OcpiToken,
    Price,
    PriceComponent,
    Session,
    Tariff,
    TariffElement,
    WhitelistType,
)
from core.services.protocols import TariffService
from core.store.energy import energy_between
from core.store.models import (
    CacheMode,
    ConnectorStatus,
    MeterValue,
    SampledValue,
    Token,
    Transaction,
    UnitOfMeasure,
)
from core.store.models import Location as StoredLocation

TARIFF_ID = "KWH"

# -- locations and EVSEs -------------------------------------------------------------------------


def location_from_admin(location_id: str, body: dict[str, Any], now: datetime) -> Location:
    """The seed's admin body as an OCPI Location: published, EVSE status UNKNOWN until a station
    reports, every ``last_updated`` now. Raises ``ValueError`` naming the bad field."""
    evses = [
        {
            **evse,
            "status": EvseStatus.UNKNOWN,
            "last_updated": now,
            "connectors": [{**c, "last_updated": now} for c in evse.get("connectors") or []],
        }
        for evse in body.get("evses") or []
    ]
    data = {**body, "id": location_id, "publish": True, "evses": evses, "last_updated": now}
    try:
        return Location.model_validate(data)
    except ValidationError as exc:
        raise ValueError(first_error(exc)) from None


def first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "body"
    return f"{where}: {error['msg']}"


_SEED_UID = re.compile(r"^[A-Za-z]{2}[A-Za-z0-9]{3}E(.+)$")
_EVSE_SUFFIX = re.compile(r"^(.+)\*(\d+)$")


@dataclass(frozen=True, slots=True)
class EvseRef:
    """Which station (and which OCPP EVSE of it, when the uid says) an OCPI EVSE is."""

    station_id: str
    evse_number: int | None


def evse_ref(uid: str, country_code: str, party_id: str) -> EvseRef:
    """An EVSE uid names its station: ``<station>``, ``<station>*<ocpp evse>``, or the seed's
    ``<cc><party>E<station>`` (``GBTWKECS001`` = station ``CS001`` of GB*TWK)."""
    seed = _SEED_UID.match(uid)
    if seed and uid[:5].upper() == f"{country_code}{party_id}".upper():
        uid = seed.group(1)
    suffixed = _EVSE_SUFFIX.match(uid)
    if suffixed:
        return EvseRef(suffixed.group(1), int(suffixed.group(2)))
    return EvseRef(uid, None)


# OCPP 1.6 ChargePointStatus and 2.0.1 ConnectorStatusEnumType → OCPI EVSE status.
_STATUS = {
    "Available": EvseStatus.AVAILABLE,
    "Preparing": EvseStatus.CHARGING,
    "Charging": EvseStatus.CHARGING,
    "SuspendedEV": EvseStatus.CHARGING,
    "SuspendedEVSE": EvseStatus.CHARGING,
    "Finishing": EvseStatus.CHARGING,
    "Occupied": EvseStatus.CHARGING,
    "Reserved": EvseStatus.RESERVED,
    "Unavailable": EvseStatus.INOPERATIVE,
    "Faulted": EvseStatus.OUTOFORDER,
}
# When an EVSE has several connectors, the most telling status wins.
_RANK = [
    EvseStatus.CHARGING,
    EvseStatus.RESERVED,
    EvseStatus.AVAILABLE,
    EvseStatus.OUTOFORDER,
    EvseStatus.INOPERATIVE,
    EvseStatus.UNKNOWN,
]


def evse_status(statuses: Sequence[ConnectorStatus], evse_number: int | None) -> EvseStatus:
    """The OCPI status of an EVSE from its station's connector statuses (evse 0 = station)."""
    mine = [
        _STATUS.get(s.status, EvseStatus.UNKNOWN)
        for s in statuses
        if s.evse_id > 0 and (evse_number is None or s.evse_id == evse_number)
    ]
    station = [s for s in statuses if s.evse_id == 0]
    if station and station[0].status in ("Unavailable", "Faulted"):
        return _STATUS[station[0].status]
    return min(mine, key=_RANK.index) if mine else EvseStatus.UNKNOWN


def stored_location(location: Location) -> StoredLocation:
    return StoredLocation(location.id, location.to_json(), location.last_updated)


def parse_stored(location: StoredLocation) -> Location:
    return Location.model_validate(location.data)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a transaction happens, in OCPI terms."""

    location: Location
    evse: Evse
    connector_id: str


def find_place(
    locations: Sequence[Location], tx: Transaction, country_code: str, party_id: str
) -> Place | None:
    for location in locations:
        for evse in location.evses or []:
            ref = evse_ref(evse.uid, country_code, party_id)
            if ref.station_id != tx.station_id:
                continue
            if ref.evse_number is not None and tx.evse_id and ref.evse_number != tx.evse_id:
                continue
            wanted = {str(tx.connector_id), str(tx.evse_id)}
            chosen = next((c for c in evse.connectors if c.id in wanted), evse.connectors[0])
            return Place(location, evse, chosen.id)
    return None


# -- tokens --------------------------------------------------------------------------------------


def token_to_store(token: OcpiToken) -> Token:
    return Token(
        country_code=token.country_code,
        party_id=token.party_id,
        type=token.type.value,
        uid=token.uid,
        contract_id=token.contract_id,
        issuer=token.issuer,
        valid=token.valid,
        cache_mode=CacheMode(token.whitelist.value),
        visual_number=token.visual_number,
        group_id=token.group_id,
        language_code=token.language,
        last_updated=token.last_updated,
    )


def token_from_store(token: Token, now: datetime) -> OcpiToken:
    return OcpiToken(
        country_code=token.country_code,
        party_id=token.party_id,
        uid=token.uid,
        type=token.type,
        contract_id=token.contract_id,
        visual_number=token.visual_number,
        issuer=token.issuer,
        group_id=token.group_id,
        valid=token.valid,
        whitelist=WhitelistType(token.cache_mode.value),
        language=token.language_code,
        last_updated=token.last_updated or now,
    )


# -- sessions and CDRs ---------------------------------------------------------------------------


def session_id(tx: Transaction) -> str:
    """``<station>-<transaction>``; hashed when that exceeds OCPI's 36 characters."""
    plain = f"{tx.station_id}-{tx.transaction_id}"
    if len(plain) <= 36:
        return plain
    return hashlib.sha256(plain.encode()).hexdigest()[:36]


def cdr_token(tx: Transaction, token: Token | None, country_code: str, party_id: str) -> CdrToken:
    if token is not None:
        return CdrToken(
            country_code=token.country_code,
            party_id=token.party_id,
            uid=token.uid,
            type=token.type,
            contract_id=token.contract_id,
        )
    # A token only the station knew (local list, free vend): ours, typed OTHER.
    return CdrToken(
        country_code=country_code,
        party_id=party_id,
        uid=tx.id_token or "UNKNOWN",
        type="OTHER",
        contract_id=tx.id_token or "UNKNOWN",
    )


@dataclass(frozen=True, slots=True)
class Charge:
    kwh: float
    cost: float | None
    currency: str


def charge(tx: Transaction, tariff: TariffService) -> Charge:
    """The energy and cost of a transaction as read from the store: its register bounds
    (``register_wh``, every reading so far — the 1.6 start and stop registers among them), the
    rule its meter start/stop and the CSMS's own cost are read by."""
    wh = energy_between(tx.register_wh)
    kwh = round((wh or 0.0) / 1000.0, 4)
    cost = None if wh is None else tariff.price(wh)
    currency = tx.currency or (cost.currency if cost else "") or tariff_price(tariff)[1]
    amount = tx.cost if tx.cost is not None else (cost.amount if cost else None)
    return Charge(kwh, amount, currency)


def build_session(
    tx: Transaction,
    place: Place,
    token: Token | None,
    charged: Charge,
    country_code: str,
    party_id: str,
    now: datetime,
    by_command: bool,
) -> Session:
    started = tx.started_at or now
    return Session(
        country_code=country_code,
        party_id=party_id,
        id=session_id(tx),
        start_date_time=started,
        end_date_time=tx.ended_at if not tx.active else None,
        kwh=charged.kwh,
        cdr_token=cdr_token(tx, token, country_code, party_id),
        auth_method="COMMAND" if by_command else "WHITELIST",
        location_id=place.location.id,
        evse_uid=place.evse.uid,
        connector_id=place.connector_id,
        currency=charged.currency,
        charging_periods=[_energy_period(started, charged.kwh)] if charged.kwh else None,
        total_cost=Price(excl_vat=charged.cost) if charged.cost is not None else None,
        status="ACTIVE" if tx.active else "COMPLETED",
        last_updated=now,
    )


def _energy_period(start: datetime, kwh: float) -> ChargingPeriod:
    return ChargingPeriod(
        start_date_time=start,
        dimensions=[CdrDimension(type="ENERGY", volume=kwh)],
        tariff_id=TARIFF_ID,
    )


def build_cdr(session: Session, place: Place, tariff: Tariff, now: datetime) -> dict[str, Any]:
    """The CDR of a completed session (as JSON: validated through the model first)."""
    connector = next(c for c in place.evse.connectors if c.id == place.connector_id)
    end = session.end_date_time or now
    hours = max(0.0, (end - session.start_date_time).total_seconds()) / 3600.0
    cdr = Cdr(
        country_code=session.country_code,
        party_id=session.party_id,
        id=session.id,
        start_date_time=session.start_date_time,
        end_date_time=end,
        session_id=session.id,
        cdr_token=session.cdr_token,
        auth_method=session.auth_method,
        cdr_location=CdrLocation(
            id=place.location.id,
            name=place.location.name,
            address=place.location.address,
            city=place.location.city,
            postal_code=place.location.postal_code,
            country=place.location.country,
            coordinates=place.location.coordinates,
            evse_uid=place.evse.uid,
            evse_id=place.evse.evse_id or place.evse.uid,
            connector_id=connector.id,
            connector_standard=connector.standard,
            connector_format=connector.format,
            connector_power_type=connector.power_type,
        ),
        currency=session.currency,
        tariffs=[tariff.to_json()],
        charging_periods=session.charging_periods
        or [_energy_period(session.start_date_time, session.kwh)],
        total_cost=session.total_cost or Price(excl_vat=0.0),
        total_energy=session.kwh,
        total_time=round(hours, 4),
        last_updated=now,
    )
    return cdr.to_json()


# -- tariff --------------------------------------------------------------------------------------

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def tariff_price(tariff: TariffService) -> tuple[float, str]:
    """Price per kWh and currency, asked of the tariff service itself (the cost of exactly one
    kWh), so the published tariff is what sessions are charged with."""
    one_kwh = MeterValue(_EPOCH, [SampledValue(value=1000.0, unit_of_measure=UnitOfMeasure())])
    cost = tariff.cost([one_kwh])
    return (cost.amount, cost.currency) if cost is not None else (0.0, "EUR")


def build_tariff(tariff: TariffService, country_code: str, party_id: str, at: datetime) -> Tariff:
    price, currency = tariff_price(tariff)
    return Tariff(
        country_code=country_code,
        party_id=party_id,
        id=TARIFF_ID,
        currency=currency,
        type="REGULAR",
        elements=[
            TariffElement(
                price_components=[PriceComponent(type="ENERGY", price=price, step_size=1)]
            )
        ],
        last_updated=at,
    )
