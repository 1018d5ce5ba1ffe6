"""Registration over real HTTP (real aiohttp server on loopback, real SQLite): an existing id is
refused with the reason, and profile-2 stations get a client certificate from the local CA."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from core.api.server import ApiServer
from core.application.service import CsmsService
from core.credentials import hash_password
from core.gateway.auth import check_client_certificate
from core.handlers.call_maker import CallMaker
from core.services.certificates import LocalCa, create_ca
from tests.api.harness import service_env
from tests.api.test_api import LOCAL, V0, Api, running_api


async def test_maeve_register_refuses_other_credentials_for_an_existing_id() -> None:
    async with running_api() as api:
        first = {"securityProfile": 0, "base64SHA256Password": hash_password("first-password!!")}
        assert (await api.call("POST", f"{V0}/cs/CS001", first))[0] == 201
        # The same body again is not a change: accepted, so setup scripts can run twice.
        assert (await api.call("POST", f"{V0}/cs/CS001", first))[0] == 201
        other = {**first, "base64SHA256Password": hash_password("other-password!!")}
        status, body, _ = await api.call("POST", f"{V0}/cs/CS001", other)
        assert status == 409
        assert body["status"] == "Conflict"
        assert body["error"].startswith("csId: station CS001 is already registered")
        assert "POST /api/v0/cs/CS001/password" in body["error"]
        _, auth, _ = await api.call("GET", f"{V0}/cs/CS001/auth")
        assert auth["base64SHA256Password"] == first["base64SHA256Password"]


async def test_registration_refuses_an_existing_id_and_keeps_its_password() -> None:
    async with running_api() as api:
        status, first, _ = await api.call(
            "POST", f"{V0}/cs/CS1/registration", {"securityProfile": 0}
        )
        assert status == 201
        assert first["password"]
        status, body, _ = await api.call(
            "POST", f"{V0}/cs/CS1/registration", {"securityProfile": 0}
        )
        assert status == 409
        assert "csms-tui station rotate-password CS1" in body["error"]
        station = await api.env.store.lookup_station("CS1")
        assert station is not None
        assert station.auth.password_hash == hash_password(first["password"])


@asynccontextmanager
async def api_with_ca(org_name: str = "Acme CPO") -> AsyncIterator[tuple[Api, str]]:
    ca_cert, ca_key = create_ca("Test CSO CA", org_name)
    async with service_env() as env:
        service = CsmsService(
            env.store,
            CallMaker(env.wire, env.store, env.store, env.events, env.clock),
            env.events,
            env.clock,
            env.registry,
            station_ca=LocalCa(ca_cert, ca_key),
            org_name=org_name,
        )
        server = ApiServer(service, env.store, env.clock, LOCAL)
        await server.start()
        try:
            async with aiohttp.ClientSession(base_url=server.url) as http:
                yield Api(env, server, http), ca_cert
        finally:
            await server.stop()


def _leaf(chain: str, ca_pem: str) -> x509.Certificate:
    leaf, ca = x509.load_pem_x509_certificates(chain.encode())
    assert ca == x509.load_pem_x509_certificate(ca_pem.encode())
    leaf.verify_directly_issued_by(ca)
    return leaf


async def test_profile_2_with_a_generated_key() -> None:
    async with api_with_ca() as (api, ca_pem):
        status, body, _ = await api.call(
            "POST",
            f"{V0}/cs/CS2/registration",
            {"securityProfile": 2, "issueCertificate": True},
        )
        assert status == 201, body
        assert body["password"] is None
        assert body["url"].startswith("wss://")
        leaf = _leaf(body["certificate"], ca_pem)
        key = serialization.load_pem_private_key(body["privateKey"].encode(), None)
        assert key.public_key() == leaf.public_key()
        # The gateway's own check accepts it: CN = the station id, O allowed.
        der = leaf.public_bytes(Encoding.DER)
        assert check_client_certificate(der, "CS2", ["Acme CPO"]).ok
        # Kept by hash for TLS-terminating proxies; the key is not kept anywhere.
        overview = await api.env.store.lookup_certificate(_hash(leaf))
        assert overview is not None
        assert "PRIVATE KEY" not in overview


def _hash(cert: x509.Certificate) -> str:
    import base64
    import hashlib

    digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _csr(cn: str, org: str) -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return key, csr.public_bytes(Encoding.PEM).decode()


async def test_profile_2_from_the_operators_csr() -> None:
    async with api_with_ca() as (api, ca_pem):
        _, wrong_cn = _csr("CS9", "Acme CPO")
        status, body, _ = await api.call(
            "POST", f"{V0}/cs/CS3/registration", {"securityProfile": 2, "csr": wrong_cn}
        )
        assert status == 400
        assert body["error"].startswith("csr: the CSR's common name (CN)")
        assert await api.env.store.lookup_station("CS3") is None
        key, csr = _csr("CS3", "Acme CPO")
        status, body, _ = await api.call(
            "POST", f"{V0}/cs/CS3/registration", {"securityProfile": 2, "csr": csr}
        )
        assert status == 201, body
        assert body["privateKey"] is None
        assert _leaf(body["certificate"], ca_pem).public_key() == key.public_key()
        status, body, _ = await api.call(
            "POST", f"{V0}/cs/CS3/registration", {"securityProfile": 2, "csr": csr}
        )
        assert status == 409  # a second certificate is not issued behind the first's back


async def test_certificate_without_a_local_ca_is_409_saying_what_to_configure() -> None:
    async with running_api() as api:
        status, body, _ = await api.call(
            "POST",
            f"{V0}/cs/CS4/registration",
            {"securityProfile": 2, "issueCertificate": True},
        )
        assert status == 409
        assert body["error"].startswith("issueCertificate: no local CA is configured")
        assert '[charge_station_cert_provider] type = "local"' in body["error"]
        assert await api.env.store.lookup_station("CS4") is None
        status, body, _ = await api.call(
            "POST",
            f"{V0}/cs/CS4/registration",
            {"securityProfile": 1, "issueCertificate": True},
        )
        assert status == 400
        assert "security profile 2" in body["error"]
