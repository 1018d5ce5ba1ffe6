"""OPCP clients (contract certificates, V2G station certificates, root pool) and OAuth2 tokens
against a real HTTP server on loopback playing Hubject."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from core.config import Config
from core.services.factory import build_services
from core.services.http_auth import FixedToken, OAuth2ClientCredentials
from core.services.opcp import OpcpContractProvider, OpcpStationCertProvider
from core.services.protocols import CertificateValidationError
from core.services.root_certs import OpcpRoots


def _ca(cn: str, key: ec.EllipticCurvePrivateKey, issuer: Any = None) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(issuer[1] if issuer else key, hashes.SHA256())
    )


ROOT_KEY, SUB_KEY = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
ROOT = _ca("V2G Root", ROOT_KEY)
SUB = _ca("CPO Sub-CA", SUB_KEY, (ROOT, ROOT_KEY))


@dataclass
class Hubject:
    url: str = ""
    tokens_issued: int = 0
    refuse_first: bool = False
    seen: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def token_ok(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer tok{self.tokens_issued}"


@pytest.fixture
async def hubject() -> AsyncIterator[Hubject]:
    h = Hubject()

    async def oauth(request: web.Request) -> web.Response:
        body = await request.json()
        assert body["grant_type"] == "client_credentials"
        assert body["client_secret"] == "s3"
        h.tokens_issued += 1
        return web.json_response({"access_token": f"tok{h.tokens_issued}", "expires_in": 3600})

    async def record(request: web.Request) -> bool:
        h.seen.append((request.path, dict(request.headers), await request.read()))
        if h.refuse_first:
            h.refuse_first = False
            return False
        return h.token_ok(request) and request.headers.get("x-api-key") is not None

    async def contract(request: web.Request) -> web.Response:
        if not await record(request):
            return web.Response(status=401)
        req = await request.json()
        return web.json_response(
            {
                "CCPResponse": {
                    "emaidContent": [
                        {
                            "messageDef": {
                                "emaid": "GBTWK012345678V",
                                "certificateInstallationRes": "RES:"
                                + req["certificateInstallationReq"],
                            }
                        }
                    ]
                }
            }
        )

    async def enroll(request: web.Request) -> web.Response:
        if not await record(request):
            return web.Response(status=401)
        csr = x509.load_der_x509_csr(base64.b64decode(await request.read()))
        now = datetime.now(UTC)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(SUB.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=1))
            .sign(SUB_KEY, hashes.SHA256())
        )
        der = pkcs7.serialize_certificates([leaf], serialization.Encoding.DER)
        return web.Response(body=base64.b64encode(der))

    async def cacerts(request: web.Request) -> web.Response:
        if not await record(request):
            return web.Response(status=401)
        der = pkcs7.serialize_certificates([ROOT, SUB], serialization.Encoding.DER)
        return web.Response(body=base64.b64encode(der))

    async def roots(request: web.Request) -> web.Response:
        if not await record(request):
            return web.Response(status=401)
        der = ROOT.public_bytes(serialization.Encoding.DER)
        return web.json_response(
            {
                "RootCertificateCollection": {
                    "rootCertificates": [{"caCertificate": base64.b64encode(der).decode()}]
                }
            }
        )

    app = web.Application()
    app.router.add_post("/oauth", oauth)
    app.router.add_post("/v1/ccp/signedContractData", contract)
    app.router.add_post("/cpo/simpleenroll/ISO15118-2", enroll)
    app.router.add_get("/cpo/cacerts/ISO15118-2", cacerts)
    app.router.add_get("/v1/root/rootCerts", roots)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    h.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield h
    await runner.cleanup()


def _oauth(h: Hubject) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(f"{h.url}/oauth", "client", "s3")


async def test_contract_certificate_retries_with_a_fresh_token(hubject: Hubject) -> None:
    hubject.refuse_first = True
    provider = OpcpContractProvider(hubject.url, _oauth(hubject))
    status, exi = await provider.provide("EXIREQ", "", "Install")
    assert (status, exi) == ("Accepted", "RES:EXIREQ")
    assert hubject.tokens_issued == 2  # the refusal made it fetch a new token
    _path, headers, body = hubject.seen[-1]
    assert headers["x-api-key"] == "tok2"
    assert b"urn:iso:15118:2:2013:MsgDef" in body


async def test_contract_certificate_failure_is_failed(hubject: Hubject) -> None:
    provider = OpcpContractProvider(hubject.url, FixedToken("wrong"), attempts=2)
    assert await provider.provide("EXIREQ", "", "Install") == ("Failed", "")
    assert len(hubject.seen) == 2


def _csr(cn: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


async def test_v2g_enrolment_returns_leaf_and_sub_ca_without_root(hubject: Hubject) -> None:
    provider = OpcpStationCertProvider(hubject.url, _oauth(hubject))
    chain = x509.load_pem_x509_certificates(
        (await provider.sign(_csr("CS1"), "V2GCertificate", "CS1")).encode()
    )
    assert [c.subject.rfc4514_string() for c in chain] == ["CN=CS1", "CN=CPO Sub-CA"]
    with pytest.raises(CertificateValidationError, match="only V2G"):
        await provider.sign(_csr("CS1"), "ChargingStationCertificate", "CS1")


async def test_root_pool_is_fetched_and_cached(hubject: Hubject) -> None:
    roots = OpcpRoots(hubject.url, _oauth(hubject), ttl=60)
    assert await roots.roots() == [ROOT]
    assert await roots.roots() == [ROOT]
    assert sum(1 for p, _, _ in hubject.seen if p == "/v1/root/rootCerts") == 1


async def test_configured_opcp_and_delegating_providers(hubject: Hubject) -> None:
    auth = {"type": "fixed_token", "fixed_token": {"token": "tok0"}}
    config = Config.model_validate(
        {
            "contract_cert_provider": {"type": "opcp", "opcp": {"url": hubject.url, "auth": auth}},
            "charge_station_cert_provider": {
                "type": "delegating",
                "delegating": {
                    "v2g": {"type": "opcp", "opcp": {"url": hubject.url, "auth": auth}},
                    "cso": {"type": "default"},
                },
            },
        }
    )
    services = build_services(config, None, None)  # type: ignore[arg-type]
    assert (await services.contract_provider.provide("X", "", "Install"))[0] == "Accepted"
    assert "BEGIN CERTIFICATE" in await services.station_cert_provider.sign(
        _csr("CS1"), "V2GCertificate", "CS1"
    )
    with pytest.raises(CertificateValidationError, match="no charge-station certificate"):
        await services.station_cert_provider.sign(_csr("CS1"), "ChargingStationCertificate", "CS1")
