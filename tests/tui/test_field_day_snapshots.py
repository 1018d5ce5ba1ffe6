"""Snapshots of what a field engineer reads at a site, at 80×24 and 130×30: a station's detail
with a faulted connector and its error (and sections still empty, saying what fills them), and a
station's answer in full (a composite schedule's periods). Fixed data, as in test_snapshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from core.application.views import (
    CallView,
    ConnectorView,
    StationDetail,
    StationEventView,
)
from csms_tui.answer_watch import answer_content
from csms_tui.app import CsmsConsole
from csms_tui.modals import AnswerScreen
from tests.tui.test_snapshots import STATIONS, T0, FixedService, settle

pytestmark = pytest.mark.snapshot

FAULTED = StationDetail(
    **STATIONS[2].model_dump(exclude={"connectors"}),
    connectors=[
        ConnectorView(
            evse_id=1,
            connector_id=1,
            status="Faulted",
            error_code="GroundFailure",
            info="RCD tripped",
            updated_at=T0 + timedelta(minutes=3),
        ),
        ConnectorView(evse_id=2, connector_id=2, status="Unavailable", updated_at=T0),
    ],
    has_password=True,
    boot_reason="PowerUp",
    recent_events=[
        StationEventView(
            id=7,
            station_id="CS-CHARLIE",
            at=T0 + timedelta(minutes=2),
            event_type="FirmwareStatusNotification",
            detail={"status": "InstallationFailed", "requestId": 12},
        )
    ],
)


class FaultedService(FixedService):
    async def station_detail(self, station_id: str) -> StationDetail:
        return FAULTED


SCHEDULE = CallView(
    call_id="c-1",
    station_id="CS-ALPHA",
    action="GetCompositeSchedule",
    request={"evseId": 1, "duration": 3600},
    ocpp_version="2.0.1",
    state="answered",
    created_at=T0,
    response={
        "status": "Accepted",
        "schedule": {
            "evseId": 1,
            "duration": 3600,
            "scheduleStart": "2026-03-14T10:00:00Z",
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 11000.0},
                {"startPeriod": 1800, "limit": 7400.0, "numberPhases": 3},
                {"startPeriod": 2700, "limit": 3700.0, "numberPhases": 1},
            ],
        },
    },
)


def console(service: FixedService) -> CsmsConsole:
    app = CsmsConsole(service=service)  # type: ignore[arg-type]
    app.follow = False
    return app


def with_answer(pilot_keys: Callable[[Pilot[Any]], Any]) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot_keys(pilot)
        content = answer_content("CS-ALPHA", SCHEDULE)
        assert content is not None
        await pilot.app.push_screen(AnswerScreen(content))
        await pilot.pause()

    return run_before


SIZES = [(80, 24), (130, 30)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_station_detail_with_a_fault(snap_compare: Any, size: tuple[int, int]) -> None:
    app = console(FaultedService())
    assert snap_compare(app, terminal_size=size, run_before=settle("down", "down", "enter"))


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_answer_with_a_schedule(snap_compare: Any, size: tuple[int, int]) -> None:
    app = console(FixedService())
    assert snap_compare(app, terminal_size=size, run_before=with_answer(settle()))
