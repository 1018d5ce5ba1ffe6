"""Registration and password rotation in the real console (Pilot) on the real core, with an
`ocpp` package station answering."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call as call16
from textual.widgets import Input, Select, Static

from core.application.service import CsmsService
from core.application.views import StationRegistration
from core.credentials import hash_password
from core.runtime import Csms
from csms_tui.actions import ActionFormScreen, ActionMenuScreen
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.modals import NewPasswordScreen, RegisterStationScreen, RegistrationResultScreen
from tests.e2e.conftest import register
from tests.fixtures.running import service_of
from tests.tui.test_actions import Station, choose, confirm, notes
from tests.tui.test_console import core_config, shown, station_socket, wait_until

pytestmark = pytest.mark.tui


async def test_register_form_keeps_the_input_and_shows_why_an_id_is_refused(
    tmp_path: Path,
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSOLD")
        before = await csms.store.lookup_station_auth("CSOLD")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "CSOLD" in stations.rows)
            await pilot.press("G")  # a new station (g on CSOLD offers its rotation)
            form = app.screen
            assert isinstance(form, RegisterStationScreen)
            form.query_one("#station-id", Input).value = "CSOLD"
            form.query_one("#profile", Select).value = 0
            await pilot.click("#register")
            error = form.query_one("#error", Static)
            await wait_until(pilot, lambda: "already registered" in str(error.render()))
            text = str(error.render())
            assert "csms-tui station rotate-password CSOLD" in text
            assert app.screen is form  # still open, the input kept
            assert form.query_one("#station-id", Input).value == "CSOLD"
            assert await csms.store.lookup_station_auth("CSOLD") == before

            # Corrected in place and sent again with enter, as an operator would.
            field = form.query_one("#station-id", Input)
            field.value = "CSNEW"
            field.focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: shown(app, RegistrationResultScreen, "#password"))
            assert app.screen.query_one("#password", Input).value
            assert await csms.store.lookup_station("CSNEW") is not None


def slow_to_answer(service: CsmsService, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registration's answer takes a while to come back (a busy daemon behind --connect):
    long enough for a second press."""
    answer = service.register_station

    async def register_station(*args: Any, **kwargs: Any) -> StationRegistration:
        registration = await answer(*args, **kwargs)
        await asyncio.sleep(0.5)
        return registration

    monkeypatch.setattr(service, "register_station", register_station)


async def test_a_double_press_registers_once_and_shows_that_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        slow_to_answer(service_of(csms), monkeypatch)
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("g")
            form = app.screen
            assert isinstance(form, RegisterStationScreen)
            field = form.query_one("#station-id", Input)
            field.value = "CSTWICE"
            form.query_one("#profile", Select).value = 0
            field.focus()
            await pilot.press("enter")
            await pilot.pause(0.1)
            await pilot.press("enter")  # an impatient operator, while the first is on its way
            await wait_until(pilot, lambda: shown(app, RegistrationResultScreen, "#password"))
            password = app.screen.query_one("#password", Input).value
            stored = await csms.store.lookup_station_auth("CSTWICE")
            assert stored is not None
            assert stored.password_hash == hash_password(password)


async def test_rotate_password_says_what_it_does_and_shows_the_new_one(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSR")
        old = await csms.store.lookup_station_auth("CSR")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot, station_socket(csms, "CSR") as ws:
            cp = Station("CSR", ws)
            cp.seen = []
            task = asyncio.create_task(cp.start())
            await cp.call(call16.BootNotification(charge_point_vendor="A", charge_point_model="B"))
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "online" in str(stations.get_cell("CSR", "state")))

            await pilot.press("c")
            assert isinstance(app.screen, ActionMenuScreen)
            await choose(pilot, app, "Rotate password")
            # An optional password of the operator's; left empty, one is generated.
            assert isinstance(app.screen, ActionFormScreen)
            await pilot.press("enter")
            await wait_until(pilot, lambda: bool(app.screen.query("#question")))
            question = str(app.screen.query_one("#question").render())
            assert question.startswith("Rotate password on CSR?")
            assert "old password stops working" in question
            assert "If it refuses or does not answer, nothing changes" in question
            await confirm(pilot, app)
            await wait_until(pilot, lambda: isinstance(app.screen, NewPasswordScreen))
            password = app.screen.query_one("#password", Input).value
            assert cp.seen[-1] == (
                "ChangeConfiguration",
                {"key": "AuthorizationKey", "value": password},
            )
            assert "answered ChangeConfiguration: Accepted" in notes(app)
            stored = await csms.store.lookup_station_auth("CSR")
            assert stored is not None
            assert old is not None
            assert stored.password_hash == hash_password(password) != old.password_hash
            task.cancel()


async def test_the_palette_offers_rotation_not_registering_again(tmp_path: Path) -> None:
    from csms_tui.palette import StationCommands

    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSP")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "CSP" in stations.rows)
            await pilot.press("ctrl+p")
            await pilot.pause()
            provider = StationCommands(app.screen_stack[-2])
            titles = [title for title, _, _ in provider._commands()]
            assert "Rotate password on CSP" in titles
            assert not any("again" in t for t in titles)
