"""Contract-certificate validation (2.0.1 Authorize with a PEM chain or OCSP hash data) against a
real OCSP responder on loopback, with a three-level PKI built per test run."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
from typer.testing import CliRunner

from core.config import Config, ConfigError
from core.handlers.ocpp201.routes import routes as routes201
from core.handlers.router import Router
from core.ocpp.types import Message, MessageType, OcppVersion
from core.services.ev_certificates import CONTRACT_KEY_USAGE
from core.services.factory import build_services
from core.services.local_pki import OcspResponder, create_lab_pki
from core.services.ocsp import OcspContractValidator, validator_for_roots
from core.services.protocols import CertificateValidationError
from core.services.root_certs import StaticRoots
from csms_tui.cli import app as cli_app
from tests.unit.handlers.conftest import Env

EMAID = "GBTWK012345678V"
Key = ec.EllipticCurvePrivateKey


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _cert(
    cn: str,
    key: Key,
    issuer: tuple[x509.Certificate, Key] | None,
    *,
    ca: bool,
    ocsp_url: str | None = None,
    expired: bool = False,
    ocsp_signer: bool = False,
) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    not_after = now - timedelta(days=1) if expired else now + timedelta(days=30)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=2))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    if ocsp_signer:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def _key() -> Key:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class Pki:
    url: str
    root: x509.Certificate
    root_key: Key
    sub: x509.Certificate
    sub_key: Key
    revoked: set[int] = field(default_factory=set)
    forge: bool = False
    delegate: tuple[x509.Certificate, Key] | None = None
    requests: int = 0

    def leaf(self, cn: str = EMAID, **kw: Any) -> x509.Certificate:
        return _cert(cn, _key(), (self.sub, self.sub_key), ca=False, ocsp_url=self.url, **kw)

    def chain(self, leaf: x509.Certificate) -> str:
        return _pem(leaf) + _pem(self.sub)

    def issuer_of(self, req: ocsp.OCSPRequest) -> tuple[x509.Certificate, Key]:
        for cert, key in ((self.sub, self.sub_key), (self.root, self.root_key)):
            probe = ocsp.OCSPRequestBuilder().add_certificate(cert, cert, hashes.SHA256()).build()
            if probe.issuer_key_hash == req.issuer_key_hash:
                return cert, key
        raise AssertionError("unknown issuer")


@pytest.fixture
async def pki() -> AsyncIterator[Pki]:
    holder: list[Pki] = []

    async def answer(request: web.Request) -> web.Response:
        p = holder[0]
        p.requests += 1
        req = ocsp.load_der_ocsp_request(await request.read())
        issuer, issuer_key = p.issuer_of(req)
        now = datetime.now(UTC)
        revoked = req.serial_number in p.revoked
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=req.issuer_name_hash,
            issuer_key_hash=req.issuer_key_hash,
            serial_number=req.serial_number,
            algorithm=req.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + timedelta(hours=1),
            revocation_time=now if revoked else None,
            revocation_reason=None,
        )
        signer, signer_key = issuer, issuer_key
        if p.delegate is not None and issuer is p.sub:
            signer, signer_key = p.delegate
            builder = builder.certificates([signer])
        if p.forge:  # an impostor with the issuer's name but its own key
            signer_key = _key()
            cn = issuer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
            signer = _cert(str(cn), signer_key, None, ca=True)
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
        der = builder.sign(signer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        return web.Response(body=der, content_type="application/ocsp-response")

    app = web.Application()
    app.router.add_post("/ocsp", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/ocsp"
    root_key, sub_key = _key(), _key()
    root = _cert("V2G Root", root_key, None, ca=True)
    sub = _cert("MO Sub-CA", sub_key, (root, root_key), ca=True, ocsp_url=url)
    holder.append(Pki(url, root, root_key, sub, sub_key))
    yield holder[0]
    await runner.cleanup()


def _validator(pki: Pki) -> OcspContractValidator:
    return OcspContractValidator(StaticRoots([pki.root]))


async def _reason(pki: Pki, chain: str, emaid: str = EMAID) -> str:
    with pytest.raises(CertificateValidationError) as info:
        await _validator(pki).validate_pem_chain(chain, emaid)
    return info.value.reason


async def test_a_good_chain_is_valid_and_the_leafs_response_returned(pki: Pki) -> None:
    leaf = pki.leaf()
    result = await _validator(pki).validate_pem_chain(pki.chain(leaf), EMAID)
    assert result is not None
    response = ocsp.load_der_ocsp_response(base64.b64decode(result))
    assert response.serial_number == leaf.serial_number
    assert pki.requests == 2  # the leaf and the sub-CA both name a responder


async def test_a_delegated_responder_is_trusted(pki: Pki) -> None:
    key = _key()
    pki.delegate = (_cert("OCSP", key, (pki.sub, pki.sub_key), ca=False, ocsp_signer=True), key)
    assert await _validator(pki).validate_pem_chain(pki.chain(pki.leaf()), EMAID) is not None
    # A responder certificate without the OCSP-signing purpose is not a delegate.
    pki.delegate = (_cert("Not OCSP", key, (pki.sub, pki.sub_key), ca=False), key)
    assert await _reason(pki, pki.chain(pki.leaf())) == "other"


async def test_failures_map_to_their_reasons(pki: Pki) -> None:
    revoked = pki.leaf()
    pki.revoked.add(revoked.serial_number)
    assert await _reason(pki, pki.chain(revoked)) == "revoked"
    assert await _reason(pki, pki.chain(pki.leaf(expired=True))) == "expired"
    assert await _reason(pki, pki.chain(pki.leaf(cn="GBTWK999999999X"))) == "chain"
    assert await _reason(pki, _pem(pki.leaf())) == "chain"  # the sub-CA is missing
    stranger_key = _key()
    stranger = _cert("Other Root", stranger_key, None, ca=True)
    foreign = _cert(EMAID, _key(), (stranger, stranger_key), ca=False, ocsp_url=pki.url)
    assert await _reason(pki, _pem(foreign) + _pem(stranger)) == "chain"
    no_ocsp = _cert(EMAID, _key(), (pki.root, pki.root_key), ca=False)
    assert await _reason(pki, _pem(no_ocsp)) == "chain"  # no OCSP response available
    assert await _reason(pki, "-----BEGIN CERTIFICATE-----") == "other"


async def test_a_forged_ocsp_answer_is_not_believed(pki: Pki) -> None:
    pki.forge = True
    assert await _reason(pki, pki.chain(pki.leaf())) == "other"


def _hash_data(cert: x509.Certificate, issuer: x509.Certificate, url: str) -> dict[str, str]:
    ref = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": ref.issuer_name_hash.hex(),
        "issuerKeyHash": ref.issuer_key_hash.hex(),
        "serialNumber": format(cert.serial_number, "x"),
        "responderURL": url,
    }


async def test_hash_data(pki: Pki) -> None:
    good, bad = pki.leaf(), pki.leaf()
    pki.revoked.add(bad.serial_number)
    validator = _validator(pki)
    assert await validator.validate_hashed([_hash_data(good, pki.sub, pki.url)]) is not None
    with pytest.raises(CertificateValidationError) as info:
        await validator.validate_hashed([_hash_data(bad, pki.sub, pki.url)])
    assert info.value.reason == "revoked"
    with pytest.raises(CertificateValidationError) as info:
        await validator.validate_hashed(
            [{**_hash_data(good, pki.sub, pki.url), "responderURL": ""}]
        )
    assert info.value.reason == "other"


async def test_authorize_through_the_router(env: Env, pki: Pki) -> None:
    deps = dataclasses.replace(env.deps, contract_validator=_validator(pki))
    router = Router(OcppVersion.V201, routes201(deps), env, env.store, env.bus, env.clock)
    await env.token(EMAID)
    revoked = pki.leaf()
    pki.revoked.add(revoked.serial_number)
    answers = []
    for leaf in (pki.leaf(), revoked, pki.leaf(expired=True)):
        request = {"idToken": {"idToken": EMAID, "type": "eMAID"}, "certificate": pki.chain(leaf)}
        before = len(env.sent)
        await router.route(
            "CS1", Message(type=MessageType.CALL, id="a", action="Authorize", request=request)
        )
        reply = env.sent[before][2].response
        assert reply is not None
        answers.append((reply["idTokenInfo"]["status"], reply["certificateStatus"]))
    assert answers == [
        ("Accepted", "Accepted"),
        ("Blocked", "CertificateRevoked"),
        ("Blocked", "CertificateExpired"),
    ]


async def test_configured_roots_and_their_errors(pki: Pki, tmp_path: Path) -> None:
    roots = tmp_path / "roots.pem"
    roots.write_text(_pem(pki.root))
    config = Config.model_validate(
        {"contract_cert_validator": {"ocsp": {"root_certs": {"file": {"files": [str(roots)]}}}}}
    )
    services = build_services(config, None, None)  # type: ignore[arg-type]
    leaf = pki.leaf()
    assert await services.contract_validator.validate_pem_chain(pki.chain(leaf), EMAID)
    missing = Config.model_validate(
        {"contract_cert_validator": {"ocsp": {"root_certs": {"file": {"files": ["nope.pem"]}}}}}
    )
    with pytest.raises(ConfigError, match=r"root_certs\.file\.files: cannot read nope\.pem"):
        build_services(missing, None, None)  # type: ignore[arg-type]


async def test_validator_for_roots_reads_pem_texts(pki: Pki) -> None:
    validator = validator_for_roots([_pem(pki.root)])
    assert await validator.validate_pem_chain(pki.chain(pki.leaf()), EMAID)


async def test_contract_validate_command(pki: Pki, tmp_path: Path) -> None:
    root = tmp_path / "root.pem"
    root.write_text(_pem(pki.root))
    good = tmp_path / "good.pem"
    good.write_text(pki.chain(pki.leaf()))
    bad = tmp_path / "bad.pem"
    bad.write_text(pki.chain(pki.leaf(cn="GBTWK999999999X")))
    runner = CliRunner()

    def run(pem: Path) -> Any:  # in a thread: the command runs its own event loop
        return runner.invoke(cli_app, ["contract", "validate", "-r", str(root), f"{EMAID}:{pem}"])

    ok = await asyncio.to_thread(run, good)
    assert ok.exit_code == 0
    assert f"{EMAID}: VALID" in ok.output
    refused = await asyncio.to_thread(run, bad)
    assert refused.exit_code == 1
    assert "CN is not the eMAID" in refused.output


async def test_iso15118_lab_pki_with_two_sub_cas_and_a_delegated_responder() -> None:
    """The ISO 15118-2 shape (MO root → sub-CA 1 → sub-CA 2 → contract), sub-CA 2's answers
    signed by its delegated responder: good, revoked leaf, revoked sub-CA 1, expired chain."""
    holder: list[OcspResponder] = []

    async def answer(request: web.Request) -> web.Response:
        der = holder[0].respond(await request.read())
        return web.Response(body=der, content_type="application/ocsp-response")

    app = web.Application()
    app.router.add_post("/ocsp", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/ocsp"
        lab = create_lab_pki("Thoughtworks", ocsp_url=url)
        holder.append(lab.ocsp_responder_for())
        ca = lab.mo_issuing_ca()
        validator = OcspContractValidator(StaticRoots([lab.mo_root.cert]))
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, EMAID)])

        def chain(*, now: datetime | None = None) -> tuple[x509.Certificate, str]:
            leaf = ca.issue(
                name, _key().public_key(), CONTRACT_KEY_USAGE, days=1, ocsp_url=url, now=now
            )
            return leaf, "".join(_pem(c) for c in [leaf, *ca.chain()])

        async def reason(pem: str) -> str:
            with pytest.raises(CertificateValidationError) as info:
                await validator.validate_pem_chain(pem, EMAID)
            return info.value.reason

        good, good_pem = chain()
        result = await validator.validate_pem_chain(good_pem, EMAID)
        assert result is not None
        response = ocsp.load_der_ocsp_response(base64.b64decode(result))
        assert response.serial_number == good.serial_number
        assert response.certificates == [lab.ocsp_responder.cert]

        revoked, revoked_pem = chain()
        holder[0].revoked.add(revoked.serial_number)
        assert await reason(revoked_pem) == "revoked"
        assert await validator.validate_pem_chain(good_pem, EMAID) is not None
        holder[0].revoked.add(lab.mo_sub_ca1.cert.serial_number)
        assert await reason(good_pem) == "revoked"
        holder[0].revoked.clear()
        _, expired_pem = chain(now=datetime.now(UTC) - timedelta(days=3))
        assert await reason(expired_pem) == "expired"
    finally:
        await runner.cleanup()
