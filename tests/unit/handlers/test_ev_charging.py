"""ISO 15118 smart charging: the limits a profile is made within, the check of an EV schedule
against it over time, and the bound on renegotiations (through the real router and store)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from typing import Any

from core.clock import FixedClock, iso
from core.handlers.call_maker import CallMaker
from core.handlers.ocpp201.ev_charging import (
    ev_limits,
    offered_limit,
    schedule_excess,
    tx_profile,
)
from core.handlers.ocpp201.notify_ev_charging_schedule import MAX_RENEGOTIATIONS
from core.handlers.ocpp201.routes import routes
from core.handlers.router import Router
from core.ocpp.types import Message, MessageType, OcppVersion
from core.store.models import EvCharging
from tests.unit.handlers.conftest import Env

DC = {
    "evseId": 1,
    "chargingNeeds": {
        "requestedEnergyTransfer": "DC",
        "dcChargingParameters": {"evMaxCurrent": 100, "evMaxVoltage": 400},
    },
}


def _station_max(clock: FixedClock, watts: float, after_s: int, then: float) -> dict[str, Any]:
    return {
        "id": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargingStationMaxProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [
            {
                "id": 1,
                "startSchedule": iso(clock.now() - timedelta(hours=1)),
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": watts},
                    {"startPeriod": 3600 + after_s, "limit": then},
                ],
            }
        ],
    }


def test_the_offer_is_the_lowest_limit_in_force_now(clock: FixedClock) -> None:
    ev = ev_limits(DC)
    assert (ev.unit, ev.limit) == ("W", 40_000)
    assert offered_limit(ev, [50_000, 30_000], None, clock.now()) == 30_000
    # The station maximum's period in force now (20 kW) counts, not the later one (5 kW).
    station_max = _station_max(clock, 20_000, 600, 5_000)
    assert offered_limit(ev, [30_000], station_max, clock.now()) == 20_000


def test_an_ev_schedule_is_checked_where_it_overlaps_the_profile(clock: FixedClock) -> None:
    ev = ev_limits(DC)
    profile = tx_profile(DC, "TX1", 20_000, ev, clock.now())
    profile["chargingSchedule"][0]["duration"] = 3600
    state = EvCharging("CS1", 1, clock.now(), "TX1", needs=DC, profile=profile)

    def schedule(*periods: tuple[int, float]) -> dict[str, Any]:
        return {
            "id": 1,
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": s, "limit": w} for s, w in periods],
        }

    assert schedule_excess(schedule((0, 20_000)), clock.now(), state) is None
    assert schedule_excess(schedule((0, 10_000), (1800, 20_001)), clock.now(), state)
    # After the profile's hour it sets no limit; an EV schedule relative to a later time base
    # is compared where it falls.
    assert schedule_excess(schedule((0, 10_000), (3600, 50_000)), clock.now(), state) is None
    later = clock.now() + timedelta(minutes=59)
    assert schedule_excess(schedule((0, 20_500)), later, state)
    assert schedule_excess(schedule((0, 20_500)), later + timedelta(minutes=1), state) is None


def _router(env: Env) -> Router:
    """The 2.0.1 router with a call maker giving each call its own id, as in the CSMS."""
    ids = (f"call-{n}" for n in itertools.count(1))
    call_maker = CallMaker(env, env.store, env.store, env.bus, env.clock, ids=lambda: next(ids))
    deps = replace(env.deps, call_maker=call_maker)
    return Router(OcppVersion.V201, routes(deps), env, env.store, env.bus, env.clock)


async def _reply(router: Router, env: Env, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The answer to a station call (the handler's own calls go out beside it)."""
    message_id = f"ev{len(env.sent)}"
    await router.route(
        "CS1", Message(type=MessageType.CALL, id=message_id, action=action, request=payload)
    )
    reply = next(m for _, _, m in env.sent if m.id == message_id)
    assert reply.type is MessageType.CALL_RESULT
    assert reply.response is not None
    return reply.response


async def test_renegotiations_are_bounded(env: Env) -> None:
    router = _router(env)
    await env.booted("CS1", "2.0.1")
    await env.token("T1")
    await env.ok(
        OcppVersion.V201,
        "TransactionEvent",
        {
            "eventType": "Started",
            "timestamp": env.now(),
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "TX1"},
            "idToken": {"idToken": "T1", "type": "ISO14443"},
            "evse": {"id": 1, "connectorId": 1},
        },
    )
    assert (await _reply(router, env, "NotifyEVChargingNeeds", DC))["status"] == "Accepted"
    [(_, _, call)] = [s for s in env.sent if s[2].type is MessageType.CALL]
    assert call.action == "SetChargingProfile"
    assert call.request is not None
    await router.route(
        "CS1",
        Message(
            type=MessageType.CALL_RESULT,
            id=call.id,
            action="SetChargingProfile",
            request=call.request,
            response={"status": "Accepted"},
        ),
    )
    too_much = {
        "timeBase": env.now(),
        "evseId": 1,
        "chargingSchedule": {
            "id": 1,
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 45_000}],
        },
    }
    for _ in range(MAX_RENEGOTIATIONS + 2):
        reply = await _reply(router, env, "NotifyEVChargingSchedule", too_much)
        assert reply["status"] == "Rejected"
    resent = [m for _, _, m in env.sent if m.type is MessageType.CALL]
    assert len(resent) == 1 + MAX_RENEGOTIATIONS
