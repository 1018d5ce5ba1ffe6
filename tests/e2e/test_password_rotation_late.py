"""A password rotation the station accepts after the operator stopped waiting: the CSMS still
stores the new password, so the station's next login with it works (and the old one is refused)
— a late yes never locks a station out."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from websockets.typing import Subprotocol

from core.commands.security import RotatePassword
from core.credentials import hash_password
from core.runtime import Csms
from tests.e2e.conftest import PASSWORD, basic_header, eventually, register
from tests.fixtures.running import service_of

pytestmark = pytest.mark.e2e

NEW = "n3w-password-0123456789"


class SlowStation(Cp16):
    """Takes a new AuthorizationKey, but answers only after ``delay`` seconds."""

    delay = 1.5

    @on("ChangeConfiguration")
    async def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        await asyncio.sleep(self.delay)
        return result16.ChangeConfiguration(status="Accepted")


def _connect(csms: Csms, password: str) -> Any:
    return websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/LATE1",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": basic_header("LATE1", password)},
    )


async def test_a_late_yes_to_a_new_password_is_stored(csms: Csms) -> None:
    await register(csms, "LATE1")
    service = service_of(csms)
    async with _connect(csms, PASSWORD) as ws:
        cp = SlowStation("LATE1", ws)
        task = asyncio.create_task(cp.start())
        await cp.call(call16.BootNotification(charge_point_vendor="A", charge_point_model="B"))
        rotation = await service.execute("LATE1", RotatePassword(password=NEW), wait=0.3)
        assert not rotation.accepted  # the wait ended before the station's answer
        assert rotation.password is None

        async def stored_new() -> bool | None:
            auth = await csms.store.lookup_station_auth("LATE1")
            assert auth is not None
            return True if auth.password_hash == hash_password(NEW) else None

        await eventually(stored_new, timeout=10)
        task.cancel()

    async with _connect(csms, NEW) as ws:  # the password the station now has works
        probe = Cp16("LATE1", ws)
        task = asyncio.create_task(probe.start())
        boot = await probe.call(
            call16.BootNotification(charge_point_vendor="A", charge_point_model="B")
        )
        assert boot.status == "Accepted"
        task.cancel()
    with pytest.raises(websockets.InvalidStatus):  # and the old one no longer does
        async with _connect(csms, PASSWORD):
            pass


async def test_a_late_no_changes_nothing(csms: Csms) -> None:
    await register(csms, "LATE1")
    before = await csms.store.lookup_station_auth("LATE1")

    class Refusing(SlowStation):
        delay = 0.8

        @on("ChangeConfiguration")
        async def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
            await asyncio.sleep(self.delay)
            return result16.ChangeConfiguration(status="Rejected")

    async with _connect(csms, PASSWORD) as ws:
        cp = Refusing("LATE1", ws)
        task = asyncio.create_task(cp.start())
        await cp.call(call16.BootNotification(charge_point_vendor="A", charge_point_model="B"))
        rotation = await service_of(csms).execute("LATE1", RotatePassword(password=NEW), wait=0.2)
        assert not rotation.accepted
        await asyncio.sleep(1.5)  # its late answer (a no) has come and gone
        task.cancel()
    after = await csms.store.lookup_station_auth("LATE1")
    assert before is not None
    assert after is not None
    assert after.password_hash == before.password_hash
