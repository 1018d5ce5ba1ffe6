"""A field engineer's day at the console, on the real core with real `ocpp` package stations:
credentials (`g` registers a refused station, offers a registered one the rotation of its
password, never a registration again), forms that keep their input when the core refuses them,
answers that are said when they come — late ones too — and in full, and station screens that
move while the stations talk. At 200×50, and at 80×24 where the layout matters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from textual.widgets import Button, DataTable, Input, Select, Static
from websockets.typing import Subprotocol

from core.application.errors import Conflict, Invalid, StationOffline
from core.application.views import CallView
from core.config import config_from_dict
from core.events import CallCompleted, Resync
from core.runtime import Csms
from core.services.certificates import create_ca, issue_certificate
from core.store.models import SecurityProfile
from csms_tui import actions
from csms_tui.actions import BY_ID, ActionFormScreen
from csms_tui.answer_watch import AnswerWatch, answer_content
from csms_tui.app import CsmsConsole
from csms_tui.embedded import CoreThread
from csms_tui.line_table import KeyedTable
from csms_tui.modals import AnswerScreen, ConfirmScreen, RegisterStationScreen
from csms_tui.panes import stations as stations_pane
from csms_tui.screens import StationDetailScreen
from tests.e2e.conftest import basic_header, register
from tests.fixtures.running import service_of
from tests.tui.test_actions import choose, notes
from tests.tui.test_console import core_config, shown, wait_until

pytestmark = pytest.mark.tui

WIDE, SMALL = (200, 50), (80, 24)


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Station(Cp16):
    """A 1.6 station whose answers carry content; ``hold`` keeps a DataTransfer's answer back
    until the test lets it go (a station slower than the console's wait)."""

    seen: list[tuple[str, dict[str, Any]]]
    hold: asyncio.Event | None = None

    @on("GetConfiguration")
    async def on_get_configuration(self, **kw: Any) -> result16.GetConfiguration:
        self.seen.append(("GetConfiguration", kw))
        return result16.GetConfiguration(
            configuration_key=[
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
            ],
            unknown_key=["NoSuchKey"],
        )

    @on("GetCompositeSchedule")
    async def on_get_composite_schedule(self, **kw: Any) -> result16.GetCompositeSchedule:
        self.seen.append(("GetCompositeSchedule", kw))
        return result16.GetCompositeSchedule(
            status="Accepted",
            connector_id=1,
            schedule_start="2026-03-14T10:00:00Z",
            charging_schedule={
                "charging_rate_unit": "W",
                "duration": 3600,
                "charging_schedule_period": [
                    {"start_period": 0, "limit": 11000},
                    {"start_period": 1800, "limit": 7400, "number_phases": 3},
                    {"start_period": 2700, "limit": 3700, "number_phases": 1},
                ],
            },
        )

    @on("DataTransfer")
    async def on_data_transfer(self, **kw: Any) -> result16.DataTransfer:
        self.seen.append(("DataTransfer", kw))
        if self.hold is not None:
            await self.hold.wait()
        return result16.DataTransfer(status="Accepted", data='{"firmware": "2.4.1", "ok": true}')

    @on("ChangeConfiguration")
    async def on_change_configuration(self, **kw: Any) -> result16.ChangeConfiguration:
        self.seen.append(("ChangeConfiguration", kw))
        return result16.ChangeConfiguration(status="Accepted")


@contextlib.asynccontextmanager
async def booted(csms: Csms, station_id: str) -> AsyncIterator[Station]:
    """A 1.6 station connected and booted, answering in the background."""
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": basic_header(station_id)},
    ) as ws:
        cp = Station(station_id, ws)
        cp.seen = []
        task = asyncio.create_task(cp.start())
        await cp.call(call16.BootNotification(charge_point_vendor="Acme", charge_point_model="F1"))
        try:
            yield cp
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await task


def table(app: CsmsConsole) -> KeyedTable:
    return app.query_one("#stations-table", KeyedTable)


async def online(pilot: Any, app: CsmsConsole, station_id: str) -> None:
    await wait_until(
        pilot,
        lambda: (
            station_id in table(app).rows and "online" in table(app).get_cell(station_id, "state")
        ),
    )
    table(app).move_cursor(row=table(app).get_row_index(station_id))


def form(app: CsmsConsole) -> ActionFormScreen:
    screen = app.screen
    assert isinstance(screen, ActionFormScreen)
    return screen


# --- 1. credentials: registration of a new station, rotation of a registered one -------------


@pytest.mark.parametrize("size", [WIDE, SMALL])
async def test_g_on_a_registered_station_offers_the_rotation_never_a_registration(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSLIVE", SecurityProfile.BASIC)
        before = await csms.store.lookup_station_auth("CSLIVE")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=size) as pilot, booted(csms, "CSLIVE"):
            await online(pilot, app, "CSLIVE")
            await pilot.press("g")
            await wait_until(pilot, lambda: shown(app, ActionFormScreen, "#send"))
            assert form(app).action.id == "rotate_password"  # not the registration form
            assert not any(isinstance(s, RegisterStationScreen) for s in app.screen_stack)
            await pilot.press("enter")  # the generated password: it asks first, saying what
            await wait_until(pilot, lambda: shown(app, ConfirmScreen, "#question"))
            question = str(app.screen.query_one("#question", Static).render())
            assert question.startswith("Rotate password on CSLIVE?")
            assert "old password stops working" in question
            await pilot.press("n")  # not now: back in the form, nothing sent
            await wait_until(pilot, lambda: isinstance(app.screen, ActionFormScreen))
            await pilot.press("escape")
            # Neither the password nor the security profile changed.
            assert await csms.store.lookup_station_auth("CSLIVE") == before

            # A new station is its own key, the form empty (never the selected station's id).
            await pilot.press("G")
            await wait_until(pilot, lambda: shown(app, RegisterStationScreen, "#station-id"))
            assert app.screen.query_one("#station-id", Input).value == ""
            await pilot.press("escape")


@pytest.mark.parametrize("size", [WIDE, SMALL])
async def test_g_on_a_refused_station_registers_it_on_profile_0(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=size) as pilot:
            with pytest.raises(websockets.InvalidStatus):
                async with websockets.connect(
                    f"ws://127.0.0.1:{csms.ports['ws']}/ws/CSNEW",
                    subprotocols=[Subprotocol("ocpp1.6")],
                    additional_headers={"Authorization": basic_header("CSNEW")},
                ):
                    pass
            await wait_until(pilot, lambda: "CSNEW" in table(app).rows)
            table(app).move_cursor(row=table(app).get_row_index("CSNEW"))
            await pilot.press("g")
            await wait_until(pilot, lambda: shown(app, RegisterStationScreen, "#profile"))
            screen = app.screen
            assert screen.query_one("#station-id", Input).value == "CSNEW"
            # The console cannot know the CSMS's listeners here: plain ws first, and it says
            # what profiles 1 and 2 need.
            assert screen.query_one("#profile", Select).value == 0
            note = str(screen.query_one("#profile-note", Static).render())
            assert "need a wss listener" in note
            assert screen.query_one("#register", Button).region.bottom <= size[1]
            await pilot.click("#register")
            await wait_until(pilot, lambda: not isinstance(app.screen, RegisterStationScreen))
            auth = await csms.store.lookup_station_auth("CSNEW")
            assert auth is not None
            assert auth.security_profile is SecurityProfile.BASIC


def tls_config(tmp_path: Path) -> Any:
    """The core with a wss listener besides ws (a server certificate of a throwaway CA)."""
    ca_cert, ca_key = create_ca("Test CA", "Example")
    cert, key = issue_certificate(ca_cert, ca_key, "localhost", "T", server_names=["localhost"])
    (tmp_path / "server.pem").write_text(cert)
    (tmp_path / "server.key").write_text(key)
    return config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {
                "ws_addr": "127.0.0.1:0",
                "wss_addr": "127.0.0.1:0",
                "tls_server_cert": str(tmp_path / "server.pem"),
                "tls_server_key": str(tmp_path / "server.key"),
                "status_addr": "",
            },
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
        }
    )


@pytest.fixture(params=[True, False], ids=["wss", "ws-only"])
def embedded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CoreThread[Csms]]:
    """The core as `csms-tui` runs it, on its own thread: with a wss listener, or ws only."""
    config = tls_config(tmp_path) if request.param else core_config(tmp_path)
    thread: CoreThread[Csms] = CoreThread(lambda: Csms(config))
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


async def test_registration_offers_the_profile_the_listeners_allow(
    embedded: CoreThread[Csms],
) -> None:
    assert embedded.core is not None
    wss = "wss" in embedded.core.ports
    app = CsmsConsole(embedded.attach)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(pilot, lambda: app.service is not None)
        await pilot.press("G")
        await wait_until(pilot, lambda: shown(app, RegisterStationScreen, "#profile"))
        profile = app.screen.query_one("#profile", Select).value
        note = str(app.screen.query_one("#profile-note", Static).render())
        if wss:
            assert profile == 1
            assert "listens on wss" in note
        else:
            assert profile == 0
            assert "no wss listener" in note


# --- 2. forms keep their input when the core refuses; close once the command is sent --------


def test_a_refusal_names_the_form_s_field_never_the_api_s_name() -> None:
    remote_start = BY_ID["remote_start"]
    assert remote_start.refusal(Invalid("out of range", field="evseId")) == (
        "evse_id",
        "out of range",
    )
    assert remote_start.refusal_text(Invalid("out of range", field="evseId")) == (
        "Connector / EVSE: out of range"
    )
    values = BY_ID["set_configuration"]
    assert values.refusal(Invalid("too long", field="values/HeartbeatInterval")) == (
        "values",
        "HeartbeatInterval: too long",
    )
    keys = BY_ID["get_configuration"]
    assert keys.refusal(Invalid("bad key", field="keys/0")) == ("keys", "item 1: bad key")
    # About the station itself, or no field of the form: the form's own line, the reason only.
    offline = StationOffline("station CS1 is not connected", field="csId")
    assert remote_start.refusal(offline) == (None, "station CS1 is not connected")
    assert "csId" not in remote_start.refusal_text(offline)
    assert remote_start.refusal(Conflict("busy", field="callId")) == (None, "busy")


@pytest.mark.parametrize("size", [WIDE, SMALL])
async def test_the_form_stays_open_while_sending_and_closes_once_sent(
    tmp_path: Path, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSF")
        service = service_of(csms)
        gate = asyncio.Event()
        execute = service.execute

        async def slow_execute(*args: Any, **kwargs: Any) -> Any:
            await gate.wait()  # a busy core (or a remote daemon far away)
            return await execute(*args, **kwargs)

        monkeypatch.setattr(service, "execute", slow_execute)
        app = CsmsConsole(service=service)
        async with app.run_test(size=size) as pilot, booted(csms, "CSF") as cp:
            await online(pilot, app, "CSF")
            await pilot.press("c")
            await choose(pilot, app, "Get configuration")
            sending = form(app)
            await pilot.press("enter")  # no keys: all of them
            await wait_until(pilot, lambda: sending.sending)
            assert sending.query_one("#send", Button).disabled
            assert "sending…" in str(sending.query_one("#status", Static).render())
            await pilot.press("enter")  # an impatient second Enter sends nothing more
            assert app.screen is sending
            assert "sent to CSF" not in notes(app)  # not claimed before it went out
            gate.set()
            await wait_until(pilot, lambda: sending not in app.screen_stack)
            await wait_until(pilot, lambda: "CSF answered GetConfiguration" in notes(app))
            assert [a for a, _ in cp.seen].count("GetConfiguration") == 1


@pytest.mark.parametrize("size", [WIDE, SMALL])
async def test_a_refusal_stays_beside_its_field_with_the_input_kept(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSV")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=size) as pilot, booted(csms, "CSV") as cp:
            await online(pilot, app, "CSV")
            await pilot.press("c")
            await choose(pilot, app, "Set configuration / variable")
            box = form(app).query_one("#f-values", Input)
            box.value = "HeartbeatInterval=60; MeterValueSampleInterval=10"
            box.focus()
            await pilot.press("enter")
            # The core refuses it (1.6 sets one key per call): beside the field, kept.
            await wait_until(pilot, lambda: "values" in form(app).errors)
            assert form(app).errors == {
                "values": "OCPP 1.6 ChangeConfiguration sets one key per call"
            }
            assert box.value == "HeartbeatInterval=60; MeterValueSampleInterval=10"
            assert not form(app).sending
            assert not form(app).query_one("#send", Button).disabled
            reason = form(app).query_one("#e-values", Static)
            assert reason.display
            assert reason.region.bottom <= size[1]  # in view, even at 80×24
            assert not [a for a, _ in cp.seen if a == "ChangeConfiguration"]
            # Corrected in place: sent, the form closes, the answer follows.
            box.value = "HeartbeatInterval=60"
            box.focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: not isinstance(app.screen, ActionFormScreen))
            await wait_until(pilot, lambda: "answered ChangeConfiguration: Accepted" in notes(app))
            assert cp.seen[-1] == (
                "ChangeConfiguration",
                {"key": "HeartbeatInterval", "value": "60"},
            )


async def test_a_destructive_command_confirms_then_keeps_the_form_on_a_refusal(
    tmp_path: Path,
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSOFF")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=SMALL) as pilot:
            await wait_until(pilot, lambda: "CSOFF" in table(app).rows)
            await pilot.press("x")  # reset: its form, then the question, then the send
            reset = form(app)
            reset.query_one("#f-type", Select).value = "Hard"
            await pilot.click("#send")
            await wait_until(pilot, lambda: shown(app, ConfirmScreen, "#yes"))
            await pilot.press("y")
            await wait_until(pilot, lambda: "" in reset.errors)
            assert app.screen is reset  # the form is still there …
            assert reset.query_one("#f-type", Select).value == "Hard"  # … with what was chosen
            assert reset.errors == {"": "station CSOFF is not connected"}
            shown_text = reset.error_text() + notes(app)
            assert "csId" not in shown_text


# --- 3. answers: said once sent, late ones shown when they come, and in full -----------------


@pytest.mark.parametrize("size", [WIDE, SMALL])
async def test_answers_are_shown_in_full(tmp_path: Path, size: tuple[int, int]) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSA")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=size) as pilot, booted(csms, "CSA"):
            await online(pilot, app, "CSA")

            await pilot.press("c")
            await choose(pilot, app, "Get composite schedule")
            await pilot.press("enter")  # connector 1, an hour
            await wait_until(pilot, lambda: shown(app, AnswerScreen, "#answer-table"))
            assert "answered GetCompositeSchedule: Accepted · 3 periods" in notes(app)
            schedule = app.screen.query_one("#answer-table", DataTable)
            rows = [[str(c) for c in schedule.get_row_at(i)] for i in range(schedule.row_count)]
            assert rows == [
                ["0", "2026-03-14 10:00:00", "11000", "-"],
                ["1800", "2026-03-14 10:30:00", "7400", "3"],
                ["2700", "2026-03-14 10:45:00", "3700", "1"],
            ]
            assert str(schedule.columns[schedule.ordered_columns[2].key].label) == "Limit (W)"
            title = str(app.screen.query_one("#answer-title", Static).render())
            assert title == (
                "CSA · Composite schedule of connector/EVSE 1: 3 periods "
                "from 2026-03-14 10:00:00 UTC for 3600 s"
            )
            assert app.screen.query_one("#close", Button).region.bottom <= size[1]
            await pilot.press("escape")

            await pilot.press("c")
            await choose(pilot, app, "Get configuration")
            box = form(app).query_one("#f-keys", Input)
            box.value = "HeartbeatInterval, NumberOfConnectors, NoSuchKey"
            box.focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: shown(app, AnswerScreen, "#answer-table"))
            assert "answered GetConfiguration: 2 keys, 1 unknown" in notes(app)
            keys = app.screen.query_one("#answer-table", DataTable)
            assert [[str(c) for c in keys.get_row_at(i)] for i in range(keys.row_count)] == [
                ["HeartbeatInterval", "300", ""],
                ["NumberOfConnectors", "2", "read-only"],
                ["NoSuchKey", "-", "unknown key"],
            ]
            await pilot.press("escape")

            await pilot.press("c")
            await choose(pilot, app, "Data transfer")
            vendor = form(app).query_one("#f-vendor_id", Input)
            vendor.value = "com.acme"
            vendor.focus()
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: (
                    "answered DataTransfer: Accepted · data: "
                    '{"firmware": "2.4.1", "ok": true}' in notes(app)
                ),
            )
            assert not isinstance(app.screen, AnswerScreen)  # short: said whole


async def test_a_late_answer_is_said_still_pending_then_shown_when_it_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The console waits half a second here instead of 30: the station answers after that.
    monkeypatch.setattr(stations_pane, "WAIT_SECONDS", 0.5)
    monkeypatch.setattr(actions, "WAIT_SECONDS", 0.5)
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSLATE")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=WIDE) as pilot, booted(csms, "CSLATE") as cp:
            cp.hold = asyncio.Event()
            await online(pilot, app, "CSLATE")
            await pilot.press("c")
            await choose(pilot, app, "Data transfer")
            vendor = form(app).query_one("#f-vendor_id", Input)
            vendor.value = "com.acme"
            vendor.focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: "sent to CSLATE, waiting for its answer" in notes(app))
            await wait_until(pilot, lambda: "still pending" in notes(app))
            assert "answered" not in notes(app)
            cp.hold.set()  # the answer comes after all
            await wait_until(
                pilot, lambda: "CSLATE answered late DataTransfer: Accepted" in notes(app)
            )


async def test_a_late_answer_among_lost_events_is_found_after_a_resync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console that falls behind loses events (a Resync says so): a late answer it was
    waiting for is looked up then, not lost with them."""
    monkeypatch.setattr(stations_pane, "WAIT_SECONDS", 0.5)
    monkeypatch.setattr(actions, "WAIT_SECONDS", 0.5)
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSLOST")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=WIDE) as pilot, booted(csms, "CSLOST") as cp:
            cp.hold = asyncio.Event()
            await online(pilot, app, "CSLOST")
            await pilot.press("c")
            await choose(pilot, app, "Data transfer")
            vendor = form(app).query_one("#f-vendor_id", Input)
            vendor.value = "com.acme"
            vendor.focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: "still pending" in notes(app))
            pane = app.query_one(stations_pane.StationsPane)
            lost: list[CallCompleted] = []
            monkeypatch.setattr(pane.answers, "offer", lost.append)  # the event goes missing
            cp.hold.set()
            await wait_until(pilot, lambda: bool(lost))
            del pane.answers.offer  # the console keeps up again …
            assert "answered late" not in notes(app)
            await app.apply([Resync(at=datetime.now(UTC), dropped=1)])  # … and is told
            await wait_until(
                pilot, lambda: "CSLOST answered late DataTransfer: Accepted" in notes(app)
            )


def test_an_answer_that_overtakes_the_send_s_return_is_not_lost() -> None:
    """The answer's event can reach the console before `execute` returns the call record:
    the watch keeps it for the call that asks next."""
    watch = AnswerWatch()
    at = datetime.now(UTC)
    watch.offer(
        CallCompleted(
            station_id="CS", at=at, call_id="c1", action="Reset", state="answered",
            response={"status": "Accepted"},
        )
    )  # fmt: skip
    call = CallView(
        call_id="c1",
        station_id="CS",
        action="Reset",
        request={},
        ocpp_version="1.6",
        state="pending",
        created_at=at,
    )
    pending = watch.watch(call)
    assert pending.complete.is_set()
    assert pending.answer().state == "answered"
    assert pending.answer().response == {"status": "Accepted"}


# --- 4. and 5. station screens that move, say what they mean and read well -----------------


@pytest.mark.parametrize("size", [WIDE, SMALL])
async def test_last_seen_moves_while_a_station_heartbeats(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSHB")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=size) as pilot, booted(csms, "CSHB") as cp:
            await online(pilot, app, "CSHB")
            stations = table(app)
            await wait_until(pilot, lambda: stations.get_cell("CSHB", "seen") != "-")
            first = stations.get_cell("CSHB", "seen")

            async def beat_until_moved() -> None:
                while stations.get_cell("CSHB", "seen") == first:
                    await cp.call(call16.Heartbeat())
                    await pilot.pause(0.2)

            async with asyncio.timeout(5):
                await beat_until_moved()
            assert stations.get_cell("CSHB", "seen") > first
            # The column is on screen even at 80 columns.
            header = stations.render_line(0).text
            assert "Last seen UTC" in header
            row = stations.render_line(1 + stations.get_row_index("CSHB")).text
            assert stations.get_cell("CSHB", "seen") in row


async def test_201_evses_are_told_apart_and_faults_coloured(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CS201")
        app = CsmsConsole(service=service_of(csms))
        async with (
            app.run_test(size=SMALL) as pilot,
            websockets.connect(
                f"ws://127.0.0.1:{csms.ports['ws']}/ws/CS201",
                subprotocols=[Subprotocol("ocpp2.0.1")],
                additional_headers={"Authorization": basic_header("CS201")},
            ) as ws,
        ):
            cp = Cp201("CS201", ws)
            task = asyncio.create_task(cp.start())
            await cp.call(
                call201.BootNotification(
                    charging_station={"model": "Duo", "vendor_name": "Acme"}, reason="PowerUp"
                )
            )
            for evse, status in ((1, "Occupied"), (2, "Available")):
                await cp.call(
                    call201.StatusNotification(
                        timestamp=now(), connector_status=status, evse_id=evse, connector_id=1
                    )
                )
            stations = table(app)
            await wait_until(
                pilot,
                lambda: (
                    "CS201" in stations.rows
                    and stations.get_cell("CS201", "connectors") == "1/1:Occupied 2/1:Available"
                ),
            )

            def connector_colour() -> Any:
                line = stations.render_line(1 + stations.get_row_index("CS201"))
                cell = next(s for s in line if "1/1:" in s.text)
                return cell.style.color if cell.style else None

            assert connector_colour() == stations.rich_style.color  # nothing to say
            await cp.call(
                call201.StatusNotification(
                    timestamp=now(), connector_status="Unavailable", evse_id=2, connector_id=1
                )
            )
            warning = stations.get_component_rich_style("line-table--warning").color
            await wait_until(pilot, lambda: connector_colour() == warning)
            await cp.call(
                call201.StatusNotification(
                    timestamp=now(), connector_status="Faulted", evse_id=1, connector_id=1
                )
            )
            error = stations.get_component_rich_style("line-table--error").color
            await wait_until(pilot, lambda: connector_colour() == error)
            assert stations.get_cell("CS201", "connectors") == "1/1:Faulted 2/1:Unavailable"
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await task


def identity(app: CsmsConsole) -> str:
    found = app.screen.query("#identity")
    return str(found.first(Static).render()) if found else ""


@pytest.mark.parametrize("size", [WIDE, SMALL])
async def test_the_station_detail_follows_the_station_and_reads_well(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSD")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: "CSD" in table(app).rows)
            await pilot.press("enter")
            await wait_until(pilot, lambda: "CSD" in identity(app))
            detail = app.screen
            assert isinstance(detail, StationDetailScreen)
            # Words never run together; the state is its own word.
            assert identity(app).startswith("CSD  ·  ○ offline  ·  OCPP ?")
            # Empty sections say so, and what fills them.
            for section in ("connectors", "events", "messages"):
                assert not detail.query_one(f"#{section}", DataTable).display
                hint = detail.query_one(f"#{section}-empty", Static)
                assert hint.display
                assert str(hint.render()).startswith("nothing yet:")
            assert "Get configuration" in str(detail.query_one("#config-empty", Static).render())

            # The station connects and talks: the open detail follows without a key pressed.
            async with booted(csms, "CSD") as cp:
                await wait_until(pilot, lambda: "● online" in identity(app))
                await cp.call(
                    call16.StatusNotification(
                        connector_id=1,
                        error_code="GroundFailure",
                        status="Faulted",
                        info="RCD tripped",
                    )
                )
                connectors = detail.query_one("#connectors", DataTable)
                await wait_until(pilot, lambda: connectors.row_count == 1)
                row = [str(c) for c in connectors.get_row_at(0)]
                assert row[:5] == ["1", "1", "Faulted", "GroundFailure", "RCD tripped"]
                await wait_until(
                    pilot,
                    lambda: "⚠ connector 1 Faulted: GroundFailure — RCD tripped" in identity(app),
                )
                status = connectors.get_row_at(0)[2]
                error = app.current_theme.error
                assert error is not None
                assert error.lower() in str(status.style).lower()

                # A station event: shown as JSON, not as a Python repr.
                await cp.call(call16.FirmwareStatusNotification(status="Downloaded"))
                events = detail.query_one("#events", DataTable)
                await wait_until(pilot, lambda: events.row_count == 1)
                assert str(events.get_row_at(0)[2]) == '{"status": "Downloaded"}'
                # The identity block stays whole at 80 columns: each line fits.
                text = identity(app)
                assert all(len(line) <= size[0] for line in text.splitlines())


def test_long_or_structured_data_gets_a_dialog_short_data_a_notification() -> None:
    def transfer(data: Any) -> Any:
        return SimpleNamespace(
            state="answered", action="DataTransfer", response={"status": "Accepted", "data": data}
        )

    assert answer_content("CS", transfer("pong")) is None
    content = answer_content("CS", transfer({"firmware": "2.4.1", "slots": [1, 2]}))
    assert content is not None
    assert content.title == "CS answered DataTransfer: Accepted"
    assert '"slots": [' in content.text
    assert answer_content("CS", transfer("x" * 81)) is not None
    # A schedule's table comes from the same reading the message log uses.
    assert answer_content("CS", SimpleNamespace(state="pending", action="X", response=None)) is None


async def test_a_refused_command_without_a_form_is_said_without_internal_names(
    tmp_path: Path,
) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSX")
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=WIDE) as pilot:
            await wait_until(pilot, lambda: "CSX" in table(app).rows)
            await pilot.press("c")
            await choose(pilot, app, "Get local list version")  # no form: sent at once
            await wait_until(pilot, lambda: "failed" in notes(app))
            assert "Get local list version on CSX failed: station CSX is not connected" in notes(
                app
            )
            assert "csId" not in notes(app)
