"""Tokens edited in the console on the real core: the type, group and expiry the CLI sets,
checked in the form before they are sent, and a block that is asked first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Label, Select

from core.runtime import Csms
from csms_tui.app import CsmsConsole
from csms_tui.modals import ConfirmScreen, TokenFormScreen
from tests.e2e.conftest import add_token
from tests.fixtures.running import service_of
from tests.tui.test_actions import notes
from tests.tui.test_console import core_config, wait_until

pytestmark = pytest.mark.tui


async def test_edit_type_group_and_expiry(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await add_token(csms, "CARD7")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("4")
            tokens = app.query_one("#tokens-table", DataTable)
            await wait_until(pilot, lambda: "CARD7" in tokens.rows)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, TokenFormScreen))
            form = app.screen
            assert form.query_one("#type", Select).value == "RFID"
            form.query_one("#type", Select).value = "APP_USER"
            form.query_one("#group", Input).value = "night-shift"
            expiry = form.query_one("#expiry", Input)

            # A time without a zone stays in the form with the reason beside it.
            expiry.value = "2027-01-31T23:59:00"
            expiry.focus()
            await pilot.press("enter")
            assert app.screen is form
            assert "zone" in str(form.query_one("#error", Label).render())
            expiry.value = "next tuesday"
            await pilot.press("enter")
            assert app.screen is form
            assert "2027-01-31T23:59:00Z" in str(form.query_one("#error", Label).render())

            expiry.value = "2027-01-31T23:59:00+02:00"
            await pilot.press("enter")
            await wait_until(pilot, lambda: "token CARD7 saved" in notes(app))
            stored = await service_of(csms).get_token("CARD7")
            assert (stored.type, stored.group_id) == ("APP_USER", "night-shift")
            assert stored.expiry_date == datetime(2027, 1, 31, 21, 59, tzinfo=UTC)
            await wait_until(pilot, lambda: str(tokens.get_cell("CARD7", "type")) == "APP_USER")
            assert str(tokens.get_cell("CARD7", "expiry")) == "2027-01-31"

            # Opened again, the form shows what is stored; an emptied expiry clears it.
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, TokenFormScreen))
            assert app.screen.query_one("#type", Select).value == "APP_USER"
            expiry = app.screen.query_one("#expiry", Input)
            assert datetime.fromisoformat(expiry.value) == stored.expiry_date
            expiry.value = ""
            expiry.focus()
            await pilot.press("enter")
            await wait_until(
                pilot, lambda: str(tokens.get_cell("CARD7", "expiry")) == "-", timeout=5
            )
            assert (await service_of(csms).get_token("CARD7")).expiry_date is None


async def test_add_with_a_type_and_an_expiry(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("4", "a")
            form = app.screen
            assert isinstance(form, TokenFormScreen)
            form.query_one("#uid", Input).value = "APP1"
            form.query_one("#type", Select).value = "AD_HOC_USER"
            form.query_one("#expiry", Input).value = "2030-06-01T00:00:00Z"
            contract = form.query_one("#contract", Input)
            contract.value = "not an emaid"
            contract.focus()
            await pilot.press("enter")
            # The core's refusal speaks of the contract id, not of its API field.
            await wait_until(pilot, lambda: "add token failed" in notes(app))
            assert "contractId" not in notes(app)
            assert "contract id:" in notes(app)

            await pilot.press("a")
            form = app.screen
            assert isinstance(form, TokenFormScreen)
            form.query_one("#uid", Input).value = "APP1"
            form.query_one("#type", Select).value = "AD_HOC_USER"
            form.query_one("#expiry", Input).value = "2030-06-01T00:00:00Z"
            form.query_one("#contract", Input).value = "GB-TWK-C12345678"
            form.query_one("#contract", Input).focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: "token APP1 added" in notes(app))
            stored = await service_of(csms).get_token("APP1")
            assert stored.type == "AD_HOC_USER"
            assert stored.expiry_date == datetime(2030, 6, 1, tzinfo=UTC)


async def test_blocking_asks_first_and_no_is_the_default(tmp_path: Path) -> None:
    async with Csms(core_config(tmp_path)) as csms:
        await add_token(csms, "CARD9")
        app = CsmsConsole(service=csms.service)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("4")
            tokens = app.query_one("#tokens-table", DataTable)
            await wait_until(pilot, lambda: "CARD9" in tokens.rows)
            await pilot.press("b")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("enter")  # No has the focus
            assert not isinstance(app.screen, ConfirmScreen)
            await pilot.pause(0.2)
            assert (await service_of(csms).get_token("CARD9")).status != "Blocked"

            await pilot.press("b", "y")
            await wait_until(pilot, lambda: str(tokens.get_cell("CARD9", "status")) == "Blocked")
            # Unblocking gives access back: it needs no question.
            await pilot.press("b")
            assert not isinstance(app.screen, ConfirmScreen)
            await wait_until(pilot, lambda: str(tokens.get_cell("CARD9", "status")) != "Blocked")
