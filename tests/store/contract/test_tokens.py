"""Store contract, token role: authorisation tokens by uid, paged in uid order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.clock import FixedClock
from core.store.models import CacheMode, Token
from core.store.protocols import Store


def _token(uid: str) -> Token:
    return Token("NL", "ABC", "RFID", uid, f"NL-ABC-{uid}", "issuer", True, CacheMode.ALWAYS)


async def test_tokens_round_trip_with_the_store_setting_last_updated(
    store: Store, clock: FixedClock
) -> None:
    assert await store.lookup_token("U1") is None
    full = replace(
        _token("U1"),
        valid=False,
        cache_mode=CacheMode.ALLOWED_OFFLINE,
        visual_number="V1",
        group_id="G1",
        language_code="nl",
        status="Blocked",
        expiry_date=clock.now() + timedelta(days=30),
        last_updated=clock.now() - timedelta(days=365),  # ignored: the store sets it
    )
    before = datetime.now(UTC)
    await store.set_token(full)
    stored = await store.lookup_token("U1")
    assert stored is not None
    assert stored.last_updated is not None
    assert before - timedelta(seconds=1) <= stored.last_updated <= datetime.now(UTC)
    assert stored == replace(full, last_updated=stored.last_updated)


async def test_set_token_replaces_by_uid(store: Store) -> None:
    await store.set_token(replace(_token("U1"), group_id="G1", status="Accepted"))
    await store.set_token(replace(_token("U1"), contract_id="NL-ABC-NEW"))
    stored = await store.lookup_token("U1")
    assert stored is not None
    assert (stored.contract_id, stored.group_id, stored.status) == ("NL-ABC-NEW", None, None)
    assert len(await store.list_tokens()) == 1


async def test_list_tokens_pages_in_uid_order(store: Store) -> None:
    uids = [f"U{n:02d}" for n in range(7)]
    for uid in reversed(uids):
        await store.set_token(_token(uid))
    assert [t.uid for t in await store.list_tokens()] == uids
    assert [t.uid for t in await store.list_tokens(limit=3)] == uids[:3]
    assert [t.uid for t in await store.list_tokens(offset=3, limit=3)] == uids[3:6]
    assert [t.uid for t in await store.list_tokens(offset=6, limit=3)] == uids[6:]
    assert await store.list_tokens(offset=7) == []


async def test_delete_token_reports_whether_it_existed(store: Store) -> None:
    await store.set_token(_token("U1"))
    await store.set_token(_token("U2"))
    assert await store.delete_token("U1") is True
    assert await store.delete_token("U1") is False
    assert await store.lookup_token("U1") is None
    assert [t.uid for t in await store.list_tokens()] == ["U2"]
