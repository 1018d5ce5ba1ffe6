"""Store contract, API token role: hashes by name, last use, revocation."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FixedClock
from core.store.models import ApiToken
from core.store.protocols import Store


async def test_api_tokens_round_trip_in_name_order(store: Store, clock: FixedClock) -> None:
    assert await store.list_api_tokens() == []
    assert await store.lookup_api_token("a" * 64) is None
    ops = ApiToken("ops", "c" * 64, clock.now())
    ci = ApiToken("ci", "a" * 64, clock.now() - timedelta(days=1))
    await store.add_api_token(ops)
    await store.add_api_token(ci)
    assert await store.lookup_api_token("a" * 64) == ci
    assert await store.list_api_tokens() == [ci, ops]


async def test_last_use_is_recorded_listed_and_reset_by_a_new_token(
    store: Store, clock: FixedClock
) -> None:
    await store.add_api_token(ApiToken("ci", "a" * 64, clock.now()))
    found = await store.lookup_api_token("a" * 64)
    assert found is not None
    assert found.last_used_at is None
    used = clock.now() + timedelta(minutes=5)
    await store.touch_api_token("a" * 64, used)
    found = await store.lookup_api_token("a" * 64)
    assert found is not None
    assert found.last_used_at == used
    assert [(t.name, t.last_used_at) for t in await store.list_api_tokens()] == [("ci", used)]
    # The same name again is a new secret: the old one no longer matches, its use is gone.
    await store.add_api_token(ApiToken("ci", "b" * 64, clock.now()))
    assert await store.lookup_api_token("a" * 64) is None
    renewed = await store.lookup_api_token("b" * 64)
    assert renewed is not None
    assert renewed.last_used_at is None
    # A late touch with the old hash does not land on the new token.
    await store.touch_api_token("a" * 64, used)
    assert (await store.list_api_tokens())[0].last_used_at is None


async def test_revoked_token_is_gone(store: Store, clock: FixedClock) -> None:
    await store.add_api_token(ApiToken("ci", "a" * 64, clock.now()))
    await store.add_api_token(ApiToken("ops", "c" * 64, clock.now()))
    assert await store.delete_api_token("ci") is True
    assert await store.lookup_api_token("a" * 64) is None
    assert [t.name for t in await store.list_api_tokens()] == ["ops"]
    assert await store.delete_api_token("ci") is False
