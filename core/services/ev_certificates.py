"""Get15118EVCertificate from the local MO sub-CA (ISO 15118-2 CertificateInstallation).

The station relays the EV's CertificateInstallationReq (or CertificateUpdateReq) as base64 EXI;
the answer is a CertificateInstallationRes (or CertificateUpdateRes) in EXI carrying:

- the contract certificate chain (leaf CN = eMAID, issued by the MO sub-CA, with its sub-CAs);
- the contract private key encrypted for the EV (ISO 15118-2 §8.8.4 / [V2G2-818..820]): an
  ephemeral secp256r1 key agrees (ECDH) with the public key of the OEM provisioning certificate
  (install) or of the current contract certificate (update); the shared secret goes through the
  NIST SP 800-56A concatenation KDF (SHA-256, OtherInfo = AlgorithmID 0x01 ‖ PartyUInfo 0x55 ‖
  PartyVInfo 0x56) to an AES-128 key; the 32-byte private value is encrypted with AES-128-CBC
  under a random IV and sent as IV ‖ ciphertext (48 bytes, no padding: 32 is two blocks);
- the ephemeral public key (uncompressed point, 65 bytes) and the eMAID;
- an XML signature over those four elements by the certificate provisioning service (CPS)
  leaf, whose chain to the V2G root is sent too (SAProvisioningCertificateChain).

ISO 15118-2 digests and signs the *EXI encoding* of each referenced element (its
canonicalisation is EXI), so both the request's parsing and the digests need a schema-informed
EXI codec. No maintained Python library encodes ISO 15118-2 EXI without a JVM, so the codec is
the :class:`Iso15118ExiCodec` protocol: everything else (issuance, key encryption, signature
values, response content) is here and tested with a stand-in codec."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.x509.oid import NameOID

from core.services.emaid import check_character
from core.services.local_pki import CURVE, IssuingCa

log = logging.getLogger(__name__)

ISO15118_2_NAMESPACE = "urn:iso:15118:2:2013:MsgDef"

# [V2G2-818]: the concatenation KDF's OtherInfo for the contract key's session key.
KDF_OTHER_INFO = bytes([0x01, 0x55, 0x56])
AES_KEY_BYTES = 16

# ISO 15118-2 Annex F: the contract certificate signs (the EV's ContractSignature), nothing else.
CONTRACT_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


class ExiError(Exception):
    """The codec could not read or write a message."""


@dataclass(frozen=True, slots=True)
class RootCertificateId:
    """An X509IssuerSerial of ListOfRootCertificateIDs: a root the EV trusts."""

    issuer: x509.Name
    serial: int


@dataclass(frozen=True, slots=True)
class EvCertificateRequest:
    """What the provider needs from a CertificateInstallationReq / CertificateUpdateReq.

    The codec also checks the request's own signature (by the OEM provisioning certificate,
    resp. the current contract certificate) over the EXI of its signed element, since only it
    holds that encoding; an unverifiable request is an :class:`ExiError`."""

    session_id: str
    # The certificate whose public key the new contract key is encrypted for: the OEM
    # provisioning certificate (install) or the contract certificate being updated.
    encryption_certificate: x509.Certificate
    root_certificate_ids: tuple[RootCertificateId, ...]
    # Update only: the eMAID of the contract being renewed.
    emaid: str | None = None


@dataclass(frozen=True, slots=True)
class SignatureReference:
    """A ds:Reference: URI ``#id`` and SHA-256 of the EXI encoding of the element."""

    element_id: str
    digest: bytes


@dataclass(slots=True)
class EvCertificateResponse:
    """The content of a CertificateInstallationRes / CertificateUpdateRes (DER certificates)."""

    update: bool
    response_code: str
    sa_provisioning_chain: list[bytes] = field(default_factory=list)
    contract_chain: list[bytes] = field(default_factory=list)
    encrypted_private_key: bytes = b""
    dh_public_key: bytes = b""
    emaid: str = ""
    # Id attributes of the four signed elements (the signature references them).
    contract_chain_id: str = "id1"
    encrypted_key_id: str = "id2"
    dh_public_key_id: str = "id3"
    emaid_id: str = "id4"
    references: list[SignatureReference] = field(default_factory=list)
    # ECDSA-SHA256 over the EXI of SignedInfo, as XML-DSig's r ‖ s (64 bytes).
    signature_value: bytes = b""

    def signed_ids(self) -> list[str]:
        return [self.contract_chain_id, self.encrypted_key_id, self.dh_public_key_id, self.emaid_id]


class Iso15118ExiCodec(Protocol):
    """The schema-informed EXI layer for one message family (ISO 15118-2 or -20)."""

    def decode_request(self, exi: bytes, namespace: str, action: str) -> EvCertificateRequest:
        """Parse (and check the signature of) a CertificateInstallationReq (action Install) or
        CertificateUpdateReq (Update). Raises :class:`ExiError`."""
        ...

    def encode_fragment(self, response: EvCertificateResponse, element_id: str) -> bytes:
        """The EXI fragment encoding of the response element with Id ``element_id``, as
        ISO 15118-2 digests it."""
        ...

    def encode_signed_info(self, references: Sequence[SignatureReference]) -> bytes:
        """The EXI fragment encoding of the ds:SignedInfo holding these references (method
        ecdsa-sha256, digest sha256, canonicalisation EXI)."""
        ...

    def encode_response(self, response: EvCertificateResponse, namespace: str) -> bytes:
        """The complete V2G_Message (header with the request's SessionID, the signature, the
        body) as EXI."""
        ...


def encrypt_private_key(
    private_key: ec.EllipticCurvePrivateKey, recipient: ec.EllipticCurvePublicKey
) -> tuple[bytes, bytes]:
    """(IV ‖ AES-128-CBC ciphertext of the 32-byte private value, the ephemeral public key as
    an uncompressed point) per [V2G2-818..820]."""
    ephemeral = ec.generate_private_key(CURVE())
    session_key = _session_key(ephemeral.exchange(ec.ECDH(), recipient))
    iv = secrets.token_bytes(16)
    encryptor = Cipher(algorithms.AES(session_key), modes.CBC(iv)).encryptor()
    plain = private_key.private_numbers().private_value.to_bytes(32, "big")
    encrypted = iv + encryptor.update(plain) + encryptor.finalize()
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return encrypted, point


def decrypt_private_key(
    encrypted: bytes, dh_public_key: bytes, own_key: ec.EllipticCurvePrivateKey
) -> ec.EllipticCurvePrivateKey:
    """The EV's side of :func:`encrypt_private_key` (for tests and lab EV simulators)."""
    peer = ec.EllipticCurvePublicKey.from_encoded_point(CURVE(), dh_public_key)
    session_key = _session_key(own_key.exchange(ec.ECDH(), peer))
    decryptor = Cipher(algorithms.AES(session_key), modes.CBC(encrypted[:16])).decryptor()
    plain = decryptor.update(encrypted[16:]) + decryptor.finalize()
    return ec.derive_private_key(int.from_bytes(plain, "big"), CURVE())


def _session_key(shared_secret: bytes) -> bytes:
    return ConcatKDFHash(
        algorithm=hashes.SHA256(), length=AES_KEY_BYTES, otherinfo=KDF_OTHER_INFO
    ).derive(shared_secret)


def lab_emaid(prefix: str, pcid: str) -> str:
    """A stable eMAID for a provisioning certificate id: ``prefix`` (country + provider, e.g.
    GBTWK), nine characters from the PCID's SHA-256, and the ISO 15118 check character. The
    same car always gets the same contract id, so a token can be registered for it ahead."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    number = int.from_bytes(hashlib.sha256(pcid.encode()).digest(), "big")
    body = ""
    for _ in range(9):
        number, index = divmod(number, len(alphabet))
        body += alphabet[index]
    base = (prefix.upper() + body)[:14]
    return base + check_character(base)


def _raw_signature(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class LocalContractProvider:
    """Implements :class:`core.services.protocols.ContractCertificateProvider` with a local MO
    sub-CA and a CPS signing certificate. Without a codec every request answers Failed."""

    def __init__(
        self,
        mo: IssuingCa,
        cps: IssuingCa,
        emaid_prefix: str,
        codec: Iso15118ExiCodec | None = None,
        *,
        days: int = 730,
        ocsp_url: str = "",
    ) -> None:
        self.mo, self.cps, self.codec = mo, cps, codec
        self.emaid_prefix, self.days, self.ocsp_url = emaid_prefix, days, ocsp_url

    async def provide(self, exi_request: str, schema_version: str, action: str) -> tuple[str, str]:
        if self.codec is None:
            log.warning("Get15118EVCertificate refused: no ISO 15118 EXI codec is installed")
            return "Failed", ""
        namespace = schema_version or ISO15118_2_NAMESPACE
        try:
            request = self.codec.decode_request(base64.b64decode(exi_request), namespace, action)
            response = self.answer(request, update=action == "Update")
            exi = self.codec.encode_response(response, namespace)
        except (ExiError, binascii.Error, ValueError) as exc:
            log.info("Get15118EVCertificate (%s) failed: %s", action, exc)
            return "Failed", ""
        return "Accepted", base64.b64encode(exi).decode()

    def trusted_by(self, request: EvCertificateRequest) -> bool:
        """The EV lists the V2G roots it trusts; our CPS chain must end in one of them. An
        empty list trusts nothing."""
        root = self.cps.root
        return any(
            r.issuer == root.issuer and r.serial == root.serial_number
            for r in request.root_certificate_ids
        )

    def issue_contract(self, emaid: str, public_key: ec.EllipticCurvePublicKey) -> x509.Certificate:
        orgs = self.mo.cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, emaid)]
        if orgs:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(orgs[0].value)))
        attributes.append(x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "MO"))
        return self.mo.issue(
            x509.Name(attributes),
            public_key,
            CONTRACT_KEY_USAGE,
            days=self.days,
            ocsp_url=self.ocsp_url,
        )

    def answer(self, request: EvCertificateRequest, *, update: bool) -> EvCertificateResponse:
        """The signed response; ``FAILED_NoCertificateAvailable`` when the EV trusts none of
        our V2G roots, since it could not check the CPS signature."""
        if not self.trusted_by(request):
            return EvCertificateResponse(
                update=update, response_code="FAILED_NoCertificateAvailable"
            )
        recipient = request.encryption_certificate.public_key()
        if not isinstance(recipient, ec.EllipticCurvePublicKey) or not isinstance(
            recipient.curve, CURVE
        ):
            raise ValueError("the EV's certificate has no secp256r1 key")
        if update and request.emaid:
            emaid = request.emaid
        else:
            pcid = request.encryption_certificate.subject.get_attributes_for_oid(
                NameOID.COMMON_NAME
            )
            if not pcid:
                raise ValueError("the provisioning certificate has no common name (PCID)")
            emaid = lab_emaid(self.emaid_prefix, str(pcid[0].value))
        contract_key = ec.generate_private_key(CURVE())
        leaf = self.issue_contract(emaid, contract_key.public_key())
        encrypted, dh_public = encrypt_private_key(contract_key, recipient)
        der = serialization.Encoding.DER
        response = EvCertificateResponse(
            update=update,
            response_code="OK",
            sa_provisioning_chain=[c.public_bytes(der) for c in self.cps.chain()],
            contract_chain=[c.public_bytes(der) for c in [leaf, *self.mo.chain()]],
            encrypted_private_key=encrypted,
            dh_public_key=dh_public,
            emaid=emaid,
        )
        self.sign(response)
        return response

    def sign(self, response: EvCertificateResponse) -> None:
        assert self.codec is not None
        response.references = [
            SignatureReference(
                element_id,
                hashlib.sha256(self.codec.encode_fragment(response, element_id)).digest(),
            )
            for element_id in response.signed_ids()
        ]
        signed_info = self.codec.encode_signed_info(response.references)
        response.signature_value = _raw_signature(
            self.cps.key.sign(signed_info, ec.ECDSA(hashes.SHA256()))
        )
