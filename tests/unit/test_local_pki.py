"""The local ISO 15118-2 PKI: lab PKI creation, V2G SECC certificates from the CPO sub-CA, the
OCSP responder, the contract-certificate provider (key encryption for the EV, the signature)
with a stand-in EXI codec, and the wiring from configuration."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from core.clock import SystemClock
from core.config import ConfigError, config_from_dict
from core.services.emaid import normalise_emaid
from core.services.ev_certificates import (
    EvCertificateRequest,
    EvCertificateResponse,
    ExiError,
    LocalContractProvider,
    RootCertificateId,
    SignatureReference,
    decrypt_private_key,
    encrypt_private_key,
    lab_emaid,
)
from core.services.factory import build_services
from core.services.local_pki import (
    IssuingCa,
    LabPki,
    LocalPkiStationProvider,
    V2gStationSigner,
    create_lab_pki,
    write_lab_pki,
)
from core.services.protocols import CertificateValidationError

ORG = "Thoughtworks"


@pytest.fixture(scope="module")
def lab() -> LabPki:
    return create_lab_pki(ORG, ocsp_url="http://127.0.0.1:1/ocsp")


def _csr(cn: str | None, org: str | None, key: Any = None) -> tuple[str, Any]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    attrs = []
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if org is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    pem = csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
    return pem, key


def _chain_verifies(chain: Sequence[x509.Certificate], root: x509.Certificate) -> None:
    for child, parent in zip(chain, [*chain[1:], root], strict=True):
        child.verify_directly_issued_by(parent)


def test_the_lab_pki_has_the_iso15118_shape(lab: LabPki) -> None:
    _chain_verifies([lab.cpo_sub_ca2.cert, lab.cpo_sub_ca1.cert], lab.v2g_root.cert)
    _chain_verifies([lab.cps_leaf.cert, lab.cps_sub_ca.cert], lab.v2g_root.cert)
    _chain_verifies([lab.mo_sub_ca2.cert, lab.mo_sub_ca1.cert], lab.mo_root.cert)
    lab.ocsp_responder.cert.verify_directly_issued_by(lab.mo_sub_ca2.cert)
    for part in lab.parts().values():
        assert isinstance(part.key.curve, ec.SECP256R1)
    sub2 = lab.cpo_sub_ca2.cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert sub2.ca
    assert sub2.path_length == 0


def test_write_lab_pki_keeps_keys_private(lab: LabPki, tmp_path: Path) -> None:
    written = write_lab_pki(lab, tmp_path / "pki")
    assert len(written) == 2 * len(lab.parts())
    assert (tmp_path / "pki" / "mo_root.key").stat().st_mode & 0o077 == 0
    loaded = IssuingCa.load(
        (tmp_path / "pki" / "cpo_sub_ca2.pem").read_text(),
        (tmp_path / "pki" / "cpo_sub_ca2.key").read_text(),
        [(tmp_path / "pki" / "cpo_sub_ca1.pem").read_text()],
        (tmp_path / "pki" / "v2g_root.pem").read_text(),
    )
    assert loaded.cert == lab.cpo_sub_ca2.cert


def test_issuing_ca_load_refuses_what_does_not_fit(lab: LabPki) -> None:
    with pytest.raises(ValueError, match="does not belong"):
        IssuingCa.load(
            lab.cpo_sub_ca2.cert_pem, lab.mo_sub_ca2.key_pem, [lab.cpo_sub_ca1.cert_pem],
            lab.v2g_root.cert_pem,
        )  # fmt: skip
    with pytest.raises(ValueError, match="is not issued by"):
        IssuingCa.load(
            lab.cpo_sub_ca2.cert_pem, lab.cpo_sub_ca2.key_pem, [], lab.v2g_root.cert_pem
        )  # sub-CA 1 missing
    with pytest.raises(ValueError, match="not a CA"):
        IssuingCa.load(
            lab.cps_leaf.cert_pem, lab.cps_leaf.key_pem, [lab.cps_sub_ca.cert_pem],
            lab.v2g_root.cert_pem,
        )  # fmt: skip


async def test_v2g_csr_is_signed_with_the_secc_profile(lab: LabPki) -> None:
    provider = LocalPkiStationProvider(
        cso=_cso(lab), v2g=V2gStationSigner(lab.cpo_issuing_ca(), [ORG], ocsp_url="http://o/")
    )
    csr, key = _csr("SECC-CS1", ORG)
    pem = await provider.sign(csr, "V2GCertificate", "CS1")
    chain = x509.load_pem_x509_certificates(pem.encode())
    assert chain[1:] == [lab.cpo_sub_ca2.cert, lab.cpo_sub_ca1.cert]  # no root
    _chain_verifies(chain, lab.v2g_root.cert)
    leaf = chain[0]
    assert leaf.public_key() == key.public_key()
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "SECC-CS1"
    assert leaf.subject.get_attributes_for_oid(NameOID.DOMAIN_COMPONENT)[0].value == "CPO"
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.key_agreement
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.not_valid_after_utc <= lab.cpo_sub_ca2.cert.not_valid_after_utc
    # The CSO side still goes to the CSO CA (CN must be the station id there).
    cso_csr, _ = _csr("CS1", ORG)
    cso_chain = x509.load_pem_x509_certificates(
        (await provider.sign(cso_csr, "ChargingStationCertificate", "CS1")).encode()
    )
    cso_chain[0].verify_directly_issued_by(lab.cso_ca.cert)


def _cso(lab: LabPki) -> Any:
    from core.services.certificates import LocalCa

    return LocalCa(lab.cso_ca.cert_pem, lab.cso_ca.key_pem, org_names=[ORG])


@pytest.mark.parametrize(
    ("cn", "org", "curve", "reason"),
    [
        ("SECC", "Someone Else", ec.SECP256R1(), "chain"),
        ("SECC", None, ec.SECP256R1(), "chain"),
        (None, ORG, ec.SECP256R1(), "chain"),
        ("SECC", ORG, ec.SECP384R1(), "chain"),  # ISO 15118-2 knows only secp256r1
    ],
)
async def test_v2g_csrs_that_are_refused(
    lab: LabPki, cn: str | None, org: str | None, curve: ec.EllipticCurve, reason: str
) -> None:
    signer = V2gStationSigner(lab.cpo_issuing_ca(), [ORG])
    csr, _ = _csr(cn, org, ec.generate_private_key(curve))
    with pytest.raises(CertificateValidationError) as info:
        signer.sign_csr(csr)
    assert info.value.reason == reason
    with pytest.raises(CertificateValidationError) as info:
        signer.sign_csr("not a csr")
    assert info.value.reason == "other"


def test_the_ocsp_responder_answers_good_revoked_and_unknown_issuers(lab: LabPki) -> None:
    responder = lab.ocsp_responder_for()
    mo = lab.mo_issuing_ca()
    leaf = mo.issue(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "X")]),
        ec.generate_private_key(ec.SECP256R1()).public_key(),
        x509.KeyUsage(True, False, False, False, False, False, False, False, False),
        days=1,
    )

    def ask(cert: x509.Certificate, issuer: x509.Certificate) -> ocsp.OCSPResponse:
        request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
        der = responder.respond(request.public_bytes(serialization.Encoding.DER))
        return ocsp.load_der_ocsp_response(der)

    good = ask(leaf, lab.mo_sub_ca2.cert)
    assert good.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert good.certificates == [lab.ocsp_responder.cert]  # the delegate signs for sub-CA 2
    responder.revoked.add(leaf.serial_number)
    assert ask(leaf, lab.mo_sub_ca2.cert).certificate_status is ocsp.OCSPCertStatus.REVOKED
    sub2 = ask(lab.mo_sub_ca2.cert, lab.mo_sub_ca1.cert)
    assert sub2.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert sub2.certificates == []
    stranger = create_lab_pki("Other").mo_sub_ca2
    unknown = ask(stranger.cert, stranger.cert)
    assert unknown.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED
    assert (
        ocsp.load_der_ocsp_response(responder.respond(b"junk")).response_status
        is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


# ---------------------------------------------------------------------------------------------
# Get15118EVCertificate


def test_private_key_encryption_round_trips_per_v2g2_818() -> None:
    ev_key = ec.generate_private_key(ec.SECP256R1())
    contract_key = ec.generate_private_key(ec.SECP256R1())
    encrypted, dh_public = encrypt_private_key(contract_key, ev_key.public_key())
    assert len(encrypted) == 48
    assert len(dh_public) == 65
    assert dh_public[0] == 0x04
    decrypted = decrypt_private_key(encrypted, dh_public, ev_key)
    assert decrypted.private_numbers() == contract_key.private_numbers()
    other = ec.generate_private_key(ec.SECP256R1())
    assert (
        decrypt_private_key(encrypted, dh_public, other).private_numbers()
        != contract_key.private_numbers()
    )


def test_lab_emaids_are_stable_and_valid() -> None:
    emaid = lab_emaid("gbtwk", "WMIV1234567890ABCD")
    assert emaid == lab_emaid("GBTWK", "WMIV1234567890ABCD")
    assert len(emaid) == 15
    assert emaid.startswith("GBTWK")
    assert normalise_emaid(emaid) == emaid  # the check character is right
    assert lab_emaid("GBTWK", "another car") != emaid


class JsonCodec:
    """Stands in for a schema-informed EXI codec: JSON in place of EXI, same content."""

    def __init__(self) -> None:
        self.signed_info: bytes = b""

    def decode_request(self, exi: bytes, namespace: str, action: str) -> EvCertificateRequest:
        try:
            data = json.loads(exi)
        except ValueError as exc:
            raise ExiError(str(exc)) from exc
        cert = x509.load_der_x509_certificate(base64.b64decode(data["cert"]))
        roots = tuple(
            RootCertificateId(x509.load_der_x509_certificate(base64.b64decode(r)).issuer, s)
            for r, s in data["roots"]
        )
        return EvCertificateRequest("00", cert, roots, data.get("emaid"))

    def encode_fragment(self, response: EvCertificateResponse, element_id: str) -> bytes:
        return json.dumps(_fragments(response)[element_id], sort_keys=True).encode()

    def encode_signed_info(self, references: Sequence[SignatureReference]) -> bytes:
        self.signed_info = json.dumps([[r.element_id, r.digest.hex()] for r in references]).encode()
        return self.signed_info

    def encode_response(self, response: EvCertificateResponse, namespace: str) -> bytes:
        body = {
            "code": response.response_code,
            "sa": [base64.b64encode(c).decode() for c in response.sa_provisioning_chain],
            "fragments": _fragments(response) if response.response_code == "OK" else {},
            "references": [[r.element_id, r.digest.hex()] for r in response.references],
            "signature": response.signature_value.hex(),
        }
        return json.dumps(body).encode()


def _fragments(response: EvCertificateResponse) -> dict[str, Any]:
    return {
        response.contract_chain_id: [base64.b64encode(c).decode() for c in response.contract_chain],
        response.encrypted_key_id: response.encrypted_private_key.hex(),
        response.dh_public_key_id: response.dh_public_key.hex(),
        response.emaid_id: response.emaid,
    }


def _oem(pcid: str = "WMIV1234567890ABCD") -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    oem_root = create_lab_pki("OEM").v2g_root  # stands in for the OEM PKI
    key = ec.generate_private_key(ec.SECP256R1())
    ca = IssuingCa(oem_root.cert, oem_root.key, (), oem_root.cert)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, pcid)])
    usage = x509.KeyUsage(True, False, False, False, True, False, False, False, False)
    return ca.issue(name, key.public_key(), usage, days=30), key


def _request(lab: LabPki, cert: x509.Certificate, roots: list[x509.Certificate]) -> str:
    der = serialization.Encoding.DER
    data = {
        "cert": base64.b64encode(cert.public_bytes(der)).decode(),
        "roots": [[base64.b64encode(r.public_bytes(der)).decode(), r.serial_number] for r in roots],
    }
    return base64.b64encode(json.dumps(data).encode()).decode()


async def test_contract_installation_end_to_end_with_a_stand_in_codec(lab: LabPki) -> None:
    codec = JsonCodec()
    provider = LocalContractProvider(
        lab.mo_issuing_ca(), lab.cps_signer(), "GBTWK", codec, ocsp_url="http://o/"
    )
    oem_cert, oem_key = _oem()
    status, exi = await provider.provide(
        _request(lab, oem_cert, [lab.v2g_root.cert]), "urn:iso:15118:2:2013:MsgDef", "Install"
    )
    assert status == "Accepted"
    answer = json.loads(base64.b64decode(exi))
    assert answer["code"] == "OK"
    fragments = answer["fragments"]

    # The EV checks the CPS signature: each digest, then SignedInfo against the CPS leaf whose
    # chain leads to the V2G root it trusts.
    sa_chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in answer["sa"]]
    _chain_verifies(sa_chain, lab.v2g_root.cert)
    for element_id, digest in answer["references"]:
        encoded = json.dumps(fragments[element_id], sort_keys=True).encode()
        assert hashlib.sha256(encoded).hexdigest() == digest
    raw = bytes.fromhex(answer["signature"])
    der_signature = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    cps_key = sa_chain[0].public_key()
    assert isinstance(cps_key, ec.EllipticCurvePublicKey)
    cps_key.verify(der_signature, codec.signed_info, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        cps_key.verify(der_signature, codec.signed_info + b"x", ec.ECDSA(hashes.SHA256()))

    # The contract chain leads to the MO root; the leaf's CN is the eMAID; the decrypted key
    # is the leaf's.
    (id_chain, id_key, id_dh, id_emaid) = [r[0] for r in answer["references"]]
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in fragments[id_chain]]
    _chain_verifies(chain, lab.mo_root.cert)
    emaid = fragments[id_emaid]
    assert emaid == lab_emaid("GBTWK", "WMIV1234567890ABCD")
    assert chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == emaid
    assert chain[0].not_valid_before_utc <= datetime.now(UTC)
    contract_key = decrypt_private_key(
        bytes.fromhex(fragments[id_key]), bytes.fromhex(fragments[id_dh]), oem_key
    )
    assert contract_key.public_key() == chain[0].public_key()


async def test_contract_installation_failures(lab: LabPki) -> None:
    provider = LocalContractProvider(lab.mo_issuing_ca(), lab.cps_signer(), "GBTWK", JsonCodec())
    oem_cert, _ = _oem()
    # The EV trusts another V2G root only: nothing it could verify.
    status, exi = await provider.provide(_request(lab, oem_cert, [lab.mo_root.cert]), "", "Install")
    assert status == "Accepted"
    assert json.loads(base64.b64decode(exi))["code"] == "FAILED_NoCertificateAvailable"
    assert await provider.provide("%%%", "", "Install") == ("Failed", "")
    assert await provider.provide(base64.b64encode(b"{").decode(), "", "Install") == ("Failed", "")
    no_codec = LocalContractProvider(lab.mo_issuing_ca(), lab.cps_signer(), "GBTWK")
    assert await no_codec.provide(_request(lab, oem_cert, [lab.v2g_root.cert]), "", "Install") == (
        "Failed",
        "",
    )


async def test_contract_update_keeps_the_emaid_and_encrypts_for_the_old_contract(
    lab: LabPki,
) -> None:
    provider = LocalContractProvider(lab.mo_issuing_ca(), lab.cps_signer(), "GBTWK", JsonCodec())
    old_key = ec.generate_private_key(ec.SECP256R1())
    old = provider.issue_contract("GBTWK012345678V", old_key.public_key())
    request = EvCertificateRequest("00", old, (RootCertificateId(lab.v2g_root.cert.issuer,
                                   lab.v2g_root.cert.serial_number),), emaid="GBTWK012345678V")  # fmt: skip
    response = provider.answer(request, update=True)
    assert response.response_code == "OK"
    assert response.emaid == "GBTWK012345678V"
    key = decrypt_private_key(response.encrypted_private_key, response.dh_public_key, old_key)
    leaf = x509.load_der_x509_certificate(response.contract_chain[0])
    assert key.public_key() == leaf.public_key()


# ---------------------------------------------------------------------------------------------
# Configuration


def _files(lab: LabPki, tmp_path: Path) -> Path:
    directory = tmp_path / "pki"
    write_lab_pki(lab, directory)
    return directory


def _ca(directory: Path, name: str, issuers: list[str], root: str) -> dict[str, Any]:
    return {
        "cert": {"file": str(directory / f"{name}.pem")},
        "key": {"file": str(directory / f"{name}.key")},
        "issuer_files": [str(directory / f"{i}.pem") for i in issuers],
        "root_file": str(directory / f"{root}.pem"),
    }


async def test_config_wires_the_local_pki(lab: LabPki, tmp_path: Path) -> None:
    d = _files(lab, tmp_path)
    config = config_from_dict(
        {
            "charge_station_cert_provider": {
                "type": "local",
                "local": {
                    "cert": {"file": str(d / "cso_ca.pem")},
                    "key": {"file": str(d / "cso_ca.key")},
                    "v2g": {**_ca(d, "cpo_sub_ca2", ["cpo_sub_ca1"], "v2g_root"), "days": 30},
                },
            },
            "contract_cert_provider": {
                "type": "local",
                "local": {
                    "emaid_prefix": "GBTWK",
                    "mo": _ca(d, "mo_sub_ca2", ["mo_sub_ca1"], "mo_root"),
                    "cps": _ca(d, "cps_leaf", ["cps_sub_ca"], "v2g_root"),
                },
            },
        }
    )
    services = build_services(config, store=None, clock=SystemClock())  # type: ignore[arg-type]
    assert isinstance(services.station_cert_provider, LocalPkiStationProvider)
    assert services.station_cert_provider.v2g.days == 30
    csr, _ = _csr("SECC", ORG)
    chain = await services.station_cert_provider.sign(csr, "V2GCertificate", "CS1")
    _chain_verifies(x509.load_pem_x509_certificates(chain.encode()), lab.v2g_root.cert)
    assert isinstance(services.contract_provider, LocalContractProvider)
    assert await services.contract_provider.provide("", "", "Install") == ("Failed", "")

    # A sub-CA without its issuer does not start, naming the key.
    config = config_from_dict(
        {
            "contract_cert_provider": {
                "type": "local",
                "local": {
                    "emaid_prefix": "GBTWK",
                    "mo": _ca(d, "mo_sub_ca2", [], "mo_root"),
                    "cps": _ca(d, "cps_leaf", ["cps_sub_ca"], "v2g_root"),
                },
            }
        }
    )
    with pytest.raises(ConfigError, match=r"contract_cert_provider\.local\.mo"):
        build_services(config, store=None, clock=SystemClock())  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        config_from_dict({"contract_cert_provider": {"type": "local"}})
    with pytest.raises(ConfigError):
        config_from_dict(
            {
                "contract_cert_provider": {
                    "type": "local",
                    "local": {
                        "emaid_prefix": "GB-TWK",
                        "mo": _ca(d, "mo_sub_ca2", [], "mo_root"),
                        "cps": _ca(d, "cps_leaf", [], "v2g_root"),
                    },
                }
            }
        )
