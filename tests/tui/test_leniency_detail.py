"""The station detail's leniency section on the real core: what is granted and by whom, how
many violations each grant let through, and `l` granting through a form that keeps what was
typed when the service refuses it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from textual.widgets import DataTable, Input, Label

from core.config import config_from_dict
from core.runtime import Csms
from csms_tui.app import CsmsConsole
from csms_tui.leniency_form import LeniencyFormScreen
from csms_tui.line_table import KeyedTable
from csms_tui.screens import StationDetailScreen
from tests.e2e.conftest import register
from tests.tui.test_console import station_socket, wait_until

pytestmark = pytest.mark.tui


def _config(tmp_path: Path) -> object:
    return config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {"ws_addr": "127.0.0.1:0", "status_addr": ""},
            "api": {"addr": "127.0.0.1:0"},
            "observability": {"log_file": ""},
            "leniency": {"stations": {"CSL": {"grant": ["enum-case"]}}},
        }
    )


def _cells(table: DataTable[object]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_detail_shows_grants_and_counts_and_l_grants(tmp_path: Path) -> None:
    async with Csms(_config(tmp_path)) as csms:  # type: ignore[arg-type]
        await register(csms, "CSL")
        async with station_socket(csms, "CSL") as ws:
            status = {"connectorId": 1, "errorCode": "noError", "status": "available"}
            await ws.send(orjson.dumps([2, "s1", "StatusNotification", status]).decode())
            assert orjson.loads(await ws.recv())[0] == 3  # accepted under the grant
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(140, 50)) as pilot:
            stations = app.query_one("#stations-table", KeyedTable)
            await wait_until(pilot, lambda: "CSL" in stations.rows)
            await pilot.press("enter")
            detail = app.screen
            assert isinstance(detail, StationDetailScreen)
            table = detail.query_one("#leniency", DataTable)
            await wait_until(pilot, lambda: table.row_count == 1)
            [row] = _cells(table)
            assert row[:3] == ["enum-case", "config", "2"]  # errorCode and status
            assert "read as 'Available'" in row[4]

            await pilot.press("l")
            form = app.screen
            assert isinstance(form, LeniencyFormScreen)
            grant = form.query_one("#grant", Input)
            grant.value = "extra-properties, lowercase-everything"
            await pilot.press("enter")
            error = form.query_one("#error", Label)
            await wait_until(pilot, lambda: "lowercase-everything" in str(error.render()))
            assert app.screen is form
            assert grant.value == "extra-properties, lowercase-everything"  # kept
            grant.value = "extra-properties"
            form.query_one("#version", Input).value = "ocpp1.6"
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.screen is detail)
            stored = await csms.store.lookup_leniency_grant("CSL")
            assert stored is not None
            assert stored.names == ("extra-properties",)
            assert stored.no_subprotocol == "ocpp1.6"
            await wait_until(pilot, lambda: table.row_count == 3)
            rows = {r[0]: r for r in _cells(table)}
            assert rows["extra-properties"][1:3] == ["console/API", "0"]
            assert rows["no-subprotocol (ocpp1.6)"][1] == "console/API"
            assert rows["enum-case"][1] == "config"
