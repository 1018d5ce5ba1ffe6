"""idTokens of type `Central` against the running CSMS, from a real OCPP 2.0.1 station (the `ocpp`
package) over a real websocket — the steps of the OCA cases TC_C_06/07 (blocked, expired),
TC_C_39/40/43 (authorisation by groupId, with the group in Authorize and TransactionEvent
answers) and TC_C_47/48/49 (stop with a master pass), with every token of type Central.

A Central token the CSMS knows gets its real status, expiry and group; one it does not know is
one the CSMS issued for a remote start, and is accepted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websockets
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from websockets.typing import Subprotocol

from core.clock import iso
from core.runtime import Csms
from tests.e2e.conftest import add_token, basic_header, register

pytestmark = pytest.mark.e2e

GROUP = "GROUP-1"
MASTER_GROUP = "MASTERPASS"


def central(id_token: str) -> dict[str, str]:
    return {"id_token": id_token, "type": "Central"}


@pytest.fixture
async def station(csms: Csms) -> AsyncIterator[Cp201]:
    await register(csms, "CT1")
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/CT1",
        subprotocols=[Subprotocol("ocpp2.0.1")],
        additional_headers={"Authorization": basic_header("CT1")},
    ) as ws:
        cp = Cp201("CT1", ws)
        task = asyncio.create_task(cp.start())
        try:
            boot = await cp.call(
                call201.BootNotification(
                    charging_station={"model": "C", "vendor_name": "Acme"}, reason="PowerUp"
                )
            )
            assert boot.status == "Accepted"
            yield cp
        finally:
            task.cancel()


async def authorize(cp: Cp201, id_token: str) -> dict[str, Any]:
    result = await cp.call(call201.Authorize(id_token=central(id_token)))
    info: dict[str, Any] = result.id_token_info
    return info


async def transaction_event(
    cp: Cp201,
    event_type: str,
    tx: str,
    seq: int,
    id_token: str,
    *,
    evse: int = 1,
    trigger: str = "Authorized",
    stopped_reason: str | None = None,
) -> dict[str, Any]:
    info: dict[str, Any] = {"transaction_id": tx, "charging_state": "Charging"}
    if stopped_reason is not None:
        info["stopped_reason"] = stopped_reason
    result = await cp.call(
        call201.TransactionEvent(
            event_type=event_type,
            timestamp=iso(datetime.now(UTC)),
            trigger_reason=trigger,
            seq_no=seq,
            transaction_info=info,
            id_token=central(id_token),
            evse={"id": evse, "connector_id": 1},
        )
    )
    token_info: dict[str, Any] = result.id_token_info
    return token_info


async def test_blocked_and_expired_central_tokens(csms: Csms, station: Cp201) -> None:
    """TC_C_06 and TC_C_07: Authorize answers the status the CSMS holds, not Accepted."""
    await add_token(csms, "BLOCKED-1", status="Blocked")
    await add_token(csms, "EXPIRED-1", expiry_date=datetime.now(UTC) - timedelta(days=1))
    assert (await authorize(station, "BLOCKED-1"))["status"] == "Blocked"
    assert (await authorize(station, "EXPIRED-1"))["status"] == "Expired"
    # The TransactionEvent path answers the same.
    info = await transaction_event(station, "Started", "TX-B", 0, "BLOCKED-1")
    assert info["status"] == "Blocked"


async def test_authorisation_by_group_id(csms: Csms, station: Cp201) -> None:
    """TC_C_39/40: two valid Central tokens with one group — every answer carries the group, so
    the second token may stop the first one's transaction; the cache expiry is the token's."""
    expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    await add_token(csms, "VALID-1", group_id=GROUP, expiry_date=expiry)
    await add_token(csms, "VALID-2", group_id=GROUP)

    info = await authorize(station, "VALID-2")
    assert info["status"] == "Accepted"
    assert info["group_id_token"]["id_token"] == GROUP

    info = await transaction_event(station, "Started", "TX-G", 0, "VALID-1")
    assert info["status"] == "Accepted"
    assert info["group_id_token"]["id_token"] == GROUP
    assert info["cache_expiry_date_time"] == iso(expiry)

    info = await authorize(station, "VALID-2")
    assert (info["status"], info["group_id_token"]["id_token"]) == ("Accepted", GROUP)
    info = await transaction_event(
        station,
        "Ended",
        "TX-G",
        1,
        "VALID-2",
        trigger="StopAuthorized",
        stopped_reason="Local",
    )
    assert (info["status"], info["group_id_token"]["id_token"]) == ("Accepted", GROUP)


async def test_invalid_token_of_a_group(csms: Csms, station: Cp201) -> None:
    """TC_C_43: a token of the group that is no longer valid is Invalid, with its group."""
    await add_token(csms, "VALID-1", group_id=GROUP)
    await add_token(csms, "INVALID-1", group_id=GROUP, status="Invalid")
    info = await authorize(station, "INVALID-1")
    assert (info["status"], info["group_id_token"]["id_token"]) == ("Invalid", GROUP)
    info = await transaction_event(station, "Started", "TX-I", 0, "INVALID-1")
    assert (info["status"], info["group_id_token"]["id_token"]) == ("Invalid", GROUP)


async def test_stop_with_a_master_pass(csms: Csms, station: Cp201) -> None:
    """TC_C_47/48/49: the master pass is Accepted with the MasterPassGroupId as its group, and
    the transactions it ends (stoppedReason MasterPass) are answered."""
    await add_token(csms, "VALID-1")
    await add_token(csms, "VALID-2")
    await add_token(csms, "MASTER-1", group_id=MASTER_GROUP)
    for evse, (tx, token) in enumerate([("TX-1", "VALID-1"), ("TX-2", "VALID-2")], start=1):
        info = await transaction_event(station, "Started", tx, 0, token, evse=evse)
        assert info["status"] == "Accepted"

    info = await authorize(station, "MASTER-1")
    assert (info["status"], info["group_id_token"]["id_token"]) == ("Accepted", MASTER_GROUP)
    for evse, tx in enumerate(["TX-1", "TX-2"], start=1):
        info = await transaction_event(
            station,
            "Ended",
            tx,
            1,
            "MASTER-1",
            evse=evse,
            trigger="StopAuthorized",
            stopped_reason="MasterPass",
        )
        assert (info["status"], info["group_id_token"]["id_token"]) == ("Accepted", MASTER_GROUP)
    stored = await csms.store.find_transaction("CT1", "TX-2")
    assert stored is not None
    assert stored.stopped_reason == "MasterPass"


async def test_unknown_central_token_is_a_remote_start(csms: Csms, station: Cp201) -> None:
    """A Central id the CSMS issued for a remote start is not in the token table: Accepted, and
    nothing else (no group, no cache expiry) is made up for it."""
    assert await authorize(station, "REMOTE-START-7f3a") == {"status": "Accepted"}
    # Any other type of unknown token stays Unknown.
    result = await station.call(
        call201.Authorize(id_token={"id_token": "REMOTE-START-7f3a", "type": "ISO14443"})
    )
    assert result.id_token_info["status"] == "Unknown"
