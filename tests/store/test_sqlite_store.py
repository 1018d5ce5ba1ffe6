"""Store contract: behaviour every store implementation must have (run on real SQLite)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.clock import FixedClock
from core.store.models import (
    CallRecord,
    CallState,
    ConnectorStatus,
    LoggedMessage,
    MeterValue,
    RuntimeDetails,
    SampledValue,
    SecurityProfile,
    Setting,
    SettingStatus,
    StationAuth,
    Transaction,
    UnitOfMeasure,
)
from core.store.sqlite import SqliteStore


def _self_signed_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cs1")])
    now = FixedClock().now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


async def test_station_registration_upsert_and_delete(
    store: SqliteStore, clock: FixedClock
) -> None:
    auth = StationAuth(SecurityProfile.BASIC, "hash=", False)
    await store.register_station("cs1", auth, clock.now())
    await store.register_station(
        "cs1", StationAuth(SecurityProfile.TLS_BASIC, "h2=", True), clock.now()
    )
    station = await store.lookup_station("cs1")
    assert station is not None
    assert station.auth == StationAuth(SecurityProfile.TLS_BASIC, "h2=", True)
    await store.set_runtime_details("cs1", RuntimeDetails(ocpp_version="1.6", vendor="V"))
    await store.set_connector_status(
        "cs1", ConnectorStatus(1, 1, "Available", updated_at=clock.now())
    )
    assert await store.delete_station("cs1") is True
    assert await store.lookup_station("cs1") is None
    assert await store.lookup_runtime_details("cs1") is None
    assert await store.list_connector_statuses("cs1") == []
    assert await store.delete_station("cs1") is False


async def test_start_transaction_16_is_idempotent_per_station(
    store: SqliteStore, clock: FixedClock
) -> None:
    first = await store.start_transaction_16("cs1", 1, "TAG", 100.0, clock.now(), 42)
    retry = await store.start_transaction_16("cs1", 1, "TAG", 100.0, clock.now(), 43)
    other = await store.start_transaction_16("cs2", 1, "TAG", 100.0, clock.now(), 42)
    assert first == (42, True)
    assert retry == (42, False)
    assert other == (42, True)  # ids are per station
    assert len(await store.list_transactions(active=True)) == 2


async def test_stop_transaction_never_touches_another_stations_transaction(
    store: SqliteStore, clock: FixedClock
) -> None:
    await store.start_transaction_16("cs1", 1, "TAG", 100.0, clock.now(), 42)
    assert await store.stop_transaction_16("cs2", "42", 200.0, clock.now(), "Local", "", []) is None
    tx = await store.find_transaction("cs1", "42")
    assert tx is not None and tx.active
    stopped = await store.stop_transaction_16("cs1", "42", 200.0, clock.now(), "Local", "TAG", [])
    assert stopped is not None and not stopped.active
    assert stopped.meter_stop_wh == 200.0


async def test_transaction_events_deduplicate_and_record_gaps(
    store: SqliteStore, clock: FixedClock
) -> None:
    fields = Transaction(
        station_id="cs1", transaction_id="T1", id_token="TOK", token_type="ISO14443", evse_id=1
    )
    mv = MeterValue(
        clock.now(),
        [
            SampledValue(
                1.5,
                measurand="Energy.Active.Import.Register",
                unit_of_measure=UnitOfMeasure("kWh", 0),
            )
        ],
    )
    tx, new = await store.apply_transaction_event("cs1", fields, "Started", 0, clock.now(), [mv])
    assert new and tx.start_seq_no == 0
    _, dup = await store.apply_transaction_event("cs1", fields, "Started", 0, clock.now(), [mv])
    assert dup is False
    tx, new = await store.apply_transaction_event(
        "cs1", Transaction(station_id="cs1", transaction_id="T1"), "Updated", 3, clock.now(), []
    )
    assert new and tx.seq_no_gaps == [1, 2] and tx.updated_seq_no_count == 1
    ended = Transaction(station_id="cs1", transaction_id="T1", stopped_reason="EVDisconnected")
    tx, _ = await store.apply_transaction_event("cs1", ended, "Ended", 4, clock.now(), [])
    assert tx.ended_seq_no == 4 and tx.stopped_reason == "EVDisconnected" and not tx.active
    stored = await store.find_transaction("cs1", "T1")
    assert stored is not None and len(stored.meter_values) == 1  # the duplicate added nothing
    unit = stored.meter_values[0].sampled_values[0].unit_of_measure
    assert unit == UnitOfMeasure("kWh", 0)
    assert await store.find_transaction("cs2", "T1") is None


async def test_claims_are_leases(store: SqliteStore, clock: FixedClock) -> None:
    await store.update_settings("cs1", [Setting("A", "1"), Setting("B", "2")])
    lease = clock.now() + timedelta(minutes=2)
    first, second = await asyncio.gather(
        store.claim_due_settings(clock.now(), lease), store.claim_due_settings(clock.now(), lease)
    )
    claimed = [s.name for s in first.get("cs1", [])] + [s.name for s in second.get("cs1", [])]
    assert sorted(claimed) == ["A", "B"]  # each item claimed once
    assert await store.claim_due_settings(clock.now(), lease) == {}
    later = clock.now() + timedelta(minutes=3)
    again = await store.claim_due_settings(later, later + timedelta(minutes=2))
    assert [s.name for s in again["cs1"]] == ["A", "B"]
    await store.set_setting_status("cs1", "A", SettingStatus.ACCEPTED)
    assert {s.name: s.status for s in await store.lookup_settings("cs1")}[
        "A"
    ] is SettingStatus.ACCEPTED


async def test_failing_job_fails_alone_in_its_batch(store: SqliteStore, clock: FixedClock) -> None:
    call = CallRecord("c1", "cs1", "Reset", {}, "2.0.1", clock.now())
    results = await asyncio.gather(
        store.create_call(call),
        store.create_call(call),  # duplicate primary key: this one fails
        store.touch_station("cs1", clock.now()),
        return_exceptions=True,
    )
    assert results[0] is None and isinstance(results[1], Exception) and results[2] is None
    assert (await store.lookup_call("c1")) is not None
    runtime = await store.lookup_runtime_details("cs1")
    assert runtime is not None and runtime.last_seen_at == clock.now()


async def test_call_completes_once(store: SqliteStore, clock: FixedClock) -> None:
    await store.create_call(CallRecord("c1", "cs1", "Reset", {"type": "Hard"}, "1.6", clock.now()))
    done = await store.complete_call("c1", CallState.ANSWERED, clock.now(), {"status": "Accepted"})
    assert done is not None and done.response == {"status": "Accepted"}
    assert await store.complete_call("c1", CallState.TIMED_OUT, clock.now()) is None


async def test_message_log_pages_and_filters(store: SqliteStore, clock: FixedClock) -> None:
    await store.log_messages(
        [LoggedMessage("cs1", clock.now(), "in", 2, f"m{i}", "Heartbeat", {}) for i in range(5)]
        + [LoggedMessage("cs2", clock.now(), "out", 4, "e1", "Reset", None, "NotSupported")]
    )
    newest = await store.list_messages(station_id="cs1", limit=2)
    assert [m.message_id for m in newest] == ["m4", "m3"]
    older = await store.list_messages(station_id="cs1", before_id=newest[-1].id, limit=10)
    assert [m.message_id for m in older] == ["m2", "m1", "m0"]
    errors = await store.list_messages(errors_only=True)
    assert [m.error_code for m in errors] == ["NotSupported"]
    assert await store.trim_messages(keep=2) == 4


async def test_client_certificates_by_hash(store: SqliteStore) -> None:
    pem = _self_signed_pem()
    key = await store.set_certificate(pem)
    assert "=" not in key and len(key) == 43
    assert await store.lookup_certificate(key) == pem
    await store.delete_certificate(key)
    await store.delete_certificate(key)
    assert await store.lookup_certificate(key) is None
    with pytest.raises(ValueError):
        await store.set_certificate("not a certificate")


async def test_many_concurrent_writes_share_commits(store: SqliteStore, clock: FixedClock) -> None:
    before = store.batches
    await asyncio.gather(*(store.touch_station(f"cs{i}", clock.now()) for i in range(500)))
    assert store.batches - before < 500  # group commit: fewer commits than writes
    assert len(await store.list_stations()) == 0  # touching does not register a station
    assert (await store.lookup_runtime_details("cs499")) is not None


async def test_reservations_get_ids_statuses_and_filters(
    store: SqliteStore, clock: FixedClock
) -> None:
    from core.store.models import Reservation, ReservationStatus

    now = clock.now()

    def reservation(station_id: str, hours: int) -> Reservation:
        return Reservation(
            station_id=station_id,
            evse_id=1,
            id_token="TOK",
            token_type="ISO14443",
            expires_at=now + timedelta(hours=hours),
            status=ReservationStatus.REQUESTED,
            created_at=now,
            updated_at=now,
            group_id="G",
        )

    first = await store.add_reservation(reservation("CS1", 1))
    second = await store.add_reservation(reservation("CS1", 2))
    other = await store.add_reservation(reservation("CS2", 1))
    assert first < second < other
    await store.set_reservation_status(first, ReservationStatus.CANCELLED, now)
    got = await store.lookup_reservation(second)
    assert got is not None and (got.station_id, got.group_id, got.expires_at) == (
        "CS1",
        "G",
        now + timedelta(hours=2),
    )
    assert [r.reservation_id for r in await store.list_reservations("CS1")] == [second, first]
    active = await store.list_reservations(active=True, now=now)
    assert [r.reservation_id for r in active] == [other, second]
    later = await store.list_reservations(active=True, now=now + timedelta(minutes=90))
    assert [r.reservation_id for r in later] == [second]  # the others expired by then
    ended = await store.list_reservations(active=False, now=now)
    assert [r.reservation_id for r in ended] == [first]
    assert await store.lookup_reservation(999) is None
