"""ISO 15118 smart charging against the running CSMS, from a real OCPP 2.0.1 station (the `ocpp`
package) over a real websocket — the steps of the OCA cases:

- TC_K_53 (K15): NotifyEVChargingNeeds is Accepted, a TxProfile for the transaction follows
  within the EV's and the EVSE's limits, and the EV's schedule within it is Accepted;
- TC_K_55: an EV schedule beyond the profile is Rejected, and the CSMS renegotiates (K16.FR.08);
- TC_K_57 (K17): the EV's new needs during charging get a new profile replacing the first;
- TC_K_58 (K16): an operator's new TxProfile is the limit the EV's next schedule is held to;
- TC_K_59: new needs the station reports after that renegotiation get a profile too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

from core.clock import iso
from core.commands.smart_charging import SetChargingLimit, SetChargingProfile
from core.runtime import Csms
from core.store.models import CallState
from tests.e2e.conftest import add_token, basic_header, eventually, register
from tests.fixtures.running import service_of

pytestmark = pytest.mark.e2e

STATION = "ISO1"
TX = "TX-15118"
EVSE_MAX_W = 11_000  # the EVSE's Power maxLimit in the device model
PHASE_V = 230


class Station(Cp201):
    """A station that answers SetChargingProfile with ``answer`` and hands each request over."""

    profiles: asyncio.Queue[dict[str, Any]]
    answer: str

    @on("SetChargingProfile")
    async def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> result201.SetChargingProfile:
        await self.profiles.put({"evse_id": evse_id, **charging_profile})
        return result201.SetChargingProfile(status=self.answer)


@pytest.fixture
async def station(csms: Csms) -> AsyncIterator[Station]:
    await register(csms, STATION)
    await add_token(csms, "EV-DRIVER")
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{STATION}",
        subprotocols=[Subprotocol("ocpp2.0.1")],
        additional_headers={"Authorization": basic_header(STATION)},
    ) as ws:
        cp = Station(STATION, ws)
        cp.profiles, cp.answer = asyncio.Queue(), "Accepted"
        task = asyncio.create_task(cp.start())
        try:
            boot = await cp.call(
                call201.BootNotification(
                    charging_station={"model": "HLC", "vendor_name": "Acme"}, reason="PowerUp"
                )
            )
            assert boot.status == "Accepted"
            await cp.call(
                call201.NotifyReport(
                    request_id=1,
                    generated_at=now(),
                    seq_no=0,
                    report_data=[
                        {
                            "component": {"name": "EVSE", "evse": {"id": 1}},
                            "variable": {"name": "Power"},
                            "variable_attribute": [{"type": "Actual", "value": "0"}],
                            "variable_characteristics": {
                                "unit": "W",
                                "data_type": "decimal",
                                "max_limit": EVSE_MAX_W,
                                "supports_monitoring": False,
                            },
                        }
                    ],
                )
            )
            yield cp
        finally:
            task.cancel()


def now() -> str:
    return iso(datetime.now(UTC))


async def start_transaction(cp: Station, evse: int = 1) -> None:
    result = await cp.call(
        call201.TransactionEvent(
            event_type="Started",
            timestamp=now(),
            trigger_reason="Authorized",
            seq_no=0,
            transaction_info={"transaction_id": TX, "charging_state": "EVConnected"},
            id_token={"id_token": "EV-DRIVER", "type": "ISO14443"},
            evse={"id": evse, "connector_id": 1},
        )
    )
    assert result.id_token_info["status"] == "Accepted"


def ac_needs(max_current: float = 32, departure_h: float = 4) -> dict[str, Any]:
    departure = datetime.now(UTC) + timedelta(hours=departure_h)
    return {
        "requested_energy_transfer": "AC_three_phase",
        "departure_time": iso(departure),
        "ac_charging_parameters": {
            "energy_amount": 20_000,
            "ev_min_current": 6,
            "ev_max_current": max_current,
            "ev_max_voltage": PHASE_V,
        },
    }


async def notify_needs(cp: Station, needs: dict[str, Any], evse: int = 1) -> dict[str, Any]:
    result = await cp.call(
        call201.NotifyEVChargingNeeds(charging_needs=needs, evse_id=evse, max_schedule_tuples=12)
    )
    return {"status": result.status, "status_info": result.status_info}


async def next_profile(cp: Station) -> dict[str, Any]:
    async with asyncio.timeout(5):
        return await cp.profiles.get()


async def accepted_by_station(csms: Csms, profile_id: int) -> None:
    """Wait until the CSMS has handled the station's answer to that profile."""

    async def stored() -> bool:
        state = await csms.store.lookup_ev_charging(STATION, 1)
        return state is not None and state.profile is not None and state.profile["id"] == profile_id

    await eventually(stored)


async def ev_schedule(cp: Station, watts: list[float], schedule_id: int = 1) -> str:
    periods = [{"start_period": i * 3600, "limit": w} for i, w in enumerate(watts)]
    result = await cp.call(
        call201.NotifyEVChargingSchedule(
            time_base=now(),
            evse_id=1,
            charging_schedule={
                "id": schedule_id,
                "charging_rate_unit": "W",
                "charging_schedule_period": periods,
            },
        )
    )
    status: str = result.status
    return status


def check_tx_profile(profile: dict[str, Any], max_tuples: int = 12) -> dict[str, Any]:
    """The K15.FR.07 shape; returns the one schedule."""
    assert profile["evse_id"] == 1
    assert profile["charging_profile_purpose"] == "TxProfile"
    assert profile["transaction_id"] == TX
    assert 1 <= len(profile["charging_schedule"]) <= 3
    schedule: dict[str, Any] = profile["charging_schedule"][0]
    assert len(schedule["charging_schedule_period"]) <= max_tuples
    return schedule


async def test_load_leveling_success(csms: Csms, station: Station) -> None:
    """TC_K_53: needs Accepted, a TxProfile within the EV's 32 A and the EVSE's 11 kW, and the
    EV's schedule within it Accepted."""
    await start_transaction(station)
    assert (await notify_needs(station, ac_needs()))["status"] == "Accepted"
    profile = await next_profile(station)
    schedule = check_tx_profile(profile)
    assert schedule["charging_rate_unit"] == "A"
    [period] = schedule["charging_schedule_period"]
    # 11 kW over three 230 V phases is 15.9 A, below the EV's 32 A.
    assert period["limit"] == pytest.approx(EVSE_MAX_W / (3 * PHASE_V), abs=0.1)
    assert period["number_phases"] == 3
    assert 4 * 3600 - 60 <= schedule["duration"] <= 4 * 3600
    await accepted_by_station(csms, profile["id"])

    assert await ev_schedule(station, [10_000, 6_000]) == "Accepted"
    assert station.profiles.empty()
    calls = [c for c in await csms.store.list_calls(STATION) if c.action == "SetChargingProfile"]
    assert [c.state for c in calls] == [CallState.ANSWERED]


async def test_ev_schedule_beyond_the_profile(csms: Csms, station: Station) -> None:
    """TC_K_55: 11 kW is more than 15.9 A on three phases allow: Rejected, and the CSMS sends
    the profile again to renegotiate (the same id, so it replaces the first)."""
    await start_transaction(station)
    await notify_needs(station, ac_needs())
    first = await next_profile(station)
    await accepted_by_station(csms, first["id"])

    assert await ev_schedule(station, [6_000, 11_000]) == "Rejected"
    again = await next_profile(station)
    check_tx_profile(again)
    assert (again["id"], again["stack_level"]) == (first["id"], first["stack_level"])


async def test_renegotiation_initiated_by_the_ev(csms: Csms, station: Station) -> None:
    """TC_K_57: during charging the EV sends new needs (10 A at most): Accepted, and a new
    profile with its limits replaces the first."""
    await start_transaction(station)
    await notify_needs(station, ac_needs())
    first = await next_profile(station)
    await accepted_by_station(csms, first["id"])

    assert (await notify_needs(station, ac_needs(max_current=10, departure_h=2)))[
        "status"
    ] == "Accepted"
    renewed = await next_profile(station)
    schedule = check_tx_profile(renewed)
    assert renewed["id"] == first["id"]
    assert schedule["charging_schedule_period"][0]["limit"] == 10
    await accepted_by_station(csms, renewed["id"])
    assert await ev_schedule(station, [10 * 3 * PHASE_V]) == "Accepted"
    assert await ev_schedule(station, [10 * 3 * PHASE_V + 500]) == "Rejected"


async def test_renegotiation_initiated_by_the_csms(csms: Csms, station: Station) -> None:
    """TC_K_58 and TC_K_59: the operator sets a lower TxProfile (8 A); the EV's next schedule is
    held to it. When the station then reports needs again, they are Accepted with a profile."""
    await start_transaction(station)
    await notify_needs(station, ac_needs())
    first = await next_profile(station)
    await accepted_by_station(csms, first["id"])

    lower = {
        "id": 4242,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Absolute",
        "transactionId": TX,
        "chargingSchedule": [
            {
                "id": 1,
                "startSchedule": now(),
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8, "numberPhases": 3}],
            }
        ],
    }
    await service_of(csms).execute(STATION, SetChargingProfile(evse_id=1, profile=lower))
    assert (await next_profile(station))["id"] == 4242
    await accepted_by_station(csms, 4242)
    assert await ev_schedule(station, [8 * 3 * PHASE_V]) == "Accepted"
    assert await ev_schedule(station, [9 * 3 * PHASE_V]) == "Rejected"
    assert (await next_profile(station))["charging_profile_purpose"] == "TxProfile"

    # TC_K_59: the station sends the EV's needs after the CSMS's renegotiation.
    assert (await notify_needs(station, ac_needs()))["status"] == "Accepted"
    check_tx_profile(await next_profile(station))


async def test_needs_without_a_transaction_or_parameters(csms: Csms, station: Station) -> None:
    """No transaction on the EVSE, or AC needs without AC parameters: no schedule to give."""
    reply = await notify_needs(station, ac_needs())
    assert reply["status"] == "Rejected"
    assert reply["status_info"]["reason_code"] == "TxNotFound"
    await start_transaction(station)
    reply = await notify_needs(station, {"requested_energy_transfer": "AC_three_phase"})
    assert (reply["status"], reply["status_info"]["reason_code"]) == ("Rejected", "MissingParam")
    assert station.profiles.empty()


async def test_dc_needs_within_the_station_maximum(csms: Csms, station: Station) -> None:
    """DC needs get a profile in W, bounded by the station-wide maximum the operator set."""
    station_max = await service_of(csms).execute(
        STATION, SetChargingLimit(evse_id=0, limit=7_000, unit="W"), wait=5
    )
    assert station_max.state == "answered"
    assert (await next_profile(station))["charging_profile_purpose"] == "ChargingStationMaxProfile"
    await start_transaction(station)
    needs = {
        "requested_energy_transfer": "DC",
        "dc_charging_parameters": {
            "ev_max_current": 200,
            "ev_max_voltage": 400,
            "ev_max_power": 50_000,
        },
    }
    assert (await notify_needs(station, needs))["status"] == "Accepted"
    schedule = check_tx_profile(await next_profile(station))
    assert schedule["charging_rate_unit"] == "W"
    assert schedule["charging_schedule_period"][0]["limit"] == 7_000
    assert schedule["duration"] == 24 * 3600  # no departure time: a day
