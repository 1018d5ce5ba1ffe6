"""Closing a transaction its station will never end, through the API: the reason is required
and bounded, an unknown or ended transaction is refused with the status that says why, and the
close is on the row, in a station event and in the event stream."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.events import TransactionEnded
from core.store.models import StoredMeterValues
from tests.api.test_api import V0, running_api
from tests.store.contract.samples import reading


async def test_a_stale_transaction_is_closed_with_a_reason() -> None:
    async with running_api() as api:
        env = api.env
        await env.boot("CS1", "1.6")
        t0 = env.clock.now()
        await env.store.start_transaction_16("CS1", 1, "TAG", 1000.0, t0, 5)
        ended: list[TransactionEnded] = []
        sub = env.events.subscribe(kinds=[TransactionEnded])

        async def watch() -> None:
            async for event in sub:
                if isinstance(event, TransactionEnded):
                    ended.append(event)
                    return

        watcher = asyncio.create_task(watch())
        env.clock.advance(40 * 3600)
        url = f"{V0}/cs/CS1/transactions/5/close"
        status, body, _ = await api.call("POST", url, {"reason": "  station swapped, stop lost "})
        assert status == 200, body
        assert body["active"] is False
        assert body["closeReason"] == "station swapped, stop lost"
        assert body["stoppedReason"] == "Other"
        assert body["endedAt"] is not None
        assert (body["meterStartWh"], body["meterStopWh"], body["energyWh"]) == (1000.0, 1000.0, 0)
        async with asyncio.timeout(5):
            await watcher
        assert [(e.station_id, e.transaction_id, e.stopped_reason) for e in ended] == [
            ("CS1", "5", "Other")
        ]
        events = await env.store.list_station_events("CS1")
        closed = [e for e in events if e.event_type == "TransactionClosed"]
        assert [e.detail for e in closed] == [
            {"transactionId": "5", "reason": "station swapped, stop lost", "by": "api"}
        ]
        status, listed, _ = await api.call("GET", f"{V0}/transactions?station=CS1&active=true")
        assert (status, listed) == (200, [])

        # Once ended it is not closed again: 409, and the row keeps its first close.
        status, body, _ = await api.call("POST", url, {"reason": "again"})
        assert status == 409
        assert body["error"].startswith("transactionId: ")
        status, body, _ = await api.call("GET", f"{V0}/transactions/5?station=CS1")
        assert body["closeReason"] == "station swapped, stop lost"


async def test_close_refuses_what_it_cannot_do() -> None:
    async with running_api() as api:
        env = api.env
        await env.boot("CS1", "1.6")
        t0 = env.clock.now()
        await env.store.start_transaction_16("CS1", 1, "TAG", 0.0, t0, 5)
        base = f"{V0}/cs/CS1/transactions"
        for body, why in (
            ({}, "reason"),
            ({"reason": ""}, "reason"),
            ({"reason": "x" * 201}, "reason"),
            ({"reason": "ok", "extra": 1}, "extra"),
        ):
            status, answer, _ = await api.call("POST", f"{base}/5/close", body)
            assert status == 400, (body, answer)
            assert why in answer["error"]
        # Only blanks is no reason either (the service strips before it checks).
        status, answer, _ = await api.call("POST", f"{base}/5/close", {"reason": "   "})
        assert status == 400
        assert answer["error"].startswith("reason: ")
        status, answer, _ = await api.call("POST", f"{base}/404/close", {"reason": "gone"})
        assert status == 404
        assert "404" in answer["error"]
        status, answer, _ = await api.call(
            "POST", f"{V0}/cs/CS2/transactions/5/close", {"reason": "wrong station"}
        )
        assert status == 404
        found = await env.store.find_transaction("CS1", "5")
        assert found is not None
        assert found.active  # nothing above touched it


async def test_the_energy_so_far_is_what_the_closed_transaction_delivered() -> None:
    async with running_api() as api:
        env = api.env
        await env.boot("CS1", "1.6")
        t0 = env.clock.now()
        await env.store.start_transaction_16("CS1", 1, "TAG", 1000.0, t0, 7)
        await env.store.add_meter_values(
            [StoredMeterValues("CS1", 1, "7", reading(t0 + timedelta(hours=1), 8500.0))]
        )
        status, body, _ = await api.call(
            "POST", f"{V0}/cs/CS1/transactions/7/close", {"reason": "charger replaced"}
        )
        assert status == 200, body
        assert (body["meterStopWh"], body["energyWh"]) == (8500.0, 7500.0)
