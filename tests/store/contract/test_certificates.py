"""Store contract, certificate role: certificates to install on stations (claimed as leases)
and client certificates by hash."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from core.clock import FixedClock
from core.store.models import CertificateStatus, CertificateType, InstallCertificate
from core.store.protocols import Store
from tests.store.contract.samples import self_signed_pem


def _cert(
    certificate_id: str,
    status: CertificateStatus = CertificateStatus.PENDING,
    send_after: datetime | None = None,
    attempts: int = 0,
) -> InstallCertificate:
    return InstallCertificate(
        certificate_id, CertificateType.V2G, f"PEM {certificate_id}", status, send_after, attempts
    )


async def test_install_certificates_upsert_by_id(store: Store, clock: FixedClock) -> None:
    assert await store.lookup_install_certificates("cs1") == []
    await store.upsert_install_certificates("cs1", [_cert("b"), _cert("a")])
    replaced = InstallCertificate(
        "b",
        CertificateType.CSMS,
        "PEM b2",
        CertificateStatus.REJECTED,
        send_after=clock.now(),
        attempts=3,
    )
    await store.upsert_install_certificates("cs1", [replaced])
    await store.upsert_install_certificates("cs2", [_cert("a", status=CertificateStatus.ACCEPTED)])
    assert await store.lookup_install_certificates("cs1") == [_cert("a"), replaced]
    assert await store.lookup_install_certificates("cs2") == [
        _cert("a", status=CertificateStatus.ACCEPTED)
    ]


async def test_install_certificate_claims_are_leases_that_count_attempts(
    store: Store, clock: FixedClock
) -> None:
    now = clock.now()
    await store.upsert_install_certificates(
        "cs1",
        [
            _cert("a"),
            _cert("done", status=CertificateStatus.ACCEPTED),
            _cert("later", send_after=now + timedelta(minutes=10)),
        ],
    )
    await store.upsert_install_certificates("cs2", [_cert("a"), _cert("b")])
    lease = now + timedelta(minutes=2)
    claimed = await store.claim_due_install_certificates(now, lease, limit=2)
    assert claimed == {
        "cs1": [_cert("a", send_after=lease, attempts=1)],
        "cs2": [_cert("a", send_after=lease, attempts=1)],
    }
    rest = await store.claim_due_install_certificates(now, lease)
    assert rest == {"cs2": [_cert("b", send_after=lease, attempts=1)]}
    assert await store.claim_due_install_certificates(now, lease) == {}
    expired = now + timedelta(minutes=3)
    again = await store.claim_due_install_certificates(expired, expired)
    assert [(c.certificate_id, c.attempts) for c in again["cs1"]] == [("a", 2)]
    stored = {c.certificate_id: c for c in await store.lookup_install_certificates("cs1")}
    assert stored["a"].attempts == 2
    assert stored["done"].attempts == 0


async def test_concurrent_install_certificate_claims_never_share_an_item(
    store: Store, other_manager: Store, clock: FixedClock
) -> None:
    for station_id in ("cs1", "cs2"):
        await store.upsert_install_certificates(station_id, [_cert(f"c{n}") for n in range(15)])
    lease = clock.now() + timedelta(minutes=2)
    results = await asyncio.gather(
        *(
            m.claim_due_install_certificates(clock.now(), lease, limit=4)
            for m in [store, other_manager] * 4
        )
    )
    claimed = [(st, c.certificate_id) for r in results for st, cs in r.items() for c in cs]
    assert len(claimed) == len(set(claimed)) == 30
    stored = await store.lookup_install_certificates("cs1")
    assert {c.attempts for c in stored} == {1}


async def test_client_certificates_by_hash(store: Store, clock: FixedClock) -> None:
    pem = self_signed_pem("cs1", clock.now())
    key = await store.set_certificate(pem)
    # Unpadded base64url of a SHA-256:
    assert "=" not in key
    assert len(key) == 43
    assert await store.set_certificate(pem) == key  # the same certificate: the same key
    other = await store.set_certificate(self_signed_pem("cs2", clock.now()))
    assert other != key
    assert await store.lookup_certificate(key) == pem
    await store.delete_certificate(key)
    await store.delete_certificate(key)  # deleting twice is harmless
    assert await store.lookup_certificate(key) is None
    assert await store.lookup_certificate(other) is not None
    with pytest.raises(ValueError, match="no PEM certificate found"):
        await store.set_certificate("not a certificate")
