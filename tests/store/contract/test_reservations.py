"""Store contract, reservation role: ids from the store, statuses, and what counts as active."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FixedClock
from core.store.models import Reservation, ReservationStatus
from core.store.protocols import Store
from tests.store.contract.samples import reservation


async def test_add_reservation_numbers_and_round_trips(store: Store, clock: FixedClock) -> None:
    first = reservation("CS1", clock.now(), external_id="NL*ABC*1")
    second = reservation("CS1", clock.now(), hours=2)
    first_id = await store.add_reservation(first)
    second_id = await store.add_reservation(second)
    assert 0 < first_id < second_id
    assert (first.reservation_id, second.reservation_id) == (first_id, second_id)
    assert await store.lookup_reservation(first_id) == first
    assert await store.lookup_reservation(second_id) == second
    assert await store.lookup_reservation(second_id + 1) is None


async def test_set_reservation_status(store: Store, clock: FixedClock) -> None:
    res_id = await store.add_reservation(reservation("CS1", clock.now()))
    later = clock.now() + timedelta(minutes=1)
    await store.set_reservation_status(res_id, ReservationStatus.ACCEPTED, later)
    stored = await store.lookup_reservation(res_id)
    assert stored is not None
    assert (stored.status, stored.updated_at, stored.created_at) == (
        ReservationStatus.ACCEPTED,
        later,
        clock.now(),
    )
    await store.set_reservation_status(res_id + 1, ReservationStatus.USED, later)  # unknown
    assert await store.lookup_reservation(res_id + 1) is None


async def test_lookup_external_reservation_finds_the_newest(
    store: Store, clock: FixedClock
) -> None:
    assert await store.lookup_external_reservation("NL*ABC*1") is None
    await store.add_reservation(reservation("CS1", clock.now(), external_id="NL*ABC*1"))
    newest = await store.add_reservation(reservation("CS2", clock.now(), external_id="NL*ABC*1"))
    await store.add_reservation(reservation("CS1", clock.now(), external_id="NL*ABC*2"))
    found = await store.lookup_external_reservation("NL*ABC*1")
    assert found is not None
    assert found.reservation_id == newest


async def test_list_reservations_filters_newest_first(store: Store, clock: FixedClock) -> None:
    now = clock.now()
    first = await store.add_reservation(reservation("CS1", now, hours=1))
    second = await store.add_reservation(reservation("CS1", now, hours=2))
    other = await store.add_reservation(reservation("CS2", now, hours=1))
    accepted = await store.add_reservation(
        reservation("CS2", now, hours=3, status=ReservationStatus.ACCEPTED)
    )
    await store.set_reservation_status(first, ReservationStatus.CANCELLED, now)

    def ids(found: list[Reservation]) -> list[int]:
        return [r.reservation_id for r in found]

    assert ids(await store.list_reservations()) == [accepted, other, second, first]
    assert ids(await store.list_reservations("CS1")) == [second, first]
    assert ids(await store.list_reservations(limit=2)) == [accepted, other]
    active = await store.list_reservations(active=True, now=now)
    assert ids(active) == [accepted, other, second]
    later = await store.list_reservations(active=True, now=now + timedelta(minutes=90))
    assert ids(later) == [accepted, second]  # the others expired by then
    assert ids(await store.list_reservations("CS1", active=False, now=now)) == [first]
    ended = await store.list_reservations(active=False, now=now + timedelta(minutes=90))
    assert ids(ended) == [other, first]
    assert await store.list_reservations("CS3") == []
