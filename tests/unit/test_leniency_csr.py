"""csr-without-o on the real local CA, the real store and the 2.0.1 SignCertificate handler: a
CSR without O= is signed, with the CSMS's O=, only for a station granted it, and counted; not
granted it is Rejected, as the provider's check says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from core.clock import FixedClock
from core.config import LeniencyConfig, LeniencyGrantConfig
from core.handlers.ocpp201.certificates import SignCertificate
from core.leniency.csr import LenientStationSigner
from core.leniency.policy import LeniencyPolicy
from core.services.certificates import LocalCa, create_ca
from core.store.sqlite import SqliteStore

ORG = "Thoughtworks"


def _csr(station_id: str, org: str | None) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.NameAttribute(NameOID.COMMON_NAME, station_id)]
    if org is not None:
        names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    return csr.sign(key, hashes.SHA256()).public_bytes(Encoding.PEM).decode()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "csms.db"))
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def handler(store: SqliteStore) -> SignCertificate:
    ca_pem, key_pem = create_ca("CSO CA", ORG)
    config = LeniencyConfig(stations={"CS-O": LeniencyGrantConfig(grant=["csr-without-o"])})
    policy = LeniencyPolicy(config, store, FixedClock())
    return SignCertificate(
        LenientStationSigner(LocalCa(ca_pem, key_pem, [ORG]), policy, ORG), store
    )


async def test_granted_a_csr_without_o_is_signed_with_the_csms_o_and_counted(
    handler: SignCertificate, store: SqliteStore
) -> None:
    assert await handler("CS-O", {"csr": _csr("CS-O", None)}) == {"status": "Accepted"}
    [installed] = await store.lookup_install_certificates("CS-O")
    leaf = x509.load_pem_x509_certificate(installed.certificate_data.encode())
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == ORG
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CS-O"
    [count] = await store.list_leniency_counts("CS-O")
    assert (count.name, count.count) == ("csr-without-o", 1)
    # A CSR that has its O= is signed as before, and nothing is counted for it.
    assert await handler("CS-O", {"csr": _csr("CS-O", ORG)}) == {"status": "Accepted"}
    assert [c.count for c in await store.list_leniency_counts("CS-O")] == [1]


async def test_not_granted_a_csr_without_o_is_rejected(
    handler: SignCertificate, store: SqliteStore
) -> None:
    assert await handler("CS-X", {"csr": _csr("CS-X", None)}) == {"status": "Rejected"}
    assert await store.lookup_install_certificates("CS-X") == []
    assert await store.list_leniency_counts("CS-X") == []


async def test_the_grant_covers_a_missing_o_only_not_a_wrong_one(
    handler: SignCertificate, store: SqliteStore
) -> None:
    assert await handler("CS-O", {"csr": _csr("CS-O", "Someone Else")}) == {"status": "Rejected"}
    assert await store.list_leniency_counts("CS-O") == []
