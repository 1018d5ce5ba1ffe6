"""A 2.0.1 transaction followed live: a real `ocpp` package station charges on the real core;
the Transactions tab and the open transaction detail show its energy and cost as the readings
arrive (kWh and Wh alike), the duration counts on, and the end is said once it comes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201

from core.runtime import Csms
from csms_tui import transaction_screen
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.transaction_screen import TransactionDetailScreen
from tests.e2e.conftest import add_token, basic_header, register
from tests.fixtures.running import service_of
from tests.tui.test_console import core_config, shown, wait_until

pytestmark = pytest.mark.tui

T0 = datetime.now(UTC).replace(microsecond=0)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def energy(seconds: int, value: float, context: str, unit: str = "Wh") -> list[dict[str, Any]]:
    sampled = {"value": value, "context": context, "unit_of_measure": {"unit": unit}}
    return [{"timestamp": iso(T0 + timedelta(seconds=seconds)), "sampled_value": [sampled]}]


async def transaction_event(cp: Cp201, kind: str, seq_no: int, **extra: Any) -> None:
    await cp.call(
        call201.TransactionEvent(
            event_type=kind,
            timestamp=iso(T0 + timedelta(seconds=seq_no)),
            trigger_reason={"Started": "Authorized", "Ended": "EVDeparted"}.get(
                kind, "MeterValuePeriodic"
            ),
            seq_no=seq_no,
            transaction_info={
                "transaction_id": "LIVE-1",
                "charging_state": "Idle" if kind == "Ended" else "Charging",
                **({"stopped_reason": "EVDisconnected"} if kind == "Ended" else {}),
            },
            evse={"id": 1, "connector_id": 1},
            **extra,
        )
    )


def text(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_transaction_detail_follows_a_201_session_until_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [T0 + timedelta(seconds=90)]
    monkeypatch.setattr(transaction_screen, "utc_now", lambda: now[0])
    async with Csms(core_config(tmp_path)) as csms:
        await register(csms, "CS201")
        await add_token(csms, "DRIVER1")
        app = CsmsConsole(service=service_of(csms))
        async with (
            app.run_test(size=(140, 40)) as pilot,
            websockets.connect(
                f"ws://127.0.0.1:{csms.ports['ws']}/ws/CS201",
                subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
                additional_headers={"Authorization": basic_header("CS201")},
            ) as ws,
        ):
            cp = Cp201("CS201", ws)
            task = asyncio.create_task(cp.start())
            await cp.call(
                call201.BootNotification(
                    charging_station={"model": "Y2", "vendor_name": "Acme"}, reason="PowerUp"
                )
            )
            # The register in kWh at the start: 1.0 kWh is 1000 Wh.
            await transaction_event(
                cp,
                "Started",
                0,
                id_token={"id_token": "DRIVER1", "type": "ISO14443"},
                meter_value=energy(0, 1.0, "Transaction.Begin", unit="kWh"),
            )
            await pilot.press("3")
            txs = app.query_one("#transactions-table", KeyedTable)
            key = "CS201/LIVE-1"
            await wait_until(pilot, lambda: key in txs.rows)
            assert txs.get_cell(key, "state") == "charging"
            txs.move_cursor(row=txs.get_row_index(key))
            await pilot.press("enter")
            await wait_until(pilot, lambda: shown(app, TransactionDetailScreen, "#tx-state"))
            await wait_until(pilot, lambda: "● LIVE" in text(app, "#tx-state"))
            assert "energy 0.000 kWh so far" in text(app, "#tx-summary")
            assert "duration 0:01:30 so far" in text(app, "#tx-summary")
            assert "meter from 1000 Wh" in text(app, "#tx-summary")

            # A reading arrives: the open detail reads it, without a key pressed.
            await transaction_event(
                cp, "Updated", 1, meter_value=energy(60, 2500, "Sample.Periodic")
            )
            await wait_until(pilot, lambda: "energy 1.500 kWh so far" in text(app, "#tx-summary"))
            assert [v for _, v in app.screen.query_one("#energy").points] == [1000.0, 2500.0]  # type: ignore[attr-defined]
            assert app.screen.query_one("#tx-values").row_count == 2  # type: ignore[attr-defined]
            # … and so does the Transactions tab under it: energy and cost so far.
            await wait_until(pilot, lambda: txs.get_cell(key, "energy") == "1.500")
            assert txs.get_cell(key, "state") == "charging"
            # Time passes with no event at all: the duration counts on.
            now[0] += timedelta(minutes=2)
            await wait_until(pilot, lambda: "duration 0:03:30 so far" in text(app, "#tx-summary"))

            await transaction_event(
                cp, "Ended", 2, meter_value=energy(120, 4000, "Transaction.End")
            )
            await wait_until(pilot, lambda: "■ ENDED" in text(app, "#tx-state"))
            summary = text(app, "#tx-summary")
            assert "EVDisconnected" in text(app, "#tx-state")
            assert "energy 3.000 kWh  ·  cost 1.65 EUR" in summary
            assert "meter 1000 → 4000 Wh" in summary
            assert "so far" not in summary
            # Ended: the duration is the session's and the clock no longer moves it.
            assert "duration 0:00:02" in summary
            assert app.screen._tick is None  # type: ignore[attr-defined]
            task.cancel()

            await pilot.press("escape")
            await wait_until(pilot, lambda: txs.get_cell(key, "state") == "ended")
            assert txs.get_cell(key, "energy") == "3.000"
            assert txs.get_cell(key, "cost") == "1.65 EUR"
            [stored] = await service_of(csms).list_transactions(station_id="CS201")
            body = stored.to_json()  # what GET /transactions answers
            assert (body["meterStartWh"], body["meterStopWh"], body["energyWh"]) == (
                1000,
                4000,
                3000,
            )
