"""Nothing the console does can take a station down: the embedded core runs on its own loop in
its own thread (`csms_tui.embedded`), an error in the console is reported and survived, values
out of range stay in the form, and quitting with stations connected asks first.

The stations are real (`ocpp` package) and keep getting answers throughout."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import websockets
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from textual.widgets import OptionList, Static, TabbedContent
from websockets.typing import Subprotocol

from core.runtime import Csms
from csms_tui.actions import ActionFormScreen, ActionMenuScreen
from csms_tui.app import CsmsConsole
from csms_tui.embedded import CoreThread
from csms_tui.line_table import KeyedTable
from csms_tui.modals import ConfirmScreen
from tests.e2e.conftest import basic_header, register
from tests.fixtures.running import service_of
from tests.tui.test_console import core_config, wait_until

pytestmark = pytest.mark.tui


@pytest.fixture
def core(tmp_path: Path) -> Iterator[CoreThread[Csms]]:
    config = core_config(tmp_path)
    thread: CoreThread[Csms] = CoreThread(lambda: Csms(config))
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """What `csms-tui` writes to csms.log (a root file handler), for this test."""
    path = tmp_path / "csms.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()


class Station:
    """A booted real 1.6 station on the core's gateway, answering in the background."""

    def __init__(self, cp: Cp16, ws: Any) -> None:
        self.cp, self.ws = cp, ws

    async def heartbeat(self) -> str:
        async with asyncio.timeout(5):
            answer = await self.cp.call(call16.Heartbeat())
        return str(answer.current_time)


@pytest.fixture
async def station(core: CoreThread[Csms]) -> AsyncIterator[Station]:
    csms = core.core
    assert csms is not None
    await core.call(register(csms, "CSR1"))
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/CSR1",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": basic_header("CSR1")},
    ) as ws:
        cp = Cp16("CSR1", ws)
        task = asyncio.create_task(cp.start())
        boot = await cp.call(
            call16.BootNotification(charge_point_vendor="Acme", charge_point_model="R1")
        )
        assert boot.status == "Accepted"
        yield Station(cp, ws)
        task.cancel()


def connected(core: CoreThread[Csms]) -> set[str]:
    csms = core.core
    assert csms is not None
    return core.call_blocking(lambda: set(service_of(csms).connected_stations()))


async def console_with(core: CoreThread[Csms], pilot: Any, app: CsmsConsole) -> KeyedTable:
    stations = app.query_one("#stations-table", KeyedTable)
    await wait_until(pilot, lambda: "CSR1" in stations.rows)
    await wait_until(pilot, lambda: "online" in str(stations.get_cell("CSR1", "state")))
    return stations


async def test_an_unhandled_console_error_is_logged_shown_and_survived(
    core: CoreThread[Csms], station: Station, log_file: Path
) -> None:
    app = CsmsConsole(core.attach, program=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await console_with(core, pilot, app)

        def broken() -> None:
            raise RuntimeError("a console bug, raised on purpose")

        app.action_show_help_panel = broken  # type: ignore[method-assign]
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: bool(app.errors))
        assert isinstance(app.errors[-1], RuntimeError)
        assert app.is_running
        shown = [n.message for n in app._notifications]
        assert any("a console bug, raised on purpose" in m for m in shown), shown
        assert any("Stations are not affected" in m for m in shown)

        # The station is still connected and answered while the console holds the error …
        assert "CSR1" in connected(core)
        assert await station.heartbeat()
        # … and the console still works: keys switch tabs, the same error reported again.
        await pilot.press("2")
        assert app.query_one(TabbedContent).active == "messages"
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: len(app.errors) == 2)
        await pilot.press("1")
        assert app.query_one(TabbedContent).active == "stations"

    text = log_file.read_text(encoding="utf-8")
    assert "console error" in text
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: a console bug, raised on purpose" in text
    # Leaving the console is not stopping the core: that is run_console's job, after the app.
    assert "CSR1" in connected(core)
    assert await station.heartbeat()


@pytest.mark.parametrize(
    ("action", "key", "field", "value"),
    [
        ("remote_start", "s", "evse_id", "99999999999999999999"),
        ("set_charging_limit", "", "duration", "99999999999"),
        ("get_composite_schedule", "", "duration", "99999999999999999999"),
    ],
)
async def test_out_of_range_form_values_stay_in_the_form(
    core: CoreThread[Csms], station: Station, action: str, key: str, field: str, value: str
) -> None:
    app = CsmsConsole(core.attach, program=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await console_with(core, pilot, app)
        if key:
            await pilot.press(key)
        else:  # from the action menu, as an operator would
            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, ActionMenuScreen))
            menu = app.screen.query_one(OptionList)
            menu.highlighted = menu.get_option_index(action)
            await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ActionFormScreen))
        form = app.screen
        assert isinstance(form, ActionFormScreen)
        assert form.action.id == action
        box = form.query_one(f"#f-{field}")
        box.value = value  # type: ignore[attr-defined]
        box.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: field in form.errors)
        assert app.screen is form, "the form stays open with the reason beside it"
        assert str(box.value) == value, "the input is kept"  # type: ignore[attr-defined]
        assert not app.errors
        assert "CSR1" in connected(core)
        assert await station.heartbeat()


async def test_quit_with_stations_connected_asks_first(
    core: CoreThread[Csms], station: Station
) -> None:
    app = CsmsConsole(core.attach, program=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await console_with(core, pilot, app)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#question", Static).render())
        assert "1 connected station will be disconnected" in question
        await pilot.press("escape")
        assert app.is_running
        assert not isinstance(app.screen, ConfirmScreen)
        assert "CSR1" in connected(core)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#yes")
        await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == 0


async def test_stopping_the_core_closes_stations_cleanly(
    core: CoreThread[Csms], station: Station
) -> None:
    started = datetime.now(UTC)
    await asyncio.to_thread(core.stop)
    async with asyncio.timeout(5):
        await station.ws.wait_closed()
    assert station.ws.close_code == 1001
    assert (datetime.now(UTC) - started).total_seconds() < 10


class _BrokenAtStart(CsmsConsole):
    def compose(self) -> Any:
        raise RuntimeError("the console cannot draw")


def test_a_console_that_crashes_exits_non_zero(
    core: CoreThread[Csms], monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> None:
    """An error the console cannot survive (it cannot even draw) ends it with exit code 1 — not
    0 as if the operator had quit — and the core is still there for run_console to stop."""
    from csms_tui.app import _run_app

    monkeypatch.setenv("TEXTUAL", "headless")  # the real App.run, without a terminal
    assert core.core is not None
    code = _run_app(_BrokenAtStart(core.attach, program=True), core.core.config)
    assert code == 1
    assert core.running
