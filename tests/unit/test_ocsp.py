"""GetCertificateStatus against a real OCSP responder (aiohttp on loopback, signing with a test CA)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from core.services.certificates import create_ca, issue_certificate
from core.services.ocsp import OcspClient

CA_PEM, CA_KEY_PEM = create_ca("OCSP Test CA", "Test")
CA = x509.load_pem_x509_certificate(CA_PEM.encode())
CA_KEY = serialization.load_pem_private_key(CA_KEY_PEM.encode(), password=None)
GOOD = x509.load_pem_x509_certificate(
    issue_certificate(CA_PEM, CA_KEY_PEM, "EMP77TWTW99999", "Test")[0].encode()
)
REVOKED = x509.load_pem_x509_certificate(
    issue_certificate(CA_PEM, CA_KEY_PEM, "EMP77TWTW00000", "Test")[0].encode()
)


def hash_data(cert: x509.Certificate, url: str) -> dict[str, str]:
    """What a station sends: the hashes of the issuer's name and key, the serial in hex."""
    reference = ocsp.OCSPRequestBuilder().add_certificate(cert, CA, hashes.SHA256()).build()
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": reference.issuer_name_hash.hex(),
        "issuerKeyHash": reference.issuer_key_hash.hex(),
        "serialNumber": format(cert.serial_number, "x"),
        "responderURL": url,
    }


@pytest.fixture
async def responder() -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.Response:
        req = ocsp.load_der_ocsp_request(await request.read())
        cert = GOOD if req.serial_number == GOOD.serial_number else REVOKED
        now = datetime.now(UTC)
        status = ocsp.OCSPCertStatus.GOOD if cert is GOOD else ocsp.OCSPCertStatus.REVOKED
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=cert,
                issuer=CA,
                algorithm=hashes.SHA256(),
                cert_status=status,
                this_update=now,
                next_update=now + timedelta(hours=1),
                revocation_time=now if cert is REVOKED else None,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, CA)
        )
        der = builder.sign(CA_KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]
        assert request.content_type == "application/ocsp-request"
        return web.Response(body=der, content_type="application/ocsp-response")

    app = web.Application()
    app.router.add_post("/ocsp", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/ocsp"
    await runner.cleanup()


async def test_good_certificate_is_accepted_with_the_response(responder: str) -> None:
    status, result = await OcspClient().certificate_status(hash_data(GOOD, responder))
    assert status == "Accepted"
    assert result is not None
    parsed = ocsp.load_der_ocsp_response(base64.b64decode(result))
    assert parsed.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert parsed.serial_number == GOOD.serial_number


async def test_revoked_certificate_fails_at_once(responder: str) -> None:
    assert await OcspClient(max_attempts=3).certificate_status(hash_data(REVOKED, responder)) == (
        "Failed",
        None,
    )


async def test_unreachable_or_unusable(responder: str) -> None:
    assert await OcspClient().certificate_status(
        {**hash_data(GOOD, responder), "responderURL": ""}
    ) == ("Failed", None)
    assert await OcspClient().certificate_status(
        {**hash_data(GOOD, responder), "issuerNameHash": "zz"}
    ) == ("Failed", None)
    assert await OcspClient(timeout=2).certificate_status(
        {**hash_data(GOOD, "http://127.0.0.1:1/ocsp")}
    ) == ("Failed", None)
