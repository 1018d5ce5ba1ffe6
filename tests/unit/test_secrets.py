"""Station passwords go to the station, never into our records."""

from __future__ import annotations

from core.clock import FixedClock
from core.events import EventBus
from core.gateway.message_log import FrameLog
from core.handlers.call_maker import CallMaker
from core.ocpp.secrets import REDACTED, redact
from core.ocpp.types import Message, MessageType, OcppVersion
from core.store.models import RuntimeDetails
from core.store.sqlite import SqliteStore

SET_PASSWORD = {
    "setVariableData": [
        {
            "component": {"name": "SecurityCtrlr"},
            "variable": {"name": "BasicAuthPassword"},
            "attributeValue": "s3cret-s3cret-s3cret",
        },
        {
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "HeartbeatInterval"},
            "attributeValue": "60",
        },
    ]
}


def test_redact_only_secrets() -> None:
    assert redact("ChangeConfiguration", {"key": "AuthorizationKey", "value": "abc"}) == {
        "key": "AuthorizationKey",
        "value": REDACTED,
    }
    plain = {"key": "HeartbeatInterval", "value": "60"}
    assert redact("ChangeConfiguration", plain) is plain
    values = [d["attributeValue"] for d in redact("SetVariables", SET_PASSWORD)["setVariableData"]]
    assert values == [REDACTED, "60"]
    assert (
        SET_PASSWORD["setVariableData"][0]["attributeValue"] == "s3cret-s3cret-s3cret"
    )  # not mutated


async def test_wire_carries_the_password_records_and_log_do_not(
    sqlite_store: SqliteStore, clock: FixedClock
) -> None:
    sent: list[Message] = []

    class Wire:
        async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
            sent.append(message)

    bus = EventBus()
    await sqlite_store.set_runtime_details("CS1", RuntimeDetails(ocpp_version="2.0.1"))
    record = await CallMaker(Wire(), sqlite_store, sqlite_store, bus, clock).send(
        "CS1", "SetVariables", SET_PASSWORD
    )
    assert sent[0].request == SET_PASSWORD  # the station gets it
    stored = await sqlite_store.lookup_call(record.call_id)
    assert stored is not None
    assert "s3cret" not in str(stored.request)
    frames = FrameLog(sqlite_store, bus, clock)
    frames.record("CS1", "out", sent[0])
    await frames.flush()
    [logged] = await sqlite_store.list_messages()
    assert "s3cret" not in str(logged.payload)
    assert sent[0].type is MessageType.CALL


def test_a_station_password_has_one_hash() -> None:
    """Registration (str) and the gateway's check (the bytes of a Basic header) agree."""
    from core.credentials import hash_password

    assert hash_password("s3cret-password-16") == hash_password(b"s3cret-password-16")
    # MaEVe's base64SHA256Password form, padded.
    assert hash_password("s3cret-password-16") == "FDza4uZ6U5SC++9FwvySc5D132/hErwQLKI38DQsmFk="
