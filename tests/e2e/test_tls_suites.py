"""TC_A_04/TC_A_07: the wss listener serves an ECDSA and an RSA certificate together, so a
station offering only the ECDSA suites and one offering only the RSA suites (OCPP 2.0.1 Part 2
A00.FR.318/319) both connect — with a client certificate too."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import websockets
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from websockets.typing import Subprotocol

from core.config import config_from_dict
from core.runtime import Csms
from core.services.certificates import create_ca, issue_certificate
from core.store.models import SecurityProfile, StationAuth
from tests.e2e.conftest import basic_header, password_hash

pytestmark = pytest.mark.e2e

ECDSA_SUITES = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
RSA_SUITES = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"


def _rsa_server_cert(ca_pem: str, ca_key_pem: str) -> tuple[str, str]:
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


@pytest.fixture
async def dual(tmp_path: Path) -> AsyncIterator[tuple[Csms, Path]]:
    ca, ca_key = create_ca("Test CA", "Thoughtworks")
    ec_cert, ec_key = issue_certificate(ca, ca_key, "localhost", "T", server_names=["localhost"])
    rsa_cert, rsa_key = _rsa_server_cert(ca, ca_key)
    files = {
        "ca.pem": ca,
        "ca.key": ca_key,
        "ec.pem": ec_cert,
        "ec.key": ec_key,
        "rsa.pem": rsa_cert,
        "rsa.key": rsa_key,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {
                "ws_addr": "",
                "wss_addr": "127.0.0.1:0",
                "status_addr": "",
                "tls_server_cert": str(tmp_path / "ec.pem"),
                "tls_server_key": str(tmp_path / "ec.key"),
                "tls_additional_certs": [
                    {"cert": str(tmp_path / "rsa.pem"), "key": str(tmp_path / "rsa.key")}
                ],
                "tls_trust_certs": [str(tmp_path / "ca.pem")],
            },
            "api": {"enabled": False},
            "observability": {"log_file": ""},
        }
    )
    async with Csms(config) as csms:
        yield csms, tmp_path


async def _served_key(
    csms: Csms, tmp: Path, station: str, suites: str, client_cert: bool = False
) -> type:
    ctx = ssl.create_default_context(cafile=str(tmp / "ca.pem"))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # suites choose the certificate up to TLS 1.2
    ctx.set_ciphers(suites)
    headers = {}
    if client_cert:
        cert, key = issue_certificate(
            (tmp / "ca.pem").read_text(), (tmp / "ca.key").read_text(), station, "Thoughtworks"
        )
        (tmp / f"{station}.pem").write_text(cert)
        (tmp / f"{station}.key").write_text(key)
        ctx.load_cert_chain(str(tmp / f"{station}.pem"), str(tmp / f"{station}.key"))
    else:
        headers["Authorization"] = basic_header(station)
    async with websockets.connect(
        f"wss://localhost:{csms.ports['wss']}/ws/{station}",
        ssl=ctx,
        subprotocols=[Subprotocol("ocpp2.0.1")],
        additional_headers=headers,
    ) as ws:
        await ws.send('[2,"h","Heartbeat",{}]')
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))[:2] == [3, "h"]
        ssl_object = ws.transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True)
        return type(x509.load_der_x509_certificate(der).public_key())


async def test_tc_a_04_each_suite_family_gets_its_certificate(dual: tuple[Csms, Path]) -> None:
    csms, tmp = dual
    await csms.store.register_station(
        "A04", StationAuth(SecurityProfile.TLS_BASIC, password_hash()), datetime.now(UTC)
    )
    assert issubclass(await _served_key(csms, tmp, "A04", ECDSA_SUITES), ec.EllipticCurvePublicKey)
    assert issubclass(await _served_key(csms, tmp, "A04", RSA_SUITES), rsa.RSAPublicKey)


async def test_tc_a_07_client_certificates_with_either_suite_family(
    dual: tuple[Csms, Path],
) -> None:
    csms, tmp = dual
    await csms.store.register_station(
        "A07", StationAuth(SecurityProfile.TLS_CLIENT_CERT), datetime.now(UTC)
    )
    for suites in (ECDSA_SUITES, RSA_SUITES):
        await _served_key(csms, tmp, "A07", suites, client_cert=True)
