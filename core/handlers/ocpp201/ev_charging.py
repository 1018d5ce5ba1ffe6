"""ISO 15118 smart charging (2.0.1 K15-K17), shared by NotifyEVChargingNeeds,
NotifyEVChargingSchedule and the SetChargingProfile result: the TxProfile the CSMS offers an EV,
and the check of the schedule the EV chose against the profile the station accepted.

The profile is one period at the most the EV may draw within every limit the CSMS knows:

- the EV's own maximum from its charging needs (AC: evMaxCurrent per phase; DC: evMaxPower, or
  evMaxCurrent × evMaxVoltage when it gave no power);
- the station's device model: `Power` of the EVSE and of the ChargingStation (maxLimit, else the
  MaxSet value), the most the hardware and its supply can deliver;
- the station-wide maximum the operator set (a ChargingStationMaxProfile the station accepted,
  e.g. the site's grid connection set with `set_charging_limit` on EVSE 0), at the time it is
  sent. No other site limit is configured in this CSMS.

AC profiles are in A per phase — what an AC station enforces on the pilot signal; a limit in W is
turned into A with the EV's evMaxVoltage taken as the phase voltage (a line voltage there only
makes the current lower, never higher). DC profiles are in W. The schedule lasts until the EV's
departure time, or 24 h (ISO 15118-2's span when the EV gives no departure time)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock, iso, parse_iso
from core.handlers.call_maker import CallMaker
from core.store.models import DeviceModelVariable, EvCharging
from core.store.protocols import DeviceModelStore, EvChargingStore

log = logging.getLogger(__name__)

ORIGIN = "iso15118"  # the origin of the SetChargingProfile call records this sends
DAY_S = 24 * 3600
_PHASES = {"AC_single_phase": 1, "AC_two_phase": 2, "AC_three_phase": 3}
_WATTS = {"W": 1.0, "kW": 1000.0}
# A limit the EV's schedule may exceed by rounding alone (the station and EV round differently).
_TOLERANCE = 0.01


class UnusableNeeds(ValueError):
    """The charging needs do not allow a schedule (K15.FR.06: AC or DC parameters required)."""


@dataclass(frozen=True, slots=True)
class EvLimits:
    """What the EV can take, in the unit its profile is made in."""

    unit: str  # "A" (AC, per phase) | "W" (DC)
    limit: float
    phases: int | None  # AC only
    voltage: float | None
    min_rate: float | None


def ev_limits(needs: dict[str, Any]) -> EvLimits:
    charging = needs["chargingNeeds"]
    mode = charging["requestedEnergyTransfer"]
    if mode in _PHASES:
        ac = charging.get("acChargingParameters")
        if ac is None:
            raise UnusableNeeds(f"{mode} without acChargingParameters")
        return EvLimits(
            "A", float(ac["evMaxCurrent"]), _PHASES[mode], float(ac["evMaxVoltage"]),
            float(ac["evMinCurrent"]),
        )  # fmt: skip
    dc = charging.get("dcChargingParameters")
    if dc is None:
        raise UnusableNeeds(f"{mode} without dcChargingParameters")
    power = float(dc["evMaxCurrent"]) * float(dc["evMaxVoltage"])
    if dc.get("evMaxPower") is not None:
        power = min(power, float(dc["evMaxPower"]))
    return EvLimits("W", power, None, float(dc["evMaxVoltage"]), None)


def device_model_watts(variables: list[DeviceModelVariable], evse_id: int) -> list[float]:
    """The `Power` limits (W) of this EVSE and of the whole station in the device model."""
    limits = []
    for v in variables:
        if v.variable != "Power" or v.variable_instance:
            continue
        if not (
            (v.component == "EVSE" and v.evse_id == evse_id) or v.component == "ChargingStation"
        ):
            continue
        scale = _WATTS.get(str(v.characteristics.get("unit", "W")), 1.0)
        value: Any = v.characteristics.get("maxLimit")
        if value is None and v.attribute_type == "MaxSet":
            value = v.value
        try:
            if value is not None and float(value) > 0:
                limits.append(float(value) * scale)
        except ValueError:
            log.info("device model Power %r of %s is not a number", value, v.component)
    return limits


@dataclass(frozen=True, slots=True)
class _Period:
    start: datetime
    end: datetime | None  # None: open-ended
    limit: float
    unit: str
    phases: int | None


def _periods(schedule: dict[str, Any], start: datetime) -> list[_Period]:
    items = sorted(schedule["chargingSchedulePeriod"], key=lambda p: p["startPeriod"])
    end = None
    if schedule.get("duration") is not None:
        end = start + timedelta(seconds=schedule["duration"])
    out = []
    for i, p in enumerate(items):
        begin = start + timedelta(seconds=p["startPeriod"])
        until = end
        if i + 1 < len(items):
            nxt = start + timedelta(seconds=items[i + 1]["startPeriod"])
            until = nxt if until is None else min(until, nxt)
        out.append(
            _Period(begin, until, float(p["limit"]), schedule["chargingRateUnit"],
                    p.get("numberPhases"))
        )  # fmt: skip
    return out


def _schedule_start(schedule: dict[str, Any], otherwise: datetime) -> datetime:
    start = schedule.get("startSchedule")
    return otherwise if start is None else parse_iso(start)


def _convert(limit: float, unit: str, to: str, phases: int | None, voltage: float | None) -> float:
    """``limit`` in ``unit`` as ``to`` (A per phase ↔ W); raises LookupError if unknowable."""
    if unit == to:
        return limit
    if voltage is None or voltage <= 0:
        raise LookupError("no voltage to convert A and W")
    per_amp = (phases or 3) * voltage
    return limit * per_amp if to == "W" else limit / per_amp


def limit_now(profile: dict[str, Any], now: datetime) -> tuple[float, str, int | None] | None:
    """The limit a profile's first schedule sets at ``now`` (None: it sets none then)."""
    schedule = profile["chargingSchedule"][0]
    for p in _periods(schedule, _schedule_start(schedule, now)):
        if p.start <= now and (p.end is None or now < p.end):
            return p.limit, p.unit, p.phases
    return None


def offered_limit(
    ev: EvLimits, station_watts: list[float], station_max: dict[str, Any] | None, now: datetime
) -> float:
    """The most the EV may draw within every limit known, in ``ev.unit``."""
    limit = ev.limit
    for watts in station_watts:
        limit = min(limit, _convert(watts, "W", ev.unit, ev.phases, ev.voltage))
    if station_max is not None and (current := limit_now(station_max, now)) is not None:
        value, unit, phases = current
        try:
            limit = min(limit, _convert(value, unit, ev.unit, phases or ev.phases, ev.voltage))
        except LookupError:
            # A current limit on the AC supply of a DC EVSE: the CSMS does not know that
            # supply's voltage, and the station applies its own maximum anyway.
            log.info("station maximum in %s not applied to a %s profile", unit, ev.unit)
    return max(limit, 0.0)


def tx_profile(
    needs: dict[str, Any],
    transaction_id: str,
    limit: float,
    ev: EvLimits,
    now: datetime,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The TxProfile offered to the EV. A renegotiation reuses the id and stack level of the
    transaction's previous TxProfile, so the station replaces it instead of stacking a second."""
    if previous is not None and previous.get("transactionId") == transaction_id:
        profile_id, stack_level = int(previous["id"]), int(previous["stackLevel"])
    else:
        profile_id, stack_level = secrets.randbelow(2**31 - 2) + 1, 0
    duration = DAY_S
    departure = needs["chargingNeeds"].get("departureTime")
    if departure is not None and (until := parse_iso(departure)) > now:
        duration = int((until - now).total_seconds())
    period: dict[str, Any] = {"startPeriod": 0, "limit": round(limit, 1)}
    schedule: dict[str, Any] = {
        "id": profile_id,
        "startSchedule": iso(now),
        "duration": duration,
        "chargingRateUnit": ev.unit,
        "chargingSchedulePeriod": [period],
    }
    if ev.phases is not None:
        period["numberPhases"] = ev.phases
    if ev.min_rate is not None and ev.min_rate <= limit:
        schedule["minChargingRate"] = ev.min_rate
    return {
        "id": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Absolute",
        "transactionId": transaction_id,
        "chargingSchedule": [schedule],
    }


def schedule_excess(
    ev_schedule: dict[str, Any], time_base: datetime, state: EvCharging
) -> str | None:
    """Why the EV's schedule is not within the accepted profile (K16.FR.06/07), or None.

    Every period of the EV's schedule is compared with every period of the profile's schedule
    it overlaps in time. Where the two cannot be compared (A against W with no voltage known),
    the station's own check (K16.FR.04) stands and the CSMS does not reject."""
    assert state.profile is not None
    schedules = state.profile["chargingSchedule"]
    chosen = next((s for s in schedules if s.get("id") == ev_schedule.get("id")), schedules[0])
    needs = state.needs or {}
    voltage = None
    try:
        ev = ev_limits(needs) if needs else None
        voltage = ev.voltage if ev is not None else None
    except (UnusableNeeds, KeyError):
        ev = None
    ev_periods = _periods(ev_schedule, _schedule_start(ev_schedule, time_base))
    ours = _periods(chosen, _schedule_start(chosen, time_base))
    for theirs in ev_periods:
        for mine in ours:
            if not _overlap(theirs, mine):
                continue
            phases = theirs.phases or mine.phases or (ev.phases if ev is not None else None)
            try:
                wanted = _convert(theirs.limit, theirs.unit, mine.unit, phases, voltage)
            except LookupError:
                return None
            if wanted > mine.limit + _TOLERANCE:
                return (
                    f"{theirs.limit:g} {theirs.unit} from {iso(theirs.start)} exceeds the"
                    f" profile's {mine.limit:g} {mine.unit}"
                )
    return None


def _overlap(a: _Period, b: _Period) -> bool:
    starts_before_b_ends = b.end is None or a.start < b.end
    ends_after_b_starts = a.end is None or a.end > b.start
    return starts_before_b_ends and ends_after_b_starts


class ProfileOffer:
    """Makes the TxProfile for an EV's needs and sends it with SetChargingProfile."""

    def __init__(
        self,
        clock: Clock,
        device_model: DeviceModelStore,
        ev_charging: EvChargingStore,
        call_maker: CallMaker,
    ) -> None:
        self.clock, self.device_model = clock, device_model
        self.ev_charging, self.call_maker = ev_charging, call_maker

    async def send(self, state: EvCharging) -> None:
        """Offer a profile for ``state``'s needs and transaction. Raises UnusableNeeds, or
        CallRejectedError when the call cannot be sent."""
        assert state.needs is not None
        ev = ev_limits(state.needs)
        now = self.clock.now()
        station_max = await self.ev_charging.lookup_ev_charging(state.station_id, 0)
        variables = await self.device_model.lookup_device_model(state.station_id)
        limit = offered_limit(
            ev,
            device_model_watts(variables, state.evse_id),
            station_max.profile if station_max else None,
            now,
        )
        profile = tx_profile(state.needs, state.transaction_id, limit, ev, now, state.profile)
        await self.call_maker.send(
            state.station_id,
            "SetChargingProfile",
            {"evseId": state.evse_id, "chargingProfile": profile},
            origin=ORIGIN,
        )
