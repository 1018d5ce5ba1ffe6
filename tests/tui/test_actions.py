"""Station actions, the command palette, registration of a refused station, the certificates
screen, message export and a remapped key — the real console on the real core, with an `ocpp`
package station answering."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from textual import events
from textual.widgets import Button, DataTable, Input, OptionList, RichLog, Select
from websockets.typing import Subprotocol

from core import limits
from core.runtime import Csms
from core.services.certificates import create_ca
from csms_tui.actions import ACTIONS, BY_ID, ActionFormScreen, ActionMenuScreen, Field
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.message_log import MessageLog
from csms_tui.modals import (
    InstallCertificateScreen,
    RegisterStationScreen,
    RegistrationResultScreen,
    TokenFormScreen,
)
from tests.e2e.conftest import basic_header, register
from tests.fixtures.running import gateway_of, service_of
from tests.tui.test_console import core_config, shown, station_socket, wait_until

pytestmark = pytest.mark.tui


class Station(Cp16):
    seen: list[tuple[str, dict[str, Any]]]

    @on("ChangeAvailability")
    async def on_availability(self, **kw: Any) -> result16.ChangeAvailability:
        self.seen.append(("ChangeAvailability", kw))
        return result16.ChangeAvailability(status="Accepted")

    @on("UnlockConnector")
    async def on_unlock(self, **kw: Any) -> result16.UnlockConnector:
        self.seen.append(("UnlockConnector", kw))
        return result16.UnlockConnector(status="Unlocked")

    @on("ClearCache")
    async def on_clear_cache(self, **kw: Any) -> result16.ClearCache:
        self.seen.append(("ClearCache", kw))
        return result16.ClearCache(status="Rejected")

    @on("ChangeConfiguration")
    async def on_change_configuration(self, **kw: Any) -> result16.ChangeConfiguration:
        self.seen.append(("ChangeConfiguration", kw))
        return result16.ChangeConfiguration(status="Accepted")

    @on("ReserveNow")
    async def on_reserve_now(self, **kw: Any) -> result16.ReserveNow:
        self.seen.append(("ReserveNow", kw))
        return result16.ReserveNow(status="Accepted")

    @on("CancelReservation")
    async def on_cancel_reservation(self, **kw: Any) -> result16.CancelReservation:
        self.seen.append(("CancelReservation", kw))
        return result16.CancelReservation(status="Accepted")

    @on("UpdateFirmware")
    async def on_update_firmware(self, **kw: Any) -> result16.UpdateFirmware:
        self.seen.append(("UpdateFirmware", kw))
        return result16.UpdateFirmware()

    @on("GetDiagnostics")
    async def on_get_diagnostics(self, **kw: Any) -> result16.GetDiagnostics:
        self.seen.append(("GetDiagnostics", kw))
        return result16.GetDiagnostics(file_name="diag.zip")

    @on("GetLocalListVersion")
    async def on_get_local_list_version(self, **kw: Any) -> result16.GetLocalListVersion:
        self.seen.append(("GetLocalListVersion", kw))
        return result16.GetLocalListVersion(list_version=4)

    @on("SendLocalList")
    async def on_send_local_list(self, **kw: Any) -> result16.SendLocalList:
        self.seen.append(("SendLocalList", kw))
        return result16.SendLocalList(status="Accepted")

    @on("SetChargingProfile")
    async def on_set_charging_profile(self, **kw: Any) -> result16.SetChargingProfile:
        self.seen.append(("SetChargingProfile", kw))
        return result16.SetChargingProfile(status="Accepted")

    @on("DataTransfer")
    async def on_data_transfer(self, **kw: Any) -> result16.DataTransfer:
        self.seen.append(("DataTransfer", kw))
        return result16.DataTransfer(status="Accepted", data="pong")


def notes(app: CsmsConsole) -> str:
    return "\n".join(n.message for n in app._notifications)


async def choose(pilot: Any, app: CsmsConsole, title: str) -> None:
    """Pick an action in the open action menu by its title."""
    menu = app.screen.query_one(OptionList)
    index = next(i for i in range(menu.option_count) if menu.get_option_at_index(i).prompt == title)
    menu.highlighted = index
    await pilot.press("enter")
    await pilot.pause()


async def fill(pilot: Any, app: CsmsConsole, **values: str) -> None:
    """Type into the form's inputs, then submit with enter, as a user would."""
    for name, value in values.items():
        widget = app.screen.query_one(f"#f-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
            widget.focus()
    await pilot.press("enter")
    await pilot.pause()


async def confirm(pilot: Any, app: CsmsConsole) -> None:
    """Answer yes. (Not a click: by now the toasts of earlier answers may cover the button.)"""
    app.screen.query_one("#yes", Button).press()
    await pilot.pause()


async def test_station_actions_reach_the_station_and_answers_are_shown(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSA")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot, station_socket(csms, "CSA") as ws:
            cp = Station("CSA", ws)
            cp.seen = []
            task = asyncio.create_task(cp.start())
            await cp.call(
                call16.BootNotification(charge_point_vendor="Acme", charge_point_model="A")
            )
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "online" in str(stations.get_cell("CSA", "state")))

            await pilot.press("c")
            assert isinstance(app.screen, ActionMenuScreen)
            await choose(pilot, app, "Change availability")
            assert isinstance(app.screen, ActionFormScreen)
            await fill(pilot, app, evse_id="x")
            assert "whole number" in form_error(app)
            await fill(pilot, app, evse_id="2")
            await wait_until(pilot, lambda: "answered ChangeAvailability: Accepted" in notes(app))
            assert cp.seen[-1] == ("ChangeAvailability", {"connector_id": 2, "type": "Operative"})

            await pilot.press("c")
            await choose(pilot, app, "Unlock connector")
            await fill(pilot, app, evse_id="1")
            assert "Unlock connector on CSA" in str(app.screen.query_one("#question").render())
            await pilot.click("#yes")  # destructive: confirmed first
            await wait_until(pilot, lambda: "answered UnlockConnector: Unlocked" in notes(app))

            await pilot.press("c")
            await choose(pilot, app, "Clear authorisation cache")
            await pilot.click("#yes")
            await wait_until(pilot, lambda: "answered ClearCache: Rejected" in notes(app))

            await pilot.press("c")
            await choose(pilot, app, "Data transfer")
            await fill(pilot, app, vendor_id="com.acme", message_id="ping", data="hello")
            await wait_until(pilot, lambda: "answered DataTransfer: Accepted" in notes(app))
            assert cp.seen[-1][1] == {
                "vendor_id": "com.acme",
                "message_id": "ping",
                "data": "hello",
            }

            await pilot.press("c")
            await choose(pilot, app, "Reserve now")
            await fill(pilot, app, id_token="RES1", evse_id="1", expires_at="+15m")
            await wait_until(
                pilot, lambda: "answered ReserveNow: Accepted (reservation" in notes(app)
            )
            (reserved,) = await service_of(csms).list_reservations("CSA", active=True)
            assert (reserved.id_token, reserved.evse_id) == ("RES1", 1)
            assert cp.seen[-1][1]["reservation_id"] == reserved.reservation_id
            await pilot.press("enter")  # the station detail lists it
            table = app.screen.query_one("#reservations", DataTable)
            await wait_until(pilot, lambda: table.row_count == 1)
            assert [str(c) for c in table.get_row_at(0)[1:4]] == ["RES1", "1", "Accepted"]
            await pilot.press("escape")
            await pilot.press("c")
            await choose(pilot, app, "Cancel reservation")
            await fill(pilot, app, reservation_id=str(reserved.reservation_id))
            await pilot.click("#yes")
            await wait_until(pilot, lambda: "answered CancelReservation: Accepted" in notes(app))
            assert await service_of(csms).list_reservations("CSA", active=True) == []

            await pilot.press("c")
            await choose(pilot, app, "Update firmware")
            await fill(pilot, app, location="not a url")
            # Refused in the form, beside the field, before anything is asked or sent.
            assert isinstance(app.screen, ActionFormScreen)
            assert app.screen.errors == {"location": "must be an http(s) or ftp(s) URL"}
            await pilot.press("escape")
            await pilot.press("c")
            await choose(pilot, app, "Update firmware")
            await fill(pilot, app, location="https://fw.example/v2.bin")
            await pilot.click("#yes")
            await wait_until(pilot, lambda: "answered UpdateFirmware" in notes(app))
            assert cp.seen[-1][1]["location"] == "https://fw.example/v2.bin"
            await pilot.press("c")
            await choose(pilot, app, "Get log")
            await fill(pilot, app, location="ftp://logs.example/up")
            await wait_until(pilot, lambda: "answered GetDiagnostics" in notes(app))
            assert cp.seen[-1] == ("GetDiagnostics", {"location": "ftp://logs.example/up"})

            await pilot.press("c")
            await choose(pilot, app, "Get local list version")
            await wait_until(pilot, lambda: "answered GetLocalListVersion: version 4" in notes(app))
            await pilot.press("c")
            await choose(pilot, app, "Send local list")
            await fill(pilot, app)  # Full, every cacheable token (none here): an empty list
            await wait_until(pilot, lambda: "answered SendLocalList: Accepted" in notes(app))
            assert cp.seen[-1] == ("SendLocalList", {"list_version": 5, "update_type": "Full"})

            await pilot.press("c")
            await choose(pilot, app, "Limit charging")
            await fill(pilot, app, evse_id="1", limit="7400", duration="1800")
            await wait_until(pilot, lambda: "answered SetChargingProfile: Accepted" in notes(app))
            # Annotated: the comparisons with cp.seen[-1] above narrowed it to their literals.
            request: dict[str, Any] = cp.seen[-1][1]
            schedule = request["cs_charging_profiles"]["charging_schedule"]
            assert schedule["duration"] == 1800
            assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 7400}]

            await pilot.press("c")
            await choose(pilot, app, "Any call (raw JSON)")
            await fill(pilot, app, action="ClearCache", payload="[1]")
            assert "must be a JSON object" in form_error(app)
            await fill(pilot, app, action="ClearCache", payload='{"x": 1}')
            await confirm(pilot, app)
            # The core refuses a payload its schema does not allow: said beside the payload,
            # the form still open with what was typed, to correct and send again.
            form = app.screen
            assert isinstance(form, ActionFormScreen)
            await wait_until(pilot, lambda: "payload" in form.errors)
            assert form.query_one("#f-payload", Input).value == '{"x": 1}'
            seen = len(cp.seen)
            await fill(pilot, app, payload="{}")
            await confirm(pilot, app)
            await wait_until(pilot, lambda: len(cp.seen) == seen + 1)
            assert cp.seen[-1] == ("ClearCache", {})  # the schema-breaking one never reached it
            await wait_until(pilot, lambda: "answered ClearCache: Rejected" in notes(app))

            # A 1.6 station is not offered what only 2.0.1 has.
            await pilot.press("c")
            menu = app.screen.query_one(OptionList)
            titles = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
            assert "Monitor a variable (2.0.1)" not in titles
            assert "Reset" in titles
            await pilot.press("escape")

            # ctrl+p offers the highlighted station's actions.
            await pilot.press("ctrl+p")
            await pilot.press(*"set config")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ActionFormScreen))
            await fill(pilot, app, values="HeartbeatInterval=120")
            await wait_until(pilot, lambda: "answered ChangeConfiguration: Accepted" in notes(app))
            assert cp.seen[-1][1] == {"key": "HeartbeatInterval", "value": "120"}
            task.cancel()

        # An offline station: the console says why nothing was sent.
        await wait_until(pilot, lambda: not gateway_of(csms).is_connected("CSA"))


async def test_offline_station_and_refused_station_registration(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSOFF")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "CSOFF" in stations.rows)
            await pilot.press("x", "enter")  # reset form (Soft) → confirm
            await pilot.click("#yes")
            # The refusal is about the station, not a field: the form's own line says it
            # (never the API's internal name for the station), and the form stays open.
            form = app.screen
            assert isinstance(form, ActionFormScreen)
            await wait_until(pilot, lambda: "" in form.errors)
            assert form.errors == {"": "station CSOFF is not connected"}
            await pilot.press("escape")

            # An unknown station tries to connect: it shows up, one key registers it.
            with pytest.raises(websockets.InvalidStatus):
                async with station_socket(csms, "CSNEW"):
                    pass
            await wait_until(pilot, lambda: "CSNEW" in stations.rows)
            assert "✗" in str(stations.get_cell("CSNEW", "state"))
            stations.move_cursor(row=stations.get_row_index("CSNEW"))
            await pilot.press("g")
            assert isinstance(app.screen, RegisterStationScreen)
            assert app.screen.query_one("#station-id", Input).value == "CSNEW"
            app.screen.query_one("#profile", Select).value = 0  # plain ws + basic auth
            await pilot.click("#register")
            await wait_until(pilot, lambda: shown(app, RegistrationResultScreen, "#password"))
            url = app.screen.query_one("#url", Input).value
            password = app.screen.query_one("#password", Input).value
            assert url.endswith("/CSNEW")
            assert len(password) >= 16
            await pilot.click("#close")
            async with websockets.connect(
                f"ws://127.0.0.1:{csms.ports['ws']}/ws/CSNEW",
                subprotocols=[Subprotocol("ocpp1.6")],
                additional_headers={"Authorization": basic_header("CSNEW", password)},
            ) as ws:
                cp = Station("CSNEW", ws)
                task = asyncio.create_task(cp.start())
                await cp.call(
                    call16.BootNotification(charge_point_vendor="N", charge_point_model="1")
                )
                await wait_until(
                    pilot, lambda: "online" in str(stations.get_cell("CSNEW", "state"))
                )
                task.cancel()


async def test_certificates_screen_and_message_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_pem, _ca_key = create_ca("Example CPO Root", "Example")
    (tmp_path / "server.pem").write_text(ca_pem)
    config = core_config(tmp_path)
    gateway = config.gateway.model_copy(update={"tls_trust_certs": [str(tmp_path / "server.pem")]})
    config = config.model_copy(update={"gateway": gateway})
    monkeypatch.chdir(tmp_path)
    async with Csms(config) as csms:
        await register(csms, "CSC")
        await service_of(csms).install_root_certificate("CSC", ca_pem, "V2G")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("5")
            table = app.query_one("#certificates-table", DataTable)
            own = app.query_one("#own-certificates-table", DataTable)
            await wait_until(pilot, lambda: table.row_count == 1 and own.row_count == 1)
            assert [str(c) for c in table.get_row_at(0)[:3]] == ["CSC", "V2G", "Pending"]
            assert "Example CPO Root" in str(own.get_row_at(0)[1])
            await pilot.press("n")  # renewal: a stored trigger for the station
            await wait_until(pilot, lambda: "renewal requested from CSC" in notes(app))

            async with station_socket(csms, "CSC") as ws:
                cp = Station("CSC", ws)
                task = asyncio.create_task(cp.start())
                await cp.call(
                    call16.BootNotification(charge_point_vendor="C", charge_point_model="1")
                )
                await cp.call(call16.Heartbeat())
                task.cancel()
            await pilot.press("2")
            messages = app.query_one("#messages-table", MessageLog)
            await wait_until(pilot, lambda: messages.row_count >= 4)
            app.message_filter = "action:heartbeat"
            await pilot.press("e")
            await wait_until(pilot, lambda: "exported 2 messages" in notes(app))
            (export,) = tmp_path.glob("messages-*.jsonl")
            lines = [json.loads(line) for line in export.read_text().splitlines()]
            # The boot was answered Pending (a certificate waits to be installed), so the
            # Heartbeat is refused: a SecurityError CALLERROR (B02.FR.09).
            assert [(m["action"], m["type"]) for m in lines] == [("Heartbeat", 2), ("Heartbeat", 4)]
            assert lines[1]["errorCode"] == "SecurityError"


async def test_keys_can_be_remapped(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSK")
        app = CsmsConsole(service=csms.service, keymap={"station.actions": "k"})
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "CSK" in stations.rows)
            await pilot.press("c")
            assert not isinstance(app.screen, ActionMenuScreen)
            await pilot.press("k")
            assert isinstance(app.screen, ActionMenuScreen)


async def test_token_edit_and_the_log_tab(tmp_path: Path) -> None:
    import logging

    from csms_tui.modals import TokenFormScreen

    async with Csms(core_config(tmp_path)) as csms:
        from tests.e2e.conftest import add_token

        await add_token(csms, "CARD7")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("4")
            tokens = app.query_one("#tokens-table", DataTable)
            await wait_until(pilot, lambda: "CARD7" in tokens.rows)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, TokenFormScreen))
            assert app.screen.query_one("#uid", Input).disabled
            app.screen.query_one("#contract", Input).value = "NL-TST-C12345678"
            app.screen.query_one("#group", Input).value = "night-shift"
            app.screen.query_one("#contract", Input).focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: "token CARD7 saved" in notes(app))
            stored = await service_of(csms).get_token("CARD7")
            assert (stored.contract_id, stored.group_id) == ("NLTSTC12345678S", "night-shift")

            logging.getLogger("core.test").warning("the broker went away")
            await pilot.press("6")
            log_view = app.query_one("#log", RichLog)
            await wait_until(
                pilot,
                lambda: any("the broker went away" in line.text for line in log_view.lines),
            )


async def test_slash_filters_every_list(tmp_path: Path) -> None:
    from tests.e2e.conftest import add_token

    async with Csms(core_config(tmp_path)) as csms:
        for station_id in ("DEPOT-1", "DEPOT-2", "STREET-1"):
            await register(csms, station_id)
        for uid in ("FLEET1", "FLEET2", "GUEST1"):
            await add_token(csms, uid)
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: stations.row_count == 3)
            await pilot.press("slash", *"depot", "enter")
            assert stations.row_count == 2
            assert stations.cursor_key == "DEPOT-1"
            assert "filter: depot · 2 of 3" in stations.render_line(0).text
            await pilot.press("down")
            assert stations.cursor_key == "DEPOT-2"
            # A station that starts matching appears while the filter is on.
            await register(csms, "DEPOT-3")
            async with station_socket(csms, "DEPOT-3"):
                await wait_until(pilot, lambda: stations.row_count == 3)
            assert stations.cursor_key == "DEPOT-2"  # the selection stayed on its row

            await pilot.press("4")
            tokens = app.query_one("#tokens-table", DataTable)
            await wait_until(pilot, lambda: tokens.row_count == 3)
            await pilot.press("slash", *"fleet", "enter")
            await wait_until(pilot, lambda: tokens.row_count == 2)
            assert {str(k.value) for k in tokens.rows} == {"FLEET1", "FLEET2"}

            await pilot.press("1", "slash")
            for _ in range(5):
                await pilot.press("backspace")
            await pilot.press("enter")  # empty: everything again
            assert stations.row_count == 4


# -- bounds: out-of-range numbers stay in the form, inputs stop at their length ---------------

TWENTY_NINES = "9" * 20


async def type_into(pilot: Any, app: CsmsConsole, name: str, text: str) -> Input:
    """Clear a form field and type ``text`` into it key by key, as an operator would."""
    box = app.screen.query_one(f"#f-{name}", Input)
    box.value = ""
    box.focus()
    await pilot.press(*text)
    return box


def form_error(app: CsmsConsole) -> str:
    """Every reason the open form shows (beside its fields, and its own)."""
    form = app.screen
    assert isinstance(form, ActionFormScreen)
    return form.error_text()


async def test_out_of_range_numbers_stay_in_the_form_with_the_reason(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSB")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "CSB" in stations.rows)

            await pilot.press("s")  # remote start
            form = app.screen
            assert isinstance(form, ActionFormScreen)
            assert form.action.id == "remote_start"
            await type_into(pilot, app, "id_token", "TAG1")
            box = await type_into(pilot, app, "evse_id", TWENTY_NINES)
            assert box.value == "9" * 11  # cut at the edge: one digit past 2147483647
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is form, "the form stays open"
            assert form_error(app) == (
                "Connector / EVSE must be between 0 and 2147483647 (OCPP integers are 32-bit)"
            )
            assert box.value == "9" * 11, "the input is kept"
            await type_into(pilot, app, "evse_id", "²")  # isdigit() says yes; int() would crash
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is form
            assert form_error(app) == "Connector / EVSE must be a whole number"
            await pilot.press("escape")

            await pilot.press("c")
            await choose(pilot, app, "Reserve now")
            await type_into(pilot, app, "id_token", "TAG1")
            await type_into(pilot, app, "expires_at", "+99999999999m")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ActionFormScreen)
            assert form_error(app) == "Until must be between 1 and 525600 (a year)"
            await pilot.press("escape")

            await pilot.press("c")
            await choose(pilot, app, "Get composite schedule")
            await type_into(pilot, app, "duration", TWENTY_NINES)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ActionFormScreen)
            assert form_error(app).startswith("Duration (s) must be between 1 and 2147483647")
            # In range, the form sends it and the core refuses it (the station is offline):
            # the form stays open with the reason and what was typed.
            schedule_form = app.screen
            box = await type_into(pilot, app, "duration", "86400")
            await pilot.press("enter")
            await wait_until(pilot, lambda: "not connected" in form_error(app))
            assert app.screen is schedule_form
            assert box.value == "86400"
            assert app.is_running


async def test_inputs_stop_at_their_length(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSL")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "CSL" in stations.rows)
            # Every input of every form has a bound.
            for action in ACTIONS:
                if not action.fields:
                    continue
                await app.push_screen(ActionFormScreen(action, "CSL"))
                for box in app.screen.query(Input):
                    assert box.max_length, (action.id, box.id)
                app.pop_screen()
            for screen in (
                TokenFormScreen(),
                RegisterStationScreen(service_of(csms).register_station, "CSL"),
                InstallCertificateScreen("CSL"),
            ):
                await app.push_screen(screen)
                assert all(box.max_length for box in screen.query(Input)), screen
                app.pop_screen()

            # A 70 KB paste is cut at the edge: the field holds what fits, nothing more.
            await pilot.press("c")
            await choose(pilot, app, "Data transfer")
            vendor = app.screen.query_one("#f-vendor_id", Input)
            vendor.focus()
            vendor.post_message(events.Paste("v" * 70_000))
            await pilot.pause()
            assert vendor.value == "v" * limits.VENDOR_ID.hi
            bells: list[None] = []
            app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
            await pilot.pause(1.1)  # a new burst
            await pilot.press(*"x" * 40)  # full: more keys do not get in either …
            assert len(vendor.value) == limits.VENDOR_ID.hi
            assert len(bells) == 1  # … and ring once for the burst, not once a key
            await pilot.press("escape")

            await pilot.press("G")  # register a new station
            assert isinstance(app.screen, RegisterStationScreen)
            station_id = app.screen.query_one("#station-id", Input)
            station_id.value = ""
            station_id.post_message(events.Paste("S" * 70_000))
            await pilot.pause()
            assert station_id.value == "S" * limits.STATION_ID.hi
            await pilot.press("escape")
            assert app.is_running


def test_fields_take_their_bounds_from_core_limits() -> None:
    evse = BY_ID["remote_start"].fields[1]
    assert evse.bound is limits.EVSE_ID
    assert evse.max_length == 11
    assert evse.parse(" 7 ") == 7
    assert BY_ID["set_display_message"].fields[2].bound is limits.MINUTES
    assert BY_ID["get_composite_schedule"].fields[1].bound is limits.DURATION_SECONDS
    limit = BY_ID["set_charging_limit"].fields[1]
    assert limit.parse("16.5") == 16.5
    for text in ("²", "١", "1_0", "0x1", "+1"):
        with pytest.raises(ValueError, match="whole number"):
            evse.parse(text)
    with pytest.raises(ValueError, match="must be at most 36 characters"):
        BY_ID["remote_start"].fields[0].parse("T" * 37)
    payload = BY_ID["raw_call"].fields[1]
    with pytest.raises(ValueError, match="between"):
        payload.parse('{"n": 99999999999999999999}')
    with pytest.raises(ValueError, match="finite"):
        payload.parse('{"n": NaN}')
    # A number field without a bound is a mistake caught when the module loads.
    with pytest.raises(TypeError):
        Field("n", "N", kind="int")
    for action in ACTIONS:
        for f in action.fields:
            assert f.max_length > 0
            if f.kind in ("int", "number"):
                assert f.bound is not None, (action.id, f.name)


async def test_a_confirmation_defaults_to_no_and_answers_y_and_n(tmp_path: Path) -> None:
    from csms_tui.modals import ConfirmScreen

    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CSY")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            answers: list[bool | None] = []
            for keys in (("enter",), ("n",), ("y",)):
                app.push_screen(ConfirmScreen("Reset CSY?"), answers.append)
                await wait_until(pilot, lambda: shown(app, ConfirmScreen, "#no"))
                await pilot.press(*keys)
                await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
            assert answers == [False, False, True]  # a stray Enter says no


async def test_question_mark_and_escape_close_the_key_help(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:

            def help_shown() -> bool:
                return bool(app.screen.query("HelpPanel"))

            await pilot.press("question_mark")
            await wait_until(pilot, help_shown)
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: not help_shown())
            await pilot.press("question_mark")
            await wait_until(pilot, help_shown)
            await pilot.press("escape")
            await wait_until(pilot, lambda: not help_shown())
            assert app.is_running


@pytest.mark.parametrize(("version", "offered"), [("1.6", False), ("2.0.1", True), (None, True)])
async def test_the_menu_offers_what_the_station_s_version_has(
    version: str | None, offered: bool
) -> None:
    from textual.app import App

    app: App[None] = App()
    async with app.run_test() as pilot:
        app.push_screen(ActionMenuScreen("CS", version))
        await pilot.pause()
        menu = app.screen.query_one(OptionList)
        titles = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert ("Show a message (2.0.1)" in titles) is offered
        assert ("Monitoring report (2.0.1)" in titles) is offered
        assert "Reset" in titles
        assert "Remote start" in titles
