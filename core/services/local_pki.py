"""A local ISO 15118-2 PKI for labs, private fleets and machines with no external PKI in reach:

- :class:`IssuingCa`: a sub-CA's certificate and key with its issuers up to a root, checked at
  load so a mismatched file stops the start rather than every later signature.
- :class:`V2gStationSigner`: signs SignCertificate CSRs of type V2GCertificate as a CPO sub-CA,
  with the SECC leaf profile of ISO 15118-2 Annex F; :class:`LocalPkiStationProvider` sends
  ChargingStationCertificate CSRs to the CSO :class:`~core.services.certificates.LocalCa`.
- :func:`create_lab_pki`: a whole lab PKI (V2G root, CPO sub-CAs 1/2, CPS sub-CA and leaf, MO root,
  MO sub-CAs 1/2, a delegated OCSP responder, a CSO CA) and :class:`OcspResponder`, which answers
  OCSP requests for the certificates those CAs issued.

The OPCP providers stay the production path; this one keeps the same answers (the leaf then its
issuers, without the root the station already holds)."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from core.services.certificates import LocalCa, create_ca
from core.services.protocols import CertificateValidationError
from core.services.x509_checks import is_ca, is_issued_by, load_csr

# ISO 15118-2 allows only secp256r1 keys for every certificate of its PKI.
CURVE = ec.SECP256R1


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _ocsp_extension(url: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(url)
            )
        ]
    )


@dataclass(frozen=True, slots=True)
class IssuingCa:
    """A CA that issues leaves: its certificate and key, its issuers below the root (nearest
    first) and the root."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    issuers: tuple[x509.Certificate, ...]
    root: x509.Certificate

    @classmethod
    def load(
        cls,
        cert_pem: str,
        key_pem: str,
        issuer_pems: Sequence[str],
        root_pem: str,
        *,
        require_ca: bool = True,
    ) -> IssuingCa:
        """Raises ValueError naming what does not fit together. ``require_ca=False`` loads a
        signing leaf (the CPS certificate) with its chain instead."""
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, CURVE):
            raise ValueError("the CA key must be a secp256r1 EC key (ISO 15118-2)")
        if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
            raise ValueError("the CA key does not belong to the CA certificate")
        issuers: list[x509.Certificate] = []
        for text in issuer_pems:
            issuers.extend(x509.load_pem_x509_certificates(text.encode()))
        root = x509.load_pem_x509_certificate(root_pem.encode())
        if require_ca and not is_ca(cert):
            raise ValueError(f"{cert.subject.rfc4514_string()} is not a CA certificate")
        for child, parent in itertools.pairwise([cert, *issuers, root]):
            if not is_ca(parent) or not is_issued_by(child, parent):
                raise ValueError(
                    f"{child.subject.rfc4514_string()} is not issued by the CA "
                    f"{parent.subject.rfc4514_string()}"
                )
        return cls(cert, key, tuple(issuers), root)

    def chain(self) -> list[x509.Certificate]:
        """This CA and its issuers, without the root."""
        return [self.cert, *self.issuers]

    def issue(
        self,
        subject: x509.Name,
        public_key: ec.EllipticCurvePublicKey,
        key_usage: x509.KeyUsage,
        *,
        days: int,
        ocsp_url: str = "",
        now: datetime | None = None,
    ) -> x509.Certificate:
        """An end-entity certificate; never valid past the issuing CA."""
        now = now or datetime.now(UTC)
        not_after = min(now + timedelta(days=days), self.cert.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(secrets.randbits(159))
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if ocsp_url:
            builder = builder.add_extension(_ocsp_extension(ocsp_url), critical=False)
        return builder.sign(self.key, hashes.SHA256())


# ISO 15118-2 Annex F: the SECC leaf is for TLS with ECDH(E) and signatures, nothing else.
SECC_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=True,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


class V2gStationSigner:
    """Signs V2GCertificate CSRs as the CPO sub-CA.

    OCPP 2.0.1 A02/A03: the station builds the CSR with CN = its SECC id (ISO15118Ctrlr.SeccId)
    and O = ISO15118Ctrlr.OrganizationName. The SECC id is a station variable the CSMS does not
    hold, so the CN is taken as the CSR says (it must be present); O must be one of the
    configured organisation names. The issued subject keeps CN, O and C and adds DC=CPO as the
    Annex F SECC profile asks."""

    def __init__(
        self,
        ca: IssuingCa,
        org_names: Sequence[str] = (),
        *,
        days: int = 365,
        ocsp_url: str = "",
    ) -> None:
        self.ca, self.org_names, self.days, self.ocsp_url = ca, list(org_names), days, ocsp_url

    def sign_csr(self, csr_pem: str, *, supply_o: str = "") -> str:
        """``supply_o``: the O= of the leaf when the CSR has none (the csr-without-o leniency)."""
        csr = load_csr(csr_pem)
        key = csr.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, CURVE):
            raise CertificateValidationError("chain", "a V2G certificate needs a secp256r1 key")
        cns = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not cns or not str(cns[0].value).strip():
            raise CertificateValidationError("chain", "CSR has no common name (the SECC id)")
        orgs = csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        # No O= in the CSR: the CSMS's, when the station is granted csr-without-o.
        organisation = str(orgs[0].value) if orgs else supply_o
        if self.org_names and organisation not in self.org_names:
            raise CertificateValidationError("chain", "CSR organisation is not allowed")
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, str(cns[0].value))]
        if organisation:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        countries = csr.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
        if countries:
            attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, str(countries[0].value)))
        attributes.append(x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "CPO"))
        leaf = self.ca.issue(
            x509.Name(attributes), key, SECC_KEY_USAGE, days=self.days, ocsp_url=self.ocsp_url
        )
        return "".join(_pem(c) for c in [leaf, *self.ca.chain()])


class LocalPkiStationProvider:
    """Implements :class:`core.services.protocols.ChargeStationCertificateProvider`: CSO
    certificates from the local CSO CA, V2G certificates from the local CPO sub-CA."""

    def __init__(self, cso: LocalCa, v2g: V2gStationSigner) -> None:
        self.cso, self.v2g = cso, v2g

    async def sign(
        self, csr_pem: str, certificate_type: str, station_id: str, *, supply_o: str = ""
    ) -> str:
        if certificate_type == "V2GCertificate":
            return self.v2g.sign_csr(csr_pem, supply_o=supply_o)
        return await self.cso.sign(csr_pem, certificate_type, station_id, supply_o=supply_o)


# ---------------------------------------------------------------------------------------------
# OCSP responder


@dataclass
class OcspResponder:
    """Answers DER OCSP requests for certificates issued by known CAs.

    ``signers`` maps an issuing CA certificate to who signs answers about its certificates: the
    CA itself, or a delegated responder certificate it issued with the OCSP-signing purpose
    (RFC 6960 §4.2.2.2), so the CA key need not sit on the responder."""

    signers: Mapping[x509.Certificate, tuple[x509.Certificate, ec.EllipticCurvePrivateKey]]
    revoked: set[int] = field(default_factory=set)
    validity: timedelta = timedelta(hours=1)

    def _issuer(self, request: ocsp.OCSPRequest) -> x509.Certificate | None:
        # The key hash alone names the CA: the name hash cryptography builds from a certificate
        # is over the certificate's issuer, which for a probe of the CA itself is the wrong name.
        for issuer in self.signers:
            probe = (
                ocsp.OCSPRequestBuilder()
                .add_certificate(issuer, issuer, request.hash_algorithm)
                .build()
            )
            if probe.issuer_key_hash == request.issuer_key_hash:
                return issuer
        return None

    def respond(self, request_der: bytes, now: datetime | None = None) -> bytes:
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST
            ).public_bytes(serialization.Encoding.DER)
        issuer = self._issuer(request)
        if issuer is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        now = now or datetime.now(UTC)
        revoked = request.serial_number in self.revoked
        signer, signer_key = self.signers[issuer]
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=request.issuer_name_hash,
                issuer_key_hash=request.issuer_key_hash,
                serial_number=request.serial_number,
                algorithm=request.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
                this_update=now,
                next_update=now + self.validity,
                revocation_time=now if revoked else None,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
        )
        if signer != issuer:
            builder = builder.certificates([signer])
        return builder.sign(signer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


# ---------------------------------------------------------------------------------------------
# Lab PKI


@dataclass(frozen=True, slots=True)
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> str:
        return _pem(self.cert)

    @property
    def key_pem(self) -> str:
        return _key_pem(self.key)


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(False, False, False, False, False, True, True, False, False)


def _make_ca(
    name: x509.Name,
    parent: Issued | None,
    *,
    path_length: int | None,
    days: int,
    ocsp_url: str,
    now: datetime,
) -> Issued:
    key = ec.generate_private_key(CURVE())
    signer_key = parent.key if parent else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(parent.cert.subject if parent else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if parent is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()),
            critical=False,
        )
        if ocsp_url:  # a root is vouched for by nobody; its sub-CAs by OCSP
            builder = builder.add_extension(_ocsp_extension(ocsp_url), critical=False)
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


def _dn(cn: str, org: str, dc: str, country: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.DOMAIN_COMPONENT, dc),
        ]
    )


@dataclass(frozen=True, slots=True)
class LabPki:
    """Every part of a lab PKI, by the file stem :func:`write_lab_pki` gives it."""

    v2g_root: Issued
    cpo_sub_ca1: Issued
    cpo_sub_ca2: Issued
    cps_sub_ca: Issued
    cps_leaf: Issued
    mo_root: Issued
    mo_sub_ca1: Issued
    mo_sub_ca2: Issued
    ocsp_responder: Issued
    cso_ca: Issued

    def parts(self) -> dict[str, Issued]:
        return {name: getattr(self, name) for name in self.__slots__}

    def cpo_issuing_ca(self) -> IssuingCa:
        return IssuingCa(
            self.cpo_sub_ca2.cert,
            self.cpo_sub_ca2.key,
            (self.cpo_sub_ca1.cert,),
            self.v2g_root.cert,
        )

    def mo_issuing_ca(self) -> IssuingCa:
        return IssuingCa(
            self.mo_sub_ca2.cert, self.mo_sub_ca2.key, (self.mo_sub_ca1.cert,), self.mo_root.cert
        )

    def cps_signer(self) -> IssuingCa:
        """The CPS leaf that signs CertificateInstallationRes, with its chain to the V2G root."""
        return IssuingCa(
            self.cps_leaf.cert, self.cps_leaf.key, (self.cps_sub_ca.cert,), self.v2g_root.cert
        )

    def ocsp_responder_for(self) -> OcspResponder:
        """Answers for every CA here; contract leaves through the delegated responder."""
        signers: dict[x509.Certificate, tuple[x509.Certificate, ec.EllipticCurvePrivateKey]] = {
            part.cert: (part.cert, part.key)
            for part in (
                self.v2g_root,
                self.cpo_sub_ca1,
                self.cpo_sub_ca2,
                self.cps_sub_ca,
                self.mo_root,
                self.mo_sub_ca1,
            )
        }
        signers[self.mo_sub_ca2.cert] = (self.ocsp_responder.cert, self.ocsp_responder.key)
        return OcspResponder(signers)


def create_lab_pki(
    org: str, *, ocsp_url: str = "", country: str = "DE", days: int = 3650
) -> LabPki:
    """A fresh lab PKI after ISO 15118-2 Annex F (V2G root → CPO sub-CA 1 → CPO sub-CA 2, V2G
    root → CPS sub-CA → CPS leaf, MO root → MO sub-CA 1 → MO sub-CA 2) plus a delegated OCSP
    responder for MO sub-CA 2 and a CSO CA for ChargingStationCertificate. Sub-CAs name
    ``ocsp_url`` as their responder when given."""
    now = datetime.now(UTC)
    v2g_root = _make_ca(
        _dn("V2G Root CA", org, "V2G", country),
        None,
        path_length=2,
        days=days,
        ocsp_url="",
        now=now,
    )
    cpo1 = _make_ca(
        _dn("CPO Sub-CA 1", org, "V2G", country),
        v2g_root,
        path_length=1,
        days=days,
        ocsp_url=ocsp_url,
        now=now,
    )
    cpo2 = _make_ca(
        _dn("CPO Sub-CA 2", org, "V2G", country),
        cpo1,
        path_length=0,
        days=days,
        ocsp_url=ocsp_url,
        now=now,
    )
    cps_sub = _make_ca(
        _dn("CPS Sub-CA", org, "V2G", country),
        v2g_root,
        path_length=0,
        days=days,
        ocsp_url=ocsp_url,
        now=now,
    )
    cps_key = ec.generate_private_key(CURVE())
    cps_ca = IssuingCa(cps_sub.cert, cps_sub.key, (), v2g_root.cert)
    cps_leaf = Issued(
        cps_ca.issue(
            _dn("CPS Leaf", org, "CPS", country),
            cps_key.public_key(),
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            days=days,
            ocsp_url=ocsp_url,
            now=now,
        ),
        cps_key,
    )
    mo_root = _make_ca(
        _dn("MO Root CA", org, "MO", country), None, path_length=2, days=days, ocsp_url="", now=now
    )
    mo1 = _make_ca(
        _dn("MO Sub-CA 1", org, "MO", country),
        mo_root,
        path_length=1,
        days=days,
        ocsp_url=ocsp_url,
        now=now,
    )
    mo2 = _make_ca(
        _dn("MO Sub-CA 2", org, "MO", country),
        mo1,
        path_length=0,
        days=days,
        ocsp_url=ocsp_url,
        now=now,
    )
    responder_key = ec.generate_private_key(CURVE())
    responder = (
        x509.CertificateBuilder()
        .subject_name(_dn("MO OCSP Responder", org, "MO", country))
        .issuer_name(mo2.cert.subject)
        .public_key(responder_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        # RFC 6960 §4.2.2.2.1: clients need not check the responder's own revocation status.
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .sign(mo2.key, hashes.SHA256())
    )
    cso_cert_pem, cso_key_pem = create_ca("CSO CA", org, days=days)
    cso_key = serialization.load_pem_private_key(cso_key_pem.encode(), password=None)
    assert isinstance(cso_key, ec.EllipticCurvePrivateKey)
    return LabPki(
        v2g_root=v2g_root,
        cpo_sub_ca1=cpo1,
        cpo_sub_ca2=cpo2,
        cps_sub_ca=cps_sub,
        cps_leaf=cps_leaf,
        mo_root=mo_root,
        mo_sub_ca1=mo1,
        mo_sub_ca2=mo2,
        ocsp_responder=Issued(responder, responder_key),
        cso_ca=Issued(x509.load_pem_x509_certificate(cso_cert_pem.encode()), cso_key),
    )


def write_lab_pki(pki: LabPki, directory: Path) -> list[Path]:
    """``NAME.pem`` and ``NAME.key`` (owner-only) for every part; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, part in pki.parts().items():
        cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
        cert_path.write_text(part.cert_pem, encoding="utf-8")
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(part.key_pem)
        written += [cert_path, key_path]
    return written


def pem_bundle(certificates: Iterable[x509.Certificate]) -> str:
    return "".join(_pem(c) for c in certificates)
