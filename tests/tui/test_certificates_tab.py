"""The Certificates tab's `i` and `n` on the real core: they act on the station of the highlighted
certificate row — not on the Stations tab's selection — and say so when there is no row."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from core.runtime import Csms
from core.services.certificates import create_ca
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.modals import InstallCertificateScreen
from tests.e2e.conftest import register
from tests.fixtures.running import service_of
from tests.tui.test_actions import notes
from tests.tui.test_console import core_config, wait_until

pytestmark = pytest.mark.tui


async def test_keys_act_on_the_highlighted_certificate_row(tmp_path: Path) -> None:
    ca_pem, _key = create_ca("Example CPO Root", "Example")
    async with Csms(core_config(tmp_path)) as csms:
        for station_id in ("CS-A", "CS-B"):
            await register(csms, station_id)
        await service_of(csms).install_root_certificate("CS-B", ca_pem, "V2G")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: stations.row_count == 2)
            assert stations.cursor_key == "CS-A"  # the Stations tab's selection
            await pilot.press("5")
            table = app.query_one("#certificates-table", DataTable)
            await wait_until(pilot, lambda: table.row_count == 1)

            await pilot.press("n")
            await wait_until(pilot, lambda: "renewal requested from CS-B" in notes(app))
            assert await csms.store.lookup_trigger("CS-B") is not None
            assert await csms.store.lookup_trigger("CS-A") is None

            await pilot.press("i")
            form = app.screen
            assert isinstance(form, InstallCertificateScreen)
            assert form.station_id == "CS-B"
            await pilot.press("escape")

            # A filter that hides every row: nothing is sent, and the operator is told.
            await pilot.press("slash", *"nothing-matches", "enter")
            await wait_until(pilot, lambda: table.row_count == 0)
            await pilot.press("i")
            assert not isinstance(app.screen, InstallCertificateScreen)
            assert "no station certificate matching the filter" in notes(app)
            assert "open CS-A from the Stations tab" in notes(app)


async def test_no_row_says_so_and_sends_nothing(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CS-A")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: stations.row_count == 1)
            await pilot.press("5")
            await pilot.pause(0.3)
            await pilot.press("n")
            await wait_until(pilot, lambda: "no station certificate listed here" in notes(app))
            assert await csms.store.lookup_trigger("CS-A") is None
            assert "renewal requested" not in notes(app)


async def test_a_refused_install_names_no_internal_field(tmp_path: Path) -> None:
    """The station's screen sends through the same helper: a station the core no longer knows
    is refused in words, without the API's field name."""
    ca_pem, _key = create_ca("Example CPO Root", "Example")
    (tmp_path / "root.pem").write_text(ca_pem)
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CS-B")
        await service_of(csms).install_root_certificate("CS-B", ca_pem, "V2G")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("5")
            table = app.query_one("#certificates-table", DataTable)
            await wait_until(pilot, lambda: table.row_count == 1)
            await pilot.press("i")
            assert isinstance(app.screen, InstallCertificateScreen)
            app.screen.query_one("#path", Input).value = str(tmp_path / "root.pem")
            await service_of(csms).delete_station("CS-B")
            app.screen.query_one("#path", Input).focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: "CS-B" in notes(app) and "queued" not in notes(app))
            await pilot.pause(0.2)
            shown = notes(app)
            assert "station CS-B is not registered" in shown
            assert "csId" not in shown
