"""Plug & Charge against the running CSMS: a real OCPP 2.0.1 station (the `ocpp` package) over
a real websocket, a lab ISO 15118-2 PKI built per test and a real OCSP responder on loopback.

- Authorize with a contract certificate chain (OCPP 2.0.1 C07, TC_C_50/51): a good chain is
  Accepted; a revoked leaf gives CertificateRevoked, an expired chain CertificateExpired and a
  chain from an unknown root CertChainError, each with idTokenInfo Blocked.
- SignCertificate with V2GCertificate (A02/A03, TC_A_12): the local CPO sub-CA signs it and
  CertificateSigned reaches the station with a chain that verifies to the V2G root."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.routing import on
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

from core.config import config_from_dict
from core.runtime import Csms
from core.services.ev_certificates import CONTRACT_KEY_USAGE
from core.services.local_pki import LabPki, OcspResponder, create_lab_pki, write_lab_pki
from tests.e2e.conftest import add_token, basic_header, eventually, register

pytestmark = pytest.mark.e2e

EMAID = "GBTWK012345678V"
ORG = "Thoughtworks"


@dataclass
class Lab:
    pki: LabPki
    responder: OcspResponder
    url: str
    directory: Path

    def contract(self, *, emaid: str = EMAID, expired: bool = False) -> x509.Certificate:
        ca = self.pki.mo_issuing_ca()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, emaid)])
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        if not expired:
            return ca.issue(name, key, CONTRACT_KEY_USAGE, days=30, ocsp_url=self.url)
        # Issued long ago for a short while: the chain carries a certificate past its end.
        return ca.issue(
            name,
            key,
            CONTRACT_KEY_USAGE,
            days=1,
            ocsp_url=self.url,
            now=datetime.now(UTC) - timedelta(days=10),
        )

    def chain(self, leaf: x509.Certificate) -> str:
        certificates = [leaf, self.pki.mo_sub_ca2.cert, self.pki.mo_sub_ca1.cert]
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    holder: list[Lab] = []

    async def answer(request: web.Request) -> web.Response:
        der = holder[0].responder.respond(await request.read())
        return web.Response(body=der, content_type="application/ocsp-response")

    app = web.Application()
    app.router.add_post("/ocsp", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/ocsp"
    pki = create_lab_pki(ORG, ocsp_url=url)
    directory = tmp_path / "pki"
    write_lab_pki(pki, directory)
    holder.append(Lab(pki, pki.ocsp_responder_for(), url, directory))
    yield holder[0]
    await runner.cleanup()


@pytest.fixture
async def csms(tmp_path: Path, lab: Lab) -> AsyncIterator[Csms]:
    d = lab.directory
    config = config_from_dict(
        {
            "storage": {"sqlite": {"path": str(tmp_path / "csms.db")}},
            "gateway": {
                "ws_addr": "127.0.0.1:0",
                "status_addr": "127.0.0.1:0",
                "call_timeout": "5s",
            },
            "api": {"addr": "127.0.0.1:0", "org_name": ORG},
            "observability": {"log_file": ""},
            "sync": {"interval": "0.2s"},
            "contract_cert_validator": {
                "ocsp": {
                    "root_certs": {"type": "file", "file": {"files": [str(d / "mo_root.pem")]}}
                }
            },
            "charge_station_cert_provider": {
                "type": "local",
                "local": {
                    "cert": {"file": str(d / "cso_ca.pem")},
                    "key": {"file": str(d / "cso_ca.key")},
                    "v2g": {
                        "cert": {"file": str(d / "cpo_sub_ca2.pem")},
                        "key": {"file": str(d / "cpo_sub_ca2.key")},
                        "issuer_files": [str(d / "cpo_sub_ca1.pem")],
                        "root_file": str(d / "v2g_root.pem"),
                        "ocsp_url": lab.url,
                    },
                },
            },
        }
    )
    async with Csms(config) as running:
        yield running


class Station(Cp201):
    signed: list[tuple[str, str | None]]

    @on("CertificateSigned")
    async def on_certificate_signed(
        self, certificate_chain: str, certificate_type: str | None = None, **_: Any
    ) -> result201.CertificateSigned:
        self.signed.append((certificate_chain, certificate_type))
        return result201.CertificateSigned(status="Accepted")


async def _connect(csms: Csms, station_id: str) -> AsyncIterator[Station]:
    await register(csms, station_id)
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=[Subprotocol("ocpp2.0.1")],
        additional_headers={"Authorization": basic_header(station_id)},
    ) as ws:
        cp = Station(station_id, ws)
        cp.signed = []
        task = asyncio.create_task(cp.start())
        try:
            boot = await cp.call(
                call201.BootNotification(
                    charging_station={"model": "PnC", "vendor_name": "Acme"}, reason="PowerUp"
                )
            )
            assert boot.status == "Accepted"
            yield cp
        finally:
            task.cancel()


@pytest.fixture
async def station(csms: Csms) -> AsyncIterator[Station]:
    async for cp in _connect(csms, "PNC1"):
        yield cp


async def _authorize(cp: Station, chain: str, emaid: str = EMAID) -> tuple[str, str | None]:
    result = await cp.call(
        call201.Authorize(id_token={"id_token": emaid, "type": "eMAID"}, certificate=chain)
    )
    return result.id_token_info["status"], result.certificate_status


async def test_authorize_with_a_contract_chain(csms: Csms, lab: Lab, station: Station) -> None:
    await add_token(csms, EMAID)
    assert await _authorize(station, lab.chain(lab.contract())) == ("Accepted", "Accepted")

    revoked = lab.contract()
    lab.responder.revoked.add(revoked.serial_number)
    assert await _authorize(station, lab.chain(revoked)) == ("Blocked", "CertificateRevoked")

    # A revoked sub-CA revokes every contract under it.
    lab.responder.revoked.add(lab.pki.mo_sub_ca2.cert.serial_number)
    assert await _authorize(station, lab.chain(lab.contract())) == (
        "Blocked",
        "CertificateRevoked",
    )
    lab.responder.revoked.clear()

    expired = lab.contract(expired=True)
    assert await _authorize(station, lab.chain(expired)) == ("Blocked", "CertificateExpired")

    # Another PKI's contract for the same eMAID: no trusted root.
    stranger = create_lab_pki("Elsewhere")
    foreign = Lab(stranger, stranger.ocsp_responder_for(), lab.url, lab.directory)
    assert await _authorize(station, foreign.chain(foreign.contract())) == (
        "Blocked",
        "CertChainError",
    )


async def test_sign_v2g_certificate_reaches_the_station(
    csms: Csms, lab: Lab, station: Station
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "SECC-PNC1"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
                ]
            )
        )
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    result = await station.call(call201.SignCertificate(csr=csr, certificate_type="V2GCertificate"))
    assert result.status == "Accepted"

    async def signed() -> list[tuple[str, str | None]]:
        return station.signed

    (chain_pem, certificate_type), *_ = await eventually(signed, timeout=10)
    assert certificate_type == "V2GCertificate"
    chain = x509.load_pem_x509_certificates(chain_pem.encode())
    assert chain[0].public_key() == key.public_key()
    root = x509.load_pem_x509_certificate((lab.directory / "v2g_root.pem").read_bytes())
    for child, parent in zip(chain, [*chain[1:], root], strict=True):
        child.verify_directly_issued_by(parent)
    assert chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "SECC-PNC1"

    # An organisation other than the CSMS's is refused (A02: O is the CPO's name).
    foreign = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "SECC-PNC1"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Someone Else"),
                ]
            )
        )
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    refused = await station.call(
        call201.SignCertificate(csr=foreign, certificate_type="V2GCertificate")
    )
    assert refused.status == "Rejected"
