"""Store contract, OCPI role: registrations by token, parties by (role, country, party)."""

from __future__ import annotations

from core.store.models import OcpiParty, OcpiRegistration
from core.store.protocols import Store


async def test_registrations_upsert_and_delete(store: Store) -> None:
    assert await store.lookup_registration("tok") is None
    await store.set_registration(OcpiRegistration("tok", "PENDING"))
    await store.set_registration(OcpiRegistration("tok", "REGISTERED"))
    await store.set_registration(OcpiRegistration("other", "PENDING"))
    assert await store.lookup_registration("tok") == OcpiRegistration("tok", "REGISTERED")
    await store.delete_registration("tok")
    await store.delete_registration("tok")  # deleting twice is harmless
    assert await store.lookup_registration("tok") is None
    assert await store.lookup_registration("other") == OcpiRegistration("other", "PENDING")


async def test_parties_upsert_and_list_per_role(store: Store) -> None:
    assert await store.lookup_party("EMSP", "NL", "ABC") is None
    await store.set_party(OcpiParty("EMSP", "NL", "XYZ", "https://x/ocpi", "t1"))
    await store.set_party(OcpiParty("EMSP", "DE", "ABC", "https://d/ocpi", "t2"))
    await store.set_party(OcpiParty("EMSP", "NL", "ABC", "https://old/ocpi", "t3"))
    await store.set_party(OcpiParty("EMSP", "NL", "ABC", "https://a/ocpi", "t4"))
    await store.set_party(OcpiParty("CPO", "NL", "ABC", "https://c/ocpi", "t5"))
    assert await store.lookup_party("EMSP", "NL", "ABC") == OcpiParty(
        "EMSP", "NL", "ABC", "https://a/ocpi", "t4"
    )
    assert [(p.country_code, p.party_id) for p in await store.list_parties("EMSP")] == [
        ("DE", "ABC"),
        ("NL", "ABC"),
        ("NL", "XYZ"),
    ]
    assert await store.list_parties("CPO") == [
        OcpiParty("CPO", "NL", "ABC", "https://c/ocpi", "t5")
    ]
    assert await store.list_parties("HUB") == []
